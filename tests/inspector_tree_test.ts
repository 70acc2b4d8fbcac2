/**
 * The inspector draws each actor under its parent, with its system's root,
 * learned from XState's public API only (`actors/inspector/lineage.ts`):
 * from creation (`inspect: collector.inspect`), from a page opened late,
 * and for a tree started before it was watched (`watch()`).
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { createClient } from "../mod.ts";
import { Collector } from "../actors/inspector/collector.ts";
import type {
  InspectorFrame,
  PageMessage,
} from "../actors/inspector/frames.ts";
import {
  type AnyActorRef,
  createActor,
  fromCallback,
  setup,
  spawnChild,
} from "../src/deps.ts";

/** A page in memory: keeps the messages and acks each one. */
class MemoryPage {
  messages: PageMessage[] = [];
  detach: () => void;
  #waiters: (() => void)[] = [];
  constructor(collector: Collector) {
    const sink = {
      send: (m: string) => {
        this.messages.push(JSON.parse(m));
        queueMicrotask(() => collector.ack(sink));
        for (const w of this.#waiters.splice(0)) w();
      },
    };
    this.detach = collector.attach(sink);
  }
  get frames(): InspectorFrame[] {
    return this.messages.flatMap((m) =>
      m.kind === "init" ? [...m.actors, ...m.events] : m.frames
    );
  }
  /**
   * Waits for an event frame of this type (frames arrive in order), or for
   * a condition.
   */
  async until(what: string | (() => boolean)): Promise<void> {
    const done = typeof what === "function"
      ? what
      : () => this.frames.some((f) => f.event?.type === what);
    const end = Date.now() + 5000;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  /** The actors as the page's model holds them: the last frame of each. */
  actors(): Map<string, InspectorFrame> {
    const m = new Map<string, InspectorFrame>();
    for (const f of this.frames) {
      if (f.type === "@xstate.actor") {
        if ((f.snapshot?.status ?? "active") === "active") {
          m.set(f.sessionId, f);
        } else m.delete(f.sessionId);
      } else if (
        f.type === "@xstate.snapshot" && f.snapshot?.status !== "active"
      ) m.delete(f.sessionId);
    }
    return m;
  }
}

// A client-like tree: a root machine invoking a machine child and a
// callback, the child spawning a grandchild at its start; SPAWN spawns one
// more child of the root.
const grandchild = setup({}).createMachine({
  id: "grandchild",
  initial: "idle",
  states: { idle: {} },
});
const child = setup({ actors: { grandchild } }).createMachine({
  id: "child",
  initial: "ready",
  entry: spawnChild("grandchild", { id: "gc", systemId: "gc" }),
  states: { ready: {} },
});
const ticker = fromCallback(() => () => {});
const client = setup({ actors: { child, ticker, grandchild } })
  .createMachine({
    id: "client",
    initial: "on",
    invoke: [
      { id: "child", src: "child", systemId: "child" },
      { id: "ticker", src: "ticker", systemId: "ticker" },
    ],
    states: {
      on: {
        on: {
          SPAWN: {
            actions: spawnChild("grandchild", { id: "late", systemId: "late" }),
          },
          MARK: {},
        },
      },
    },
  });

/** The session ids of the tree's actors, by system id. */
function tree(root: AnyActorRef): Record<string, string> {
  const ids: Record<string, string> = { root: root.sessionId };
  for (const name of ["child", "ticker", "gc", "late"]) {
    const ref = root.system.get(name);
    if (ref) ids[name] = ref.sessionId;
  }
  return ids;
}

/** Each actor's parent on the page, by name ("" for none), and its root. */
function checkTree(page: MemoryPage, root: AnyActorRef): void {
  const ids = tree(root);
  const actors = page.actors();
  const want: Record<string, string | undefined> = {
    root: undefined,
    child: ids.root,
    ticker: ids.root,
    gc: ids.child,
  };
  if (ids.late) want.late = ids.root;
  for (const [name, parent] of Object.entries(want)) {
    const f = actors.get(ids[name]);
    assert(f, `${name} is on the page`);
    assertStrictEquals(f.parentId, parent, `${name}'s parent`);
    assertStrictEquals(f.rootId, ids.root, `${name}'s root`);
  }
  assertEquals(actors.size, Object.keys(want).length);
  for (const f of page.frames) {
    if (f.type === "@xstate.event") {
      assertStrictEquals(f.rootId, ids.root, `root of ${f.event?.type}`);
    }
  }
}

Deno.test("inspector tree: inspected from creation, a page open from the start sees each actor under its parent", async () => {
  const collector = new Collector();
  const page = new MemoryPage(collector);
  const root = createActor(client, { inspect: collector.inspect }).start();
  root.send({ type: "SPAWN" });
  root.send({ type: "MARK" });
  await page.until("MARK");
  checkTree(page, root);
  // Each actor was described once, at its start: none waited for a second.
  const described = page.frames.filter((f) => f.type === "@xstate.actor");
  assertStrictEquals(described.length, 5);
  page.detach();
  root.stop();
});

Deno.test("inspector tree: inspected from creation, a page opened later gets the tree in its first message", () => {
  const collector = new Collector();
  const root = createActor(client, { inspect: collector.inspect }).start();
  root.send({ type: "SPAWN" });
  const page = new MemoryPage(collector);
  assertStrictEquals(page.messages.length, 1);
  checkTree(page, root);
  page.detach();
  root.stop();
});

Deno.test("inspector tree: two systems, two roots; neither has a parent", () => {
  const collector = new Collector();
  const a = createActor(client, { inspect: collector.inspect }).start();
  const b = createActor(client, { inspect: collector.inspect }).start();
  const page = new MemoryPage(collector);
  const actors = page.actors();
  for (const root of [a, b]) {
    const ids = tree(root);
    assertStrictEquals(actors.get(ids.root)?.parentId, undefined);
    assertStrictEquals(actors.get(ids.gc)?.parentId, ids.child);
    assertStrictEquals(actors.get(ids.gc)?.rootId, ids.root);
  }
  page.detach();
  a.stop();
  b.stop();
});

Deno.test("inspector tree: a tree made now and started after this task is described again with its parents", async () => {
  const collector = new Collector();
  const page = new MemoryPage(collector);
  const root = createActor(client, { inspect: collector.inspect });
  // Not started: the children exist, their parents are not known yet (no
  // xstate.init), and this task ends: they are described without one...
  await page.until(() =>
    page.frames.filter((f) => f.type === "@xstate.actor").length === 4
  );
  assertEquals(page.actors().get(tree(root).gc)?.parentId, undefined);
  // ...and again at their start, with it.
  root.start();
  root.send({ type: "MARK" });
  await page.until("MARK");
  checkTree(page, root);
  page.detach();
  root.stop();
});

Deno.test("inspector tree: watch() learns a tree started before it, then its new actors live", async () => {
  const collector = new Collector();
  const root = createActor(client).start();
  const unwatch = collector.watch(root);
  const page = new MemoryPage(collector);
  const init = page.messages[0];
  assert(init.kind === "init");
  assertStrictEquals(init.actors.length, 4);
  checkTree(page, root);
  root.send({ type: "SPAWN" });
  root.send({ type: "MARK" });
  await page.until("MARK");
  checkTree(page, root);
  // Closed and opened again: the tree is read again.
  page.detach();
  const again = new MemoryPage(collector);
  checkTree(again, root);
  assertStrictEquals(again.actors().size, 5);
  again.detach();
  unwatch();
  root.stop();
});

Deno.test("inspector tree: an xstate.init from an actor that does not list the target as its child is not taken for its parent", async () => {
  const collector = new Collector();
  const page = new MemoryPage(collector);
  // Made, not started: the children exist, none has started yet.
  const root = createActor(client, { inspect: collector.inspect });
  const ticker = root.system.get("ticker")!;
  const sibling = root.system.get("child")!;
  // Anyone may send an event of that type: here the sibling, first.
  collector.inspect({
    type: "@xstate.event",
    actorRef: ticker,
    sourceRef: sibling,
    event: { type: "xstate.init" },
    rootId: root.sessionId,
  });
  root.start();
  root.send({ type: "MARK" });
  await page.until("MARK");
  const inits = page.frames.filter((f) =>
    f.type === "@xstate.event" && f.event?.type === "xstate.init" &&
    f.sessionId === ticker.sessionId
  );
  assertEquals(inits.map((f) => f.sourceId), [
    sibling.sessionId,
    root.sessionId,
  ]);
  checkTree(page, root);
  page.detach();
  root.stop();
});

Deno.test("inspector tree: a real client's tree is the same inspected from creation and watched", async () => {
  /** Each actor's name with its parent's (as a page draws them). */
  const edges = async (watched: boolean): Promise<string[]> => {
    const collector = new Collector();
    const xmpp = createClient({
      jid: "alice@localhost",
      inspect: watched ? collector : collector.inspect,
    });
    try {
      const bob = xmpp.registerPlugin("xep_0231");
      await bob.setBob(new Uint8Array([1]), "text/plain");
      const page = new MemoryPage(collector);
      const actors = page.actors();
      page.detach();
      const roots = [...actors.values()].filter((f) => !f.parentId);
      assertEquals(roots.map((f) => f.name), ["client:alice@localhost"]);
      return [...actors.values()].map((f) => {
        assertStrictEquals(f.rootId, xmpp.actor.sessionId);
        const parent = f.parentId ? actors.get(f.parentId) : undefined;
        assert(!f.parentId || parent, `${f.name}'s parent is on the page`);
        return `${parent?.name ?? ""} > ${f.name}`;
      }).sort();
    } finally {
      await xmpp.stop();
    }
  };
  const fromCreation = await edges(false);
  assert(fromCreation.includes("xep_0231.api > storage:memory"));
  assert(fromCreation.includes("client:alice@localhost > xep_0231"));
  assertEquals(await edges(true), fromCreation);
});

Deno.test("inspector tree: the inspector reads no private member of XState", async () => {
  const dir = new URL("../actors/inspector/", import.meta.url);
  const privates =
    /\.(?:_parent|_actorScope|_relay|_snapshot|_processingStatus|mailbox)\b|\.system\s*\.\s*_|\[\s*["'`]_\w+["'`]\s*\]/;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    // Comments are not code.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(
      /^\s*\/\/.*$/gm,
      "",
    );
    const hit = code.match(privates);
    assert(hit === null, `${entry.name}: ${hit?.[0]}`);
  }
});
