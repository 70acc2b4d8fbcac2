/**
 * The inspector's core, with no I/O: an XState inspection observer that keeps
 * the running actors and a bounded ring of recent events, turns them into
 * {@linkcode InspectorFrame}s only when a page listens, and feeds each page
 * through a bounded queue (oldest frames dropped and counted when a page
 * falls behind). It also takes the frames of `@statelyai/inspect`'s
 * WebSocket inspector. The Deno server (`server.ts`) wires it to sockets.
 *
 * Browser-safe.
 *
 * @module
 */
import { type MachineGraph, machineGraph } from "../../src/diagram.ts";
import { redactJson, redactText } from "../../src/redact.ts";
import type { AnyActorRef, InspectionEvent } from "../../src/types.ts";
import {
  FRAME_VERSION,
  type FrameSnapshot,
  type InspectorFrame,
  type PageMessage,
  preview,
} from "./frames.ts";

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
}

/**
 * Bounds on the frames of external sources (`@statelyai/inspect` senders on
 * the inspector's `/source` endpoint). A frame over a bound is dropped and
 * counted in `CollectorStats.limited`; what is already kept stays, and a
 * page opened later still gets its `init`.
 */
export interface SourceLimits {
  /**
   * External actors kept at once, all sources together.
   * @default {1000}
   */
  maxActors?: number;
  /**
   * Longest actor name or session id (root, parent) in a frame, in characters.
   * @default {256}
   */
  maxNameLength?: number;
  /**
   * Longest machine definition (JSON) in an actor frame, in characters.
   * @default {262144}
   */
  maxDefinitionLength?: number;
  /**
   * Characters kept for external actors (names, definitions, snapshots), all
   * sources together.
   * @default {16777216}
   */
  maxKept?: number;
  /**
   * Longest event kept or shown (its JSON preview, in characters); a larger
   * one is shown by its type only.
   * @default {16384}
   */
  maxEventLength?: number;
  /**
   * Longest frame read at all, in characters (checked before parsing).
   * @default {524288}
   */
  maxFrameLength?: number;
  /**
   * Frames per second one source connection may send, on average (the
   * rest are dropped; see `burst`). A frame counts once per started 16 KiB,
   * so large frames are bounded in bytes too.
   * @default {2000}
   */
  framesPerSecond?: number;
  /**
   * Frames one source connection may send at once above the average rate.
   * @default {10000}
   */
  burst?: number;
}

type SourceBounds = Required<SourceLimits>;

function sourceBounds(limits: SourceLimits = {}): SourceBounds {
  const n = (v: number | undefined, d: number) =>
    v !== undefined && Number.isFinite(v) && v >= 0 ? v : d;
  return {
    maxActors: n(limits.maxActors, 1000),
    maxNameLength: n(limits.maxNameLength, 256),
    maxDefinitionLength: n(limits.maxDefinitionLength, 262_144),
    maxKept: n(limits.maxKept, 16_777_216),
    maxEventLength: n(limits.maxEventLength, 16_384),
    maxFrameLength: n(limits.maxFrameLength, 524_288),
    framesPerSecond: n(limits.framesPerSecond, 2000),
    burst: n(limits.burst, 10_000),
  };
}

/** One listening page: where its messages go. */
export interface PageSink {
  /** Deliver one message (a JSON string of a {@linkcode PageMessage}). */
  send(message: string): void;
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

interface Page {
  sink: PageSink;
  queue: InspectorFrame[];
  head: number;
  dropped: number;
  inFlight: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

interface External {
  frame: InspectorFrame;
  /** Characters counted against `maxKept`. */
  size: number;
}

type Ref = AnyActorRef & {
  _parent?: AnyActorRef;
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
  #history: number;
  #pageBuffer: number;
  #batch: number;
  // Ring of recent events, as parallel arrays (no allocation per event).
  #ringEvent: unknown[];
  #ringTarget: (Ref | string)[];
  #ringSource: (Ref | string | undefined)[];
  #ringAt: number[];
  #ringPos = 0;
  #clock = 0;
  #ringCount = 0;
  #live = new Map<string, Ref>();
  // Actor trees watched on demand: observed only while a page is open.
  #watched = new Set<{ root: Ref; sub?: { unsubscribe(): void } }>();
  #pending: Ref[] = [];
  #external = new Map<string, External>();
  #pages = new Set<Page>();
  #graphs = new WeakMap<object, MachineGraph | null>();
  #jsonGraphs = new Map<string, MachineGraph | null>();
  #lastValue = new Map<string, string>();
  #seq = 0;
  #events = 0;
  #dropped = 0;
  #rejected = 0;
  #limited = 0;
  #kept = 0;
  #jsonGraphsSize = 0;
  #bounds: SourceBounds;
  #buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * Create a collector.
   * @param options See {@linkcode CollectorOptions}.
   */
  constructor(options: CollectorOptions = {}) {
    this.#history = Math.max(0, options.history ?? 1000);
    this.#pageBuffer = Math.max(1, options.pageBuffer ?? 10_000);
    this.#batch = Math.max(1, options.batch ?? 2000);
    this.#bounds = sourceBounds(options.sources);
    this.#ringEvent = new Array(this.#history);
    this.#ringTarget = new Array(this.#history);
    this.#ringSource = new Array(this.#history);
    this.#ringAt = new Array(this.#history);
    this.inspect = (e) => this.#observe(e);
  }

  /**
   * Watch an actor tree on demand: its system is observed only while a page
   * is open (XState builds no inspection event while nobody observes, so a
   * client watched this way costs nothing without a page). When a page
   * opens, the running actors are read from the tree; the event history
   * covers only the time pages were open.
   *
   * @param root The root actor (e.g. `client.actor`).
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
    const adopt = (ref: Ref) => {
      const snap = ref.getSnapshot() as
        | { status?: string; children?: Record<string, Ref> }
        | undefined;
      if (snap?.status !== "active") return;
      this.#live.set(ref.sessionId, ref);
      for (const child of Object.values(snap.children ?? {})) {
        if (child) adopt(child);
      }
    };
    adopt(w.root);
  }

  #disconnect(w: { root: Ref; sub?: { unsubscribe(): void } }): void {
    if (w.sub === undefined) return;
    w.sub.unsubscribe();
    w.sub = undefined;
    // Unobserved from now on: forget its actors (re-read on reconnect).
    const root = w.root.sessionId;
    for (const [id, ref] of this.#live) {
      if (rootOf(ref) === root) this.#live.delete(id);
    }
  }

  /** Counters: pages, actors, events, dropped and rejected frames. */
  stats(): CollectorStats {
    return {
      pages: this.#pages.size,
      actors: this.#live.size + this.#external.size,
      events: this.#events,
      dropped: this.#dropped,
      rejected: this.#rejected,
      limited: this.#limited,
      externalKept: this.#kept,
    };
  }

  #observe(e: InspectionEvent): void {
    try {
      if (this.#pending.length > 0) this.#flushPending();
      switch (e.type) {
        case "@xstate.event": {
          this.#events++;
          const source = e.sourceRef as Ref | undefined;
          const target = e.actorRef as Ref;
          if (this.#history > 0) this.#remember(e.event, target, source);
          if (this.#pages.size > 0) {
            this.#broadcast(
              this.#eventFrame(e.event, target, source, Date.now()),
            );
          }
          break;
        }
        case "@xstate.actor": {
          const ref = e.actorRef as Ref;
          this.#live.set(ref.sessionId, ref);
          if (this.#pages.size > 0) {
            // XState reports an actor from its constructor, before its system
            // id and first snapshot are set: describe it at the next event.
            if (this.#pending.push(ref) === 1) {
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
            if (frame) this.#broadcast(frame);
          }
          break;
        }
      }
    } catch {
      // An inspector must never break the actors it watches.
    }
  }

  #flushPending(): void {
    const refs = this.#pending;
    this.#pending = [];
    for (const ref of refs) {
      if (this.#pages.size > 0) this.#broadcast(this.#actorFrame(ref));
    }
  }

  #remember(event: unknown, target: Ref | string, source?: Ref | string): void {
    const i = this.#ringPos;
    this.#ringEvent[i] = event;
    this.#ringTarget[i] = target;
    this.#ringSource[i] = source;
    // The clock is read every 64 events: a burst shares a time stamp.
    if ((this.#events & 63) === 1 || this.#clock === 0) {
      this.#clock = Date.now();
    }
    this.#ringAt[i] = this.#clock;
    this.#ringPos = i + 1 === this.#history ? 0 : i + 1;
    if (this.#ringCount < this.#history) this.#ringCount++;
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
  ): InspectorFrame {
    const f = this.#frame(
      "@xstate.event",
      typeof target === "string" ? target : target.sessionId,
      at,
    );
    if (typeof target !== "string") f.rootId = rootOf(target);
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

  #actorFrame(ref: Ref): InspectorFrame {
    const f = this.#frame("@xstate.actor", ref.sessionId, Date.now());
    f.rootId = rootOf(ref);
    if (ref._parent) f.parentId = ref._parent.sessionId;
    const logic = ref.logic as
      | { id?: string; config?: { id?: string }; root?: unknown }
      | undefined;
    f.name = redactText(
      ref.systemId ??
        (ref.id !== ref.sessionId ? ref.id : undefined) ??
        logic?.id ?? logic?.config?.id ?? ref.sessionId,
    );
    const graph = this.#graphOf(logic);
    if (graph) f.graph = graph;
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
    const page: Page = {
      sink,
      queue: [],
      head: 0,
      dropped: 0,
      inFlight: true,
      timer: undefined,
    };
    if (this.#pages.size === 0) {
      for (const w of this.#watched) this.#connect(w);
    }
    const actors: InspectorFrame[] = [];
    for (const ref of this.#live.values()) {
      actors.push(this.#actorFrame(ref));
    }
    for (const ext of this.#external.values()) actors.push(ext.frame);
    const events: InspectorFrame[] = [];
    const n = this.#ringCount;
    for (let k = 0; k < n; k++) {
      const i = (this.#ringPos - n + k + this.#history) % this.#history;
      const ev = this.#ringEvent[i];
      const target = this.#ringTarget[i];
      const source = this.#ringSource[i];
      if (isFrame(ev)) events.push(ev);
      else events.push(this.#eventFrame(ev, target, source, this.#ringAt[i]));
    }
    this.#pages.add(page);
    const init: PageMessage = { kind: "init", actors, events, dropped: 0 };
    this.#deliver(page, init);
    return () => {
      if (page.timer !== undefined) clearTimeout(page.timer);
      this.#pages.delete(page);
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
    for (const page of this.#pages) {
      if (page.sink !== sink) continue;
      page.inFlight = false;
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

  #broadcast(frame: InspectorFrame): void {
    for (const page of this.#pages) {
      if (page.queue.length - page.head >= this.#pageBuffer) {
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
    const b = this.#bounds;
    if (data.length > b.maxFrameLength || !this.#admit(source, data.length)) {
      this.#limited++;
      return;
    }
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(data);
      if (
        typeof raw !== "object" || raw === null ||
        typeof raw.type !== "string" || typeof raw.sessionId !== "string" ||
        raw.sessionId === "" || raw.sessionId === "anonymous"
      ) throw new TypeError("not a frame");
    } catch {
      this.#rejected++;
      return;
    }
    const long = (x: unknown) =>
      typeof x === "string" && x.length > b.maxNameLength;
    if (
      long(raw.sessionId) || long(raw.rootId) || long(raw.parentId) ||
      long(raw.sourceId) || long(raw.name)
    ) {
      this.#limited++;
      return;
    }
    const id = (x: unknown) =>
      typeof x === "string" && x !== "" && x !== "anonymous"
        ? `${source}/${x}`
        : undefined;
    const sessionId = id(raw.sessionId)!;
    const at = Number(raw.createdAt) || Date.now();
    const snap = (raw.snapshot ?? {}) as { status?: string; value?: unknown };
    switch (raw.type) {
      case "@xstate.actor": {
        const definition = typeof raw.definition === "string"
          ? raw.definition
          : undefined;
        const old = this.#external.get(sessionId);
        if (
          (definition?.length ?? 0) > b.maxDefinitionLength ||
          (!old && this.#external.size >= b.maxActors)
        ) {
          this.#limited++;
          return;
        }
        const f = this.#frame("@xstate.actor", sessionId, at);
        const rootId = id(raw.rootId);
        if (rootId) f.rootId = rootId;
        const parentId = id(raw.parentId);
        if (parentId) f.parentId = parentId;
        f.name = redactText(
          typeof raw.name === "string" ? raw.name : String(raw.sessionId),
        );
        f.snapshot = snapshotOf(snap);
        const size = sessionId.length + f.name.length +
          (definition?.length ?? 0) + JSON.stringify(f.snapshot).length;
        if (f.snapshot.status === "active") {
          if (this.#kept - (old?.size ?? 0) + size > b.maxKept) {
            this.#limited++;
            return;
          }
          this.#setExternal(sessionId, f, size);
        } else if (old) {
          this.#deleteExternal(sessionId);
        }
        const graph = definition !== undefined
          ? this.#graphOfJson(definition)
          : undefined;
        if (graph) f.graph = graph;
        this.#broadcast(f);
        break;
      }
      case "@xstate.event": {
        this.#events++;
        const source_ = id(raw.sourceId);
        const f = this.#eventFrame(raw.event, sessionId, source_, at);
        if (JSON.stringify(f.event).length > b.maxEventLength) {
          f.event = { type: f.event!.type.slice(0, b.maxNameLength) };
          f.event["…"] = "too large";
        }
        if (this.#history > 0) this.#remember(f, sessionId, source_);
        if (this.#pages.size > 0) this.#broadcast(f);
        break;
      }
      case "@xstate.snapshot": {
        // Only for actors it announced: nothing is kept for unknown ids.
        const ext = this.#external.get(sessionId);
        if (!ext) {
          this.#limited++;
          return;
        }
        const s = snapshotOf(snap);
        if (s.status !== "active") {
          this.#deleteExternal(sessionId);
        } else {
          const size = ext.size - JSON.stringify(ext.frame.snapshot).length +
            JSON.stringify(s).length;
          if (this.#kept - ext.size + size > b.maxKept) {
            this.#limited++;
            return;
          }
          this.#setExternal(sessionId, { ...ext.frame, snapshot: s }, size);
        }
        const f = this.#snapshotFrame(sessionId, snap, raw.event);
        if (f) this.#broadcast(f);
        break;
      }
      default:
        this.#rejected++;
    }
  }

  /**
   * A source connection closed: forget its rate state.
   * @param source The name given to {@linkcode ingest}.
   */
  forget(source: string): void {
    this.#buckets.delete(source);
  }

  // Token bucket per source: `burst` frames at once, `framesPerSecond` on
  // average; a frame costs one per started 16 KiB.
  #admit(source: string, length: number): boolean {
    const { framesPerSecond, burst } = this.#bounds;
    const now = Date.now();
    let bucket = this.#buckets.get(source);
    if (!bucket) {
      bucket = { tokens: burst, at: now };
      this.#buckets.set(source, bucket);
    }
    bucket.tokens = Math.min(
      burst,
      bucket.tokens + (now - bucket.at) * framesPerSecond / 1000,
    );
    bucket.at = now;
    const cost = Math.max(1, Math.ceil(length / 16_384));
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }

  #setExternal(id: string, frame: InspectorFrame, size: number): void {
    this.#kept += size - (this.#external.get(id)?.size ?? 0);
    this.#external.set(id, { frame, size });
  }

  #deleteExternal(id: string): void {
    const ext = this.#external.get(id);
    if (!ext) return;
    this.#kept -= ext.size;
    this.#external.delete(id);
    this.#lastValue.delete(id);
  }

  #graphOfJson(definition: string): MachineGraph | undefined {
    let g = this.#jsonGraphs.get(definition);
    if (g === undefined) {
      try {
        g = machineGraph(definition);
      } catch {
        g = null;
      }
      // Bounded by count and by the characters of its keys.
      if (
        this.#jsonGraphs.size >= 500 ||
        this.#jsonGraphsSize + definition.length > this.#bounds.maxKept
      ) {
        this.#jsonGraphs.clear();
        this.#jsonGraphsSize = 0;
      }
      this.#jsonGraphs.set(definition, g);
      this.#jsonGraphsSize += definition.length;
    }
    return g ?? undefined;
  }
}

function isFrame(x: unknown): x is InspectorFrame {
  return typeof x === "object" && x !== null &&
    (x as { _version?: unknown })._version === FRAME_VERSION;
}

function rootOf(ref: Ref): string {
  let r: Ref = ref;
  while (r._parent) r = r._parent as Ref;
  return r.sessionId;
}

function snapshotOf(s: { status?: string; value?: unknown }): FrameSnapshot {
  const out: FrameSnapshot = { status: s.status ?? "active" };
  if (s.value !== undefined) out.value = preview(s.value, 8);
  return out;
}
