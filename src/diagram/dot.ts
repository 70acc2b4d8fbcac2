/**
 * Graphviz DOT rendering of a machine's graph ({@linkcode toDot}).
 * Re-exported by `src/diagram.ts`.
 *
 * Pure functions, browser-safe.
 *
 * @module
 */
import type { AnyStateMachine } from "../types.ts";
import {
  actorNote,
  type DiagramState,
  eachState,
  historyLabel,
  machineGraph,
} from "./graph.ts";

function dotString(s: string): string {
  return `"${
    s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")
  }"`;
}

// Lines of a left-justified label (`\l` ends each line).
function dotLeft(lines: string[]): string {
  return `"${
    lines.map((l) =>
      l.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, " ")
    ).join("\\l")
  }\\l"`;
}

/**
 * Draw a machine as a Graphviz DOT digraph (`dot -Tsvg` renders it).
 *
 * Each state is a node named by its XState id (e.g. `"door.closed"`); a
 * state with children is a cluster whose node of that name is its title
 * (plain text, with its internal list), placed before its children, so
 * that Graphviz routes edges around it (a cluster label would be crossed);
 * edges to and from the state aim at it and end at the cluster's border
 * (`compound=true`, `lhead`/`ltail`);
 * parallel regions are dashed clusters; initial states get an arrow from a
 * dot, final states are double circles; the transitions from one state to
 * another are one edge labelled `event [guard]`, a line each; those that
 * stay in their state (targetless, self, into its own children or out to
 * an ancestor) are lines of the state's own label instead of loops, and the
 * root's are a legend note ("In any state"); invoked and spawned actors
 * are note-shaped nodes tied to their state with a dotted line.
 *
 * @param machine An XState v5 machine or a machine config.
 * @returns The DOT source.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { toDot } from "../diagram.ts";
 *
 * const m = createMachine({
 *   id: "door",
 *   initial: "closed",
 *   states: { closed: { on: { OPEN: "open" } }, open: { type: "final" } },
 * });
 * const dot = toDot(m);
 * ok(dot.startsWith("digraph"));
 * ok(dot.includes('"door.closed" -> "door.open" [label="OPEN"]'));
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
  const byId = new Map<string, DiagramState>();
  eachState(g.root, (s) => byId.set(s.id, s));
  // Transitions that stay in their state (targetless, to itself, into its
  // own children or out to an ancestor): a line in the state's label.
  const stays = (from: string, targets: string[]) =>
    targets.length === 0 ||
    targets.some((x) =>
      x === from || x.startsWith(`${from}.`) || from.startsWith(`${x}.`)
    );
  const internal = (s: DiagramState): string[] =>
    s.transitions.filter((t) => s === g.root || stays(s.id, t.targets)).map(
      (t) => {
        const to = t.targets.filter((x) => x !== s.id).map((x) =>
          x.startsWith(`${s.id}.`)
            ? `.${x.slice(s.id.length + 1)}`
            : byId.get(x)?.key ?? x
        );
        return to.length ? `${t.label} → ${to.join(", ")}` : t.label;
      },
    );
  const lines = [
    `digraph ${dotString(g.id)} {`,
    "  compound=true;",
    "  rankdir=LR;",
    '  graph [fontname="Helvetica", fontsize=11];',
    '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const edges: string[] = [];
  let n = 0;
  const emit = (s: DiagramState, indent: string, parallelRegion: boolean) => {
    const name = dotString(s.id);
    if (s.states.length > 0) {
      // The title (and internal list) is a node of the cluster, not the
      // cluster's label: Graphviz routes edges around nodes but not around
      // cluster labels. Invisible edges put it before every child, and it
      // is the node that arrows to and from the state aim at (clipped at
      // the cluster's border by lhead/ltail).
      const title = [
        s.type === "parallel" ? `${s.key} (parallel)` : s.key,
        ...(s.path.length === 0 ? [] : internal(s)),
      ];
      lines.push(
        `${indent}subgraph ${dotString(`cluster_${s.id}`)} {`,
        `${indent}  label="";`,
        `${indent}  style=${parallelRegion ? '"rounded,dashed"' : "rounded"};`,
        `${indent}  ${name} [shape=plaintext, label=${
          dotLeft(title)
        }, fontname="Helvetica-Bold"];`,
      );
      for (const c of s.states) {
        edges.push(`  ${name} -> ${dotString(c.id)} [style=invis];`);
      }
      if (s.initial !== undefined && s.type !== "parallel") {
        const init = s.states.find((c) => c.key === s.initial);
        if (init) {
          const dotName = dotString(`${s.id}#initial`);
          lines.push(
            `${indent}  ${dotName} [shape=circle, style=filled, fillcolor=black, width=0.12, label=""];`,
          );
          edges.push(
            `  ${name} -> ${dotName} [style=invis];`,
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
      const label = [
        s.type === "history" ? historyLabel(s) : s.key,
        ...internal(s),
      ].join("\n");
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
    // Arrows only between different states, one per pair with a label
    // per line; what stays in the state is listed in it (see `internal`).
    const byTarget = new Map<string, string[]>();
    for (const t of s.transitions) {
      if (s === g.root || stays(s.id, t.targets)) continue;
      for (const target of t.targets) {
        const labels = byTarget.get(target) ?? [];
        labels.push(t.label);
        byTarget.set(target, labels);
      }
    }
    for (const [target, labels] of byTarget) {
      const attrs = [`label=${dotString(labels.join("\n"))}`];
      const kinds = s.transitions.filter((t) => t.targets.includes(target))
        .map((t) => t.kind);
      if (kinds.every((k) => k === "always")) attrs.push("style=dashed");
      const inside = (a: string, b: string) => a.startsWith(`${b}.`);
      if (clusters.has(s.id) && !inside(target, s.id)) {
        attrs.push(`ltail=${dotString(`cluster_${s.id}`)}`);
      }
      if (clusters.has(target) && !inside(s.id, target)) {
        attrs.push(`lhead=${dotString(`cluster_${target}`)}`);
      }
      edges.push(`  ${name} -> ${dotString(target)} [${attrs.join(", ")}];`);
    }
  };
  emit({ ...g.root, key: g.id }, "  ", false);
  const legend = internal(g.root);
  if (legend.length > 0) {
    lines.push(
      `  ${
        dotString(`${g.id}#legend`)
      } [shape=note, style=filled, fillcolor="#fffbeb", label=${
        dotString(["In any state (root-level events)", ...legend].join("\n"))
      }];`,
    );
  }
  return [...lines, ...edges, "}"].join("\n") + "\n";
}
