/**
 * State-machine diagrams computed from a machine's own definition: a plain
 * graph ({@linkcode machineGraph}), Mermaid `stateDiagram-v2`
 * ({@linkcode toMermaid}) and Graphviz DOT ({@linkcode toDot}).
 *
 * They walk `machine.root` (XState's resolved state nodes), so they work on
 * any XState v5 machine, and also on a machine config as JSON (what
 * `@statelyai/inspect` sends as `definition`), which is first resolved with
 * `createMachine`. Everything the definition says is drawn: every state,
 * nested and parallel regions, initial and final states, history states,
 * every transition with its event and guard, delayed (`after`) and eventless
 * (`always`) transitions, `onDone` / `onError` of invoked actors, and the
 * invoked and spawned actors as notes. (What only runs at run time, such as a
 * `spawnChild` inside `enqueueActions`, cannot be seen in a definition.)
 *
 * Pure functions, browser-safe.
 *
 * @module
 */
import { createMachine } from "./deps.ts";
import type { AnyStateMachine } from "./types.ts";

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
 * import { machineGraph } from "./diagram.ts";
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

function eachState(s: DiagramState, f: (s: DiagramState) => void): void {
  f(s);
  for (const c of s.states) eachState(c, f);
}

function actorNote(a: DiagramActor): string {
  const id = a.id && a.id !== a.src ? ` (${a.id})` : "";
  const sys = a.systemId ? `, systemId ${a.systemId}` : "";
  return `${a.kind}: ${a.src}${id}${sys}`;
}

function historyLabel(s: DiagramState): string {
  return `${s.key} (history${s.history === "deep" ? ", deep" : ""})`;
}

// ---- Mermaid ---------------------------------------------------------------

function mermaidText(s: string): string {
  return s.replace(/[;#{}\n\r"]/g, (c) => `#${c.charCodeAt(0)};`);
}

/**
 * Draw a machine as Mermaid `stateDiagram-v2` (GitHub renders it in a
 * ```` ```mermaid ```` block).
 *
 * The machine is one composite state named by its id. Every state is declared
 * as `state "key" as id` (ids are the path joined with `_`, made unique);
 * parallel regions are separated by `--`; `[*] --> x` marks the initial
 * state and `x --> [*]` a final one; each transition is `a --> b : label`
 * (a targetless one loops on its source); invoked and spawned actors are
 * notes.
 *
 * @param machine An XState v5 machine or a machine config.
 * @returns The diagram source.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { toMermaid } from "./diagram.ts";
 *
 * const m = createMachine({
 *   id: "door",
 *   initial: "closed",
 *   states: { closed: { on: { OPEN: "open" } }, open: { type: "final" } },
 * });
 * const text = toMermaid(m);
 * ok(text.startsWith("stateDiagram-v2"));
 * ok(text.includes("closed --> open : OPEN"));
 * ok(text.includes("open --> [*]"));
 * ```
 */
export function toMermaid(
  machine: AnyStateMachine | Record<string, unknown> | string,
): string {
  const g = machineGraph(machine);
  const ids = new Map<string, string>();
  const used = new Set<string>();
  eachState(g.root, (s) => {
    let base = s.path.length === 0
      ? "root"
      : s.path.join("_").replace(/[^A-Za-z0-9_]/g, "_");
    if (/^(end|state|note|direction|class|classDef|root)$/.test(base)) {
      base = `${base}_`;
    }
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    ids.set(s.id, id);
  });
  const lines = ["stateDiagram-v2"];
  const edges: string[] = [];
  const notes: string[] = [];
  const emit = (s: DiagramState, indent: string) => {
    const id = ids.get(s.id)!;
    const label = s.type === "history" ? historyLabel(s) : s.key;
    lines.push(`${indent}state "${mermaidText(label)}" as ${id}`);
    if (s.states.length > 0) {
      lines.push(`${indent}state ${id} {`);
      const inner = indent + "  ";
      if (s.type === "parallel") {
        s.states.forEach((r, i) => {
          if (i > 0) lines.push(`${inner}--`);
          emit(r, inner);
        });
      } else {
        if (s.initial !== undefined) {
          const init = s.states.find((c) => c.key === s.initial);
          if (init) lines.push(`${inner}[*] --> ${ids.get(init.id)}`);
        }
        for (const c of s.states) emit(c, inner);
      }
      lines.push(`${indent}}`);
    }
    if (s.type === "final") edges.push(`  ${id} --> [*]`);
    for (const t of s.transitions) {
      const targets = t.targets.length > 0 ? t.targets : [s.id];
      for (const target of targets) {
        edges.push(`  ${id} --> ${ids.get(target)} : ${mermaidText(t.label)}`);
      }
    }
    if (s.actors.length > 0) {
      notes.push(
        `  note right of ${id}`,
        ...s.actors.map((a) => `    ${mermaidText(actorNote(a))}`),
        "  end note",
      );
    }
  };
  const rootId = ids.get(g.root.id)!;
  emit(g.root, "  ");
  lines.splice(1, 0, `  [*] --> ${rootId}`);
  return [...lines, ...edges, ...notes].join("\n") + "\n";
}

// ---- DOT -------------------------------------------------------------------

function dotString(s: string): string {
  return `"${
    s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
  }"`;
}

/**
 * Draw a machine as a Graphviz DOT digraph (`dot -Tsvg` renders it).
 *
 * Each state is a node named by its XState id (e.g. `"door.closed"`); a
 * state with children is a cluster holding a small anchor node of that name
 * (edges to and from it end at the cluster's border, `compound=true`);
 * parallel regions are dashed clusters; initial states get an arrow from a
 * dot, final states are double circles; each transition is an edge labelled
 * `event [guard]`; invoked and spawned actors are note-shaped nodes tied to
 * their state with a dotted line.
 *
 * @param machine An XState v5 machine or a machine config.
 * @returns The DOT source.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { toDot } from "./diagram.ts";
 *
 * const m = createMachine({
 *   id: "door",
 *   initial: "closed",
 *   states: { closed: { on: { OPEN: "open" } }, open: { type: "final" } },
 * });
 * const dot = toDot(m);
 * ok(dot.startsWith("digraph"));
 * ok(dot.includes('"door.closed" -> "door.open" [label="OPEN"'));
 * ```
 */
export function toDot(
  machine: AnyStateMachine | Record<string, unknown> | string,
): string {
  const g = machineGraph(machine);
  const clusters = new Set<string>();
  eachState(g.root, (s) => {
    if (s.states.length > 0) clusters.add(s.id);
  });
  const lines = [
    `digraph ${dotString(g.id)} {`,
    "  compound=true;",
    "  rankdir=LR;",
    '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const edges: string[] = [];
  let n = 0;
  const emit = (s: DiagramState, indent: string, parallelRegion: boolean) => {
    const name = dotString(s.id);
    if (s.states.length > 0) {
      lines.push(
        `${indent}subgraph ${dotString(`cluster_${s.id}`)} {`,
        `${indent}  label=${
          dotString(s.type === "parallel" ? `${s.key} (parallel)` : s.key)
        };`,
        `${indent}  style=${parallelRegion ? '"rounded,dashed"' : "rounded"};`,
        `${indent}  ${name} [shape=point, width=0.05, label=""];`,
      );
      if (s.initial !== undefined && s.type !== "parallel") {
        const init = s.states.find((c) => c.key === s.initial);
        if (init) {
          const dotName = dotString(`${s.id}#initial`);
          lines.push(
            `${indent}  ${dotName} [shape=circle, style=filled, fillcolor=black, width=0.12, label=""];`,
          );
          edges.push(
            `  ${dotName} -> ${dotString(init.id)}${
              clusters.has(init.id)
                ? ` [lhead=${dotString(`cluster_${init.id}`)}]`
                : ""
            };`,
          );
        }
      }
      for (const c of s.states) emit(c, indent + "  ", s.type === "parallel");
      lines.push(`${indent}}`);
    } else {
      const shape = s.type === "final"
        ? "doublecircle"
        : s.type === "history"
        ? "circle"
        : "box";
      const label = s.type === "history" ? historyLabel(s) : s.key;
      lines.push(
        `${indent}${name} [label=${dotString(label)}, shape=${shape}];`,
      );
    }
    s.actors.forEach((a) => {
      const note = dotString(`${s.id}#actor${n++}`);
      lines.push(
        `${indent}${note} [shape=note, style=filled, fillcolor=lightyellow, label=${
          dotString(actorNote(a))
        }];`,
      );
      edges.push(
        `  ${name} -> ${note} [style=dotted, arrowhead=none${
          clusters.has(s.id) ? `, ltail=${dotString(`cluster_${s.id}`)}` : ""
        }];`,
      );
    });
    for (const t of s.transitions) {
      const targets = t.targets.length > 0 ? t.targets : [s.id];
      for (const target of targets) {
        const attrs = [`label=${dotString(t.label)}`];
        if (t.kind === "always") attrs.push("style=dashed");
        if (t.kind === "after") attrs.push("style=bold");
        const inside = (a: string, b: string) => a.startsWith(`${b}.`);
        if (clusters.has(s.id) && target !== s.id && !inside(target, s.id)) {
          attrs.push(`ltail=${dotString(`cluster_${s.id}`)}`);
        }
        if (clusters.has(target) && target !== s.id && !inside(s.id, target)) {
          attrs.push(`lhead=${dotString(`cluster_${target}`)}`);
        }
        edges.push(`  ${name} -> ${dotString(target)} [${attrs.join(", ")}];`);
      }
    }
  };
  emit({ ...g.root, key: g.id }, "  ", false);
  return [...lines, ...edges, "}"].join("\n") + "\n";
}
