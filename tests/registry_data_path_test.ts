/**
 * The registry is the data path: a local call enters the registry machine as
 * one event (`api.call` from the facade, `api.run` from an actor), and every
 * later message (the storage request, the storage's answer, a migration's
 * legs, the copier's requests and their answers) has a source actor.
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { assertRejects } from "./_helpers.ts";
import { fakeLogin, startFakeServer } from "./_helpers.ts";
import { createActor, sendTo, setup } from "../src/deps.ts";
import type { AnyActorRef } from "../src/deps.ts";
import {
  ApiError,
  ClientStoppedError,
  createClient,
  defineStorage,
  fileStorage,
  memoryStorage,
  type StorageLogic,
  TimeoutError,
} from "../mod.ts";
import type {
  ApiErrorEvent,
  ApiResultEvent,
  ApiRunEvent,
} from "../internals.ts";
import { kvPlugin } from "./support/kv_plugin.ts";
import { recorder, type Seen } from "./support/recorder.ts";

/** The events that have no source actor, but for the facade's entries. */
function sourceless(events: Seen[], entries: string[]): Seen[] {
  return events.filter((e) =>
    e.from === undefined && !entries.includes(e.type)
  );
}

// A facade call enters as `api.call` to the registry, or, on the direct
// path (a storage op outside a migration), as its storage request.
const ENTRIES = [
  "api.call",
  "api.bind",
  "storage.get",
  "storage.set",
  "storage.del",
];

for (
  const [name, make] of [
    ["memory", () => memoryStorage()],
    ["file", (dir: string) => fileStorage({ dir })],
  ] as [string, (dir: string) => StorageLogic][]
) {
  Deno.test(`a local call on ${name} storage is storage request → storage → registry, every hop after the entry with a source`, async () => {
    const dir = await Deno.makeTempDir();
    const rec = recorder();
    const xmpp = createClient({
      jid: "alice@localhost",
      storage: () => make(dir),
      inspect: rec.inspect,
    });
    try {
      const kv = xmpp.registerPlugin(kvPlugin("dp"));
      await kv.run("read", { args: "warm-up" });
      rec.start();
      await kv.run("put", { args: ["k", 1] });
      rec.stop();
      const storage = kv.storage.id;
      // The direct path: the facade opens the call in the registry's table
      // and sends the request to the storage (the call's one entry); the
      // storage answers the registry, which settles the call.
      assertEquals(rec.events, [
        { type: "storage.set", to: storage, from: undefined },
        { type: "storage.result", to: "dp.api", from: storage },
      ]);
      rec.events.length = 0;
      rec.start();
      assertStrictEquals(await kv.run("read", { args: "k" }), 1);
      rec.stop();
      assertEquals(rec.events.map((e) => e.type), [
        "storage.get",
        "storage.result",
      ]);
      assertEquals(sourceless(rec.events, ENTRIES).length, 0);
    } finally {
      await xmpp.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("during a migration every message after the facade's entries has a source: callers' legs, the copier's requests and the storages' answers", async () => {
  const dir = await Deno.makeTempDir();
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("mig"));
    for (let i = 0; i < 300; i++) await kv.run("put", { args: [`k${i}`, i] });
    rec.start();
    const bind = kv.bind(fileStorage({ dir }), {
      migrate: true,
      batchSize: 16,
    });
    const calls: Promise<unknown>[] = [];
    let during = 0;
    for (let i = 0; i < 300; i++) {
      if (kv.actor.getSnapshot().matches("migrating")) during++;
      calls.push(kv.run("read", { args: `k${i}` }));
      calls.push(kv.run("put", { args: [`k${i}`, -i] }));
      if (i % 30 === 1) {
        // An actor's call during the migration: the same routing.
        calls.push(
          runFrom(kv.actor, {
            type: "api.run",
            id: i,
            op: "read",
            args: `k${i}`,
          })
            .then((a) =>
              assertEquals(a, { type: "api.result", id: i, value: -i })
            ),
        );
      }
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    const report = await bind;
    await Promise.all(calls);
    rec.stop();
    assert(during > 0, "calls were made during the migration");
    assert(report.migrated);
    const types = new Set(rec.events.map((e) => e.type));
    for (
      const t of [
        "storage.entries",
        "storage.set_many",
        "storage.get",
        "storage.set",
        "storage.result",
      ]
    ) assert(types.has(t), `${t} was seen`);
    assertEquals(sourceless(rec.events, ENTRIES), []);
    for (let i = 0; i < 300; i++) {
      assertStrictEquals(await kv.run("read", { args: `k${i}` }), -i);
    }
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an async function handler settles back into the registry with a source", async () => {
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("af"));
    kv.register(async (_j, _n, _i, x: number) => {
      await new Promise((r) => setTimeout(r, 1));
      return x * 2;
    }, "double");
    rec.start();
    assertStrictEquals(await kv.run("double", { args: 21 }), 42);
    rec.stop();
    assertEquals(rec.events.map((e) => e.type), [
      "api.call",
      "await",
      "api.settled",
    ]);
    assertEquals(sourceless(rec.events, ENTRIES), []);
  } finally {
    await xmpp.stop();
  }
});

/** A machine that makes one `api.run` and keeps the answer. */
const caller = setup({
  types: {
    input: {} as { registry: AnyActorRef; run: Omit<ApiRunEvent, "replyTo"> },
    context: {} as {
      registry: AnyActorRef;
      run: Omit<ApiRunEvent, "replyTo">;
      answer: ApiResultEvent | ApiErrorEvent | undefined;
    },
    events: {} as ApiResultEvent | ApiErrorEvent,
  },
}).createMachine({
  context: ({ input }) => ({ ...input, answer: undefined }),
  entry: sendTo(
    ({ context }) => context.registry,
    ({ context, self }) => ({ ...context.run, replyTo: self }),
  ),
  initial: "waiting",
  states: {
    waiting: {
      on: {
        "api.result": {
          target: "done",
          actions: ({ context, event }) => void (context.answer = event),
        },
        "api.error": {
          target: "done",
          actions: ({ context, event }) => void (context.answer = event),
        },
      },
    },
    done: { type: "final" },
  },
});

async function runFrom(
  registry: AnyActorRef,
  run: Omit<ApiRunEvent, "replyTo">,
): Promise<ApiResultEvent | ApiErrorEvent> {
  const actor = createActor(caller, { input: { registry, run } }).start();
  // A storage that answers at once answers during start().
  await new Promise<void>((resolve) => {
    if (actor.getSnapshot().status === "done") return resolve();
    const sub = actor.subscribe((s) => {
      if (s.status === "done") {
        sub.unsubscribe();
        resolve();
      }
    });
  });
  return actor.getSnapshot().context.answer!;
}

Deno.test("api.run from a machine: answered api.result / api.error by the registry with a source", async () => {
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("ar"));
    await kv.run("put", { args: ["a", "A"] });
    rec.start();
    const got = await runFrom(kv.actor, {
      type: "api.run",
      id: 7,
      op: "read",
      args: "a",
    });
    rec.stop();
    assertEquals(got, { type: "api.result", id: 7, value: "A" });
    const answer = rec.events.find((e) => e.type === "api.result")!;
    assertStrictEquals(answer.from, "ar.api");
    // The caller's machine is outside the client's system: its api.run is
    // the entry; everything after it in the client's system has a source.
    assertEquals(sourceless(rec.events, ["api.run"]), []);

    const unknown = await runFrom(kv.actor, {
      type: "api.run",
      id: "x",
      op: "nope",
    });
    assertStrictEquals(unknown.type, "api.error");
    assertStrictEquals(unknown.id, "x");
    assert((unknown as ApiErrorEvent).error instanceof ApiError);

    kv.register((jid) => jid, "whoami");
    assertEquals(
      await runFrom(kv.actor, {
        type: "api.run",
        id: 1,
        op: "whoami",
        jid: "bob@localhost",
      }),
      { type: "api.result", id: 1, value: "bob@localhost" },
    );
    const bad = await runFrom(kv.actor, {
      type: "api.run",
      id: 2,
      op: "read",
      args: "a",
      timeout: -1,
    });
    assert((bad as ApiErrorEvent).error instanceof RangeError);
    kv.register(() => new Promise(() => {}), "never");
    const late = await runFrom(kv.actor, {
      type: "api.run",
      id: 3,
      op: "never",
      timeout: 20,
    });
    assert((late as ApiErrorEvent).error instanceof TimeoutError);
    // An api.run that names no actor to answer is dropped, harmlessly.
    kv.actor.send({ type: "api.run", id: 4, op: "read", replyTo: {} });
    kv.actor.send({ type: "api.run", id: 5, op: "read" });
    assertStrictEquals(kv.actor.getSnapshot().status, "active");
    assertStrictEquals(await kv.run("read", { args: "a" }), "A");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.jid: the registry's jid is what a call naming no JID is for; the client sends it when online", async () => {
  const server = startFakeServer(async (s) => {
    await fakeLogin(s);
    await s.readUntil("</stream:stream>");
    await s.write("</stream:stream>");
  });
  const xmpp = createClient({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${server.port}`,
    allowPlainWithoutTls: true,
    reconnect: { enabled: false },
  });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("jid"));
    kv.register((jid) => jid, "whoami");
    // The client's JID at load time is the registry's input.
    assertStrictEquals(await kv.run("whoami"), "alice@localhost");
    assertStrictEquals(
      await kv.run("whoami", { jid: "bob@localhost" }),
      "bob@localhost",
    );
    await xmpp.start();
    assertStrictEquals(await kv.run("whoami"), "alice@localhost/fake");
    // A plugin loaded once online starts with the bound JID.
    const late = xmpp.registerPlugin(kvPlugin("late"));
    late.register((jid) => jid, "whoami");
    assertStrictEquals(await late.run("whoami"), "alice@localhost/fake");
    kv.actor.send({ type: "api.jid", jid: "alice@localhost/other" });
    assertStrictEquals(await kv.run("whoami"), "alice@localhost/other");
  } finally {
    await xmpp.stop();
    await server.close();
  }
});

Deno.test("a running-ref storage (one store, two clients) answers through replyTo and is left running", async () => {
  const shared = createActor(memoryStorage()).start();
  const a = createClient({ jid: "alice@localhost" });
  const b = createClient({ jid: "bob@localhost" });
  try {
    const kvA = a.registerPlugin(kvPlugin("shared"));
    const kvB = b.registerPlugin(kvPlugin("shared"));
    await kvA.bind(shared);
    await kvB.bind(shared, { migrate: true });
    await kvA.run("put", { args: ["k", "from a"] });
    assertStrictEquals(await kvB.run("read", { args: "k" }), "from a");
    await kvB.run("remove", { args: "k" });
    assertStrictEquals(await kvA.run("read", { args: "k" }), undefined);
    await a.stop();
    assertStrictEquals(shared.getSnapshot().status, "active");
    await kvB.run("put", { args: ["k2", 2] });
    assertStrictEquals(await kvB.run("read", { args: "k2" }), 2);
  } finally {
    await a.stop();
    await b.stop();
    shared.stop();
  }
});

Deno.test("stop(): calls pending in the registry reject with ClientStoppedError, and later calls too", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const kv = xmpp.registerPlugin(kvPlugin("stop"));
  // A storage whose reads never settle.
  await kv.bind(defineStorage(() => ({
    get: () => new Promise(() => {}),
    set: () => {},
    del: () => {},
    keys: () => [],
  })));
  kv.register(() => new Promise(() => {}), "never");
  const pending = [kv.run("never"), kv.run("read", { args: "k" })];
  await xmpp.stop();
  for (const p of pending) await assertRejects(() => p, ClientStoppedError);
  await assertRejects(() => kv.run("read", { args: "k" }), ClientStoppedError);
});
