/**
 * Geometry of a laid-out chart: the header of a box, whether an arrow
 * crosses one, where a line leaves a box. Used by `layout.ts` and by the
 * tests that check a chart reads (no arrow over a title).
 *
 * Pure functions, browser-safe.
 *
 * @module
 */
import type { ChartBox, ChartEdge } from "./layout.ts";
import { LINE_HEIGHT, TITLE } from "./layout.ts";

/**
 * The header of a compound box: its title, internal list and actors.
 *
 * @param b A compound box.
 * @returns The header's rectangle, in chart coordinates.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { headerOf, layoutChart } from "./layout.ts";
 *
 * const chart = layoutChart(createMachine({
 *   id: "m", initial: "a",
 *   states: { a: { initial: "b", on: { X: {} }, states: { b: {} } } },
 * }));
 * const h = headerOf(chart.boxes[0]);
 * ok(h.height > 0 && h.y === chart.boxes[0].y);
 * ```
 */
export function headerOf(
  b: ChartBox,
): { x: number; y: number; width: number; height: number } {
  return {
    x: b.x,
    y: b.y,
    width: b.width,
    height: TITLE + (b.internal.length + b.actors.length) * LINE_HEIGHT,
  };
}

/**
 * Whether an arrow crosses the header (title, internal list) of a box that
 * is not one of its ends.
 *
 * @param e The arrow.
 * @param boxes Every box of the chart.
 * @returns `true` when a segment of it enters such a header.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { layoutChart, overTitle } from "./layout.ts";
 *
 * const chart = layoutChart(createMachine({
 *   id: "m", initial: "a",
 *   states: { a: { on: { GO: "b" } }, b: {} },
 * }));
 * strictEqual(overTitle(chart.edges[0], chart.boxes), false);
 * ```
 */
export function overTitle(e: ChartEdge, boxes: ChartBox[]): boolean {
  for (const b of boxes) {
    if (b.id === e.source || b.id === e.target) continue;
    const h = b.compound
      ? headerOf(b)
      : { x: b.x, y: b.y, width: b.width, height: b.height };
    for (let i = 1; i < e.points.length; i++) {
      if (segmentHitsRect(e.points[i - 1], e.points[i], h)) return true;
    }
  }
  return false;
}

type P = { x: number; y: number };
// Liang–Barsky clipping: does the segment enter the rectangle (shrunk by
// one pixel, so touching a border does not count)?
function segmentHitsRect(
  a: P,
  b: P,
  r: { x: number; y: number; width: number; height: number },
): boolean {
  const x0 = r.x + 1,
    y0 = r.y + 1,
    x1 = r.x + r.width - 1,
    y1 = r.y + r.height - 1;
  const dx = b.x - a.x, dy = b.y - a.y;
  let t0 = 0, t1 = 1;
  const p = [-dx, dx, -dy, dy];
  const q = [a.x - x0, x1 - a.x, a.y - y0, y1 - a.y];
  for (let i = 0; i < 4; i++) {
    if (p[i] === 0) {
      if (q[i] < 0) return false;
    } else {
      const t = q[i] / p[i];
      if (p[i] < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
      if (t0 > t1) return false;
    }
  }
  return true;
}

/**
 * Whether a point lies on a box's border (within 1.5 px).
 *
 * @param b The box.
 * @param p The point.
 * @returns `true` on the border.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { onBorder } from "./geometry.ts";
 *
 * const box = { x: 0, y: 0, width: 10, height: 10 };
 * ok(onBorder(box, { x: 10, y: 5 }) && !onBorder(box, { x: 5, y: 5 }));
 * ```
 */
export function onBorder(
  b: { x: number; y: number; width: number; height: number },
  p: { x: number; y: number },
): boolean {
  const eps = 1.5;
  const inX = p.x >= b.x - eps && p.x <= b.x + b.width + eps;
  const inY = p.y >= b.y - eps && p.y <= b.y + b.height + eps;
  return inX && inY &&
    (Math.abs(p.x - b.x) < eps || Math.abs(p.x - b.x - b.width) < eps ||
      Math.abs(p.y - b.y) < eps || Math.abs(p.y - b.y - b.height) < eps);
}

/**
 * Where the line from a box's centre towards a point leaves the box.
 *
 * @param b The box.
 * @param p The point.
 * @returns The point on the border.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { clip } from "./geometry.ts";
 *
 * deepStrictEqual(clip({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 5 }), { x: 10, y: 5 });
 * ```
 */
export function clip(
  b: { x: number; y: number; width: number; height: number },
  p: { x: number; y: number },
): { x: number; y: number } {
  const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
  const dx = p.x - cx, dy = p.y - cy;
  if (dx === 0 && dy === 0) return { x: cx, y: b.y };
  const sx = dx === 0 ? Infinity : (b.width / 2) / Math.abs(dx);
  const sy = dy === 0 ? Infinity : (b.height / 2) / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: cx + dx * s, y: cy + dy * s };
}
