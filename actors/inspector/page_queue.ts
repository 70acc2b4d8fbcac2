/**
 * Flow control towards the inspector's pages: each page has a bounded queue
 * of frames (the oldest dropped and counted when the page falls behind) and
 * gets them in batches, the next batch only after it acknowledged the last.
 *
 * Browser-safe.
 *
 * @module
 */
import { redactJson } from "../../src/redact.ts";
import type { InspectorFrame, PageMessage } from "./frames.ts";

/** One listening page: where its messages go. */
export interface PageSink {
  /** Deliver one message (a JSON string of a {@linkcode PageMessage}). */
  send(message: string): void;
}

interface Page {
  sink: PageSink;
  queue: InspectorFrame[];
  head: number;
  dropped: number;
  inFlight: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The queues of the listening pages. Every message is redacted
 * (`redactJson`) as it leaves; a page whose sink throws is dropped.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { PageQueues } from "./page_queue.ts";
 *
 * const pages = new PageQueues(10, 100);
 * const got: string[] = [];
 * const close = pages.open({ send: (m) => got.push(m) }, {
 *   kind: "init",
 *   actors: [],
 *   events: [],
 *   dropped: 0,
 * });
 * ok(JSON.parse(got[0]).kind === "init");
 * const before = pages.size;
 * close();
 * ok(before === 1 && pages.size === 0);
 * ```
 */
export class PageQueues {
  #pages = new Set<Page>();
  #buffer: number;
  #batch: number;
  #dropped = 0;

  /**
   * Create an empty set of page queues.
   * @param buffer How many frames may wait for one page.
   * @param batch How many frames go to a page in one message.
   */
  constructor(buffer: number, batch: number) {
    this.#buffer = buffer;
    this.#batch = batch;
  }

  /** Pages listening now. */
  get size(): number {
    return this.#pages.size;
  }

  /** Frames dropped for slow pages, all pages together. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Start feeding a page: `init` is sent at once, live frames follow in
   * batches after each {@linkcode ack}.
   * @param sink Where the page's messages go.
   * @param init The page's first message.
   * @returns A function that closes the page's queue.
   */
  open(sink: PageSink, init: PageMessage): () => void {
    const page: Page = {
      sink,
      queue: [],
      head: 0,
      dropped: 0,
      inFlight: true,
      timer: undefined,
    };
    this.#pages.add(page);
    this.#deliver(page, init);
    return () => {
      if (page.timer !== undefined) clearTimeout(page.timer);
      this.#pages.delete(page);
    };
  }

  /**
   * A page has processed the last message: send the next batch.
   * @param sink The page, as given to {@linkcode open}.
   */
  ack(sink: PageSink): void {
    for (const page of this.#pages) {
      if (page.sink !== sink) continue;
      page.inFlight = false;
      this.#schedule(page);
    }
  }

  /**
   * Queue a frame for every page (dropping a page's oldest when its queue
   * is full).
   * @param frame The frame.
   */
  broadcast(frame: InspectorFrame): void {
    for (const page of this.#pages) {
      if (page.queue.length - page.head >= this.#buffer) {
        page.head++;
        page.dropped++;
        this.#dropped++;
      }
      page.queue.push(frame);
      if (page.head > 4096 && page.head * 2 > page.queue.length) {
        page.queue = page.queue.slice(page.head);
        page.head = 0;
      }
      this.#schedule(page);
    }
  }

  #deliver(page: Page, message: PageMessage): void {
    page.inFlight = true;
    try {
      // The last step before anything leaves: redact (see src/redact.ts).
      page.sink.send(JSON.stringify(message, redactJson));
    } catch {
      this.#pages.delete(page);
    }
  }

  #schedule(page: Page): void {
    if (page.inFlight || page.timer !== undefined) return;
    if (page.queue.length === page.head) return;
    page.timer = setTimeout(() => {
      page.timer = undefined;
      if (page.inFlight || !this.#pages.has(page)) return;
      const end = Math.min(page.queue.length, page.head + this.#batch);
      const frames = page.queue.slice(page.head, end);
      page.head = end;
      if (page.head === page.queue.length) {
        page.queue = [];
        page.head = 0;
      }
      this.#deliver(page, { kind: "batch", frames, dropped: page.dropped });
    }, 16);
  }
}
