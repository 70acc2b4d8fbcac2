/**
 * Issue 21, item 9 and 13 and "Migration mirrors": after a committed
 * migration the target holds exactly the source's entries (keys only in the
 * target are removed, within the plugin's namespace and key filter only),
 * unless the bind asks to merge; and remaining TTLs travel with the entries.
 *
 * @module
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "./deps.ts";
import {
  type Api,
  cidOf,
  createClient,
  defineStorage,
  fileStorage,
  ItemNotFound,
  type JsonValue,
  memoryStorage,
} from "../mod.ts";
import type { StorageReply } from "../internals.ts";
import { createActor } from "../src/deps.ts";
import type { AnyActorRef } from "../src/types.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import { kvPlugin } from "./support/kv_plugin.ts";
import {
  hasRedis,
  redisCli,
  requireServers,
  startRedis,
} from "./support/redis.ts";

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const redisIgnore = !hasRedis() && !requireServers();

function ask(
  store: AnyActorRef,
  request: Record<string, unknown>,
  ns: string,
): Promise<StorageReply> {
  return new Promise((resolve) =>
    store.send({ ns, id: 1, ...request, replyTo: { send: resolve } })
  );
}

/** Every `[key, value, expiresAt?]` of a storage actor's namespace. */
async function listAll(
  store: AnyActorRef,
  ns: string,
): Promise<[string, JsonValue, number?][]> {
  const out: [string, JsonValue, number?][] = [];
  let cursor: string | null = null;
  do {
    const r = await ask(
      store,
      { type: "storage.entries", cursor, limit: 100 },
      ns,
    );
    if (r.type !== "storage.result") throw r.error;
    const batch = r.value as {
      entries: [string, JsonValue, number?][];
      next: string | null;
    };
    out.push(...batch.entries);
    cursor = batch.next;
  } while (cursor !== null);
  return out;
}

/**
 * Item 9, as measured: put k0..k99, bind `first()` with migrate, bind memory
 * with migrate, delete k0..k49, bind `again()` (the same directory or Redis)
 * with migrate: the 50 deleted keys must stay deleted.
 */
async function item9(
  kv: Api,
  first: () => Parameters<Api["bind"]>[0],
  again: () => Parameters<Api["bind"]>[0],
): Promise<void> {
  for (let i = 0; i < 100; i++) await kv.run("put", { args: [`k${i}`, i] });
  await kv.bind(first(), { migrate: true });
  await kv.bind(memoryStorage(), { migrate: true });
  for (let i = 0; i < 50; i++) await kv.run("remove", { args: `k${i}` });
  const report = await kv.bind(again(), { migrate: true });
  assertStrictEquals(report.migrated, true);
  for (let i = 0; i < 100; i++) {
    assertStrictEquals(
      await kv.run("read", { args: `k${i}` }),
      i < 50 ? undefined : i,
      `k${i}`,
    );
  }
  assertStrictEquals(report.removed, 50);
}

Deno.test("item 9: a migration into a file directory that holds old entries does not bring deleted keys back", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("kvmirror"));
    await item9(
      kv,
      () => fileStorage({ dir }),
      () => fileStorage({ dir }),
    );
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(files.length, 50);
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "item 9: a migration into a Redis that holds old entries does not bring deleted keys back, and leaves other namespaces and foreign keys alone",
  ignore: redisIgnore,
  async fn() {
    const redis = await startRedis();
    const xmpp = createClient({ jid: "alice@localhost" });
    try {
      await redisCli(redis.port, "SET", "xmpp-actors:other:k0", "1");
      await redisCli(redis.port, "SET", "foreign:kvmirror:k0", "1");
      await redisCli(redis.port, "SET", "xmpp-actors:kvmirrorx:k0", "1");
      const kv = xmpp.registerPlugin(kvPlugin("kvmirror"));
      await item9(
        kv,
        () => redisStorage({ url: redis.url }),
        () => redisStorage({ url: redis.url }),
      );
      const keys = (await redisCli(redis.port, "KEYS", "*")).split("\n")
        .filter((k) => k !== "");
      assertEquals(
        keys.filter((k) => k.startsWith("xmpp-actors:kvmirror:")).length,
        50,
      );
      for (
        const k of [
          "xmpp-actors:other:k0",
          "foreign:kvmirror:k0",
          "xmpp-actors:kvmirrorx:k0",
        ]
      ) {
        assert(keys.includes(k), `${k} must survive the mirror`);
      }
    } finally {
      await xmpp.stop();
      await redis.stop();
    }
  },
});

Deno.test("mirror: BoB keys the plugin's key check rejects (a stray README.txt) stay in the target directory", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const stale = enc.encode("stale");
    const staleCid = cidOf(stale);
    Deno.writeTextFileSync(`${dir}/README.txt`, "not an entry");
    Deno.writeTextFileSync(
      `${dir}/${staleCid}`,
      JSON.stringify({
        data: stale.toBase64(),
        type: "text/plain",
        cid: staleCid,
        max_age: null,
      }),
    );
    const cid = await bob.setBob(enc.encode("kept"), "text/plain");
    const report = await bob.api.bind(fileStorage({ dir }), { migrate: true });
    assertStrictEquals(report.removed, 1);
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["README.txt", cid].sort(),
    );
    await assertRejects(() => bob.getBob({ cid: staleCid }), ItemNotFound);
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("merge: bind({ migrate: true, merge: true }) keeps the target's own keys; the source wins on a key both hold", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("kvmerge"));
    await kv.bind(fileStorage({ dir }));
    await kv.run("put", { args: ["theirs", 1] });
    await kv.run("put", { args: ["both", "old"] });
    await kv.bind(memoryStorage());
    await kv.run("put", { args: ["ours", 2] });
    await kv.run("put", { args: ["both", "new"] });
    const report = await kv.bind(fileStorage({ dir }), {
      migrate: true,
      merge: true,
    });
    assertStrictEquals(report.removed, 0);
    assertStrictEquals(await kv.run("read", { args: "theirs" }), 1);
    assertStrictEquals(await kv.run("read", { args: "ours" }), 2);
    assertStrictEquals(await kv.run("read", { args: "both" }), "new");
    await assertRejects(
      () => kv.bind(memoryStorage(), { merge: true }),
      TypeError,
      /merge/,
    );
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A memory storage whose listings (of the target, during the mirror) wait
 * for `gate`: what callers do meanwhile races with the mirror's removal.
 */
function gatedTarget(gate: Promise<void>, listed: () => void) {
  const map = new Map<string, JsonValue>();
  return defineStorage(() => ({
    get: (_ns, key) => map.get(key),
    set: (_ns, key, value) => void map.set(key, value),
    del: (_ns, key) => void map.delete(key),
    keys: async () => {
      listed();
      await gate;
      return [...map.keys()];
    },
    entries: async (_ns, _cursor, _limit) => {
      listed();
      await gate;
      return { entries: [...map.entries()], next: null };
    },
  }));
}

Deno.test("mirror during a migration: a key written meanwhile survives the removal, a key deleted meanwhile stays deleted, a stale target key is never read", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("kvrace"));
    let open!: () => void;
    const gate = new Promise<void>((r) => open = r);
    let listedOnce!: () => void;
    const listed = new Promise<void>((r) => listedOnce = r);
    const target = createActor(gatedTarget(gate, () => listedOnce())).start();
    // The target holds stale keys the source does not have.
    for (const [k, v] of [["stale", "x"], ["rewritten", "x"], ["gone", "x"]]) {
      const r = await ask(
        target,
        { type: "storage.set", key: k, value: v },
        "kvrace",
      );
      assertStrictEquals(r.type, "storage.result");
    }
    await kv.run("put", { args: ["gone", "source"] });
    await kv.run("put", { args: ["kept", "source"] });
    const bind = kv.bind(target, { migrate: true });
    // The mirror lists the target (and waits at the gate).
    const first = await Promise.race([
      listed.then(() => "listed"),
      bind.then(() => "bound"),
    ]);
    assertStrictEquals(
      first,
      "listed",
      "the migration never listed the target",
    );
    // A stale target-only key is not served while the migration runs.
    assertStrictEquals(await kv.run("read", { args: "stale" }), undefined);
    await kv.run("put", { args: ["rewritten", "fresh"] });
    await kv.run("remove", { args: "gone" });
    open();
    const report = await bind;
    assertStrictEquals(report.migrated, true);
    assertStrictEquals(await kv.run("read", { args: "stale" }), undefined);
    assertStrictEquals(await kv.run("read", { args: "rewritten" }), "fresh");
    assertStrictEquals(await kv.run("read", { args: "gone" }), undefined);
    assertStrictEquals(await kv.run("read", { args: "kept" }), "source");
    assertEquals(
      (await listAll(target, "kvrace")).map(([k, v]) => [k, v]).sort(),
      [["kept", "source"], ["rewritten", "fresh"]],
    );
    target.stop();
  } finally {
    await xmpp.stop();
  }
});

Deno.test({
  name:
    "item 13: TTLs travel memory → redis (remaining PTTL) and redis → memory (remaining ttl in the listing)",
  ignore: redisIgnore,
  async fn() {
    const redis = await startRedis();
    const xmpp = createClient({ jid: "alice@localhost" });
    try {
      const bob = xmpp.registerPlugin("xep_0231");
      const cid = await bob.setBob(enc.encode("ttl"), "text/plain", {
        maxAge: 100,
      });
      const forever = await bob.setBob(enc.encode("forever"), "text/plain");
      const stored = Date.now();
      await sleep(1100);
      await bob.api.bind(redisStorage({ url: redis.url }), { migrate: true });
      const asked = Date.now();
      const pttl = Number(
        await redisCli(redis.port, "PTTL", `xmpp-actors:xep_0231:${cid}`),
      );
      assert(pttl > 0, `PTTL ${pttl}`);
      assert(
        pttl <= 100_000 - (asked - stored),
        `PTTL ${pttl} is more than what remained`,
      );
      assertStrictEquals(
        (await redisCli(redis.port, "TTL", `xmpp-actors:xep_0231:${forever}`))
          .trim(),
        "-1",
      );
      // And back: Redis's remaining TTL arrives in a memory storage.
      const mem = createActor(memoryStorage()).start();
      await bob.api.bind(mem, { migrate: true });
      const entries = await listAll(mem, "xep_0231");
      const at = entries.find(([k]) => k === cid)?.[2];
      const left = at === undefined ? undefined : at - Date.now();
      assert(left !== undefined && left > 0, `left ${left}`);
      assert(left <= pttl, `left ${left} above the earlier PTTL ${pttl}`);
      // (and so at most what remained of the max-age set at the start)
      assertStrictEquals(entries.find(([k]) => k === forever)?.[2], undefined);
      mem.stop();
    } finally {
      await xmpp.stop();
      await redis.stop();
    }
  },
});

/**
 * A process that stored an entry with max-age into a shared storage actor
 * and died (its scheduler is gone); another client migrates that storage
 * into `target`: the entry still expires on time there.
 */
async function expiresAfterDeadProcess(
  target: () => Parameters<Api["bind"]>[0],
  gone: (cid: string) => boolean | Promise<boolean>,
): Promise<void> {
  const shared = createActor(memoryStorage()).start();
  const dead = createClient({ jid: "alice@localhost" });
  const alive = createClient({ jid: "alice@localhost" });
  try {
    const deadBob = dead.registerPlugin("xep_0231");
    await deadBob.api.bind(shared);
    const maxAge = 2;
    const t0 = Date.now();
    const cid = await deadBob.setBob(enc.encode("short-lived"), "text/plain", {
      maxAge,
    });
    await dead.stop();
    const bob = alive.registerPlugin("xep_0231");
    await bob.api.bind(shared);
    const report = await bob.api.bind(target(), { migrate: true });
    assertStrictEquals(report.copied, 1);
    for (let i = 0; i < 400; i++) {
      if (await gone(cid)) break;
      await sleep(50);
    }
    assert(await gone(cid), "the entry never expired in the target");
    assert(Date.now() - t0 >= maxAge * 1000, "expired early");
    await assertRejects(() => bob.getBob({ cid }), ItemNotFound);
  } finally {
    await dead.stop();
    await alive.stop();
    shared.stop();
  }
}

Deno.test("item 13: an entry migrated memory → memory expires on time in the target, though the process that set it is gone", async () => {
  const target = createActor(memoryStorage()).start();
  await expiresAfterDeadProcess(
    () => target,
    async (cid) => {
      const r = await ask(
        target,
        { type: "storage.get", key: cid },
        "xep_0231",
      );
      return r.type === "storage.result" && r.value === undefined;
    },
  );
  target.stop();
});

Deno.test("item 13: an entry migrated memory → file expires on time in the target, though the process that set it is gone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await expiresAfterDeadProcess(
      () => fileStorage({ dir }),
      (cid) => {
        try {
          Deno.statSync(`${dir}/${cid}`);
          return false;
        } catch {
          return true;
        }
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mirror: binding the same directory again with migrate removes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const kv = xmpp.registerPlugin(kvPlugin("kvself"));
    await kv.bind(fileStorage({ dir }));
    for (let i = 0; i < 20; i++) await kv.run("put", { args: [`k${i}`, i] });
    const report = await kv.bind(fileStorage({ dir }), { migrate: true });
    assertStrictEquals(report.removed, 0);
    assertStrictEquals(report.copied, 20);
    for (let i = 0; i < 20; i++) {
      assertStrictEquals(await kv.run("read", { args: `k${i}` }), i);
    }
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A BoB record (the file layout) for `text`. */
function record(text: string, maxAge: number | null) {
  const data = enc.encode(text);
  const cid = cidOf(data);
  return {
    cid,
    json: JSON.stringify({
      data: data.toBase64(),
      type: "text/plain",
      cid,
      max_age: maxAge,
    }),
  };
}

Deno.test("TTLs travel file → memory: a record's max_age counts from its file's modification time; a due one is not copied", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost" });
  const mem = createActor(memoryStorage()).start();
  try {
    const now = Date.now();
    const half = record("half gone", 100);
    const due = record("due", 10);
    const forever = record("forever", null);
    for (const r of [half, due, forever]) {
      Deno.writeTextFileSync(`${dir}/${r.cid}`, r.json);
    }
    Deno.utimeSync(`${dir}/${half.cid}`, new Date(now), new Date(now - 50_000));
    Deno.utimeSync(`${dir}/${due.cid}`, new Date(now), new Date(now - 60_000));
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.api.bind(fileStorage({ dir }));
    const report = await bob.api.bind(mem, { migrate: true });
    assertStrictEquals(report.copied, 2);
    const entries = await listAll(mem, "xep_0231");
    const at = entries.find(([k]) => k === half.cid)?.[2];
    // Written 50 s ago with max_age 100: due 50 s after `now`.
    assertStrictEquals(at, now + 50_000);
    assert(entries.some(([k, , t]) => k === forever.cid && t === undefined));
    assert(!entries.some(([k]) => k === due.cid));
    await assertRejects(() => bob.getBob({ cid: due.cid }), ItemNotFound);
  } finally {
    await xmpp.stop();
    mem.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TTLs travel memory → file → memory: the file's modification time is set back so that it plus max_age is the deadline", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost" });
  const mem = createActor(memoryStorage()).start();
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const cid = await bob.setBob(enc.encode("travels"), "text/plain", {
      maxAge: 100,
    });
    const stored = Date.now();
    await sleep(1100);
    await bob.api.bind(fileStorage({ dir }), { migrate: true });
    const mtime = Deno.statSync(`${dir}/${cid}`).mtime!.getTime();
    assert(mtime <= stored, `mtime ${mtime} after the store ${stored}`);
    assertStrictEquals(
      JSON.parse(Deno.readTextFileSync(`${dir}/${cid}`)).max_age,
      100,
    );
    await bob.api.bind(mem, { migrate: true });
    const at = (await listAll(mem, "xep_0231")).find(([k]) => k === cid)
      ?.[2];
    assert(at !== undefined && at > Date.now(), `due ${at}`);
    // The file's time + max_age: the deadline set at the start, exactly.
    assertStrictEquals(at, mtime + 100_000);
    assert(at <= stored + 100_000, `due ${at}, after the max-age`);
  } finally {
    await xmpp.stop();
    mem.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
