/**
 * The Redis storage actor (Deno, and Node and Bun from the npm package;
 * not browsers): one Redis (or Valkey), or a Redis
 * Cluster, shared by every client process of a fleet.
 *
 * ## The client: node-redis
 *
 * Redis is spoken through node-redis (`npm:@redis/client`, the core of the
 * `redis` package; imported from `src/deps_deno.ts`), not hand-written RESP.
 * Both candidates were measured here (Deno 2.9, redis-server 7.0 on
 * loopback, 20k SET and 20k GET of a ~120-byte JSON record, ops/s):
 *
 * | client                          | SET, 1 | GET, 1 | SET, 64 | GET, 64 |
 * | ------------------------------- | -----: | -----: | ------: | ------: |
 * | node-redis 6.3                  |   ~14k |   ~15k |  ~220k–340k |  ~290k–380k |
 * | ioredis 6.0                     |   ~15k–20k |   ~15k–30k |  ~120k–165k |  ~140k–175k |
 * | ioredis 6.0, `enableAutoPipelining` | ~14k–30k | ~14k–31k | ~250k–300k | ~240k–280k |
 *
 * Both ran clean in Deno 2 (two clients in one process, 5,000 interleaved
 * writes each, no reply mixed up: the symptom of denoland/deno#20188; no
 * hang: denoland/deno#19579). node-redis wins because it pipelines every
 * command issued in the same tick by default (the 64-in-flight column), it
 * is the client Redis maintains and recommends for new projects (ioredis is
 * in maintenance), and it has what this actor needs built in:
 * `disableOfflineQueue` (fail fast while disconnected), a bounded command
 * queue (`commandsQueueMaxLength`), a `reconnectStrategy`, and a cluster
 * client that exposes its masters for a per-master `SCAN`. (Its per-command
 * `timeout` covers only the wait to be written, not the reply: this actor
 * keeps its own deadlines.)
 *
 * ## Files
 *
 * This folder has one job per file: `options.ts` (checks, defaults),
 * `connection.ts` (connect, reconnect, fail fast), `batcher.ts` (one node:
 * requests of a turn merged into `MGET`/`MSET`/`DEL`), `cluster.ts` (what
 * differs on a Redis Cluster), `listing.ts` (`SCAN`); deadlines are
 * `src/deadlines.ts`. This file is the actor (the storage protocol).
 *
 * ## Layout
 *
 * An entry is the Redis string `prefix + ns + ":" + key` holding the JSON
 * of the value (for BoB, the record of the file layout:
 * `{"data", "type", "cid", "max_age"}`), so a file directory and a Redis
 * store migrate into each other. A `storage.set` with a `ttl` (BoB: its
 * max-age) becomes `SET … EX ttl`: the entry expires in Redis, at the same
 * time for every process sharing it; without `ttl` it has none.
 *
 * @module
 */
import { defineStorage, type StorageLogic } from "../define.ts";
import { redisName } from "../names.ts";
import { StorageError } from "../../../src/errors.ts";
import { Deadlines } from "../../../src/deadlines.ts";
import type { EntriesBatch, JsonValue } from "../protocol.ts";
import { DEL, GET, type Kind, OTHER, SET, SETEX } from "./batcher.ts";
import { topology, type Write } from "./cluster.ts";
import { type Commands, connect, fail } from "./connection.ts";
import { type Keyspace, keyspace, Listings, listKeys } from "./listing.ts";
import { redisSettings, type RedisStorageOptions } from "./options.ts";

export { DEFAULT_REDIS_PREFIX, type RedisStorageOptions } from "./options.ts";

/** A request waiting for Redis: what it does, and how to fail it. */
interface Guard {
  what: string;
  reject(e: Error): void;
}

function parse(key: string, text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (cause) {
    throw new StorageError(`Cannot read ${key}: corrupt JSON in Redis`, {
      cause,
    });
  }
}

/**
 * Storage actor logic that keeps entries in Redis, shared by every process
 * that points at the same Redis (or Redis Cluster) and prefix.
 *
 * What Redis being down means for callers:
 *
 * - While the connection is down, every request fails at once with a
 *   `StorageError` (`disableOfflineQueue`: nothing waits for a Redis that is
 *   not there, so there is no queue to grow). A command sent to a Redis
 *   that stops answering fails after `commandTimeout` ms. A request is
 *   answered exactly once, success or error, and never after the actor
 *   stopped.
 * - The actor reconnects by itself (backoff from 50 ms up to 1 s, for
 *   ever); once Redis is back, requests succeed again. A Redis restarted
 *   without persistence comes back empty: the entries are gone, as a cache's
 *   would be (BoB peers fetch them again).
 * - `storage.ready` (awaited by `api.bind`) fails when Redis cannot be
 *   reached within `connectTimeout` ms, so a bind to a dead Redis rejects
 *   and the old storage stays bound.
 *
 * Keys are `prefix + ns + ":" + key` (a namespace may not contain `:`);
 * values are JSON strings; a `storage.set` (or `storage.set_many`) with a
 * `ttl` is written with `EX ttl`. Listings (`storage.keys`,
 * `storage.entries`) use `SCAN … MATCH`, never `KEYS`, on every master of a
 * cluster. On one node, requests issued in the same turn are sent together
 * and runs of GETs, SETs and DELs become one `MGET`, `MSET` or `DEL`, in
 * order (bench/redis_bench.ts: with 64 calls in flight, the registry path
 * matches node-redis used directly). `storage.entries` reads each batch's
 * values with `MGET` (one node)
 * or pipelined `GET`s (a cluster), and `storage.set_many` is one
 * `MULTI`/`EXEC` (one node) or pipelined `SET`s (a cluster, whose keys span
 * slots). A listing reads each key's `PTTL` with its value (pipelined) and
 * lists its deadline, so a migration carries it on; `storage.set_many`
 * writes an entry's own deadline as `PX` of what is left when the command is
 * sent: what a migration into Redis copies expires in Redis when it would
 * have expired in the old storage (give or take the write's latency).
 *
 * @param options Where Redis is, and how keys are prefixed.
 * @returns Actor logic for `api.bind` or `createActor`.
 * @throws {TypeError} For a missing `url` or a bad option.
 *
 * @example Share one Redis between clients
 * ```ts ignore
 * import { ok } from "node:assert/strict";
 * import { createClient, redisStorage } from "@xmpp-actors/runtime";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * await bob.api.bind(redisStorage({ url: "redis://127.0.0.1:6379" }), {
 *   migrate: true,
 * });
 * // Expires in Redis after 60 s, for every process sharing it.
 * const cid = await bob.setBob(new TextEncoder().encode("hi"), "text/plain", {
 *   maxAge: 60,
 * });
 * ok(cid.startsWith("sha1+"));
 * await xmpp.stop();
 * ```
 *
 * @example Options are checked at once
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { redisStorage } from "./storage.ts";
 * throws(() => redisStorage({ url: "" }), TypeError);
 * throws(() => redisStorage({ url: "redis://h", commandTimeout: -1 }), RangeError);
 * ```
 */
export function redisStorage(options: RedisStorageOptions): StorageLogic {
  const settings = redisSettings(options);
  const { url, prefix, commandTimeout, maxQueue, where } = settings;

  return defineStorage(() => {
    const spaces = new Map<string, Keyspace>();
    // Deadlines. node-redis's own command timeout covers only the wait to
    // be written, not the wait for the reply: a frozen Redis would leave a
    // written command pending for ever. So every request is guarded here.
    const pending = new Deadlines<Guard>((g) =>
      g.reject(
        new StorageError(
          `Cannot ${g.what}: Redis at ${where} did not answer within ${commandTimeout} ms`,
        ),
      ), { sweepMs: Math.max(5, commandTimeout >> 2) });
    const live = (id: number) => pending.has(id);
    const topo = topology(settings, () => conn, live, () =>
      new StorageError(
        `Cannot run request: ${maxQueue} requests already wait for Redis at ${where}`,
      ));
    const conn = connect(settings, topo.create);
    const listings = new Listings(topo, parse);

    /**
     * Start one request under a deadline: `dispatch` arranges the work and
     * calls `ok` or `ko`; the promise settles exactly once, with the result,
     * the error as a `StorageError`, or a timeout.
     */
    function guarded<T>(
      what: string,
      dispatch: (
        id: number,
        ok: (v: T) => void,
        ko: (e: unknown) => void,
      ) => void,
    ): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const id = pending.add({ what, reject }, commandTimeout);
        const ok = (v: T) => {
          if (pending.take(id)) resolve(v);
        };
        const ko = (e: unknown) => {
          if (!pending.take(id)) return;
          try {
            fail(what, where, e);
          } catch (error) {
            reject(error);
          }
        };
        try {
          dispatch(id, ok, ko);
        } catch (e) {
          ko(e);
        }
      });
    }
    /** Run `op` on the client, in order with the data path. */
    function run<T>(what: string, op: (c: Commands) => Promise<T>): Promise<T> {
      return guarded<T>(what, (id, ok, ko) =>
        topo.dispatch({
          kind: OTHER,
          id,
          name: "",
          op,
          ok: ok as (v: unknown) => void,
          ko,
        }));
    }
    /** One key command, in order with the data path. */
    function command<T>(
      what: string,
      kind: Kind,
      name: string,
      text: string | undefined,
      ttl: number | undefined,
      done: (reply: unknown) => T,
    ): Promise<T> {
      return guarded<T>(what, (id, ok, ko) =>
        topo.dispatch({
          kind,
          id,
          name,
          text,
          ttl,
          ok: (reply) => {
            let v: T;
            try {
              v = done(reply);
            } catch (e) {
              return ko(e);
            }
            ok(v);
          },
          ko,
        }));
    }
    function space(ns: string): Keyspace {
      let s = spaces.get(ns);
      if (s === undefined) {
        if (ns.includes(":")) {
          throw new TypeError(
            `Cannot use Redis storage for namespace ${ns}: it contains ":"`,
          );
        }
        spaces.set(ns, s = keyspace(prefix, ns));
      }
      return s;
    }

    return {
      async ready() {
        try {
          const c = await conn.whenConnected();
          for (const node of await topo.scanNodes(c)) await node.ping();
        } catch (e) {
          fail("start storage", where, e);
        }
      },
      get(ns, key) {
        return command(
          `read ${key}`,
          GET,
          space(ns).head + key,
          undefined,
          undefined,
          (text) => text === null ? undefined : parse(key, text as string),
        );
      },
      set(ns, key, value, ttl) {
        return command(
          `write ${key}`,
          ttl === undefined ? SET : SETEX,
          space(ns).head + key,
          JSON.stringify(value),
          ttl,
          () => {},
        );
      },
      del(ns, key) {
        return command(
          `delete ${key}`,
          DEL,
          space(ns).head + key,
          undefined,
          undefined,
          () => {},
        );
      },
      keys(ns) {
        const s = space(ns);
        return run(`list ${ns}`, (c) => listKeys(c, topo, s));
      },
      entries(ns, cursor, limit): Promise<EntriesBatch> {
        const s = space(ns);
        return run(`list ${ns}`, (c) => listings.next(c, s, cursor, limit));
      },
      setMany(ns, entries, ttl) {
        const { head } = space(ns);
        if (entries.length === 0) return;
        const all = ttl === undefined ? undefined : { EX: ttl };
        return run(`write ${entries.length} entries`, (c) => {
          // An entry's own deadline wins: SET … PX what is left of it now,
          // when the command is sent.
          const now = Date.now();
          return topo.writeMany(
            c,
            entries.map((e): Write => [
              head + e[0],
              JSON.stringify(e[1]),
              e[2] === undefined ? all : { PX: Math.max(1, e[2] - now) },
            ]),
          );
        });
      },
      close() {
        pending.clear();
        topo.clear();
        listings.clear();
        conn.close();
      },
    };
  }, { name: redisName(url, prefix) });
}
