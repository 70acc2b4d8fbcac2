/**
 * The BoB actor's path to its storage (issue 23): outside a migration a
 * storage op the plugin actor runs (a peer's get it serves, a set with
 * max-age, a delete while an expiry is pending, an expiry) goes from the
 * actor straight to the bound storage (`openRun` in
 * `actors/registry/calls.ts`), with the actor as the request's source; the
 * registry, which opened the call, settles it from the storage's answer: one
 * registry step, not two. During a migration it is an `api.run` to the
 * registry as before. A fetch between two clients is 11 machine steps.
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { assertRejects } from "./_helpers.ts";
import {
  createClient,
  defineStorage,
  type InspectionEvent,
  ItemNotFound,
  TimeoutError,
} from "../mod.ts";
import { recorder } from "./support/recorder.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";

const enc = new TextEncoder();
const ignore = !hasProsody() && !requireServers();

/** A storage whose writes never settle (reads, deletes and keys answer). */
const stuckWrites = () =>
  defineStorage(() => ({
    get: () => undefined,
    set: () => new Promise(() => {}),
    del: () => {},
    keys: () => [],
  }));

Deno.test("BoB path: a set with max-age goes from the plugin actor to the storage (its source), one registry step", async () => {
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.setBob(enc.encode("warm"), "text/plain", { maxAge: 3600 });
    rec.start();
    const cid = await bob.setBob(enc.encode("timed"), "text/plain", {
      maxAge: 3600,
    });
    rec.stop();
    const storage = bob.api.storage.id;
    assertEquals(
      rec.events.slice(0, 4).map((e) => [e.type, e.to, e.from]),
      [
        ["bob.set", "xep_0231", undefined],
        ["storage.set", storage, "xep_0231"],
        ["storage.result", "xep_0231.api", storage],
        ["api.result", "xep_0231", "xep_0231.api"],
      ],
    );
    assertEquals(rec.events.filter((e) => e.type === "api.run"), []);
    assertStrictEquals((await bob.getBob({ cid })).maxAge, 3600);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("BoB path: during a migration the plugin actor's call is an api.run to the registry, which writes both storages", async () => {
  const rec = recorder();
  const xmpp = createClient({ jid: "alice@localhost", inspect: rec.inspect });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    let start!: () => void;
    const started = new Promise<void>((r) => start = r);
    const map = new Map<string, unknown>();
    const bind = bob.api.bind(
      defineStorage(() => ({
        ready: () => started,
        get: (_ns, key) => map.get(key) as never,
        set: (_ns, key, value) => void map.set(key, value),
        del: (_ns, key) => void map.delete(key),
        keys: () => [...map.keys()],
      })),
      { migrate: true },
    );
    assert(bob.api.actor.getSnapshot().matches("migrating"));
    rec.start();
    const during = bob.setBob(enc.encode("during"), "text/plain", {
      maxAge: 3600,
    });
    await new Promise((r) => setTimeout(r, 0));
    rec.stop();
    assertEquals(
      rec.events.slice(0, 2).map((e) => [e.type, e.to, e.from]),
      [
        ["bob.set", "xep_0231", undefined],
        ["api.run", "xep_0231.api", "xep_0231"],
      ],
    );
    start();
    const cid = await during;
    await bind;
    assert(map.has(cid), "written to the new storage");
    assertStrictEquals((await bob.getBob({ cid })).maxAge, 3600);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("BoB path: a storage that never answers the actor's direct call still times it out (TimeoutError), and nothing is stored", async () => {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 50 });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.api.bind(stuckWrites());
    await assertRejects(
      () => bob.setBob(enc.encode("stuck"), "text/plain", { maxAge: 60 }),
      TimeoutError,
    );
    // Nothing was scheduled for a set that failed.
    assertStrictEquals(bob.actor.getSnapshot().value, "idle");
  } finally {
    await xmpp.stop();
  }
});

/** Machine steps (`@xstate.event`s to machine actors) while `on`. */
function stepCounter() {
  let on = false;
  const by = new Map<string, number>();
  return {
    by,
    start: () => void (on = true),
    stop: () => void (on = false),
    inspect(e: InspectionEvent) {
      if (!on || e.type !== "@xstate.event") return;
      const snap = e.actorRef.getSnapshot() as { machine?: unknown };
      if (snap?.machine === undefined) return;
      const id = String((e.actorRef as { id?: unknown }).id);
      by.set(id, (by.get(id) ?? 0) + 1);
    },
  };
}

Deno.test({
  name:
    "BoB path over Prosody: a fetch is 11 machine steps (one registry step on the serving side, the storage request from the plugin actor); a miss and a forged cid are still refused",
  ignore,
  fn: async () => {
    const server = await startProsody();
    const common = {
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { starttls: false },
      allowPlainWithoutTls: true,
      // Stream management adds its acks' steps; counted without it.
      streamManagement: { enabled: false },
    };
    const steps = stepCounter();
    const rec = recorder();
    const alice = createClient({
      jid: "alice@localhost/p",
      ...common,
      inspect: steps.inspect,
    });
    const bob = createClient({
      jid: "bob@localhost/p",
      ...common,
      inspect: (e) => {
        steps.inspect(e);
        rec.inspect(e);
      },
    });
    try {
      await Promise.all([alice.start(), bob.start()]);
      const mine = alice.registerPlugin("xep_0231");
      const theirs = bob.registerPlugin("xep_0231");
      const cid = await theirs.setBob(enc.encode("coucou"), "text/plain");
      await mine.getBob({ cid, jid: bob.jid, cached: false });
      const n = 10;
      steps.start();
      rec.start();
      for (let i = 0; i < n; i++) {
        await mine.getBob({ cid, jid: bob.jid, cached: false });
      }
      steps.stop();
      rec.stop();
      const total = [...steps.by.values()].reduce((a, b) => a + b, 0);
      assertStrictEquals(total, 11 * n, JSON.stringify([...steps.by]));
      assertStrictEquals(steps.by.get("xep_0231.api"), n);
      const storage = theirs.api.storage.id;
      const gets = rec.events.filter((e) => e.type === "storage.get");
      assertStrictEquals(gets.length, n);
      assert(gets.every((e) => e.to === storage && e.from === "xep_0231"));
      assertEquals(rec.events.filter((e) => e.type === "api.run"), []);
      // Hostile asks still get their refusals on the direct path.
      await assertRejects(
        () =>
          mine.getBob({
            cid: "sha1+0000000000000000000000000000000000000000@bob.xmpp.org",
            jid: bob.jid,
          }),
        ItemNotFound,
      );
      assertStrictEquals(theirs.actor.getSnapshot().status, "active");
    } finally {
      await Promise.all([alice.stop(), bob.stop()]);
      await server.stop();
    }
  },
});
