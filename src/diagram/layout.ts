/**
 * A statechart laid out for drawing ({@linkcode layoutChart}): every state a
 * box at a position (compound states enclose their children, with their
 * title and their internal transitions in a header above them), every
 * transition between two different states an arrow with its labels, and
 * the transitions that do not leave their state (self-transitions,
 * targetless ones, and those into the state's own descendants or
 * ancestors) in the state's "internal" list instead of a loop. The root's
 * internal list is the legend (root-level events).
 *
 * Each compound state's children are laid out on their own with
 * `@dagrejs/dagre` (a layered layout, 49 KB minified), from the innermost
 * state outwards, so a title and its list never share space with an
 * arrow. An arrow between states in different compound states is routed at
 * the level of their closest common ancestor, between the two boxes of
 * that level that hold them, and then extended to the real source and
 * target boxes.
 *
 * Pure and synchronous; used by the inspector (on the server, so the page
 * carries no layout code) and by `deno task viz` (SVG files).
 *
 * @module
 */
import { DagreGraph, dagreLayout } from "../deps_layout.ts";
import type { AnyStateMachine } from "../types.ts";
import { clip, onBorder, overTitle } from "./geometry.ts";
import {
  actorNote,
  type DiagramState,
  type DiagramTransition,
  type DiagramTransitionKind,
  historyLabel,
  type MachineGraph,
  machineGraph,
} from "./graph.ts";

/** One entry of a state's internal list (a transition drawn as text). */
export interface ChartInternal {
  /** The transition's label, e.g. `sm.r` or `connection.send [queueFull]`. */
  label: string;
  /** How it is triggered. */
  kind: DiagramTransitionKind;
  /** Where it goes, relative to the state (`""` when it stays). */
  to: string;
}

/** A state's box in a {@linkcode ChartLayout}. */
export interface ChartBox {
  /** The XState state id. */
  id: string;
  /** The key in its parent. */
  key: string;
  /** The keys from the root down (the active configuration is matched on it). */
  path: string[];
  /** The state's kind. */
  type: DiagramState["type"];
  /** The text drawn as its title. */
  title: string;
  /** Left edge, in chart coordinates. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
  /** Whether it has child boxes (its title and list sit in a header). */
  compound: boolean;
  /** Whether it is its parent's initial state (drawn with a marker). */
  initial: boolean;
  /** Whether it is a region of a parallel state (drawn dashed). */
  region: boolean;
  /** Transitions that do not leave the state. */
  internal: ChartInternal[];
  /** Actors it invokes or spawns. */
  actors: string[];
}

/** An arrow in a {@linkcode ChartLayout}: the transitions from one state to another. */
export interface ChartEdge {
  /** Source state id. */
  source: string;
  /** Target state id. */
  target: string;
  /** One label per transition, in definition order. */
  labels: string[];
  /** The kind of each transition, as `labels`. */
  kinds: DiagramTransitionKind[];
  /** The polyline, start at the source's border, end at the target's. */
  points: { x: number; y: number }[];
  /** Centre of the label block. */
  labelAt: { x: number; y: number };
}

/** A machine laid out for drawing, as computed by {@linkcode layoutChart}. */
export interface ChartLayout {
  /** The machine id. */
  id: string;
  /** Overall width. */
  width: number;
  /** Overall height. */
  height: number;
  /** The states, parents before children (the root is not one of them). */
  boxes: ChartBox[];
  /** The arrows. */
  edges: ChartEdge[];
  /** Root-level transitions (events the machine takes in any state). */
  legend: ChartInternal[];
}

/** Width of one character of an 11 px sans-serif label, a generous mean. */
export const CHAR_WIDTH = 6.4;
/** Height of one line of text. */
export const LINE_HEIGHT = 14;
const PAD = 10;
/** Height of a box's title line. */
export const TITLE = 20;

interface Local {
  width: number;
  height: number;
  boxes: ChartBox[]; // relative to this state's top-left
  edges: ChartEdge[];
}

/**
 * Lay a machine out as boxes and arrows.
 *
 * @param machine A machine, a machine config, or a graph from
 *   `machineGraph()`.
 * @returns Positions of every state box and arrow.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual, ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { layoutChart } from "./layout.ts";
 *
 * const door = createMachine({
 *   id: "door",
 *   initial: "closed",
 *   on: { RESET: ".closed" },
 *   states: { closed: { on: { OPEN: "open", KNOCK: {} } }, open: { on: { CLOSE: "closed" } } },
 * });
 * const chart = layoutChart(door);
 * deepStrictEqual(chart.edges.map((e) => e.labels[0]), ["OPEN", "CLOSE"]);
 * deepStrictEqual(chart.boxes[0].internal.map((t) => t.label), ["KNOCK"]);
 * deepStrictEqual(chart.legend.map((t) => t.label), ["RESET"]);
 * ok(chart.boxes[0].initial);
 * ```
 */
export function layoutChart(
  machine: AnyStateMachine | Record<string, unknown> | string | MachineGraph,
): ChartLayout {
  const g = isGraph(machine) ? machine : machineGraph(machine);
  // An arrow whose extension into a nested box would cross a title or an
  // internal list is listed in its source state instead ("→ target").
  const demoted = new Set<string>();
  for (let pass = 0; pass < 2; pass++) {
    const chart = layoutOnce(g, demoted);
    const crossing = chart.edges.filter((e) => overTitle(e, chart.boxes));
    if (crossing.length === 0) return chart;
    for (const e of crossing) demoted.add(`${e.source}\n${e.target}`);
  }
  return layoutOnce(g, demoted);
}

function layoutOnce(g: MachineGraph, demoted: Set<string>): ChartLayout {
  const parentOf = new Map<string, DiagramState>();
  const byId = new Map<string, DiagramState>();
  const index = (s: DiagramState) => {
    byId.set(s.id, s);
    for (const c of s.states) {
      parentOf.set(c.id, s);
      index(c);
    }
  };
  index(g.root);
  const ancestors = (id: string): string[] => {
    const out = [id];
    for (let p = parentOf.get(id); p; p = parentOf.get(p.id)) out.push(p.id);
    return out;
  };
  // Sort every transition: internal to a state, or an arrow owned by the
  // closest common ancestor of its two ends.
  const internal = new Map<string, ChartInternal[]>();
  const arrows = new Map<string, Map<string, ChartEdge>>();
  const relative = (from: DiagramState, to: string): string => {
    const t = byId.get(to);
    if (!t || to === from.id) return "";
    return to.startsWith(`${from.id}.`)
      ? `.${to.slice(from.id.length + 1)}`
      : t.key;
  };
  const visit = (s: DiagramState) => {
    for (const t of s.transitions) sortTransition(s, t);
    s.states.forEach(visit);
  };
  const sortTransition = (s: DiagramState, t: DiagramTransition) => {
    const targets = t.targets.filter((x) => byId.has(x));
    const inside = targets.length === 0 ||
      targets.some((x) =>
        x === s.id || x.startsWith(`${s.id}.`) || s.id.startsWith(`${x}.`)
      );
    const away = targets.some((x) => demoted.has(`${s.id}\n${x}`));
    if (inside || away || s === g.root) {
      const list = internal.get(s.id) ?? [];
      list.push({
        label: t.label,
        kind: t.kind,
        to: targets.map((x) => relative(s, x)).join(", "),
      });
      internal.set(s.id, list);
      return;
    }
    for (const target of targets) {
      const up = new Set(ancestors(s.id));
      const owner = ancestors(target).find((a) => up.has(a)) ?? g.root.id;
      const edges = arrows.get(owner) ?? new Map<string, ChartEdge>();
      arrows.set(owner, edges);
      const key = `${s.id}\n${target}`;
      const e = edges.get(key) ??
        {
          source: s.id,
          target,
          labels: [],
          kinds: [],
          points: [],
          labelAt: { x: 0, y: 0 },
        };
      e.labels.push(t.label);
      e.kinds.push(t.kind);
      edges.set(key, e);
    }
  };
  visit(g.root);

  // The child of `owner` that holds `id` (or is it).
  const childOf = (owner: string, id: string): string => {
    const chain = ancestors(id);
    const i = chain.indexOf(owner);
    return chain[i - 1];
  };

  const place = (
    s: DiagramState,
    region: boolean,
    initial: boolean,
  ): Local => {
    const list = s === g.root ? [] : internal.get(s.id) ?? [];
    const actors = s.actors.map(actorNote);
    const title = s.type === "history"
      ? historyLabel(s)
      : s.type === "parallel"
      ? `${s.key} (parallel)`
      : s.type === "final"
      ? `${s.key} (final)`
      : s.key;
    const lines = [title, ...list.map(internalText), ...actors];
    const textWidth = Math.max(...lines.map((l) => l.length)) * CHAR_WIDTH +
      2 * PAD;
    const header = TITLE + (list.length + actors.length) * LINE_HEIGHT;
    const box: ChartBox = {
      id: s.id,
      key: s.key,
      path: s.path,
      type: s.type,
      title,
      x: 0,
      y: 0,
      width: 0,
      height: 0,
      compound: s.states.length > 0,
      initial,
      region,
      internal: list,
      actors,
    };
    if (s.states.length === 0) {
      box.width = Math.max(textWidth, 70);
      box.height = header + 8;
      return { width: box.width, height: box.height, boxes: [box], edges: [] };
    }
    const kids = s.states.map((c) =>
      place(c, s.type === "parallel", c.key === s.initial)
    );
    const dg = new DagreGraph({ multigraph: true });
    dg.setGraph({
      rankdir: "TB",
      nodesep: 40,
      ranksep: 46,
      edgesep: 14,
      marginx: 0,
      marginy: 0,
    });
    dg.setDefaultEdgeLabel(() => ({}));
    s.states.forEach((c, i) =>
      dg.setNode(c.id, { width: kids[i].width, height: kids[i].height })
    );
    const own = [...(arrows.get(s.id)?.values() ?? [])];
    own.forEach((e, i) => {
      const lw = Math.max(...e.labels.map((l) => l.length)) * CHAR_WIDTH + 8;
      dg.setEdge(childOf(s.id, e.source), childOf(s.id, e.target), {
        width: lw,
        height: e.labels.length * LINE_HEIGHT + 4,
        labelpos: "c",
      }, String(i));
    });
    dagreLayout(dg);
    let right = textWidth, bottom = 0;
    const inner: ChartBox[] = [];
    const top = header + 14; // room for the initial marker above a child
    s.states.forEach((c, i) => {
      const n = dg.node(c.id) as { x: number; y: number };
      const dx = PAD + n.x - kids[i].width / 2;
      const dy = top + n.y - kids[i].height / 2;
      for (const b of kids[i].boxes) inner.push(shift(b, dx, dy));
      right = Math.max(right, dx + kids[i].width + PAD);
      bottom = Math.max(bottom, dy + kids[i].height + PAD);
      kids[i].edges.forEach((e) => own.push(shiftEdge(e, dx, dy)));
    });
    own.forEach((e, i) => {
      if (e.points.length > 0) return; // a child's, already placed
      const d = dg.edge(
        childOf(s.id, e.source),
        childOf(s.id, e.target),
        String(i),
      ) as { points: { x: number; y: number }[]; x: number; y: number };
      e.points = d.points.map((p) => ({ x: p.x + PAD, y: p.y + top }));
      e.labelAt = { x: d.x + PAD, y: d.y + top };
      const lw = Math.max(...e.labels.map((l) => l.length)) * CHAR_WIDTH;
      right = Math.max(
        right,
        e.labelAt.x + lw / 2 + PAD,
        ...e.points.map((p) => p.x + PAD),
      );
      bottom = Math.max(bottom, ...e.points.map((p) => p.y + PAD));
    });
    // Arrows of this level whose ends lie deeper: extend them to the real
    // boxes (after the children are placed, so their positions are known).
    const at = new Map(inner.map((b) => [b.id, b]));
    for (const e of own) extend(e, at);
    box.width = Math.max(right, textWidth);
    box.height = bottom;
    return {
      width: box.width,
      height: box.height,
      boxes: [box, ...inner],
      edges: own,
    };
  };
  const top = place(g.root, false, false);
  return {
    id: g.id,
    width: Math.ceil(top.width),
    height: Math.ceil(top.height),
    boxes: top.boxes.slice(1),
    edges: top.edges,
    legend: internal.get(g.root.id) ?? [],
  };
}

/**
 * The text of an internal list entry: `label` or `label → target`.
 *
 * @param t The entry.
 * @returns The line drawn for it.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { internalText } from "./layout.ts";
 *
 * strictEqual(internalText({ label: "sm.r", kind: "event", to: "" }), "sm.r");
 * strictEqual(internalText({ label: "reset", kind: "event", to: ".a" }), "reset → .a");
 * ```
 */
export function internalText(t: ChartInternal): string {
  return t.to ? `${t.label} → ${t.to}` : t.label;
}

function isGraph(x: unknown): x is MachineGraph {
  return typeof x === "object" && x !== null && "root" in x &&
    typeof (x as { id?: unknown }).id === "string" &&
    Array.isArray((x as { root: { states?: unknown } }).root.states);
}

function shift(b: ChartBox, dx: number, dy: number): ChartBox {
  return { ...b, x: b.x + dx, y: b.y + dy };
}

function shiftEdge(e: ChartEdge, dx: number, dy: number): ChartEdge {
  return {
    ...e,
    points: e.points.map((p) => ({ x: p.x + dx, y: p.y + dy })),
    labelAt: { x: e.labelAt.x + dx, y: e.labelAt.y + dy },
  };
}

// Replace an end that sits on an enclosing box's border with one on the
// real state's border, when the real state is deeper than the box dagre saw.
function extend(e: ChartEdge, at: Map<string, ChartBox>): void {
  const src = at.get(e.source), dst = at.get(e.target);
  if (src && e.points.length > 1 && !onBorder(src, e.points[0])) {
    e.points.unshift(clip(src, e.points[0]));
  }
  const last = e.points[e.points.length - 1];
  if (dst && last && !onBorder(dst, last)) e.points.push(clip(dst, last));
}

export { headerOf, overTitle } from "./geometry.ts";
