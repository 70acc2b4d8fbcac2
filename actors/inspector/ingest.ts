/**
 * What the inspector takes from other processes: the frames of
 * `@statelyai/inspect`'s WebSocket inspector (its `/source` endpoint), checked
 * against {@linkcode SourceLimits} (size, rate per source, names, actors,
 * kept characters) before anything is kept or shown.
 *
 * Browser-safe.
 *
 * @module
 */
import { type MachineGraph, machineGraph } from "../../src/diagram.ts";
import { redactText } from "../../src/redact.ts";
import { type InspectorFrame, snapshotOf } from "./frames.ts";
import type { LayoutAnswer } from "./layout_queue.ts";

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

/** The limits with their defaults filled in. */
export type SourceBounds = Required<SourceLimits>;

/**
 * Fill in the defaults of {@linkcode SourceLimits} (a negative or non-finite
 * value takes the default).
 *
 * @param limits The limits given.
 * @returns Every bound.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { sourceBounds } from "./ingest.ts";
 *
 * ok(sourceBounds({ maxActors: -1 }).maxActors === 1000);
 * ```
 */
export function sourceBounds(limits: SourceLimits = {}): SourceBounds {
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

/**
 * What the ingest needs from the collector: frames built with the
 * collector's sequence numbers, and where accepted frames go.
 */
export interface IngestHost {
  /** A new frame of this type for this actor. */
  frame(
    type: InspectorFrame["type"],
    sessionId: string,
    at: number,
  ): InspectorFrame;
  /** An event frame. */
  eventFrame(
    event: unknown,
    target: string,
    source: string | undefined,
    at: number,
  ): InspectorFrame;
  /** A snapshot frame, or nothing when the state did not change. */
  snapshotFrame(
    id: string,
    snapshot: { status?: string; value?: unknown },
    event: unknown,
  ): InspectorFrame | undefined;
  /** An actor is gone: forget its last state. */
  forgetState(id: string): void;
  /** An accepted event frame: count it, remember it, show it. */
  event(
    frame: InspectorFrame,
    target: string,
    source: string | undefined,
  ): void;
  /** Show a frame to the pages. */
  broadcast(frame: InspectorFrame): void;
  /**
   * The layout of a source's graph, if the host lays them out (off its
   * thread, see `layout_queue.ts`); `ready` is called once a pending one is
   * known. Without it, a source's machines are drawn as nested boxes.
   */
  chart?(
    graph: MachineGraph,
    source: string,
    ready: () => void,
  ): LayoutAnswer;
}

interface External {
  frame: InspectorFrame;
  /** Characters counted against `maxKept`. */
  size: number;
}

/**
 * The frames of external sources: checks them against the bounds, keeps
 * the external actors (for pages that open later) and hands the accepted
 * frames to the collector.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { Ingest } from "./ingest.ts";
 * import type { InspectorFrame } from "./frames.ts";
 *
 * const shown: InspectorFrame[] = [];
 * let seq = 0;
 * const frame = (type: InspectorFrame["type"], sessionId: string, at: number) =>
 *   ({ type, sessionId, createdAt: String(at), id: null, _version: "v", seq: ++seq });
 * const ingest = new Ingest({}, {
 *   frame,
 *   eventFrame: (_e, target, _s, at) => frame("@xstate.event", target, at),
 *   snapshotFrame: () => undefined,
 *   forgetState: () => {},
 *   event: (f) => shown.push(f),
 *   broadcast: (f) => shown.push(f),
 * });
 * ingest.ingest("s1", JSON.stringify({ type: "@xstate.actor", sessionId: "x:1" }));
 * ingest.ingest("s1", "not json");
 * ok(shown[0].sessionId === "s1/x:1" && ingest.rejected === 1);
 * ```
 */
export class Ingest {
  #bounds: SourceBounds;
  #host: IngestHost;
  #external = new Map<string, External>();
  #buckets = new Map<string, { tokens: number; at: number }>();
  #jsonGraphs = new Map<string, MachineGraph | null>();
  #jsonGraphsSize = 0;
  #rejected = 0;
  #limited = 0;
  #kept = 0;

  /**
   * Create an ingest.
   * @param limits See {@linkcode SourceLimits}.
   * @param host Where frames come from and go to.
   */
  constructor(limits: SourceLimits | undefined, host: IngestHost) {
    this.#bounds = sourceBounds(limits);
    this.#host = host;
  }

  /** Frames refused as malformed. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Frames dropped over a bound. */
  get limited(): number {
    return this.#limited;
  }

  /** Characters kept for external actors. */
  get kept(): number {
    return this.#kept;
  }

  /** External actors kept now. */
  get actors(): number {
    return this.#external.size;
  }

  /**
   * The actor frames of the external actors kept now.
   * @returns One frame per actor.
   */
  actorFrames(): InspectorFrame[] {
    return [...this.#external.values()].map((e) => e.frame);
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
        const f = this.#host.frame("@xstate.actor", sessionId, at);
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
        if (graph) {
          f.graph = graph;
          // Laid out off this thread, within a time budget, the sources
          // in turn (`layout_queue.ts`): a crafted chart costs a worker's
          // time, never this one's. Until then, nested boxes.
          const a = this.#host.chart?.(
            graph,
            source,
            () => this.#laidOut(sessionId, graph),
          );
          if (a && "layout" in a) f.layout = a.layout;
          else if (a && "note" in a) f.layoutNote = a.note;
        }
        this.#host.broadcast(f);
        break;
      }
      case "@xstate.event": {
        const source_ = id(raw.sourceId);
        const f = this.#host.eventFrame(raw.event, sessionId, source_, at);
        if (JSON.stringify(f.event).length > b.maxEventLength) {
          f.event = { type: f.event!.type.slice(0, b.maxNameLength) };
          f.event["…"] = "too large";
        }
        this.#host.event(f, sessionId, source_);
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
        const f = this.#host.snapshotFrame(sessionId, snap, raw.event);
        if (f) this.#host.broadcast(f);
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

  // A pending layout is known: describe the actor again, with it (if the
  // actor is still kept with that graph).
  #laidOut(id: string, graph: MachineGraph): void {
    const ext = this.#external.get(id);
    if (!ext || ext.frame.graph !== graph) return;
    const a = this.#host.chart?.(graph, "", () => {});
    if (!a || "pending" in a) return;
    const { seq: _seq, createdAt: _at, layout: _l, layoutNote: _n, ...rest } =
      ext.frame;
    const f = {
      ...this.#host.frame("@xstate.actor", id, Date.now()),
      ...rest,
    };
    if ("layout" in a) f.layout = a.layout;
    else f.layoutNote = a.note;
    this.#external.set(id, { frame: f, size: ext.size });
    this.#host.broadcast(f);
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
    this.#host.forgetState(id);
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
