import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { kvPlugin } from "./support/kv_plugin.ts";
import {
  type Api,
  createClient,
  defineStorage,
  fileStorage,
  idbStorage,
  type JsonValue,
  memoryStorage,
  StorageError,
  type StorageLogic,
} from "../mod.ts";
import type { StorageReply } from "../internals.ts";
import type { AnyActorRef } from "../src/types.ts";
import type { BindReport, ProgressEvent } from "../actors/registry/protocol.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import { hasRedis, requireServers, startRedis } from "./support/redis.ts";

const kv = kvPlugin("kvtest");

/** Send one request to a storage actor and wait for its reply. */
function ask(
  storage: AnyActorRef,
  request: Record<string, unknown>,
): Promise<StorageReply> {
  return new Promise((resolve) =>
    storage.send({
      id: 1,
      ns: "kvtest",
      ...request,
      replyTo: { send: resolve },
    })
  );
}

/** Put `n` entries `k<i>` → `v<i>` straight into the bound storage. */
async function load(api: Api, n: number, model: Map<string, string>) {
  for (let start = 0; start < n; start += 5000) {
    const entries: [string, string][] = [];
    for (let i = start; i < Math.min(n, start + 5000); i++) {
      entries.push([`k${i}`, `v${i}`]);
      model.set(`k${i}`, `v${i}`);
    }
    const r = await ask(api.storage, { type: "storage.set_many", entries });
    assertStrictEquals(r.type, "storage.result");
  }
}

/** A small seeded PRNG (the runs are reproducible). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Yield one macrotask. Calls on a synchronous storage resolve in microtasks
 * only, so a caller that never yields would starve timers, I/O and the
 * migration's copier, as it would starve a real client's socket.
 */
function tick(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = () => {
      port1.close();
      port2.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

interface Load {
  failures: Error[];
  mismatches: string[];
  duringMigration: number;
  done: Promise<void>;
  stop(): void;
}

/**
 * `callers` concurrent callers doing set/get/del on keys `k0…k<keys>`; each
 * caller owns the keys ≡ its index mod `callers`, so each key has one
 * writer and the model of its value is exact.
 */
function hammer(
  api: Api,
  model: Map<string, string>,
  keys: number,
  callers: number,
): Load {
  let stopped = false;
  const out: Load = {
    failures: [],
    mismatches: [],
    duringMigration: 0,
    done: Promise.resolve(),
    stop: () => void (stopped = true),
  };
  const one = async (c: number) => {
    const rand = prng(c + 1);
    let n = 0;
    while (!stopped) {
      if (n % 16 === 0) await tick();
      const i = Math.floor(rand() * (keys / callers)) * callers + c;
      const key = `k${i}`;
      const r = rand();
      if (api.actor.getSnapshot().matches("migrating")) {
        out.duringMigration++;
      }
      n++;
      try {
        if (r < 0.4) {
          const value = `${key}@${c}.${n}`;
          await api.run("put", { args: [key, value] });
          model.set(key, value);
        } else if (r < 0.55) {
          await api.run("remove", { args: key });
          model.delete(key);
        } else {
          const got = await api.run("read", { args: key });
          if (got !== model.get(key)) {
            out.mismatches.push(
              `${key}: read ${got}, expected ${model.get(key)}`,
            );
          }
        }
      } catch (e) {
        out.failures.push(e as Error);
      }
    }
  };
  out.done = Promise.all(Array.from({ length: callers }, (_, c) => one(c)))
    .then(() => {});
  return out;
}

/** Every key of the model is readable with its value; no other key exists. */
async function verify(api: Api, model: Map<string, string>, keys: number) {
  const wrong: string[] = [];
  for (let start = 0; start < keys; start += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, keys - start) }, async (_, j) => {
        const key = `k${start + j}`;
        const got = await api.run("read", { args: key });
        if (got !== model.get(key)) {
          wrong.push(`${key}: ${got} !== ${model.get(key)}`);
        }
      }),
    );
  }
  assertEquals(wrong.slice(0, 10), [], `${wrong.length} keys differ`);
  const listed = await ask(api.storage, { type: "storage.keys" });
  assertStrictEquals(listed.type, "storage.result");
  const stored = (listed as { value: string[] }).value;
  assertStrictEquals(stored.length, model.size, "no resurrected deletes");
}

async function migrateUnderLoad(
  opts: {
    from?: StorageLogic;
    to: StorageLogic;
    entries: number;
    callers: number;
    timeout?: number;
  },
): Promise<{ report: BindReport; load: Load; progress: ProgressEvent[] }> {
  const xmpp = createClient({
    jid: "alice@localhost",
    timeout: opts.timeout ?? 5000,
  });
  try {
    const api = xmpp.registerPlugin(kv);
    if (opts.from !== undefined) await api.bind(opts.from);
    const model = new Map<string, string>();
    await load(api, opts.entries, model);
    const keys = opts.entries + opts.entries / 10; // some keys only callers write
    const load_ = hammer(api, model, keys, opts.callers);
    await new Promise((r) => setTimeout(r, 20));
    const progress: ProgressEvent[] = [];
    const report = await api.bind(opts.to, {
      migrate: true,
      onProgress: (p) => void progress.push(p),
    });
    await new Promise((r) => setTimeout(r, 20));
    load_.stop();
    await load_.done;
    assertEquals(load_.failures.map((e) => e.message).slice(0, 5), []);
    assertEquals(load_.mismatches.slice(0, 5), []);
    assert(load_.duringMigration > 0, "calls were made during the migration");
    await verify(api, model, keys);
    return { report, load: load_, progress };
  } finally {
    await xmpp.stop();
  }
}

/** Entries of the large migration test (`MIG_N` overrides, for a quick run). */
const N = Number(Deno.env.get("MIG_N") ?? 100_000);

Deno.test({
  name:
    "api.bind({ migrate }) moves 100,000 entries memory → file under 64 concurrent callers: no failed call, nothing missing, stale or resurrected",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const t0 = performance.now();
      const { report, load, progress } = await migrateUnderLoad({
        to: fileStorage({ dir }),
        entries: N,
        callers: 64,
      });
      assertStrictEquals(report.migrated, true);
      // Callers deleted and added keys before the copy began.
      assert(
        report.total! > N * 0.8 && report.total! < N * 1.1,
        `${report.total}`,
      );
      // How much the copy wrote and how much callers superseded depends on
      // the race; the model check in migrateUnderLoad is what counts.
      assert(report.copied > 0 && report.copied + report.superseded <= N * 1.1);
      assert(progress.length >= 2 && progress.at(-1)!.done);
      console.log(
        `100k memory → file: copy ${report.elapsedMs.toFixed(0)} ms (${
          report.rate.toFixed(0)
        } entries/s), ${report.superseded} superseded, ${load.duringMigration} calls during it, test ${
          (performance.now() - t0).toFixed(0)
        } ms`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "api.bind({ migrate }) hot-swaps memory → redis with 100,000 entries under 64 concurrent callers: no failed call, nothing missing, stale or resurrected",
  ignore: !hasRedis() && !requireServers(),
  async fn() {
    const redis = await startRedis();
    try {
      const { report, load } = await migrateUnderLoad({
        to: redisStorage({ url: redis.url }),
        entries: N,
        callers: 64,
      });
      assertStrictEquals(report.migrated, true);
      assert(report.copied > 0 && report.total! > N * 0.8, `${report.total}`);
      console.log(
        `100k memory → redis: copy ${report.elapsedMs.toFixed(0)} ms (${
          report.rate.toFixed(0)
        } entries/s), ${report.superseded} superseded, ${load.duringMigration} calls during it`,
      );
    } finally {
      await redis.stop();
    }
  },
});

Deno.test("api.bind({ migrate }) memory → idb and file → memory under concurrent callers keep every value", async (t) => {
  await t.step("memory → idb", async () => {
    const { report } = await migrateUnderLoad({
      to: idbStorage({ dbName: `mig-${crypto.randomUUID()}` }),
      entries: 5000,
      callers: 32,
    });
    assert(report.copied > 0 && report.total! > 4000, `${report.total}`);
  });
  await t.step("file → memory", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const { report } = await migrateUnderLoad({
        from: fileStorage({ dir }),
        to: memoryStorage(),
        entries: 10_000,
        callers: 32,
      });
      assert(report.total! > 8000, `${report.total}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

/** A memory backend whose `set` throws from its `failAt`-th call on. */
function failingStorage(failAt: number, map = new Map<string, JsonValue>()) {
  let writes = 0;
  return defineStorage(() => ({
    get: (_ns, k) => map.get(k),
    set: (_ns, k, v) => {
      if (++writes >= failAt) throw new Error(`write ${writes} refused`);
      map.set(k, v);
    },
    del: (_ns, k) => void map.delete(k),
    keys: () => [...map.keys()],
  }));
}

Deno.test("api.bind({ migrate }) whose target fails at its 5,000th write rejects, and the old storage keeps every entry, including writes made during the attempt", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const api = xmpp.registerPlugin(kv);
    const model = new Map<string, string>();
    await load(api, 20_000, model);
    const old = api.storage;
    const load_ = hammer(api, model, 22_000, 64);
    await new Promise((r) => setTimeout(r, 20));
    const bound = api.bind(failingStorage(5000), {
      migrate: true,
      batchSize: 64,
    });
    // Writes made during the attempt, by construction: the bind is being
    // served (the callers above may or may not get a turn on a loaded box).
    assert(api.actor.getSnapshot().matches("migrating"));
    const during = Array.from({ length: 50 }, (_, i) => `during${i}`);
    const written = Promise.all(
      during.map((k) => api.run("put", { args: [k, `${k}!`] })),
    );
    const err = await bound.then(() => null, (e: Error) => e);
    await written;
    assert(err instanceof StorageError, String(err));
    assert(
      /migration failed: .*write 5000 refused/.test(err.message),
      err.message,
    );
    assertStrictEquals(api.storage, old);
    assertStrictEquals(api.actor.getSnapshot().value, "ready");
    await new Promise((r) => setTimeout(r, 20));
    load_.stop();
    await load_.done;
    assertEquals(load_.failures.map((e) => e.message).slice(0, 5), []);
    assertEquals(load_.mismatches.slice(0, 5), []);
    for (const k of during) {
      assertStrictEquals(await api.run("read", { args: k }), `${k}!`);
      await api.run("remove", { args: k });
    }
    await verify(api, model, 22_000);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.bind({ migrate }) whose old storage answers storage.entries with garbage rejects with StorageError and loses nothing", async () => {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 300 });
  try {
    const api = xmpp.registerPlugin(kv);
    const map = new Map<string, JsonValue>([["a", 1]]);
    const garbages: unknown[] = [
      null,
      { entries: "x", next: null },
      { entries: [[1, 2]], next: null },
      { entries: [], next: 7 },
      new Promise(() => {}), // never answers: the step timeout
    ];
    for (const garbage of garbages) {
      await api.bind(defineStorage(() => ({
        get: (_ns, k) => map.get(k),
        set: (_ns, k, v) => void map.set(k, v),
        del: (_ns, k) => void map.delete(k),
        keys: () => [...map.keys()],
        entries: () => garbage as never,
      })));
      const old = api.storage;
      const err = await api.bind(memoryStorage(), { migrate: true }).then(
        () => null,
        (e: Error) => e,
      );
      assert(err instanceof StorageError, String(err));
      assert(/storage\.entries|within 300 ms/.test(err.message), err.message);
      assertStrictEquals(api.storage, old);
      assertStrictEquals(await api.run("read", { args: "a" }), 1);
    }
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.bind() emits api.progress with copied and total, and resolves with a report", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const api = xmpp.registerPlugin(kv);
    await load(api, 3000, new Map());
    const seen: ProgressEvent[] = [];
    const sub = api.actor.on(
      "api.progress",
      (e: ProgressEvent) => seen.push(e),
    );
    const report = await api.bind(memoryStorage(), {
      migrate: true,
      batchSize: 100,
    });
    sub.unsubscribe();
    assertEquals(
      { migrated: report.migrated, copied: report.copied, total: report.total },
      { migrated: true, copied: 3000, total: 3000 },
    );
    assert(seen.length >= 2, "a first and a last event");
    assertStrictEquals(seen[0].total, 3000);
    assert(seen.at(-1)!.done && seen.at(-1)!.copied === 3000);
    assert(seen.every((e, i) => i === 0 || e.copied >= seen[i - 1].copied));
    const plain = await api.bind(memoryStorage());
    assertEquals(plain.migrated, false);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.bind({ migrate }) to a storage that stops answering rejects before callers time out; they are served by the old storage", async () => {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 1000 });
  try {
    const api = xmpp.registerPlugin(kv);
    const model = new Map<string, string>();
    await load(api, 2000, model);
    const old = api.storage;
    const never = () => new Promise<never>(() => {});
    const map = new Map<string, JsonValue>();
    let writes = 0;
    const stuck = defineStorage(() => ({
      get: (_ns, k) => map.get(k),
      set: (_ns, k, v) => ++writes > 100 ? never() : void map.set(k, v),
      del: (_ns, k) => void map.delete(k),
      keys: () => [...map.keys()],
      setMany: () => never(),
    }));
    const load_ = hammer(api, model, 2200, 16);
    await new Promise((r) => setTimeout(r, 10));
    const t = performance.now();
    const err = await api.bind(stuck, { migrate: true }).then(
      () => null,
      (e: Error) => e,
    );
    assert(err instanceof StorageError, String(err));
    assert(/within \d+ ms/.test(err.message), err.message);
    assert(performance.now() - t < 1000, "rejected before a caller's deadline");
    assertStrictEquals(api.storage, old);
    await new Promise((r) => setTimeout(r, 20));
    load_.stop();
    await load_.done;
    assertEquals(load_.failures.map((e) => e.message).slice(0, 5), []);
    assertEquals(load_.mismatches.slice(0, 5), []);
    await verify(api, model, 2200);
  } finally {
    await xmpp.stop();
  }
});
