/**
 * Charts laid out off the inspector's thread (`LayoutQueue`, a worker with
 * a time budget, the sources in turn, bounded queues and cache), against
 * what a hostile `/source` sender can send: a crafted huge chart and a
 * flood of charts.
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { createActor, createMachine } from "../src/deps.ts";
import { type MachineGraph, machineGraph } from "../src/diagram.ts";
import {
  LayoutQueue,
  NO_WORKER,
  QUEUE_FULL,
  TOO_LARGE,
} from "../actors/inspector/layout_queue.ts";
import { Collector } from "../actors/inspector/collector.ts";
import { createInspector } from "../actors/inspector/server.ts";
import type {
  InspectorFrame,
  PageMessage,
} from "../actors/inspector/frames.ts";

/** A machine config of `n` states and `m` pseudo-random transitions. */
function crafted(n: number, m: number, seed = 1): Record<string, unknown> {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const states: Record<string, { on: Record<string, string> }> = {};
  for (let i = 0; i < n; i++) states[`s${i}`] = { on: {} };
  for (let j = 0; j < m; j++) {
    const from = Math.floor(rnd() * n), to = Math.floor(rnd() * n);
    states[`s${from}`].on[`E${j}`] = `s${to}`;
  }
  return { id: `crafted${seed}`, initial: "s0", states };
}

const small = (id: string) => ({
  id,
  initial: "a",
  states: { a: { on: { GO: "b" } }, b: { on: { BACK: "a" } } },
});

/** Ask until answered; resolves with the answer. */
function ask(q: LayoutQueue, g: MachineGraph, source: string) {
  const first = q.get(g, source, () => done.resolve());
  const done = Promise.withResolvers<void>();
  if (!("pending" in first)) done.resolve();
  return done.promise.then(() => q.get(g, source, () => {}));
}

Deno.test("LayoutQueue: a crafted chart (300 states, 1,900 arrows) past the budget is 'too large', the worker restarts for the next", async () => {
  const q = new LayoutQueue({ budget: 3000 });
  try {
    const big = machineGraph(crafted(300, 1900));
    assertEquals(await ask(q, big, "evil"), { note: TOO_LARGE });
    assertStrictEquals(q.timeouts, 1);
    // Cached: asked again, it is not laid out again.
    assertEquals(q.get(big, "evil", () => {}), { note: TOO_LARGE });
    const ok = await ask(q, machineGraph(small("ok")), "self");
    assert("layout" in ok && ok.layout.edges.length === 2);
    assertStrictEquals(q.timeouts, 1);
  } finally {
    q.close();
  }
});

Deno.test("LayoutQueue: one source's flood waits behind its own bound; another source's chart is next in line", async () => {
  const q = new LayoutQueue({ budget: 3000, maxPerSource: 4, maxQueued: 16 });
  try {
    const order: string[] = [];
    const answers: string[] = [];
    for (let i = 0; i < 20; i++) {
      const a = q.get(machineGraph(crafted(300, 1900, i + 1)), "evil", () => {
        order.push(`evil${i}`);
      });
      answers.push("pending" in a ? "pending" : "note" in a ? a.note : "");
    }
    // Four waiting (the worker is still starting): the rest refused at once.
    assertEquals(answers.filter((a) => a === "pending").length, 4);
    assertEquals(answers.filter((a) => a === QUEUE_FULL).length, 16);
    assert(q.queued <= 4);
    const mine = ask(q, machineGraph(small("mine")), "self").then((a) => {
      order.push("mine");
      return a;
    });
    const a = await mine;
    assert("layout" in a);
    // Served right after the chart that was in the worker, before evil's
    // other four.
    assertEquals(order, ["evil0", "mine"]);
  } finally {
    q.close();
  }
});

Deno.test("LayoutQueue: the cache is bounded", async () => {
  const q = new LayoutQueue({ cacheSize: 5, maxPerSource: 100 });
  try {
    for (let i = 0; i < 12; i++) {
      await ask(q, machineGraph(small(`m${i}`)), "s");
    }
    assertStrictEquals(q.cached, 5);
  } finally {
    q.close();
  }
});

Deno.test("Collector: while a crafted /source chart is in the layout worker, this process's events keep flowing to the page", async () => {
  // A budget far above the chart's cost, so that it is still in the
  // worker while the events are checked (no timing assumed).
  const q = new LayoutQueue({ budget: 600_000 });
  const c = new Collector({ layouts: q });
  const frames: InspectorFrame[] = [];
  const sink = {
    send: (m: string) => {
      const msg = JSON.parse(m) as PageMessage;
      frames.push(...(msg.kind === "init" ? msg.events : msg.frames));
      c.ack(sink);
    },
  };
  const detach = c.attach(sink);
  try {
    c.ingest(
      "s1",
      JSON.stringify({
        type: "@xstate.actor",
        sessionId: "big",
        definition: JSON.stringify(crafted(300, 1900)),
        snapshot: { status: "active", value: "s0" },
      }),
    );
    const actor = createActor(
      createMachine({ id: "pinger", on: { PING: {} } }),
      { inspect: c.inspect },
    ).start();
    for (let i = 0; i < 50; i++) actor.send({ type: "PING" });
    for (let i = 0; i < 200; i++) {
      if (frames.filter((f) => f.event?.type === "PING").length === 50) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assertStrictEquals(
      frames.filter((f) => f.event?.type === "PING").length,
      50,
    );
    // ...all while the crafted chart is still being laid out.
    assert(q.queued >= 1);
    const big = frames.filter((f) => f.sessionId === "s1/big");
    assertEquals(big.length, 1);
    assertStrictEquals(big[0].layout, undefined);
    assertStrictEquals(big[0].layoutNote, undefined);
    actor.stop();
  } finally {
    detach();
    q.close();
  }
});

Deno.test("createInspector(): a /source chart is laid out, a crafted one is drawn as boxes 'too large to lay out'", async () => {
  await using inspector = createInspector();
  const ws = new WebSocket(`${inspector.url.replace(/^http/, "ws")}page`);
  const frames: InspectorFrame[] = [];
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data) as PageMessage;
    frames.push(...(msg.kind === "init" ? msg.actors : msg.frames));
    ws.send('{"kind":"ack"}');
  };
  await new Promise((r) => ws.onopen = r);
  const src = new WebSocket(inspector.sourceUrl);
  await new Promise((r) => src.onopen = r);
  for (const [id, def] of [["big", crafted(300, 1900)], ["ok", small("ok")]]) {
    src.send(JSON.stringify({
      type: "@xstate.actor",
      sessionId: id,
      definition: JSON.stringify(def),
      snapshot: { status: "active", value: "a" },
    }));
  }
  const last = (id: string) =>
    frames.filter((f) => f.sessionId.endsWith(`/${id}`)).at(-1);
  for (let i = 0; i < 3000; i++) {
    if (last("big")?.layoutNote && last("ok")?.layout) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assertStrictEquals(last("big")?.layoutNote, TOO_LARGE);
  assert(last("big")?.graph); // drawn as nested boxes from its graph
  assertStrictEquals(last("ok")?.layout?.edges.length, 2);
  src.close();
  const closed = new Promise((r) => ws.onclose = r);
  ws.close();
  await closed;
});

Deno.test("LayoutQueue: without a Worker (Node), own small charts are laid out on the spot, others' are not", () => {
  const g = globalThis as { Worker?: unknown };
  const saved = g.Worker;
  delete g.Worker;
  const q = new LayoutQueue();
  try {
    const own = q.get(machineGraph(small("own")), "self", () => {});
    assert("layout" in own && own.layout.edges.length === 2);
    assertEquals(
      q.get(machineGraph(small("theirs")), "source:s1", () => {}),
      { note: NO_WORKER },
    );
  } finally {
    g.Worker = saved;
    q.close();
  }
});

Deno.test("LayoutQueue: a worker that cannot load is not started again and again; charts get a note", async () => {
  const q = new LayoutQueue({
    worker: new URL("data:text/javascript,throw new Error('cannot load')"),
  });
  try {
    assertEquals(await ask(q, machineGraph(small("a")), "source:s1"), {
      note: NO_WORKER,
    });
    // Answered at once from now on (no new worker, nothing pending).
    assertEquals(q.get(machineGraph(small("b")), "source:s1", () => {}), {
      note: NO_WORKER,
    });
    assertStrictEquals(q.queued, 0);
  } finally {
    q.close();
  }
});

Deno.test("LayoutQueue: a worker that never says it is ready is given up at the start budget", async () => {
  const q = new LayoutQueue({
    worker: new URL("data:text/javascript,"),
    startBudget: 50,
  });
  try {
    const g = machineGraph(small("a"));
    assertEquals(q.get(g, "self", () => {}), { pending: true });
    // Given up: asked again, this process's small chart is laid out here.
    assertEquals(await ask(q, machineGraph(small("b")), "source:s1"), {
      note: NO_WORKER,
    });
    const a = q.get(g, "self", () => {});
    assert("layout" in a && a.layout.edges.length === 2);
    assertStrictEquals(q.queued, 0);
  } finally {
    q.close();
  }
});
