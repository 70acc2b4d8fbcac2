/**
 * Redis through our actor path against the Redis client used directly, in
 * the same run, on the same throwaway `redis-server` (started on a free
 * loopback port, no persistence):
 *
 * - **direct**: node-redis `SET key json` / `GET key` + `JSON.parse`, the
 *   work a program without this library would do;
 * - **registry**: `api.run("put" | "read")` of a plugin whose ops are
 *   storage ops, through the API registry into `redisStorage()` (one
 *   `storage.set` / `storage.get` per call, answered through the protocol).
 *
 * Each is run one call at a time (each awaited before the next) and with 64
 * calls in flight (64 loops, each awaiting its own), on {@link OPS} ops of a
 * BoB record (the JSON of the file layout, 16 bytes of data).
 *
 *     deno run --allow-all bench/redis_bench.ts table  # the table
 *     deno bench --allow-all bench/redis_bench.ts      # Deno.bench form
 *
 * @module
 */
import { createClient, definePlugin, type JsonValue } from "../mod.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import { createRedisClient } from "../src/deps_deno.ts";
import { startRedis } from "../tests/support/redis.ts";

const OPS = 40_000;
const ROUNDS = 3;

const kv = definePlugin({
  name: "kvbench",
  ops: {
    put: {
      request: (a) => {
        const [key, value] = a as [string, JsonValue];
        return { type: "storage.set", key, value };
      },
    },
    read: { request: (key) => ({ type: "storage.get", key: key as string }) },
  },
  create: ({ api }) => api,
});

const record: JsonValue = {
  data: "WlpaWlpaWlpaWlpaWlpaWg==",
  type: "text/plain",
  cid: "sha1+2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a@bob.xmpp.org",
  max_age: null,
};

const redis = await startRedis();
globalThis.addEventListener("unload", () => void redis.stop());

const direct = createRedisClient({ url: redis.url });
direct.on("error", () => {});
await direct.connect();
const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
const api = xmpp.registerPlugin(kv);
await api.bind(redisStorage({ url: redis.url, prefix: "bench:" }));

type Op = (i: number) => Promise<unknown>;
const ops: Record<string, Record<"set" | "get", Op>> = {
  direct: {
    set: (i) => direct.set(`direct:kvbench:k${i}`, JSON.stringify(record)),
    get: (i) =>
      direct.get(`direct:kvbench:k${i}`).then((t) =>
        t === null ? undefined : JSON.parse(t)
      ),
  },
  registry: {
    set: (i) => api.run("put", { args: [`k${i}`, record] }),
    get: (i) => api.run("read", { args: `k${i}` }),
  },
};

/** `n` ops of `op`, `inFlight` loops at once; ops per second. */
async function rate(op: Op, n: number, inFlight: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/** `deno run … bench/redis_bench.ts table` prints the table, then exits. */
const TABLE = Deno.args.includes("table");

if (TABLE) {
  // Warm up both paths (JIT, connections), then alternate, best of ROUNDS.
  for (const path of Object.values(ops)) {
    await rate(path.set, 5000, 64);
    await rate(path.get, 5000, 64);
  }
  const rows: string[] = [];
  for (const inFlight of [1, 64]) {
    for (const verb of ["set", "get"] as const) {
      const best: Record<string, number> = { direct: 0, registry: 0 };
      for (let r = 0; r < ROUNDS; r++) {
        for (const path of ["direct", "registry"]) {
          const n = inFlight === 1 ? OPS / 4 : OPS;
          best[path] = Math.max(
            best[path],
            await rate(ops[path][verb], n, inFlight),
          );
        }
      }
      rows.push(
        `| ${verb} | ${inFlight} | ${Math.round(best.direct)} | ${
          Math.round(best.registry)
        } | ${(100 * best.registry / best.direct).toFixed(0)} % |`,
      );
    }
  }
  console.log(
    "| op | in flight | direct node-redis (ops/s) | registry → redisStorage (ops/s) | registry / direct |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const row of rows) console.log(row);
}

for (const inFlight of [1, 64]) {
  for (const verb of ["set", "get"] as const) {
    for (const path of ["direct", "registry"]) {
      Deno.bench({
        name: `${path} ${verb}, ${inFlight} in flight (1000 ops)`,
        group: `${verb} ${inFlight}`,
        baseline: path === "direct",
        n: 20,
        warmup: 5,
        fn: async () => void await rate(ops[path][verb], 1000, inFlight),
      });
    }
  }
}

if (TABLE) {
  await xmpp.stop();
  direct.destroy();
  await redis.stop();
}
