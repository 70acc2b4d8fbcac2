/**
 * SVG rendering of a laid-out statechart ({@linkcode toSvg}), the same
 * picture the inspector page draws: nested boxes, labelled arrows, initial
 * markers, internal lists and a legend of root-level events.
 *
 * Pure functions (no DOM); used by `deno task viz`.
 *
 * @module
 */
import type { AnyStateMachine } from "../types.ts";
import type { MachineGraph } from "./graph.ts";
import {
  CHAR_WIDTH,
  type ChartLayout,
  internalText,
  layoutChart,
  LINE_HEIGHT,
} from "./layout.ts";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

const r = (n: number) => Math.round(n * 10) / 10;

/**
 * Draw a machine as a standalone SVG document.
 *
 * @param machine A machine, a machine config, a graph or a layout from
 *   `layoutChart()`.
 * @returns The SVG source.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { toSvg } from "./svg.ts";
 *
 * const door = createMachine({
 *   id: "door",
 *   initial: "closed",
 *   states: { closed: { on: { OPEN: "open" } }, open: { on: { CLOSE: "closed" } } },
 * });
 * const svg = toSvg(door);
 * ok(svg.startsWith("<svg"));
 * ok(svg.includes(">OPEN</text>"));
 * ```
 */
export function toSvg(
  machine:
    | AnyStateMachine
    | Record<string, unknown>
    | string
    | MachineGraph
    | ChartLayout,
): string {
  const c = isLayout(machine) ? machine : layoutChart(machine);
  const legendW = c.legend.length
    ? Math.max(
          14,
          ...c.legend.map((t) => internalText(t).length),
        ) * CHAR_WIDTH + 20
    : 0;
  const legendH = c.legend.length
    ? (c.legend.length + 1) * LINE_HEIGHT + 14
    : 0;
  const m = 12;
  const width = Math.ceil(Math.max(c.width, legendW) + 2 * m);
  const height = Math.ceil(c.height + legendH + 2 * m + 22);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#374151"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${m}" y="${m + 12}" font-size="14" font-weight="bold">${
      esc(c.id)
    }</text>`,
    `<g transform="translate(${m},${m + 22})">`,
  ];
  for (const b of c.boxes) {
    const dash = b.region ? ` stroke-dasharray="5,3"` : "";
    const rx = b.type === "final" ? 4 : 8;
    out.push(
      `<rect x="${r(b.x)}" y="${r(b.y)}" width="${r(b.width)}" height="${
        r(b.height)
      }" rx="${rx}" fill="${
        b.compound ? "#f8fafc" : "#ffffff"
      }" stroke="#64748b"${dash}${
        b.type === "final" ? ` stroke-width="3"` : ""
      }/>`,
      `<text x="${r(b.x + 10)}" y="${r(b.y + 15)}" font-weight="bold">${
        esc(b.title)
      }</text>`,
    );
    let y = b.y + 15;
    for (const t of b.internal) {
      y += LINE_HEIGHT;
      out.push(
        `<text x="${r(b.x + 10)}" y="${r(y)}" fill="${
          t.kind === "after" ? "#b45309" : "#475569"
        }">${esc(internalText(t))}</text>`,
      );
    }
    for (const a of b.actors) {
      y += LINE_HEIGHT;
      out.push(
        `<text x="${r(b.x + 10)}" y="${r(y)}" fill="#7c3aed">${esc(a)}</text>`,
      );
    }
    if (b.initial) {
      const x = b.x + 18, y0 = b.y - 13;
      out.push(
        `<circle cx="${r(x)}" cy="${r(y0)}" r="4" fill="#111827"/>`,
        `<line x1="${r(x)}" y1="${r(y0 + 4)}" x2="${r(x)}" y2="${
          r(b.y)
        }" stroke="#111827" marker-end="url(#arrow)"/>`,
      );
    }
  }
  for (const e of c.edges) {
    const d = e.points.map((p, i) => `${i ? "L" : "M"}${r(p.x)},${r(p.y)}`)
      .join(" ");
    const dash = e.kinds.every((k) => k === "always")
      ? ` stroke-dasharray="4,3"`
      : "";
    out.push(
      `<path d="${d}" fill="none" stroke="#374151"${dash} marker-end="url(#arrow)"/>`,
    );
    const w = Math.max(...e.labels.map((l) => l.length)) * CHAR_WIDTH + 6;
    const h = e.labels.length * LINE_HEIGHT;
    out.push(
      `<rect x="${r(e.labelAt.x - w / 2)}" y="${
        r(e.labelAt.y - h / 2)
      }" width="${r(w)}" height="${r(h)}" fill="#ffffff" fill-opacity="0.9"/>`,
    );
    e.labels.forEach((l, i) => {
      out.push(
        `<text x="${r(e.labelAt.x)}" y="${
          r(e.labelAt.y - h / 2 + (i + 1) * LINE_HEIGHT - 3)
        }" text-anchor="middle" fill="${
          e.kinds[i] === "after" ? "#b45309" : "#1e3a8a"
        }">${esc(l)}</text>`,
      );
    });
  }
  if (c.legend.length) {
    const y0 = c.height + 14;
    out.push(
      `<rect x="0" y="${r(y0)}" width="${r(legendW)}" height="${
        r(legendH - 6)
      }" rx="6" fill="#fffbeb" stroke="#d97706"/>`,
      `<text x="10" y="${
        r(y0 + 15)
      }" font-weight="bold">In any state (root-level events)</text>`,
    );
    c.legend.forEach((t, i) => {
      out.push(
        `<text x="10" y="${r(y0 + 15 + (i + 1) * LINE_HEIGHT)}">${
          esc(internalText(t))
        }</text>`,
      );
    });
  }
  out.push("</g>", "</svg>");
  return out.join("\n") + "\n";
}

function isLayout(x: unknown): x is ChartLayout {
  return typeof x === "object" && x !== null && "boxes" in x &&
    "edges" in x && "legend" in x;
}
