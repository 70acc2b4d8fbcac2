/**
 * The micro-batcher of the Redis data path (one node): requests issued in
 * the same turn of the event loop are sent together, once per turn, runs of
 * the same kind merged into one command: GETs into one `MGET`, SETs into one
 * `MSET`, DELs into one `DEL`; a SET with a TTL, and other operations
 * (listings, bulk writes), go as they are, in their place. One connection
 * keeps commands in order, so every request sees exactly the writes
 * accepted before it.
 *
 * "Once per turn": the flush runs in the check phase of the event loop
 * (`setImmediate`), after every microtask queued so far, so callers woken by
 * the same reply all issue their next request into the same batch however
 * many promise hops each takes. node-redis itself writes the commands of
 * one turn to the socket together (it also waits for `setImmediate`).
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** Kinds of requests: runs of GET, SET and DEL are merged. */
export const GET = 0, SET = 1, DEL = 2, SETEX = 3, OTHER = 4;
/** One of {@linkcode GET}, {@linkcode SET}, {@linkcode DEL}, {@linkcode SETEX}, {@linkcode OTHER}. */
export type Kind = 0 | 1 | 2 | 3 | 4;

/** Where merged commands go: a node-redis client of one node, or a fake. */
export interface CommandSink {
  get(key: string): Promise<string | null>;
  mGet(keys: string[]): Promise<(string | null)[]>;
  set(key: string, value: string, options?: { EX: number }): Promise<unknown>;
  mSet(pairs: [string, string][]): Promise<unknown>;
  del(keys: string[]): Promise<number>;
}

/** A request on the data path. */
export interface Request<S> {
  kind: Kind;
  /** Its guard: not sent once no longer live (answered or timed out). */
  id: number;
  /** The full Redis key (GET, SET, SETEX, DEL). */
  name: string;
  /** The JSON to write (SET, SETEX). */
  text?: string;
  /** Seconds to live (SETEX). */
  ttl?: number;
  /** What to run (OTHER). */
  op?: (sink: S) => Promise<unknown>;
  /** Called once with the reply (`GET`: the text or `null`). */
  ok(reply: unknown): void;
  /** Called once with the error. */
  ko(e: unknown): void;
}

/**
 * Send a run of requests of one kind as one command (or, for SETEX and
 * OTHER, the one request of the run).
 *
 * @param sink Where to send it.
 * @param kind The kind of every request of the run.
 * @param run At least one request.
 */
export function sendRun<S extends CommandSink>(
  sink: S,
  kind: Kind,
  run: Request<S>[],
): void {
  const all = (e: unknown) => {
    for (const it of run) it.ko(e);
  };
  const one = run[0];
  switch (kind) {
    case GET:
      if (run.length === 1) return void sink.get(one.name).then(one.ok, one.ko);
      return void sink.mGet(run.map((it) => it.name)).then((texts) => {
        for (let i = 0; i < run.length; i++) run[i].ok(texts[i]);
      }, all);
    case SET:
      if (run.length === 1) {
        return void sink.set(one.name, one.text!).then(one.ok, one.ko);
      }
      return void sink.mSet(run.map((it) => [it.name, it.text!])).then(() => {
        for (const it of run) it.ok(undefined);
      }, all);
    case DEL:
      return void sink.del(run.map((it) => it.name)).then(() => {
        for (const it of run) it.ok(undefined);
      }, all);
    case SETEX:
      return void sink.set(one.name, one.text!, { EX: one.ttl! }).then(
        one.ok,
        one.ko,
      );
    default:
      return void one.op!(sink).then(one.ok, one.ko);
  }
}

/** Options of {@linkcode Batcher}. */
export interface BatcherOptions<S> {
  /** The sink, or `undefined` while there is none yet (not connected). */
  sink(): S | undefined;
  /**
   * Settles once a sink may be there (the first connection); `undefined`
   * when none will ever be (closed): the queue then waits no more.
   */
  whenSink(): Promise<unknown> | undefined;
  /** Whether a queued request still waits for its answer. */
  live(id: number): boolean;
  /** The most requests queued at once. */
  maxQueue: number;
  /** The error of a request beyond `maxQueue`. */
  full(): Error;
  /**
   * Runs `flush` once, later.
   * @default {setImmediate}
   */
  schedule?: (flush: () => void) => void;
}

/** Queues requests and sends each turn's queue merged, in order. */
export class Batcher<S extends CommandSink> {
  #queue: Request<S>[] = [];
  #scheduled = false;
  #options: BatcherOptions<S>;
  #schedule: (flush: () => void) => void;
  #flush = () => this.#send();

  /** @param options Where requests go and when. */
  constructor(options: BatcherOptions<S>) {
    this.#options = options;
    this.#schedule = options.schedule ?? ((f) => void setImmediate(f));
  }

  /** Number of requests queued and not yet sent. */
  get size(): number {
    return this.#queue.length;
  }

  /**
   * Queue a request: sent with the others of this turn, or failed at once
   * (`ko`) when the queue is full.
   *
   * @param request The request.
   */
  push(request: Request<S>): void {
    if (this.#queue.length >= this.#options.maxQueue) {
      request.ko(this.#options.full());
      return;
    }
    this.#queue.push(request);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(this.#flush);
  }

  /** Drop every queued request (they are not answered). */
  clear(): void {
    this.#queue = [];
  }

  #send(): void {
    this.#scheduled = false;
    const o = this.#options;
    const sink = o.sink();
    if (sink === undefined) {
      // No sink yet: wait for it (requests past their deadline are then
      // dropped from the batch, never sent late).
      const ready = o.whenSink();
      if (ready !== undefined) {
        this.#scheduled = true;
        ready.then(this.#flush, () => void (this.#scheduled = false));
      }
      return;
    }
    const items = this.#queue;
    this.#queue = [];
    for (let i = 0; i < items.length;) {
      const kind = items[i].kind;
      let j = i + 1;
      if (kind !== SETEX && kind !== OTHER) {
        while (j < items.length && items[j].kind === kind) j++;
      }
      const run: Request<S>[] = [];
      for (let x = i; x < j; x++) {
        if (o.live(items[x].id)) run.push(items[x]);
      }
      i = j;
      if (run.length === 0) continue;
      try {
        sendRun(sink, kind, run);
      } catch (e) {
        for (const it of run) it.ko(e);
      }
    }
  }
}
