import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import {
  cidOf,
  createClient,
  fileStorage,
  ItemNotFound,
  type JsonValue,
  memoryStorage,
  StorageError,
} from "../mod.ts";
import type { StorageReply } from "../internals.ts";
import { createActor } from "../src/deps.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import type { AnyActorRef } from "../src/types.ts";
import {
  hasRedis,
  redisCli,
  requireServers,
  startRedis,
  startRedisCluster,
} from "./support/redis.ts";

const ignore = !hasRedis() && !requireServers();
const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client of one storage actor: every reply counted by id. */
function asker(store: AnyActorRef, ns = "xep_0231") {
  let id = 0;
  const waiting = new Map<number, (r: StorageReply) => void>();
  const answers = new Map<number, number>();
  const replyTo = {
    send(r: StorageReply) {
      answers.set(r.id, (answers.get(r.id) ?? 0) + 1);
      const w = waiting.get(r.id);
      waiting.delete(r.id);
      w?.(r);
    },
  };
  const ask = (req: Record<string, unknown>): Promise<StorageReply> => {
    const n = ++id;
    const reply = new Promise<StorageReply>((r) => waiting.set(n, r));
    store.send({ ns, ...req, id: n, replyTo });
    return reply;
  };
  return { ask, answers, sent: () => id, waiting };
}

function value(r: StorageReply): unknown {
  assert(
    r.type === "storage.result",
    r.type === "storage.error" ? r.error.message : "",
  );
  return r.value;
}

/** Every entry of a listing, batch by batch. */
async function listAll(
  ask: (req: Record<string, unknown>) => Promise<StorageReply>,
  limit: number,
) {
  const out = new Map<string, JsonValue>();
  let cursor: string | null = null;
  let batches = 0;
  do {
    const batch = value(
      await ask({ type: "storage.entries", cursor, limit }),
    ) as { entries: [string, JsonValue][]; next: string | null };
    assert(batch.entries.length <= limit, `${batch.entries.length} > ${limit}`);
    for (const [k, v] of batch.entries) {
      assert(!out.has(k), `listed twice: ${k}`);
      out.set(k, v);
    }
    cursor = batch.next;
    batches++;
  } while (cursor !== null);
  return { out, batches };
}

Deno.test("redisStorage() checks its options", () => {
  assertThrows(() => redisStorage({ url: "" }), TypeError, /url/);
  assertThrows(() => redisStorage({ url: "http://x" }), TypeError, /url/);
  assertThrows(
    () => redisStorage({ url: "redis://x", maxQueue: 0 }),
    RangeError,
    /maxQueue/,
  );
});

Deno.test({
  name:
    "redisStorage() speaks the storage protocol: namespaced keys, SCAN listings, set_many in one MULTI, ttl as a Redis TTL",
  ignore,
  async fn() {
    const redis = await startRedis();
    const store = createActor(
      redisStorage({ url: redis.url, prefix: "t1:" }),
    ).start();
    try {
      const { ask } = asker(store);
      value(await ask({ type: "storage.ready" }));
      value(
        await ask({ type: "storage.set", key: "a", value: { x: [1, "é"] } }),
      );
      value(await ask({ type: "storage.set", key: "b", value: "v", ttl: 100 }));
      value(
        await ask({ type: "storage.set", ns: "other", key: "a", value: 1 }),
      );
      assertEquals(value(await ask({ type: "storage.get", key: "a" })), {
        x: [1, "é"],
      });
      assertStrictEquals(
        value(await ask({ type: "storage.get", key: "none" })),
        undefined,
      );
      assertEquals(
        (value(await ask({ type: "storage.keys" })) as string[]).sort(),
        ["a", "b"],
      );
      // Keys: prefix + namespace + ":" + key; TTL only where asked.
      assertStrictEquals(
        (await redisCli(redis.port, "ttl", "t1:xep_0231:a")).trim(),
        "-1",
      );
      const ttl = Number(await redisCli(redis.port, "ttl", "t1:xep_0231:b"));
      assert(ttl > 90 && ttl <= 100, `${ttl}`);
      assertStrictEquals(
        (await redisCli(redis.port, "get", "t1:other:a")).trim(),
        "1",
      );
      // A bad ttl is refused, not written.
      const bad = await ask({
        type: "storage.set",
        key: "c",
        value: 1,
        ttl: 0,
      });
      assert(bad.type === "storage.error" && bad.error instanceof RangeError);
      // set_many (with a ttl for all), then a listing in batches.
      const many: [string, JsonValue][] = Array.from(
        { length: 2500 },
        (_, i) => [`m${i}`, { i }],
      );
      value(await ask({ type: "storage.set_many", entries: many, ttl: 50 }));
      const mttl = Number(await redisCli(redis.port, "ttl", "t1:xep_0231:m7"));
      assert(mttl > 40 && mttl <= 50, `${mttl}`);
      const { out, batches } = await listAll(ask, 300);
      assertStrictEquals(out.size, 2502);
      assert(batches >= 9, `${batches} batches`);
      assertEquals(out.get("m2499"), { i: 2499 });
      value(await ask({ type: "storage.del", key: "a" }));
      value(await ask({ type: "storage.del", key: "a" })); // missing: fine
      assertStrictEquals(
        value(await ask({ type: "storage.get", key: "a" })),
        undefined,
      );
      // A corrupt value is a StorageError on get, and unreadable in a listing.
      await redisCli(redis.port, "set", "t1:xep_0231:m0", "{not json");
      const corrupt = await ask({ type: "storage.get", key: "m0" });
      assert(
        corrupt.type === "storage.error" &&
          corrupt.error instanceof StorageError,
      );
      const batch = value(
        await ask({ type: "storage.entries", cursor: null, limit: 5000 }),
      ) as { unreadable?: [string, string][] };
      assertEquals(batch.unreadable?.map(([k]) => k), ["m0"]);
      // A namespace with ":" would be ambiguous.
      const colon = await ask({ type: "storage.get", ns: "a:b", key: "k" });
      assert(
        colon.type === "storage.error" && colon.error instanceof TypeError,
      );
    } finally {
      store.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "redisStorage(): the BoB example — max-age becomes a Redis TTL; a file directory and Redis migrate into each other",
  ignore,
  async fn() {
    const redis = await startRedis();
    const dir = await Deno.makeTempDir();
    const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
    try {
      const bob = xmpp.registerPlugin("xep_0231");
      await bob.api.bind(redisStorage({ url: redis.url }));
      const cid = await bob.setBob(enc.encode("coucou"), "text/plain");
      const brief = await bob.setBob(enc.encode("brief"), "text/plain", {
        maxAge: 60,
      });
      assertStrictEquals(
        dec.decode((await bob.getBob({ cid })).data),
        "coucou",
      );
      // The record of the file layout, under prefix + namespace + cid.
      const record = JSON.parse(
        await redisCli(redis.port, "get", `xmpp-actors:xep_0231:${cid}`),
      );
      assertEquals(record, {
        data: "Y291Y291",
        type: "text/plain",
        cid,
        max_age: null,
      });
      assertStrictEquals(
        (await redisCli(redis.port, "ttl", `xmpp-actors:xep_0231:${cid}`))
          .trim(),
        "-1",
      );
      const ttl = Number(
        await redisCli(redis.port, "ttl", `xmpp-actors:xep_0231:${brief}`),
      );
      assert(ttl > 50 && ttl <= 60, `${ttl}`);
      // Redis → files → Redis (a fresh prefix), every entry kept.
      await bob.api.bind(fileStorage({ dir }), { migrate: true });
      assertEquals(
        JSON.parse(await Deno.readTextFile(`${dir}/${cid}`)),
        record,
      );
      await bob.api.bind(redisStorage({ url: redis.url, prefix: "again:" }), {
        migrate: true,
      });
      assertStrictEquals(
        dec.decode((await bob.getBob({ cid: brief })).data),
        "brief",
      );
      assertEquals(
        JSON.parse(
          await redisCli(redis.port, "get", `again:xep_0231:${cid}`),
        ),
        record,
      );
      await bob.delBob(cid);
      await assertRejects(() => bob.getBob({ cid }), ItemNotFound);
    } finally {
      await xmpp.stop();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "redisStorage(): Redis killed mid-run and restarted — StorageError while down, at once and never twice; recovery after; a frozen Redis times out",
  ignore,
  async fn() {
    const redis = await startRedis();
    const store = createActor(
      redisStorage({ url: redis.url, commandTimeout: 300 }),
    ).start();
    const xmpp = createClient({ jid: "alice@localhost", timeout: 2000 });
    try {
      const { ask, answers, sent, waiting } = asker(store);
      value(await ask({ type: "storage.ready" }));
      const bob = xmpp.registerPlugin("xep_0231");
      await bob.api.bind(store);
      const cid = await bob.setBob(enc.encode("kept"), "text/plain");

      // 64 callers through the registry, all along.
      let running = true;
      const outcomes = { ok: 0, storageErrors: 0, other: [] as string[] };
      const caller = async (c: number) => {
        let n = 0;
        while (running) {
          try {
            if (n++ % 2 === 0) {
              await bob.api.run("set_bob", {
                args: {
                  cid: cidOf(enc.encode(`c${c}`)),
                  type: "text/plain",
                  data: enc.encode(`c${c}`),
                },
              });
            } else {await bob.getBob({ cid }).catch((e) => {
                if (!(e instanceof ItemNotFound)) throw e;
              });}
            outcomes.ok++;
          } catch (e) {
            if (e instanceof StorageError) outcomes.storageErrors++;
            else {outcomes.other.push(
                `${(e as Error).name}: ${(e as Error).message}`,
              );}
            await sleep(5);
          }
        }
      };
      const callers = Promise.all(
        Array.from({ length: 64 }, (_, c) => caller(c)),
      );
      await sleep(300);
      const okBefore = outcomes.ok;
      assert(okBefore > 0, "calls succeed before the kill");

      await redis.kill();
      await sleep(100);
      // While down: 10,000 requests at once all fail fast (nothing queued).
      const t0 = performance.now();
      const burst = await Promise.all(
        Array.from(
          { length: 10_000 },
          (_, i) => ask({ type: "storage.get", key: `k${i}` }),
        ),
      );
      const took = performance.now() - t0;
      assert(
        burst.every((r) =>
          r.type === "storage.error" && r.error instanceof StorageError
        ),
        "every request failed with a StorageError",
      );
      assert(took < 1000, `failed fast: ${took.toFixed(0)} ms`);
      const errorsWhileDown = outcomes.storageErrors;
      assert(errorsWhileDown > 0, "callers saw StorageErrors while down");

      await redis.restart();
      // Reconnects by itself (backoff ≤ 1 s): calls succeed again.
      let back = false;
      for (let i = 0; i < 60 && !back; i++) {
        await sleep(50);
        back = (await ask({ type: "storage.set", key: "x", value: 1 })).type ===
          "storage.result";
      }
      assert(back, "calls succeed once Redis is back");
      const okAfter = outcomes.ok;
      await sleep(300);
      assert(outcomes.ok > okAfter, "callers succeed again");

      // Frozen Redis (SIGSTOP): commands time out with a StorageError.
      redis.pause();
      const frozen = await ask({ type: "storage.get", key: "x" });
      redis.resume();
      assert(
        frozen.type === "storage.error" && frozen.error instanceof StorageError,
      );
      running = false;
      await callers;
      assertEquals(outcomes.other.slice(0, 5), []);

      // Every request answered exactly once.
      await sleep(500);
      assertStrictEquals(waiting.size, 0);
      assertStrictEquals(answers.size, sent());
      assert([...answers.values()].every((n) => n === 1), "answered once");
      console.log(
        `kill/restart: ${okBefore} ok before, ${errorsWhileDown} StorageErrors while down, burst of 10k failed in ${
          took.toFixed(0)
        } ms, ${outcomes.ok} ok in all`,
      );
    } finally {
      await xmpp.stop();
      store.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "redisStorage({ cluster }) on a 3-master Redis Cluster: set/get/del, listings across masters, migration in and out",
  ignore,
  async fn() {
    const cluster = await startRedisCluster(3);
    const xmpp = createClient({ jid: "alice@localhost", timeout: 5000 });
    try {
      const logic = redisStorage({ url: cluster.url, cluster: true });
      const store = createActor(logic).start();
      const { ask } = asker(store);
      try {
        value(await ask({ type: "storage.ready" }));
        value(await ask({ type: "storage.set", key: "a", value: 1, ttl: 30 }));
        assertStrictEquals(
          value(await ask({ type: "storage.get", key: "a" })),
          1,
        );
        value(await ask({ type: "storage.del", key: "a" }));
        assertStrictEquals(
          value(await ask({ type: "storage.get", key: "a" })),
          undefined,
        );
        const many: [string, JsonValue][] = Array.from(
          { length: 600 },
          (_, i) => [`k${i}`, `v${i}`],
        );
        value(await ask({ type: "storage.set_many", entries: many }));
        // Spread over every master, and listed from all of them.
        for (const port of cluster.ports) {
          const n = Number(await redisCli(port, "dbsize"));
          assert(n > 100, `master ${port} holds ${n} keys`);
        }
        assertStrictEquals(
          (value(await ask({ type: "storage.keys" })) as string[]).length,
          600,
        );
        const { out } = await listAll(ask, 128);
        assertStrictEquals(out.size, 600);
        assertStrictEquals(out.get("k599"), "v599");
      } finally {
        store.stop();
      }

      // Migration memory → cluster → memory through the BoB plugin.
      const bob = xmpp.registerPlugin("xep_0231");
      const cids: string[] = [];
      for (let i = 0; i < 300; i++) {
        cids.push(await bob.setBob(enc.encode(`bob ${i}`), "text/plain"));
      }
      const into = await bob.api.bind(
        redisStorage({ url: cluster.url, cluster: true, prefix: "mig:" }),
        { migrate: true },
      );
      assertStrictEquals(into.copied, 300);
      for (const port of cluster.ports) {
        const keys = await redisCli(port, "--scan", "--pattern", "mig:*");
        assert(keys.trim().split("\n").length > 50, `few keys on ${port}`);
      }
      const out = await bob.api.bind(memoryStorage(), { migrate: true });
      assertStrictEquals(out.copied, 300);
      for (const [i, cid] of cids.entries()) {
        assertStrictEquals(
          dec.decode((await bob.getBob({ cid })).data),
          `bob ${i}`,
        );
      }
    } finally {
      await xmpp.stop();
      await cluster.stop();
    }
  },
});
