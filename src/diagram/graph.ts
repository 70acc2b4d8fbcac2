/**
 * The graph of a machine, read from its definition
 * ({@linkcode machineGraph}): the state tree with transitions and actors,
 * and the helpers both renderers share. Re-exported by `src/diagram.ts`.
 *
 * Pure functions, browser-safe.
 *
 * @module
 */
import { createMachine } from "../deps.ts";
import type { AnyStateMachine } from "../types.ts";

/** The kind of a state node. */
export type DiagramStateType =
  | "atomic"
  | "compound"
  | "parallel"
  | "final"
  | "history";

/** How a transition is triggered. */
export type DiagramTransitionKind =
  | "event"
  | "always"
  | "after"
  | "done"
  | "error"
  | "snapshot";

/** One transition of a {@linkcode DiagramState}. */
export interface DiagramTransition {
  /** The event type (`""` for `always`, `xstate.after.…` for `after`). */
  event: string;
  /** How it is triggered. */
  kind: DiagramTransitionKind;
  /** A short label: `event [guard]`, `after 5000 [guard]`, `always`… */
  label: string;
  /** The guard's name (`and(a, b)`, `not(x)` for combined guards). */
  guard?: string;
  /** The delay of an `after` transition (milliseconds or a delay name). */
  delay?: number | string;
  /** State ids of the targets; empty for a targetless transition. */
  targets: string[];
  /** Whether it re-enters its source. */
  reenter: boolean;
}

/** An actor a state invokes or spawns. */
export interface DiagramActor {
  /** `invoke` (lives as long as the state) or `spawn` (an action). */
  kind: "invoke" | "spawn";
  /** The actor's id, if the definition gives one. */
  id?: string;
  /** The logic's name: the `src` string or the machine id. */
  src: string;
  /** The actor's system id, if the definition gives one. */
  systemId?: string;
}

/** One state node of a {@linkcode MachineGraph}. */
export interface DiagramState {
  /** The XState state node id, e.g. `connection.session.online`. */
  id: string;
  /** The key in its parent (the machine id for the root). */
  key: string;
  /** The keys from the root down (empty for the root). */
  path: string[];
  /** The node's kind. */
  type: DiagramStateType;
  /** The key of the initial child (compound states). */
  initial?: string;
  /** `shallow` or `deep` (history states). */
  history?: "shallow" | "deep";
  /** The node's description, if any. */
  description?: string;
  /** Child states, in definition order. */
  states: DiagramState[];
  /** Outgoing transitions, in definition order. */
  transitions: DiagramTransition[];
  /** Actors invoked by the state or spawned by its actions. */
  actors: DiagramActor[];
}

/** The graph of one machine, as computed by {@linkcode machineGraph}. */
export interface MachineGraph {
  /** The machine id. */
  id: string;
  /** The root state node. */
  root: DiagramState;
}

// The parts of XState's StateNode / TransitionDefinition that we read.
interface Node {
  id: string;
  key: string;
  path: string[];
  type: DiagramStateType;
  history?: false | "shallow" | "deep";
  description?: string;
  states: Record<string, Node>;
  initial?: { target: Node[] };
  transitions: Map<string, Transition[]>;
  always?: Transition[];
  invoke: { id?: string; src: unknown; systemId?: string }[];
  entry: unknown[];
  exit: unknown[];
}
interface Transition {
  eventType: string;
  target?: Node[];
  guard?: unknown;
  reenter?: boolean;
  delay?: number | string;
  actions?: unknown[];
}

function isMachine(x: unknown): x is AnyStateMachine {
  return typeof x === "object" && x !== null && "root" in x &&
    typeof (x as { root: unknown }).root === "object";
}

/**
 * Compute the graph of a machine from its definition.
 *
 * @param machine An XState v5 machine, or a machine config (an object or its
 *   JSON, as `@statelyai/inspect` sends it).
 * @returns The state tree with transitions and actors.
 * @throws {TypeError} When the argument is neither a machine nor a config.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { machineGraph } from "../diagram.ts";
 *
 * const light = createMachine({
 *   id: "light",
 *   initial: "green",
 *   states: { green: { on: { TIMER: "red" } }, red: { after: { 1000: "green" } } },
 * });
 * const g = machineGraph(light);
 * deepStrictEqual(g.root.states.map((s) => s.key), ["green", "red"]);
 * deepStrictEqual(g.root.states[1].transitions[0].label, "after 1000");
 * ```
 */
export function machineGraph(
  machine: AnyStateMachine | Record<string, unknown> | string,
): MachineGraph {
  let m: unknown = machine;
  if (typeof m === "string") m = JSON.parse(m);
  if (!isMachine(m)) {
    if (typeof m !== "object" || m === null) {
      throw new TypeError(
        "Cannot draw machine: expected a state machine or a machine config",
      );
    }
    m = createMachine(m as Parameters<typeof createMachine>[0]);
  }
  const root = (m as unknown as { root: Node }).root;
  return { id: root.id, root: walk(root, true) };
}

function walk(node: Node, isRoot: boolean): DiagramState {
  const transitions: DiagramTransition[] = [];
  const actors: DiagramActor[] = node.invoke.map((inv, i) => ({
    kind: "invoke" as const,
    // XState names an invocation without an id `<index>.<state id>`.
    ...(inv.id && inv.id !== `${i}.${node.id}` ? { id: inv.id } : {}),
    src: logicName(inv.src),
    ...(inv.systemId ? { systemId: inv.systemId } : {}),
  }));
  const spawns = (actions: unknown[] | undefined) => {
    for (const a of actions ?? []) {
      const s = spawnOf(a);
      if (s) actors.push(s);
    }
  };
  spawns(node.entry);
  spawns(node.exit);
  for (const list of node.transitions.values()) {
    for (const t of list) {
      transitions.push(transition(t));
      spawns(t.actions);
    }
  }
  for (const t of node.always ?? []) {
    transitions.push(transition(t));
    spawns(t.actions);
  }
  const states = Object.values(node.states ?? {}).map((s) => walk(s, false));
  const initial = node.initial?.target?.[0];
  return {
    id: node.id,
    key: node.key,
    path: isRoot ? [] : [...node.path],
    type: node.type,
    ...(initial && node.type === "compound" ? { initial: initial.key } : {}),
    ...(node.type === "history" && node.history
      ? { history: node.history }
      : {}),
    ...(node.description ? { description: node.description } : {}),
    states,
    transitions,
    actors,
  };
}

function transition(t: Transition): DiagramTransition {
  const event = t.eventType ?? "";
  let kind: DiagramTransitionKind = "event";
  let head = event;
  if (event === "") {
    kind = "always";
    head = "always";
  } else if (t.delay !== undefined || event.startsWith("xstate.after.")) {
    kind = "after";
    head = `after ${t.delay ?? event.split(".")[2]}`;
  } else if (event.startsWith("xstate.done.")) {
    kind = "done";
    head = event.startsWith("xstate.done.actor.")
      ? `done: ${event.slice(18)}`
      : "done";
  } else if (event.startsWith("xstate.error.actor.")) {
    kind = "error";
    head = `error: ${event.slice(19)}`;
  } else if (event.startsWith("xstate.snapshot.")) {
    kind = "snapshot";
    head = `snapshot: ${event.slice(16)}`;
  }
  const guard = t.guard === undefined ? undefined : guardName(t.guard);
  return {
    event,
    kind,
    label: guard ? `${head} [${guard}]` : head,
    ...(guard ? { guard } : {}),
    ...(t.delay !== undefined ? { delay: t.delay } : {}),
    targets: (t.target ?? []).map((n) => n.id),
    reenter: t.reenter ?? false,
  };
}

function guardName(g: unknown): string {
  if (typeof g === "string") return g;
  if (typeof g === "function") {
    const f = g as { name?: string; guards?: unknown[]; stateValue?: unknown };
    if (Array.isArray(f.guards)) {
      return `${f.name || "guard"}(${f.guards.map(guardName).join(", ")})`;
    }
    if (f.stateValue !== undefined) {
      return `stateIn(${JSON.stringify(f.stateValue)})`;
    }
    return f.name || "inline";
  }
  if (typeof g === "object" && g !== null && "type" in g) {
    return String((g as { type: unknown }).type);
  }
  return "guard";
}

function logicName(src: unknown): string {
  if (typeof src === "string") return src;
  if (typeof src === "object" && src !== null) {
    const id =
      (src as { id?: unknown; config?: { id?: unknown } }).config?.id ??
        (src as { id?: unknown }).id;
    if (typeof id === "string") return id;
    if ("type" in src) return String((src as { type: unknown }).type);
  }
  return "anonymous";
}

function spawnOf(action: unknown): DiagramActor | undefined {
  const a = action as
    | { type?: unknown; id?: unknown; src?: unknown; systemId?: unknown }
    | null;
  if (
    (typeof a !== "function" && typeof a !== "object") || a === null ||
    a.type !== "xstate.spawnChild"
  ) return undefined;
  return {
    kind: "spawn",
    ...(typeof a.id === "string" ? { id: a.id } : {}),
    src: logicName(a.src),
    ...(typeof a.systemId === "string" ? { systemId: a.systemId } : {}),
  };
}

/**
 * Visit a state and all its descendants, parents first.
 *
 * @param s The state to start from.
 * @param f Called with each state.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { eachState, machineGraph } from "./graph.ts";
 *
 * const g = machineGraph(createMachine({ id: "m", initial: "a", states: { a: {} } }));
 * const ids: string[] = [];
 * eachState(g.root, (s) => ids.push(s.id));
 * deepStrictEqual(ids, ["m", "m.a"]);
 * ```
 */
export function eachState(
  s: DiagramState,
  f: (s: DiagramState) => void,
): void {
  f(s);
  for (const c of s.states) eachState(c, f);
}

/**
 * The note drawn for an invoked or spawned actor.
 *
 * @param a The actor.
 * @returns E.g. `invoke: fetcher (f1), systemId net`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { actorNote } from "./graph.ts";
 *
 * strictEqual(actorNote({ kind: "invoke", src: "fetcher" }), "invoke: fetcher");
 * ```
 */
export function actorNote(a: DiagramActor): string {
  const id = a.id && a.id !== a.src ? ` (${a.id})` : "";
  const sys = a.systemId ? `, systemId ${a.systemId}` : "";
  return `${a.kind}: ${a.src}${id}${sys}`;
}

/**
 * The label of a history state: its key and its kind.
 *
 * @param s The history state.
 * @returns E.g. `hist (history, deep)`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { historyLabel, machineGraph } from "./graph.ts";
 *
 * const g = machineGraph(createMachine({
 *   id: "m",
 *   initial: "a",
 *   states: { a: {}, h: { type: "history", history: "deep" } },
 * }));
 * strictEqual(historyLabel(g.root.states[1]), "h (history, deep)");
 * ```
 */
export function historyLabel(s: DiagramState): string {
  return `${s.key} (history${s.history === "deep" ? ", deep" : ""})`;
}
