/**
 * The inspector's core, with no I/O: an XState inspection observer that keeps
 * the running actors and a bounded ring of recent events (`ring.ts`), turns
 * them into {@linkcode InspectorFrame}s only when a page listens, and feeds
 * each page through a bounded queue (`page_queue.ts`). It also takes the
 * frames of `@statelyai/inspect`'s WebSocket inspector (`ingest.ts`). The
 * Deno server (`server.ts`) wires it to sockets.
 *
 * Browser-safe.
 *
 * @module
 */
import { type MachineGraph, machineGraph } from "../../src/diagram.ts";
import { redactText } from "../../src/redact.ts";
import type { AnyActorRef, InspectionEvent } from "../../src/types.ts";
import {
  chartOf,
  FRAME_VERSION,
  type InspectorFrame,
  type PageMessage,
  preview,
  snapshotOf,
} from "./frames.ts";
import { Ingest, type SourceLimits } from "./ingest.ts";
import type { LayoutAnswer } from "./layout_queue.ts";
import { Lineage } from "./lineage.ts";
import { PageQueues, type PageSink } from "./page_queue.ts";
import { EventRing } from "./ring.ts";

export type { SourceLimits } from "./ingest.ts";
export type { PageSink } from "./page_queue.ts";

/** Options of {@linkcode Collector}. */
export interface CollectorOptions {
  /**
   * How many recent events are kept for pages that open later.
   * @default {1000}
   */
  history?: number;
  /**
   * How many frames may wait for one page; past that the oldest are dropped
   * (and counted on the page).
   * @default {10000}
   */
  pageBuffer?: number;
  /**
   * How many frames go to a page in one message.
   * @default {2000}
   */
  batch?: number;
  /** Bounds on what external sources (`ingest`) may make the collector keep. */
  sources?: SourceLimits;
  /**
   * Lays charts out off this thread (the server passes a `LayoutQueue`,
   * `layout_queue.ts`): then every machine, this process's and the
   * sources', is laid out within a time budget, and an actor is described
   * again once its layout is known. Without it, this process's machines
   * are laid out here and now (`chartOf`, small ones only) and the
   * sources' are drawn as nested boxes.
   */
  layouts?: ChartLayouts;
}

/** Where the collector gets layouts from (a `LayoutQueue`). */
export interface ChartLayouts {
  /** See `LayoutQueue.get`. */
  get(graph: MachineGraph, source: string, ready: () => void): LayoutAnswer;
}

/** Counters of a {@linkcode Collector}. */
export interface CollectorStats {
  /** Pages listening now. */
  pages: number;
  /** Actors known to be running. */
  actors: number;
  /** Inspection events seen. */
  events: number;
  /** Frames dropped for slow pages, all pages together. */
  dropped: number;
  /** Frames from external sources that were refused as malformed. */
  rejected: number;
  /** Frames from external sources dropped over a {@linkcode SourceLimits} bound. */
  limited: number;
  /** Characters kept for external actors (see `SourceLimits.maxKept`). */
  externalKept: number;
}

type Ref = AnyActorRef & {
  systemId?: string;
  logic?: unknown;
};

/**
 * Collects what XState reports and serves it to pages.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createActor, createMachine } from "npm:xstate@^5.33.0";
 * import { Collector } from "./collector.ts";
 *
 * const collector = new Collector();
 * const actor = createActor(
 *   createMachine({ id: "m", initial: "a", states: { a: { on: { GO: "b" } }, b: {} } }),
 *   { inspect: collector.inspect },
 * ).start();
 * actor.send({ type: "GO" });
 * const messages: string[] = [];
 * collector.attach({ send: (m) => messages.push(m) });
 * const init = JSON.parse(messages[0]);
 * ok(init.actors[0].snapshot.value === "b");
 * ok(init.events.some((f: { event: { type: string } }) => f.event.type === "GO"));
 * ```
 */
export class Collector {
  /** The XState inspection observer: pass it as `inspect`. */
  readonly inspect: (event: InspectionEvent) => void;
  #ring: EventRing<unknown, Ref | string>;
  #clock = 0;
  #live = new Map<string, Ref>();
  // Actor trees watched on demand: observed only while a page is open.
  #watched = new Set<{ root: Ref; sub?: { unsubscribe(): void } }>();
  // Actors reported while a page listens, not yet described to it.
  #pending = new Set<Ref>();
  // Roots and parents, from XState's public API (`lineage.ts`).
  #lineage = new Lineage();
  #pages: PageQueues;
  #ingest: Ingest;
  #graphs = new WeakMap<object, MachineGraph | null>();
  #lastValue = new Map<string, string>();
  #layouts?: ChartLayouts;
  #seq = 0;
  #events = 0;

  /**
   * Create a collector.
   * @param options See {@linkcode CollectorOptions}.
   */
  constructor(options: CollectorOptions = {}) {
    this.#ring = new EventRing(Math.max(0, options.history ?? 1000));
    this.#pages = new PageQueues(
      Math.max(1, options.pageBuffer ?? 10_000),
      Math.max(1, options.batch ?? 2000),
    );
    this.#ingest = new Ingest(options.sources, {
      frame: (type, id, at) => this.#frame(type, id, at),
      eventFrame: (event, target, source, at) =>
        this.#eventFrame(event, target, source, at),
      snapshotFrame: (id, snapshot, event) =>
        this.#snapshotFrame(id, snapshot, event),
      forgetState: (id) => this.#lastValue.delete(id),
      event: (f, target, source) => {
        this.#events++;
        this.#remember(f, target, source);
        if (this.#pages.size > 0) this.#pages.broadcast(f);
      },
      broadcast: (f) => this.#pages.broadcast(f),
      chart: options.layouts &&
        ((graph, source, ready) =>
          options.layouts!.get(graph, `source:${source}`, ready)),
    });
    this.#layouts = options.layouts;
    this.inspect = (e) => this.#observe(e);
  }

  /**
   * Watch an actor tree on demand: its system is observed only while a page
   * is open (XState builds no inspection event while nobody observes, so a
   * client watched this way costs nothing without a page). When a page
   * opens, the running actors are read from the tree, down from `root`
   * through each actor's `getSnapshot().children`; the event history covers
   * only the time pages were open.
   *
   * @param root The root actor of its system (e.g. `client.actor`): it is
   *   shown with no parent.
   * @returns A function that stops watching.
   */
  watch(root: AnyActorRef): () => void {
    const w: { root: Ref; sub?: { unsubscribe(): void } } = { root };
    this.#watched.add(w);
    if (this.#pages.size > 0) this.#connect(w);
    return () => {
      this.#disconnect(w);
      this.#watched.delete(w);
    };
  }

  #connect(w: { root: Ref; sub?: { unsubscribe(): void } }): void {
    if (w.sub !== undefined) return;
    w.sub = w.root.system.inspect(this.inspect);
    // Started before it was observed: its tree is read from the snapshots.
    this.#lineage.adopt(w.root, (ref) => this.#live.set(ref.sessionId, ref));
  }

  #disconnect(w: { root: Ref; sub?: { unsubscribe(): void } }): void {
    if (w.sub === undefined) return;
    w.sub.unsubscribe();
    w.sub = undefined;
    // Unobserved from now on: forget its actors (re-read on reconnect).
    const root = this.#lineage.rootOf(w.root) ?? w.root.sessionId;
    for (const [id, ref] of this.#live) {
      if (this.#lineage.rootOf(ref) === root) this.#live.delete(id);
    }
  }

  /** Counters: pages, actors, events, dropped and rejected frames. */
  stats(): CollectorStats {
    return {
      pages: this.#pages.size,
      actors: this.#live.size + this.#ingest.actors,
      events: this.#events,
      dropped: this.#pages.dropped,
      rejected: this.#ingest.rejected,
      limited: this.#ingest.limited,
      externalKept: this.#ingest.kept,
    };
  }

  #observe(e: InspectionEvent): void {
    try {
      switch (e.type) {
        case "@xstate.event": {
          this.#events++;
          const source = e.sourceRef as Ref | undefined;
          const target = e.actorRef as Ref;
          if (e.event.type === "xstate.init") {
            this.#init(target, source, e.rootId);
          } else this.#lineage.seen(target, e.rootId);
          this.#remember(e.event, target, source);
          if (this.#pages.size > 0) {
            this.#pages.broadcast(
              this.#eventFrame(e.event, target, source, Date.now(), e.rootId),
            );
          }
          break;
        }
        case "@xstate.actor": {
          const ref = e.actorRef as Ref;
          this.#live.set(ref.sessionId, ref);
          this.#lineage.born(ref, e.rootId);
          if (this.#pages.size > 0) {
            // XState reports an actor from its constructor, before its system
            // id, first snapshot and parent are known: describe it at its
            // start (`xstate.init`), or at the latest once this task is done.
            this.#pending.add(ref);
            if (this.#pending.size === 1) {
              queueMicrotask(() => this.#flushPending());
            }
          }
          break;
        }
        case "@xstate.snapshot": {
          const snapshot = e.snapshot as { status?: string; value?: unknown };
          const id = e.actorRef.sessionId;
          if (snapshot.status !== "active") {
            this.#live.delete(id);
            this.#lastValue.delete(id);
          }
          if (this.#pages.size > 0) {
            const frame = this.#snapshotFrame(id, snapshot, e.event);
            if (frame) this.#pages.broadcast(frame);
          }
          break;
        }
      }
    } catch {
      // An inspector must never break the actors it watches.
    }
  }

  /**
   * An actor starts: its first event, `xstate.init`, comes from its parent
   * (none for a root). Describe it to the pages now, before that event; if
   * it was described earlier (a page opened, or this task ended, before it
   * started), describe it again with the parent just learned.
   */
  #init(target: Ref, source: Ref | undefined, rootId: string): void {
    const learned = this.#lineage.init(target, source, rootId);
    if (this.#pages.size === 0) return;
    // Not from its parent (anyone may send that type): wait for the real one.
    if (!learned && this.#lineage.rootOf(target) !== target.sessionId) return;
    if (
      this.#pending.delete(target) ||
      (learned && this.#live.has(target.sessionId))
    ) {
      this.#pages.broadcast(this.#actorFrame(target));
    }
  }

  #flushPending(): void {
    const refs = this.#pending;
    if (refs.size === 0) return;
    this.#pending = new Set();
    for (const ref of refs) {
      if (this.#pages.size > 0) this.#pages.broadcast(this.#actorFrame(ref));
    }
  }

  #remember(event: unknown, target: Ref | string, source?: Ref | string): void {
    if (this.#ring.capacity === 0) return;
    // The clock is read every 64 events: a burst shares a time stamp.
    if ((this.#events & 63) === 1 || this.#clock === 0) {
      this.#clock = Date.now();
    }
    this.#ring.push(event, target, source, this.#clock);
  }

  #frame(
    type: InspectorFrame["type"],
    sessionId: string,
    at: number,
  ): InspectorFrame {
    return {
      type,
      sessionId,
      createdAt: String(at),
      id: null,
      _version: FRAME_VERSION,
      seq: ++this.#seq,
    };
  }

  #eventFrame(
    event: unknown,
    target: Ref | string,
    source: Ref | string | undefined,
    at: number,
    rootId?: string,
  ): InspectorFrame {
    const f = this.#frame(
      "@xstate.event",
      typeof target === "string" ? target : target.sessionId,
      at,
    );
    if (typeof target !== "string") {
      const root = rootId ?? this.#lineage.rootOf(target);
      if (root !== undefined) f.rootId = root;
    }
    if (source !== undefined) {
      f.sourceId = typeof source === "string" ? source : source.sessionId;
    }
    const p = preview(event) as { type?: unknown };
    f.event = {
      ...(typeof p === "object" && p !== null ? p : {}),
      type: typeof p?.type === "string" ? p.type : "(unknown)",
    };
    return f;
  }

  // A pending layout is known: describe the actor again, with it.
  #laidOut(ref: Ref): void {
    if (this.#live.get(ref.sessionId) !== ref || this.#pages.size === 0) return;
    this.#pages.broadcast(this.#actorFrame(ref));
  }

  #actorFrame(ref: Ref): InspectorFrame {
    const f = this.#frame("@xstate.actor", ref.sessionId, Date.now());
    const rootId = this.#lineage.rootOf(ref);
    if (rootId !== undefined) f.rootId = rootId;
    const parentId = this.#lineage.parentOf(ref);
    if (parentId !== undefined) f.parentId = parentId;
    const logic = ref.logic as
      | { id?: string; config?: { id?: string }; root?: unknown }
      | undefined;
    f.name = redactText(
      ref.systemId ??
        (ref.id !== ref.sessionId ? ref.id : undefined) ??
        logic?.id ?? logic?.config?.id ?? ref.sessionId,
    );
    const graph = this.#graphOf(logic);
    if (graph) {
      f.graph = graph;
      if (this.#layouts) {
        const a = this.#layouts.get(graph, "self", () => this.#laidOut(ref));
        if ("layout" in a) f.layout = a.layout;
        else if ("note" in a) f.layoutNote = a.note;
      } else {
        const layout = chartOf(graph);
        if (layout) f.layout = layout;
      }
    }
    const snap = (ref.getSnapshot() ?? { status: "active" }) as {
      status?: string;
      value?: unknown;
    };
    f.snapshot = snapshotOf(snap);
    if (snap.value !== undefined) {
      this.#lastValue.set(ref.sessionId, JSON.stringify(snap.value));
    }
    return f;
  }

  #snapshotFrame(
    id: string,
    snapshot: { status?: string; value?: unknown },
    event: unknown,
  ): InspectorFrame | undefined {
    const status = snapshot.status ?? "active";
    if (status === "active") {
      // Only state changes matter to the page (not every context update).
      const json = JSON.stringify(snapshot.value ?? null);
      if (this.#lastValue.get(id) === json) return undefined;
      this.#lastValue.set(id, json);
    }
    const f = this.#frame("@xstate.snapshot", id, Date.now());
    f.snapshot = snapshotOf(snapshot);
    const type = (event as { type?: unknown } | undefined)?.type;
    f.event = { type: typeof type === "string" ? type : "" };
    return f;
  }

  #graphOf(logic: unknown): MachineGraph | undefined {
    if (typeof logic !== "object" || logic === null || !("root" in logic)) {
      return undefined;
    }
    let g = this.#graphs.get(logic);
    if (g === undefined) {
      try {
        g = machineGraph(logic as Parameters<typeof machineGraph>[0]);
      } catch {
        g = null;
      }
      this.#graphs.set(logic, g);
    }
    return g ?? undefined;
  }

  /**
   * Start feeding a page: it gets the current state (running actors and
   * recent events) at once, then live frames in batches, each batch after
   * the page acknowledged the previous one with {@linkcode ack}.
   *
   * @param sink Where the page's messages go.
   * @returns A function that detaches the page.
   */
  attach(sink: PageSink): () => void {
    if (this.#pages.size === 0) {
      for (const w of this.#watched) this.#connect(w);
    }
    const actors: InspectorFrame[] = [];
    for (const ref of this.#live.values()) {
      actors.push(this.#actorFrame(ref));
    }
    actors.push(...this.#ingest.actorFrames());
    const events: InspectorFrame[] = [];
    this.#ring.forEach((ev, target, source, at) => {
      if (isFrame(ev)) events.push(ev);
      else events.push(this.#eventFrame(ev, target, source, at));
    });
    const init: PageMessage = { kind: "init", actors, events, dropped: 0 };
    const close = this.#pages.open(sink, init);
    return () => {
      close();
      if (this.#pages.size === 0) {
        this.#lastValue.clear();
        for (const w of this.#watched) this.#disconnect(w);
      }
    };
  }

  /**
   * A page has processed the last message: send the next batch.
   * @param sink The page, as given to {@linkcode attach}.
   */
  ack(sink: PageSink): void {
    this.#pages.ack(sink);
  }

  /**
   * Take one frame from another process's `@statelyai/inspect` WebSocket
   * inspector (or any sender of the same JSON). Session ids are prefixed
   * with `source` so that several sources never collide. Malformed frames
   * are counted in `rejected` and ignored; frames over a
   * {@linkcode SourceLimits} bound (size, rate per source, names, actors,
   * kept characters) are counted in `limited` and ignored. Events are
   * redacted like the collector's own.
   *
   * @param source A name for the sender (e.g. `s1`).
   * @param data The frame as JSON text.
   */
  ingest(source: string, data: string): void {
    this.#ingest.ingest(source, data);
  }

  /**
   * A source connection closed: forget its rate state.
   * @param source The name given to {@linkcode ingest}.
   */
  forget(source: string): void {
    this.#ingest.forget(source);
  }
}

function isFrame(x: unknown): x is InspectorFrame {
  return typeof x === "object" && x !== null &&
    (x as { _version?: unknown })._version === FRAME_VERSION;
}
