/**
 * The inspector's wire format: the frames of `@statelyai/inspect` (one JSON
 * object per actor, event or snapshot, with `sessionId`, `rootId`,
 * `createdAt`, `_version`…), trimmed to what the page draws and extended with
 * the machine's graph. The same frames are the lines of a recording.
 *
 * Browser-safe.
 *
 * @module
 */
import type { MachineGraph } from "../../src/diagram.ts";
import { type ChartLayout, layoutChart } from "../../src/diagram/layout.ts";
import {
  isSaslElement,
  isSecretKey,
  REDACTED,
  redactText,
} from "../../src/redact.ts";

/** What an actor looks like now: its status and, for a machine, its state. */
export interface FrameSnapshot {
  /** `active`, `done`, `error` or `stopped`. */
  status: string;
  /** A machine's state value. */
  value?: unknown;
}

/** One inspection frame (an actor appeared, an event was sent, a snapshot). */
export interface InspectorFrame {
  /** The frame type, as in `@statelyai/inspect`. */
  type: "@xstate.actor" | "@xstate.event" | "@xstate.snapshot";
  /** The actor concerned (for an event: its target). */
  sessionId: string;
  /** The root actor of its system. */
  rootId?: string;
  /** Milliseconds since the epoch, as a string (as `@statelyai/inspect`). */
  createdAt: string;
  /** Unused (`null`), kept for the format. */
  id: null;
  /** Who made the frame. */
  _version: string;
  /** Sequence number on this inspector. */
  seq: number;
  /** `@xstate.actor`: the actor's name (system id, id or machine id). */
  name?: string;
  /** `@xstate.actor`: its parent. */
  parentId?: string;
  /** `@xstate.actor`: the machine graph (absent for other logic). */
  graph?: MachineGraph;
  /** `@xstate.actor`: the graph laid out as boxes and arrows (small machines). */
  layout?: ChartLayout;
  /**
   * `@xstate.actor`: why there is no layout (the page draws nested boxes
   * and says so), e.g. `too large to lay out`.
   */
  layoutNote?: string;
  /** `@xstate.actor` and `@xstate.snapshot`: status and state value. */
  snapshot?: FrameSnapshot;
  /** `@xstate.event`: the event (a bounded preview); `@xstate.snapshot`: its cause's type. */
  event?: { type: string; [key: string]: unknown };
  /** `@xstate.event`: the sender, if known. */
  sourceId?: string;
}

const layouts = new WeakMap<MachineGraph, ChartLayout | null>();
/**
 * Machines bigger than this are drawn as nested boxes, not laid out.
 * Layout time grows fast with the arrows: measured here, dagre alone takes
 * ~0.75 s for 30 states with 90 random transitions (the project's
 * connection machine, 16 states and 70 transitions, ~50–150 ms).
 */
export const MAX_LAID_OUT = { states: 60, transitions: 300 };

/**
 * The layout of a machine graph for the page, computed here and now, once
 * per graph object; none for a graph over {@linkcode MAX_LAID_OUT} or one
 * the layout library cannot place. Used by a `Collector` made without a
 * `LayoutQueue` (only for this process's machines); the inspector server
 * lays every machine out in a worker instead (`layout_queue.ts`).
 *
 * @param graph A graph from `machineGraph()`.
 * @returns Its layout, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { machineGraph } from "../../src/diagram.ts";
 * import { chartOf } from "./frames.ts";
 *
 * const g = machineGraph(createMachine({ id: "m", initial: "a", states: { a: { on: { GO: "b" } }, b: {} } }));
 * ok(chartOf(g)?.edges.length === 1);
 * ok(chartOf(g) === chartOf(g));
 * ```
 */
export function chartOf(graph: MachineGraph): ChartLayout | undefined {
  let l = layouts.get(graph);
  if (l === undefined) {
    let states = 0, transitions = 0;
    const count = (s: MachineGraph["root"]) => {
      states++;
      transitions += s.transitions.length;
      s.states.forEach(count);
    };
    count(graph.root);
    l = null;
    if (
      states <= MAX_LAID_OUT.states &&
      transitions <= MAX_LAID_OUT.transitions
    ) {
      try {
        l = layoutChart(graph);
      } catch {
        l = null;
      }
    }
    layouts.set(graph, l);
  }
  return l ?? undefined;
}

/** The version tag of our frames. */
export const FRAME_VERSION = "xmpp-actors-inspector/1";

/** Server to page: the current state, then batches of live frames. */
export type PageMessage =
  | {
    kind: "init";
    actors: InspectorFrame[];
    events: InspectorFrame[];
    dropped: number;
  }
  | { kind: "batch"; frames: InspectorFrame[]; dropped: number };

/**
 * The snapshot part of a frame: the status and a preview of the state value.
 *
 * @param s An actor snapshot.
 * @returns Its status (`active` when unset) and value preview.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { snapshotOf } from "./frames.ts";
 *
 * deepStrictEqual(snapshotOf({ value: "idle" }), {
 *   status: "active",
 *   value: "idle",
 * });
 * ```
 */
export function snapshotOf(
  s: { status?: string; value?: unknown },
): FrameSnapshot {
  const out: FrameSnapshot = { status: s.status ?? "active" };
  if (s.value !== undefined) out.value = preview(s.value, 8);
  return out;
}

/**
 * A bounded, JSON-safe copy of a value for display: cycles, actor refs,
 * functions, binary data, long strings, deep and wide structures are cut.
 * Credentials are redacted first (see `redact()` in `src/redact.ts`):
 * secret keys, SASL elements and SASL payloads become `[redacted]`.
 *
 * @param value Anything (an event, a context).
 * @param depth How many levels of objects to keep.
 * @returns A JSON-serializable preview.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { preview } from "./frames.ts";
 *
 * deepStrictEqual(preview({ type: "x", data: new Uint8Array(3) }), {
 *   type: "x",
 *   data: "Uint8Array(3)",
 * });
 * ```
 */
export function preview(value: unknown, depth = 3): unknown {
  return cut(value, depth, new WeakSet());
}

function cut(v: unknown, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof v) {
    case "string": {
      // Redact before cutting: a cut payload would no longer be recognized.
      const s = redactText(v);
      return s.length > 200 ? `${s.slice(0, 200)}… (${s.length})` : s;
    }
    case "number":
    case "boolean":
      return v;
    case "bigint":
      return `${v}n`;
    case "undefined":
      return undefined;
    case "function":
      return `[function ${(v as { name?: string }).name || "anonymous"}]`;
    case "symbol":
      return String(v);
  }
  if (v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.sessionId === "string" && typeof o.send === "function") {
    return { "@actor": o.sessionId };
  }
  if (ArrayBuffer.isView(v)) {
    return `${v.constructor.name}(${(v as Uint8Array).length ?? v.byteLength})`;
  }
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  if (v instanceof Error) {
    return cut(`${v.name}: ${v.message}`, depth, seen);
  }
  if (seen.has(o)) return "[cycle]";
  if (depth <= 0) return Array.isArray(v) ? `[${v.length} items]` : "{…}";
  seen.add(o);
  let out: unknown;
  if (Array.isArray(v)) {
    const items = v.slice(0, 20).map((x) => cut(x, depth - 1, seen));
    if (v.length > 20) items.push(`… ${v.length - 20} more`);
    out = items;
  } else if (v instanceof Map) {
    out = { "@map": v.size };
  } else if (v instanceof Set) {
    out = { "@set": v.size };
  } else {
    const r: Record<string, unknown> = {};
    const sasl = isSaslElement(o);
    let n = 0;
    for (const k in o) {
      if (n++ >= 30) {
        r["…"] = "more keys";
        break;
      }
      const x = isSecretKey(k)
        ? REDACTED
        : sasl && k === "children"
        ? (o.children as unknown[]).length > 0 ? [REDACTED] : []
        : cut(o[k], depth - 1, seen);
      if (x !== undefined) r[k] = x;
    }
    out = r;
  }
  seen.delete(o);
  return out;
}
