import { assert, assertStrictEquals } from "./deps.ts";
import { machineGraph, toDot, toMermaid } from "../src/diagram.ts";
import { createMachine, fromCallback, setup, spawnChild } from "../src/deps.ts";
import type { AnyStateMachine } from "../src/types.ts";
import { machineDocs, MACHINES } from "../examples/viz.ts";
import { requireServers } from "./support/prosody.ts";

// A machine with a bit of everything: nested, parallel, delayed, guarded,
// eventless, final and history states, invoked and spawned actors.
const kitchenSink = setup({
  actors: { ticker: fromCallback(() => {}), helper: fromCallback(() => {}) },
  guards: { isReady: () => true, isBig: () => false },
  delays: { slow: 5000 },
}).createMachine({
  id: "sink",
  initial: "idle",
  on: { RESET: { target: ".idle" } },
  states: {
    idle: {
      on: {
        START: [{ guard: "isReady", target: "running" }, { target: "error" }],
        PING: {},
      },
      after: { 1000: "running", slow: { target: "done", guard: "isBig" } },
    },
    running: {
      type: "parallel",
      entry: spawnChild("helper", { id: "help", systemId: "helper" }),
      invoke: { src: "ticker", id: "tick" },
      states: {
        audio: {
          initial: "muted",
          states: {
            muted: { on: { UNMUTE: "loud" } },
            loud: { on: { MUTE: "muted" } },
            hist: { type: "history", history: "deep" },
          },
        },
        video: {
          initial: "off",
          states: {
            off: { on: { PLAY: "on" } },
            on: { always: { guard: "isBig", target: "#sink.done" } },
          },
        },
      },
      on: { STOP: "done", BACK: "running.audio.hist" },
    },
    error: { always: "done" },
    done: { type: "final" },
  },
});

interface Expected {
  states: { id: string; key: string }[];
  edges: { source: string; target: string; event: string; guard?: string }[];
}

// Walk XState's own state nodes: the definition, independently of diagram.ts.
function expected(machine: AnyStateMachine): Expected {
  const out: Expected = { states: [], edges: [] };
  // deno-lint-ignore no-explicit-any
  const visit = (node: any) => {
    out.states.push({ id: node.id, key: node.key });
    // deno-lint-ignore no-explicit-any
    const ts: any[] = [...node.transitions.values()].flat().concat(
      node.always ?? [],
    );
    for (const t of ts) {
      const targets = t.target?.length ? t.target : [node];
      const g = t.guard;
      const guard = g === undefined
        ? undefined
        : typeof g === "string"
        ? g
        : typeof g === "object"
        ? g.type
        : undefined;
      for (const target of targets) {
        out.edges.push({
          source: node.id,
          target: target.id,
          event: t.eventType,
          guard,
        });
      }
    }
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return out;
}

// The label text an event gets (after/always/done are spelled out).
function eventText(event: string): string {
  if (event === "") return "always";
  const after = event.match(/^xstate\.after\.([^.]+)\./);
  if (after) return `after ${after[1]}`;
  const done = event.match(/^xstate\.done\.actor\.(.+)$/);
  if (done) return `done: ${done[1]}`;
  const error = event.match(/^xstate\.error\.actor\.(.+)$/);
  if (error) return `error: ${error[1]}`;
  if (event.startsWith("xstate.done.state.")) return "done";
  return event;
}

// Parse Mermaid output: declared states (alias -> path of keys, from nesting)
// and edges (alias -> alias : label).
function parseMermaid(text: string) {
  const paths = new Map<string, string[]>();
  const edges: { from: string; to: string; label: string }[] = [];
  const stack: string[][] = [];
  const labels = new Map<string, string>();
  let initialTargets = 0;
  let finals = 0;
  for (const raw of text.split("\n").slice(1)) {
    const line = raw.trim();
    let m;
    if ((m = line.match(/^state "([^"]*)" as (\S+)$/))) {
      labels.set(m[2], m[1]);
      const parent = stack.at(-1);
      const key = m[1].split(" (")[0]; // "hist (history, deep)"
      paths.set(m[2], parent ? [...parent, key] : []);
    } else if ((m = line.match(/^state (\S+) \{$/))) {
      stack.push(paths.get(m[1])!);
    } else if (line === "}") {
      stack.pop();
    } else if ((m = line.match(/^\[\*\] --> (\S+)$/))) {
      initialTargets++;
    } else if ((m = line.match(/^(\S+) --> \[\*\]$/))) {
      finals++;
    } else if ((m = line.match(/^(\S+) --> (\S+) : (.*)$/))) {
      // One arrow per pair of states, a label per transition.
      for (const label of m[3].split("<br/>")) {
        edges.push({ from: m[1], to: m[2], label });
      }
    }
  }
  return { paths, edges, initialTargets, finals };
}

function pathOf(id: string, machine: AnyStateMachine): string[] {
  return id === machine.root.id ? [] : id.split(".").slice(1);
}

const subjects: [string, AnyStateMachine][] = [
  ["test machine", kitchenSink],
  ...Object.entries(MACHINES),
];

for (const [name, machine] of subjects) {
  Deno.test(`toMermaid() draws every state and transition of the ${name}`, () => {
    const want = expected(machine);
    const text = toMermaid(machine);
    assert(text.startsWith("stateDiagram-v2\n"));
    const got = parseMermaid(text);
    const byPath = new Map(
      [...got.paths].map(([alias, path]) => [path.join("."), alias]),
    );
    for (const s of want.states) {
      assert(
        byPath.has(pathOf(s.id, machine).join(".")),
        `state ${s.id} missing`,
      );
    }
    assertStrictEquals(got.paths.size, want.states.length);
    for (const e of want.edges) {
      const from = byPath.get(pathOf(e.source, machine).join("."));
      const to = byPath.get(pathOf(e.target, machine).join("."));
      const found = got.edges.some((x) =>
        x.from === from && x.to === to &&
        x.label.startsWith(eventText(e.event)) &&
        (e.guard === undefined || x.label.includes(`[${e.guard}]`))
      );
      assert(found, `edge ${e.source} -> ${e.target} (${e.event}) missing`);
    }
    assertStrictEquals(got.edges.length, want.edges.length);
  });

  Deno.test(`toDot() draws every state and transition of the ${name}`, () => {
    const want = expected(machine);
    const dot = toDot(machine);
    const q = (s: string) => JSON.stringify(s);
    for (const s of want.states) {
      assert(
        dot.includes(`${q(s.id)} [`) || dot.includes(`${q(`cluster_${s.id}`)}`),
        `state ${s.id} missing`,
      );
    }
    const edgeLines = dot.split("\n").filter((l) => / -> /.test(l));
    // A label's lines (`\n` centred, `\l` left-justified).
    const labelOf = (l: string) =>
      JSON.parse(
        `"${
          l.match(/label=("(?:[^"\\]|\\.)*")/)?.[1].slice(1, -1)
            .replace(/\\l/g, "\\n")
        }"`,
      ).split("\n") as string[];
    const stays = (e: Expected["edges"][number]) =>
      e.source === machine.root.id || e.target === e.source ||
      e.target.startsWith(`${e.source}.`) ||
      e.source.startsWith(`${e.target}.`);
    const matches = (line: string, e: Expected["edges"][number]) =>
      line.startsWith(eventText(e.event)) &&
      (e.guard === undefined || line.includes(`[${e.guard}]`));
    for (const e of want.edges) {
      let found: boolean;
      if (stays(e)) {
        // A line of its state's label (the legend for the root's).
        const owner = e.source === machine.root.id
          ? `${e.source}#legend`
          : e.source;
        const decl = dot.split("\n").find((l) =>
          l.trim().startsWith(`${q(owner)} [label=`) ||
          l.trim().startsWith(`${q(owner)} [shape=note`)
        ) ?? "";
        // A compound state's title node (plain text) in its cluster.
        const title = dot.split("\n").find((l) =>
          l.trim().startsWith(`${q(e.source)} [shape=plaintext, label=`)
        );
        const text = title !== undefined && e.source !== machine.root.id
          ? title
          : decl;
        found = labelOf(text).some((l) =>
          matches(l, e)
        );
      } else {
        found = edgeLines.some((l) =>
          l.trim().startsWith(`${q(e.source)} -> ${q(e.target)} [label="`) &&
          labelOf(l).some((x) => matches(x, e))
        );
      }
      assert(found, `edge ${e.source} -> ${e.target} (${e.event}) missing`);
    }
    // No loops: a state's own transitions are in its label.
    for (const l of edgeLines) {
      const m = l.trim().match(/^("[^"]*") -> ("[^"]*")/);
      assert(m && m[1] !== m[2], `a loop: ${l}`);
    }
  });
}

Deno.test("toMermaid() marks initial, final and history states and notes actors", () => {
  const text = toMermaid(kitchenSink);
  const got = parseMermaid(text);
  // root, idle, audio.muted, video.off
  assertStrictEquals(got.initialTargets, 4);
  assertStrictEquals(got.finals, 1);
  assert(text.includes('state "hist (history, deep)"'));
  assert(text.includes("invoke: ticker (tick)"));
  assert(text.includes("spawn: helper (help), systemId helper"));
  assert(/--\n/.test(text), "parallel regions are separated by --");
});

Deno.test("machineGraph() reads a machine config as JSON (@statelyai/inspect's definition)", () => {
  const config = {
    id: "m",
    initial: "a",
    states: {
      a: { on: { GO: { target: "b", guard: { type: "ok" } } } },
      b: { after: { 500: "a" }, invoke: { src: "svc", id: "x" } },
    },
  };
  const g = machineGraph(JSON.stringify(config));
  assertStrictEquals(g.id, "m");
  assertStrictEquals(g.root.states[0].transitions[0].label, "GO [ok]");
  assertStrictEquals(g.root.states[1].transitions[0].label, "after 500");
  assertStrictEquals(g.root.states[1].actors[0].src, "svc");
  const same = machineGraph(createMachine(config as never));
  assertStrictEquals(JSON.stringify(same), JSON.stringify(g));
});

const hasDot = (() => {
  try {
    return new Deno.Command("dot", { args: ["-V"], stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "toDot() output is accepted by Graphviz (dot -Tsvg)",
  ignore: !hasDot && !requireServers(),
  async fn() {
    for (const [name, machine] of subjects) {
      const child = new Deno.Command("dot", {
        args: ["-Tsvg"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(toDot(machine)));
      await w.close();
      const out = await child.output();
      const err = new TextDecoder().decode(out.stderr);
      assert(out.success, `dot rejected the ${name}: ${err}`);
      assert(!/warning|error/i.test(err), `dot complained on ${name}: ${err}`);
      assert(new TextDecoder().decode(out.stdout).includes("<svg"));
    }
  },
});

Deno.test("docs/machines/ is what `deno task viz` produces from the machines now", async () => {
  const dir = new URL("../docs/machines/", import.meta.url);
  const stale: string[] = [];
  for (const [file, text] of Object.entries(machineDocs())) {
    let committed = "";
    try {
      committed = await Deno.readTextFile(new URL(file, dir));
    } catch { /* missing */ }
    if (committed !== text) stale.push(file);
  }
  assert(
    stale.length === 0,
    `docs/machines/ is stale (${stale.join(", ")}): run \`deno task viz\``,
  );
});
