/**
 * Mermaid `stateDiagram-v2` rendering of a machine's graph
 * ({@linkcode toMermaid}). Re-exported by `src/diagram.ts`.
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
 * state and `x --> [*]` a final one; the transitions from one state to
 * another are one arrow `a --> b : label<br/>label…` (Mermaid draws one
 * label per pair, so they share it; a targetless one loops on its source);
 * invoked and spawned actors are notes.
 *
 * @param machine An XState v5 machine or a machine config.
 * @returns The diagram source.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { toMermaid } from "../diagram.ts";
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
    // Mermaid keeps one label per pair of states: the transitions from
    // this state to the same target share one arrow, a label per line.
    const byTarget = new Map<string, string[]>();
    for (const t of s.transitions) {
      const targets = t.targets.length > 0 ? t.targets : [s.id];
      for (const target of targets) {
        const to = ids.get(target)!;
        const labels = byTarget.get(to) ?? [];
        labels.push(t.label);
        byTarget.set(to, labels);
      }
    }
    for (const [to, labels] of byTarget) {
      edges.push(
        `  ${id} --> ${to} : ${labels.map(mermaidText).join("<br/>")}`,
      );
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
