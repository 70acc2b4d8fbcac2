import {
  assert,
  assertEquals,
  assertStrictEquals,
  createWebSocketInspector,
} from "./deps.ts";
import { createClient, memoryStorage } from "../mod.ts";
import { createInspector } from "../actors/inspector/server.ts";
import { Collector } from "../actors/inspector/collector.ts";
import type {
  InspectorFrame,
  PageMessage,
} from "../actors/inspector/frames.ts";
import { createActor, setup } from "../src/deps.ts";

/** A page made of a bare WebSocket: records what it gets, acks on demand. */
class RawPage {
  messages: PageMessage[] = [];
  ws: WebSocket;
  opened: Promise<void>;
  autoAck: boolean;
  #waiters: (() => void)[] = [];
  constructor(url: string, autoAck = true) {
    this.autoAck = autoAck;
    this.ws = new WebSocket(`${url.replace(/^http/, "ws")}page`);
    this.opened = new Promise((r) => this.ws.onopen = () => r());
    this.ws.onmessage = (e) => {
      this.messages.push(JSON.parse(e.data));
      if (this.autoAck) this.ack();
      for (const w of this.#waiters.splice(0)) w();
    };
  }
  ack() {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send('{"kind":"ack"}');
  }
  get frames(): InspectorFrame[] {
    return this.messages.flatMap((m) =>
      m.kind === "init" ? [...m.actors, ...m.events] : m.frames
    );
  }
  async until(pred: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error("timed out waiting for frames");
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  async close() {
    const closed = new Promise((r) => this.ws.onclose = r);
    this.ws.close();
    await closed;
  }
}

const toggle = setup({}).createMachine({
  id: "toggle",
  initial: "off",
  states: { off: { on: { FLIP: "on" } }, on: { on: { FLIP: "off" } } },
});

Deno.test("createInspector() serves the page and its assets itself", async () => {
  await using inspector = createInspector();
  const html = await (await fetch(inspector.url)).text();
  const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert(srcs.length >= 2);
  for (const src of srcs) {
    // Beside the page, behind its token.
    const url = new URL(src, inspector.url);
    assert(url.href.startsWith(inspector.url), `asset from elsewhere: ${src}`);
    const res = await fetch(url);
    assertStrictEquals(res.status, 200);
    await res.body?.cancel();
  }
  const missing = await fetch(new URL("/nope", inspector.url));
  assertStrictEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("createInspector(): a late page gets the current state, then live events", async () => {
  await using inspector = createInspector();
  const actor = createActor(toggle, { inspect: inspector.inspect }).start();
  actor.send({ type: "FLIP" });
  const page = new RawPage(inspector.url);
  await page.until(() => page.messages.length > 0);
  const init = page.messages[0];
  assert(init.kind === "init");
  const me = init.actors.find((f) => f.name === "toggle")!;
  assertEquals(me.snapshot, { status: "active", value: "on" });
  assertStrictEquals(me.graph?.id, "toggle");
  assert(init.events.some((f) => f.event?.type === "FLIP"));
  actor.send({ type: "FLIP" });
  await page.until(() =>
    page.frames.some((f) =>
      f.type === "@xstate.snapshot" && f.snapshot?.value === "off"
    )
  );
  // Disconnect and come back: current state again, then live.
  await page.close();
  const again = new RawPage(inspector.url);
  await again.until(() => again.messages.length > 0);
  const init2 = again.messages[0];
  assert(init2.kind === "init");
  assertStrictEquals(
    init2.actors.find((f) => f.name === "toggle")!.snapshot?.value,
    "off",
  );
  actor.stop();
  await again.until(() =>
    again.frames.some((f) =>
      f.type === "@xstate.snapshot" && f.snapshot?.status === "stopped"
    )
  );
  assertStrictEquals(inspector.stats().actors, 0);
  await again.close();
});

Deno.test("Collector: nothing is serialized while no page listens", () => {
  const collector = new Collector({ history: 10 });
  let touched = 0;
  const event = {
    type: "PING",
    get payload() {
      touched++;
      return 1;
    },
  };
  const actor = createActor(
    setup({}).createMachine({ on: { PING: {} } }),
    { inspect: collector.inspect },
  ).start();
  for (let i = 0; i < 100; i++) actor.send(event);
  assertStrictEquals(touched, 0);
  const got: string[] = [];
  const detach = collector.attach({ send: (m) => got.push(m) });
  // the ring keeps only the last 10 events, serialized now
  const init = JSON.parse(got[0]);
  assertStrictEquals(init.events.length, 10);
  assertStrictEquals(touched, 10);
  detach();
  actor.stop();
});

Deno.test("createInspector(): a slow page gets a bounded buffer and a dropped counter; a burst of 100k events leaves the client working", async () => {
  await using inspector = createInspector({ pageBuffer: 500 });
  const xmpp = createClient({
    jid: "alice@localhost",
    inspect: inspector.inspect,
  });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const slow = new RawPage(inspector.url, false); // never acks by itself
    await slow.until(() => slow.messages.length > 0);
    const fast = new RawPage(inspector.url);
    await fast.until(() => fast.messages.length > 0);
    // A burst: 100k inspection events straight into the observer, and real
    // traffic through the client at the same time.
    const target = xmpp.actor;
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      inspector.inspect(
        {
          type: "@xstate.event",
          actorRef: target,
          sourceRef: undefined,
          event: { type: "burst.ping", i },
          rootId: target.sessionId,
        } as Parameters<typeof inspector.inspect>[0],
      );
    }
    const burstMs = performance.now() - t0;
    const cids: string[] = [];
    for (let i = 0; i < 200; i++) {
      cids.push(await bob.setBob(new Uint8Array([i, 1, 2]), "text/plain"));
    }
    assertStrictEquals((await bob.getBob({ cid: cids[7] })).data[0], 7);
    assert(burstMs < 10_000, `100k events took ${burstMs} ms`);
    // The slow page's queue stayed bounded: everything past 500 was dropped.
    assert(inspector.stats().dropped >= 100_000 - 500);
    slow.ack();
    await slow.until(() =>
      slow.messages.some((m) => m.kind === "batch" && m.dropped > 0)
    );
    const batch = slow.messages.find((m) => m.kind === "batch")!;
    assert(batch.kind === "batch" && batch.frames.length <= 500);
    // The fast page keeps up and sees the client's own traffic.
    await fast.until(() =>
      fast.frames.some((f) => f.event?.type === "storage.get")
    );
    await slow.close();
    await fast.close();
  } finally {
    await xmpp.stop();
  }
});

Deno.test("createInspector() refuses malformed source frames and keeps going", async () => {
  await using inspector = createInspector();
  const ws = new WebSocket(inspector.sourceUrl);
  await new Promise((r) => ws.onopen = r);
  ws.send("not json");
  ws.send('{"type": 5}');
  ws.send(JSON.stringify({ type: "@xstate.bogus", sessionId: "x" }));
  const page = new RawPage(inspector.url);
  await page.until(() => page.messages.length > 0);
  await page.until(() => inspector.stats().rejected === 3);
  ws.close();
  await page.close();
});

Deno.test("createInspector() takes the stream of @statelyai/inspect's createWebSocketInspector", async () => {
  await using inspector = createInspector();
  const page = new RawPage(inspector.url);
  await page.until(() => page.messages.length > 0);
  const stately = createWebSocketInspector({ url: inspector.sourceUrl });
  const log = console.log;
  console.log = () => {}; // the adapter logs "websocket open"
  try {
    stately.start();
    const actor = createActor(toggle, { inspect: stately.inspect }).start();
    actor.send({ type: "FLIP" });
    await page.until(() =>
      page.frames.some((f) =>
        f.type === "@xstate.snapshot" && f.snapshot?.value === "on"
      )
    );
    const actorFrame = page.frames.find((f) => f.type === "@xstate.actor")!;
    assertStrictEquals(actorFrame.name, "toggle");
    assertStrictEquals(actorFrame.graph?.id, "toggle");
    assertEquals(
      actorFrame.graph?.root.states.map((s) => s.key),
      ["off", "on"],
    );
    assert(actorFrame.sessionId.startsWith("s1/"));
    assert(page.frames.some((f) => f.event?.type === "FLIP"));
    actor.stop();
    stately.stop();
  } finally {
    console.log = log;
    await page.close();
  }
});

Deno.test("createInspector(): a hot swap shows the new storage actor and the bind messages", async () => {
  await using inspector = createInspector();
  const xmpp = createClient({
    jid: "alice@localhost",
    inspect: inspector.inspect,
  });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.setBob(new Uint8Array([1]), "text/plain");
    const page = new RawPage(inspector.url);
    await page.until(() => page.messages.length > 0);
    const init = page.messages[0];
    assert(init.kind === "init");
    const before = new Set(init.actors.map((f) => f.sessionId));
    await bob.api.bind(memoryStorage(), { migrate: true });
    await page.until(() =>
      page.frames.some((f) =>
        f.type === "@xstate.actor" && !before.has(f.sessionId)
      ) &&
      page.frames.some((f) => /bind/.test(f.event?.type ?? "")) &&
      page.frames.some((f) =>
        f.type === "@xstate.snapshot" && f.snapshot?.status === "stopped"
      )
    );
    await page.close();
  } finally {
    await xmpp.stop();
  }
});

Deno.test("createClient({ inspect: inspector }) is observed only while a page is open", async () => {
  await using inspector = createInspector();
  const xmpp = createClient({ jid: "alice@localhost", inspect: inspector });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const enc = new TextEncoder();
    for (let i = 0; i < 50; i++) {
      await bob.setBob(enc.encode(`no page ${i}`), "text/plain");
    }
    // Nobody looked: XState built no inspection event at all.
    assertStrictEquals(inspector.stats().events, 0);
    assertStrictEquals(inspector.stats().actors, 0);

    const page = new RawPage(inspector.url);
    await page.until(() => page.messages.length > 0);
    const init = page.messages[0];
    assert(init.kind === "init");
    const names = init.actors.map((f) => f.name);
    for (
      const name of [
        "client:alice@localhost",
        "xep_0231",
        "xep_0231.api",
        "storage:memory",
      ]
    ) {
      assert(names.includes(name), `${name} in ${names}`);
    }
    // Live while the page is open.
    await bob.setBob(enc.encode("seen"), "text/plain");
    await page.until(() =>
      page.frames.some((f) => f.event?.type === "storage.set")
    );
    const counted = inspector.stats().events;
    assert(counted > 0);

    // The page goes: observation stops again.
    await page.close();
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 20; i++) {
      await bob.setBob(enc.encode(`gone ${i}`), "text/plain");
    }
    assertStrictEquals(inspector.stats().events, counted);
  } finally {
    await xmpp.stop();
  }
});
