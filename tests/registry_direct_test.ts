/**
 * The direct path of a facade call (`callDirect` in
 * `actors/registry/calls.ts`): a storage op outside a migration enters as
 * its storage request to the bound storage, and the registry settles it from
 * the storage's answer. What the registry's own path guarantees holds on it
 * too: the deadline, a stop, a hot swap in progress, a storage shared as a
 * running ref. And the BoB facade skips its plugin actor only when that
 * actor has nothing to schedule or cancel.
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { assertRejects } from "./_helpers.ts";
import { createActor } from "../src/deps.ts";
import {
  ClientStoppedError,
  createClient,
  defineStorage,
  memoryStorage,
  TimeoutError,
} from "../mod.ts";
import { kvPlugin } from "./support/kv_plugin.ts";
import { recorder } from "./support/recorder.ts";

const enc = new TextEncoder();

/** A storage whose reads never settle (writes and deletes answer at once). */
const stuckReads = () =>
  defineStorage(() => ({
    get: () => new Promise(() => {}),
    set: () => {},
    del: () => {},
    keys: () => [],
  }));

Deno.test("direct path: a storage that never answers still times the call out (TimeoutError, from the registry's clock)", async () => {
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("dt"));
    await kv.bind(stuckReads());
    const storage = kv.storage.id;
    rec.start();
    await assertRejects(
      () => kv.run("read", { args: "k", timeout: 30 }),
      TimeoutError,
    );
    rec.stop();
    assertEquals(rec.events, [
      { type: "storage.get", to: storage, from: undefined },
      { type: "api.timeout", to: "dt.api", from: "clock" },
    ]);
    // The registry still serves calls after the timeout.
    await kv.run("put", { args: ["k", 1] });
  } finally {
    await xmpp.stop();
  }
});

Deno.test("direct path: a call pending on the storage rejects with ClientStoppedError on stop, and later calls too", async () => {
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  const kv = xmpp.registerPlugin(kvPlugin("ds"));
  await kv.bind(stuckReads());
  rec.start();
  const pending = kv.run("read", { args: "k" });
  rec.stop();
  assertEquals(rec.events.map((e) => [e.type, e.from]), [
    ["storage.get", undefined],
  ]);
  await xmpp.stop();
  await assertRejects(() => pending, ClientStoppedError);
  await assertRejects(
    () => kv.run("put", { args: ["k", 1] }),
    ClientStoppedError,
  );
});

Deno.test("direct path: not taken while a migration is in progress — the call enters the registry, which writes both storages", async () => {
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("dm"));
    await kv.run("put", { args: ["before", 0] });
    const old = kv.storage;
    // A new storage that starts only when told: the registry stays
    // `migrating` until then.
    let start!: () => void;
    const started = new Promise<void>((r) => start = r);
    const map = new Map<string, unknown>();
    const bind = kv.bind(
      defineStorage(() => ({
        ready: () => started,
        get: (_ns, key) => map.get(key) as never,
        set: (_ns, key, value) => void map.set(key, value),
        del: (_ns, key) => void map.delete(key),
        keys: () => [...map.keys()],
      })),
      { migrate: true },
    );
    assert(kv.actor.getSnapshot().matches("migrating"));
    rec.start();
    const during = kv.run("put", { args: ["during", 1] });
    rec.stop();
    assertEquals(rec.events[0], {
      type: "api.call",
      to: "dm.api",
      from: undefined,
    });
    assert(
      rec.events.slice(1).every((e) => e.from !== undefined),
      JSON.stringify(rec.events),
    );
    start();
    await during;
    await bind;
    assertStrictEquals(old.getSnapshot().status, "stopped");
    assertStrictEquals(map.get("during"), 1, "written to the new storage");
    assertStrictEquals(map.get("before"), 0, "copied to the new storage");
    // Once committed, calls take the direct path to the new storage.
    rec.events.length = 0;
    rec.start();
    assertStrictEquals(await kv.run("read", { args: "during" }), 1);
    rec.stop();
    assertEquals(rec.events.map((e) => [e.type, e.to, e.from]), [
      ["storage.get", kv.storage.id, undefined],
      ["storage.result", "dm.api", kv.storage.id],
    ]);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("direct path: a running-ref storage shared by two clients gets replyTo and answers each registry", async () => {
  const shared = createActor(memoryStorage()).start();
  const a = createClient({ jid: "alice@localhost" });
  const b = createClient({ jid: "bob@localhost" });
  try {
    const kvA = a.registerPlugin(kvPlugin("dr"));
    const kvB = b.registerPlugin(kvPlugin("dr"));
    await kvA.bind(shared);
    await kvB.bind(shared);
    const puts = Array.from(
      { length: 50 },
      (_, i) => (i % 2 ? kvA : kvB).run("put", { args: [`k${i}`, i] }),
    );
    await Promise.all(puts);
    const reads = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) => (i % 2 ? kvB : kvA).run("read", { args: `k${i}` }),
      ),
    );
    assertEquals(reads, Array.from({ length: 50 }, (_, i) => i));
  } finally {
    await a.stop();
    await b.stop();
    shared.stop();
  }
});

Deno.test("BoB: setBob without max-age and delBob skip the plugin actor while it has no expiry; with one pending they go through it", async () => {
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.delBob(await bob.setBob(enc.encode("warm"), "text/plain"));
    const toPlugin = () =>
      rec.events.filter((e) => e.to === "xep_0231").map((e) => e.type);
    rec.start();
    const plain = await bob.setBob(enc.encode("plain"), "text/plain");
    await bob.delBob(plain);
    rec.stop();
    assertEquals(toPlugin(), []);
    assertEquals(rec.events.map((e) => e.type), [
      "storage.set",
      "storage.result",
      "storage.del",
      "storage.result",
    ]);
    // A max-age: the plugin actor runs the set and schedules the expiry.
    rec.events.length = 0;
    rec.start();
    const timed = await bob.setBob(enc.encode("timed"), "text/plain", {
      maxAge: 3600,
    });
    rec.stop();
    assertEquals(toPlugin().slice(0, 1), ["bob.set"]);
    assertStrictEquals(bob.actor.getSnapshot().value, "expiring");
    // While an expiry is pending, a set without max-age goes through the
    // plugin actor (it cancels that cid's expiry), and so does a delete.
    rec.events.length = 0;
    rec.start();
    await bob.delBob(plain);
    await bob.setBob(enc.encode("timed"), "text/plain");
    rec.stop();
    assertEquals(toPlugin().filter((t) => t.startsWith("bob.")), [
      "bob.del",
      "bob.set",
    ]);
    // The set without max-age cancelled the only expiry.
    for (let i = 0; i < 10 && bob.actor.getSnapshot().value !== "idle"; i++) {
      await new Promise((r) => setTimeout(r, 0));
    }
    assertStrictEquals(bob.actor.getSnapshot().value, "idle");
    assertStrictEquals((await bob.getBob({ cid: timed })).maxAge, undefined);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("BoB: setBob and delBob on a stopped client reject with ClientStoppedError", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const bob = xmpp.registerPlugin("xep_0231");
  const cid = await bob.setBob(enc.encode("x"), "text/plain");
  await xmpp.stop();
  await assertRejects(
    () => bob.setBob(enc.encode("y"), "text/plain"),
    ClientStoppedError,
  );
  await assertRejects(() => bob.delBob(cid), ClientStoppedError);
  await assertRejects(() => bob.getBob({ cid }), ClientStoppedError);
});

Deno.test("deferred binds are replayed in turn, also past a bind of the storage bound by then (a no-op)", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const shared = createActor(memoryStorage()).start();
  try {
    const kv = xmpp.registerPlugin(kvPlugin("dd"));
    let start!: () => void;
    const started = new Promise<void>((r) => start = r);
    const slow = defineStorage(() => ({
      ready: () => started,
      get: () => undefined,
      set: () => {},
      del: () => {},
      keys: () => [],
    }));
    const done: string[] = [];
    const binds = [
      kv.bind(slow).then(() => done.push("slow")),
      kv.bind(shared).then(() => done.push("shared")),
      // By its turn `shared` is bound: a no-op, then the next one runs.
      kv.bind(shared).then(() => done.push("shared again")),
      kv.bind(memoryStorage()).then(() => done.push("memory")),
    ];
    start();
    for (let i = 0; i < 50 && done.length < 4; i++) {
      await new Promise((r) => setTimeout(r, 0));
    }
    assertEquals(done, ["slow", "shared", "shared again", "memory"]);
    await Promise.all(binds);
    assert(kv.storage !== shared, "the last bind took over");
    assertStrictEquals(kv.actor.getSnapshot().value, "ready");
  } finally {
    await xmpp.stop();
    shared.stop();
  }
});
