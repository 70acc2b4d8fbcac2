/**
 * Graphviz output that reads: no edge of `toDot()` crosses a state's title
 * (checked on the geometry `dot -Tjson` computes, for every machine of
 * `deno task viz`).
 */
import { assert, assertEquals } from "./deps.ts";
import { toDot } from "../src/diagram.ts";
import { MACHINES } from "../examples/viz.ts";
import { requireServers } from "./support/prosody.ts";

const hasDot = (() => {
  try {
    return new Deno.Command("dot", { args: ["-V"], stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

type Box = { name: string; x0: number; y0: number; x1: number; y1: number };
interface DotJson {
  objects?: {
    name: string;
    shape?: string;
    pos?: string;
    width?: string;
    height?: string;
    lp?: string;
    lwidth?: string;
    lheight?: string;
  }[];
  edges?: {
    tail: number;
    head: number;
    _draw_?: { op: string; points?: [number, number][] }[];
  }[];
}

async function layout(dot: string): Promise<DotJson> {
  const child = new Deno.Command("dot", {
    args: ["-Tjson"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(dot));
  await w.close();
  const out = await child.output();
  assert(out.success);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

// Every title Graphviz placed: a cluster's label, or a plain-text node
// (how `toDot` draws a compound state's title and internal list).
function titles(g: DotJson): Box[] {
  const out: Box[] = [];
  const box = (name: string, at: string, w: number, h: number) => {
    const [x, y] = at.split(",").map(Number);
    out.push({
      name,
      x0: x - w / 2,
      y0: y - h / 2,
      x1: x + w / 2,
      y1: y + h / 2,
    });
  };
  for (const o of g.objects ?? []) {
    if (o.name.startsWith("cluster_") && o.lp && o.lwidth && o.lheight) {
      box(o.name, o.lp, Number(o.lwidth) * 72, Number(o.lheight) * 72);
    } else if (o.shape === "plaintext" && o.pos) {
      box(o.name, o.pos, Number(o.width) * 72, Number(o.height) * 72);
    }
  }
  return out;
}

// Edges whose drawn curve enters a title's box (1 pt inside its border).
function crossings(g: DotJson): string[] {
  const boxes = titles(g), names = (g.objects ?? []).map((o) => o.name);
  const out: string[] = [];
  for (const e of g.edges ?? []) {
    for (const op of e._draw_ ?? []) {
      if ((op.op !== "b" && op.op !== "B") || !op.points) continue;
      const p = op.points;
      for (let i = 0; i + 3 < p.length; i += 3) {
        for (let k = 0; k <= 20; k++) {
          const t = k / 20, u = 1 - t;
          const at = (j: 0 | 1) =>
            u * u * u * p[i][j] + 3 * u * u * t * p[i + 1][j] +
            3 * u * t * t * p[i + 2][j] + t * t * t * p[i + 3][j];
          const x = at(0), y = at(1);
          const hit = boxes.find((b) =>
            x > b.x0 + 1 && x < b.x1 - 1 && y > b.y0 + 1 && y < b.y1 - 1
          );
          if (hit) {
            out.push(`${names[e.tail]} -> ${names[e.head]} over ${hit.name}`);
            k = 21;
            i = p.length;
          }
        }
      }
    }
  }
  return out;
}

Deno.test({
  name: "toDot(): no edge crosses a state's title (dot -Tjson geometry)",
  ignore: !hasDot && !requireServers(),
  async fn() {
    for (const [name, machine] of Object.entries(MACHINES)) {
      const g = await layout(toDot(machine));
      assert(titles(g).length > 0, name);
      assertEquals(crossings(g), [], name);
    }
  },
});

Deno.test({
  name: "the crossing check finds an edge over a cluster label",
  ignore: !hasDot && !requireServers(),
  async fn() {
    // A cluster titled by its label, as toDot drew titles before: Graphviz
    // routes the edge into the cluster straight through its label.
    const g = await layout(
      'digraph { subgraph cluster_s { label="a long session title"; a; } x -> a; }',
    );
    assert(titles(g).some((b) => b.name === "cluster_s"));
    assert(crossings(g).length > 0, JSON.stringify(titles(g)));
  },
});
