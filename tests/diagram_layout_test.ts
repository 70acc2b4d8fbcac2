import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { machineGraph } from "../src/diagram.ts";
import {
  type ChartBox,
  internalText,
  layoutChart,
  overTitle,
} from "../src/diagram/layout.ts";
import { toSvg } from "../src/diagram/svg.ts";
import { createActor, createMachine } from "../src/deps.ts";
import type { AnyStateMachine } from "../src/types.ts";
import { MACHINES } from "../examples/viz.ts";
import {
  chartOf,
  type InspectorFrame,
  MAX_LAID_OUT,
  type PageMessage,
} from "../actors/inspector/frames.ts";
import { Collector } from "../actors/inspector/collector.ts";

const nested = createMachine({
  id: "player",
  initial: "idle",
  on: { RESET: ".idle", LOG: {} },
  states: {
    idle: { on: { PLAY: "on", PING: {} } },
    on: {
      type: "parallel",
      on: { STOP: "idle", BACK: "on.audio.hist" },
      states: {
        audio: {
          initial: "muted",
          states: {
            muted: { on: { UNMUTE: "loud" } },
            loud: { on: { MUTE: "muted", BOOM: "#player.idle" } },
            hist: { type: "history" },
          },
        },
        video: {
          initial: "off",
          states: { off: { on: { PLAY_V: "shown" } }, shown: {} },
        },
      },
    },
  },
});

const subjects: [string, AnyStateMachine][] = [
  ["nested test machine", nested],
  ...Object.entries(MACHINES),
];

const inside = (a: ChartBox, b: ChartBox) =>
  a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width &&
  a.y + a.height <= b.y + b.height;
const onBorder = (b: ChartBox, p: { x: number; y: number }) => {
  const e = 2;
  return p.x >= b.x - e && p.x <= b.x + b.width + e && p.y >= b.y - e &&
    p.y <= b.y + b.height + e &&
    (Math.abs(p.x - b.x) < e || Math.abs(p.x - b.x - b.width) < e ||
      Math.abs(p.y - b.y) < e || Math.abs(p.y - b.y - b.height) < e);
};

for (const [name, machine] of subjects) {
  Deno.test(`layoutChart() of the ${name}: every transition drawn once, as an arrow or a line of its state, none over a title`, () => {
    const g = machineGraph(machine);
    const chart = layoutChart(machine);
    const boxes = new Map(chart.boxes.map((b) => [b.id, b]));
    // Every state has a box, children inside their parent, siblings apart.
    const ids: string[] = [];
    const walk = (s: typeof g.root) => {
      ids.push(s.id);
      s.states.forEach(walk);
    };
    walk(g.root);
    assertEquals(new Set(chart.boxes.map((b) => b.id)), new Set(ids.slice(1)));
    const walkBoxes = (s: typeof g.root) => {
      const parent = boxes.get(s.id);
      const kids = s.states.map((c) => boxes.get(c.id)!);
      for (const k of kids) if (parent) assert(inside(k, parent), k.id);
      for (let i = 0; i < kids.length; i++) {
        for (let j = i + 1; j < kids.length; j++) {
          const a = kids[i], b = kids[j];
          const apart = a.x + a.width <= b.x || b.x + b.width <= a.x ||
            a.y + a.height <= b.y || b.y + b.height <= a.y;
          assert(apart, `${a.id} overlaps ${b.id}`);
        }
      }
      s.states.forEach(walkBoxes);
    };
    walkBoxes(g.root);
    // Every transition: an arrow from its state to each target, or a line
    // of its state's list (the legend for the root's); nothing twice.
    let expected = 0, drawn = 0;
    const visit = (s: typeof g.root) => {
      for (const t of s.transitions) {
        const listed = s === g.root
          ? chart.legend.some((x) => x.label === t.label)
          : boxes.get(s.id)!.internal.some((x) => x.label === t.label);
        const arrows = t.targets.every((target) =>
          chart.edges.some((e) =>
            e.source === s.id && e.target === target &&
            e.labels.includes(t.label)
          )
        );
        assert(listed || arrows, `${s.id}: ${t.label} not drawn`);
        expected++;
      }
      s.states.forEach(visit);
    };
    visit(g.root);
    drawn += chart.legend.length;
    for (const b of chart.boxes) drawn += b.internal.length;
    for (const e of chart.edges) {
      // Multi-target transitions make one arrow per target.
      drawn += e.labels.length;
    }
    assert(drawn >= expected, `${drawn} drawn for ${expected} transitions`);
    // Arrows start and end on their real states' borders; no loops; none
    // crosses a title, a list or a box that is not one of its ends.
    for (const e of chart.edges) {
      assert(e.source !== e.target, "a loop");
      assert(onBorder(boxes.get(e.source)!, e.points[0]), `${e.source} start`);
      assert(
        onBorder(boxes.get(e.target)!, e.points[e.points.length - 1]),
        `${e.target} end`,
      );
      assert(!overTitle(e, chart.boxes), `${e.labels} crosses a title`);
    }
    // The SVG draws them all.
    const svg = toSvg(chart);
    // (one more path: the arrow head)
    assertStrictEquals(svg.split("<path d=").length - 2, chart.edges.length);
    for (const b of chart.boxes) assert(svg.includes(`>${b.title}</text>`));
    for (const t of chart.legend) {
      assert(
        svg.includes(
          `>${
            internalText(t).replace(/&/g, "&amp;").replace(/</g, "&lt;")
              .replace(/>/g, "&gt;")
          }</text>`,
        ),
      );
    }
  });
}

Deno.test("layoutChart(): self, targetless and root-level transitions are lists, not loops", () => {
  const chart = layoutChart(nested);
  const idle = chart.boxes.find((b) => b.id === "player.idle")!;
  assertEquals(idle.internal.map((t) => t.label), ["PING"]);
  const on = chart.boxes.find((b) => b.id === "player.on")!;
  // Into its own descendant: a line with where it goes.
  assertEquals(on.internal.map(internalText), ["BACK → .audio.hist"]);
  assertEquals(chart.legend.map(internalText), ["RESET → .idle", "LOG"]);
  // A transition out of two levels of nesting is one arrow, routed around.
  assert(
    chart.edges.some((e) =>
      e.source === "player.on.audio.loud" && e.target === "player.idle"
    ) ||
      chart.boxes.find((b) => b.id === "player.on.audio.loud")!.internal
        .some((t) => t.label === "BOOM"),
  );
});

Deno.test("layoutChart() of a hostile definition: markup in names stays text in the SVG", () => {
  const evil = createMachine({
    id: "<script>x</script>",
    initial: "a",
    states: { a: { on: { '"><img src=x onerror=1>': "b" } }, b: {} },
  });
  const svg = toSvg(evil);
  assert(!svg.includes("<script>") && !svg.includes("<img"));
  assert(svg.includes("&lt;script&gt;"));
});

Deno.test("chartOf(): a graph over the bounds is not laid out (a /source sender cannot make the inspector spend long on one)", () => {
  const states: Record<string, unknown> = {};
  for (let i = 0; i <= MAX_LAID_OUT.states; i++) {
    states[`s${i}`] = {
      on: { NEXT: `s${i + 1 > MAX_LAID_OUT.states ? 0 : i + 1}` },
    };
  }
  const big = machineGraph({ id: "big", initial: "s0", states });
  assertStrictEquals(chartOf(big), undefined);
  const small = machineGraph(nested);
  assert(chartOf(small) !== undefined);
  assertStrictEquals(chartOf(small), chartOf(small));
});

Deno.test("Collector: machines of this process are laid out for the page; a /source sender's definition is not", async () => {
  const collector = new Collector({});
  const frames: InspectorFrame[] = [];
  const sink = {
    send(m: string) {
      const msg = JSON.parse(m) as PageMessage;
      frames.push(...(msg.kind === "init" ? msg.actors : msg.frames));
      queueMicrotask(() => collector.ack(sink));
    },
  };
  const detach = collector.attach(sink);
  const actor = createActor(nested, { inspect: collector.inspect }).start();
  collector.ingest(
    "s1",
    JSON.stringify({
      type: "@xstate.actor",
      sessionId: "r:1",
      name: "remote",
      definition: JSON.stringify(nested.config),
      snapshot: { status: "active" },
    }),
  );
  const own = () =>
    frames.find((f) =>
      f.type === "@xstate.actor" && f.sessionId === actor.sessionId
    );
  const remote = () =>
    frames.find((f) => f.type === "@xstate.actor" && f.name === "remote");
  for (let i = 0; i < 200 && !(own() && remote()); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert(own()?.graph && own()?.layout, "own machine laid out");
  assert(remote()?.graph && !remote()?.layout, "remote machine not laid out");
  actor.stop();
  detach();
});
