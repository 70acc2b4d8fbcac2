/**
 * The Redis storage actor (Deno only): one Redis (or Valkey), or a Redis
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
import { redisName } from "./names.ts";
import { defineStorage, type StorageLogic } from "./define.ts";
import { StorageError } from "../../src/errors.ts";
import type {
  EntriesBatch,
  EntriesCursor,
  JsonValue,
  StorageEntry,
} from "./protocol.ts";

/** Options of {@linkcode redisStorage}. */
export interface RedisStorageOptions {
  /**
   * Where Redis is: `redis://[user:password@]host:port[/db]` (or
   * `rediss://` for TLS). With `cluster`, any one node of the cluster.
   */
  url: string;
  /**
   * Prepended to every key, so several applications can share a database.
   * @default {"xmpp-actors:"}
   */
  prefix?: string;
  /**
   * Whether `url` is a node of a Redis Cluster: keys are spread over its
   * masters, and listings (`storage.keys`, `storage.entries`) scan every
   * master.
   * @default {false}
   */
  cluster?: boolean;
  /**
   * How long one command may wait for Redis before its request fails with a
   * `StorageError`, in ms. Keep it below the client's call timeout (5 s by
   * default) so that callers see why.
   * @default {2000}
   */
  commandTimeout?: number;
  /**
   * How long the start handshake (`storage.ready`, awaited by `api.bind`)
   * waits for the first connection, in ms.
   * @default {5000}
   */
  connectTimeout?: number;
  /**
   * The most commands waiting for Redis at once (per connection); a request
   * beyond it fails at once with a `StorageError`.
   * @default {100000}
   */
  maxQueue?: number;
}

/** The default {@linkcode RedisStorageOptions.prefix}. */
export const DEFAULT_REDIS_PREFIX: string = "xmpp-actors:";

/** The most keys one `SCAN` call is asked for (its `COUNT` hint). */
const SCAN_COUNT = 1000;
/** The most listings of one actor kept open at once (as the other backends). */
const MAX_LISTINGS = 8;

// The part of node-redis this actor uses, typed structurally: the client's
// own generic types are large, and this keeps the check fast.
type Expiry = { EX: number } | { PX: number };
interface Multi {
  set(key: string, value: string, options?: Expiry): Multi;
  exec(): Promise<unknown>;
}
interface Commands {
  get(key: string): Promise<string | null>;
  pTTL(key: string): Promise<number>;
  set(
    key: string,
    value: string,
    options?: Expiry,
  ): Promise<unknown>;
  del(keys: string | string[]): Promise<number>;
  multi(): Multi;
}
interface NodeClient extends Commands {
  mGet(keys: string[]): Promise<(string | null)[]>;
  mSet(pairs: [string, string][]): Promise<unknown>;
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string; keys: string[] }>;
  ping(): Promise<string>;
}
interface Connection {
  on(event: "error", listener: (e: Error) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
}
type DenoDeps = typeof import("../../src/deps_deno.ts");

/** The keys of one namespace: the name prefix and its SCAN pattern. */
function keyspace(prefix: string, ns: string) {
  const head = `${prefix}${ns}:`;
  // SCAN MATCH is a glob: escape its special characters.
  const pattern = head.replace(/[*?[\]\\]/g, "\\$&") + "*";
  return { head, pattern };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Kinds of queued requests: runs of GET, SET and DEL are merged. */
const GET = 0, SET = 1, DEL = 2, SETEX = 3, OTHER = 4;
type Kind = 0 | 1 | 2 | 3 | 4;

/** A request in the queue of the data path (one node). */
interface Item {
  kind: Kind;
  /** Its guard: gone once answered or timed out (then it is not sent). */
  id: number;
  /** The full Redis key (GET, SET, SETEX, DEL). */
  name: string;
  /** The JSON to write (SET, SETEX). */
  text?: string;
  /** Seconds to live (SETEX). */
  ttl?: number;
  /** What to run (OTHER: listings, bulk writes). */
  op?: (c: Commands) => Promise<unknown>;
  ok(reply: unknown): void;
  ko(e: unknown): void;
}

/**
 * Microtask hops between the first queued request and the flush: enough
 * for callers woken by the same reply to issue their next request (each
 * goes through a few promise hops: storage reply, registry, caller).
 */
const FLUSH_DEPTH = 16;

/** A request waiting for Redis, and its deadline. */
interface Guard {
  at: number;
  what: string;
  reject(e: Error): void;
}

/** One listing: the masters to scan, where it is, keys read but not sent. */
interface Listing {
  nodes: NodeClient[];
  node: number;
  cursor: string;
  buffer: string[];
  /** Keys already handed out (SCAN may return a key twice). */
  seen: Set<string>;
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
 * import { redisStorage } from "./redis.ts";
 * throws(() => redisStorage({ url: "" }), TypeError);
 * throws(() => redisStorage({ url: "redis://h", commandTimeout: -1 }), RangeError);
 * ```
 */
export function redisStorage(options: RedisStorageOptions): StorageLogic {
  const url = options?.url;
  if (typeof url !== "string" || !/^rediss?:\/\/./.test(url)) {
    throw new TypeError(
      "Cannot create Redis storage: url must be a redis:// or rediss:// URL",
    );
  }
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  if (typeof prefix !== "string") {
    throw new TypeError("Cannot create Redis storage: prefix must be a string");
  }
  const positive = (name: string, value: unknown, fallback: number) => {
    if (value === undefined) return fallback;
    if (
      typeof value !== "number" || !Number.isSafeInteger(value) || value < 1
    ) {
      throw new RangeError(
        `Cannot create Redis storage: ${name} must be a positive integer`,
      );
    }
    return value;
  };
  const commandTimeout = positive(
    "commandTimeout",
    options.commandTimeout,
    2000,
  );
  const connectTimeout = positive(
    "connectTimeout",
    options.connectTimeout,
    5000,
  );
  const maxQueue = positive("maxQueue", options.maxQueue, 100_000);
  const cluster = options.cluster === true;
  const where = url.replace(/\/\/[^@/]*@/, "//"); // no credentials in messages

  return defineStorage(() => {
    let conn: (Connection & Commands) | undefined;
    let lastError: Error | undefined;
    let closed = false;
    const spaces = new Map<string, { head: string; pattern: string }>();
    const listings = new Map<string, Listing>();
    let seq = 0;

    // The client module loads on first use (a dynamic import keeps it out
    // of what importing mod.ts loads), then connects once; node-redis
    // reconnects by itself from then on.
    const started: Promise<Connection & Commands> = import(
      "../../src/deps_deno.ts"
    ).then((deps: DenoDeps) => {
      const socket = {
        connectTimeout: Math.min(connectTimeout, 2000),
        // Backoff 50 ms, 100 ms, … up to 1 s, for ever.
        reconnectStrategy: (retries: number) =>
          Math.min(50 * 2 ** Math.min(retries, 5), 1000),
      };
      const common = {
        disableOfflineQueue: true,
        commandsQueueMaxLength: maxQueue,
        commandOptions: { timeout: commandTimeout },
      };
      const made = (cluster
        ? deps.createRedisCluster({
          rootNodes: [{ url }],
          defaults: { ...common, socket },
          // A cluster's MOVED/ASK retries are bounded by the command timeout.
        })
        : deps.createRedisClient({ url, ...common, socket })) as unknown as
          & Connection
          & Commands;
      made.on("error", (e: Error) => void (lastError = e));
      if (closed) return made;
      // Requests wait for the first connection (or their deadline); from
      // then on they go straight to the client, which fails them at once
      // while it is reconnecting.
      return made.connect().then(() => {
        if (!closed) conn = made;
        return made;
      });
    });
    started.catch(() => {}); // reported by ready() and by each request

    function fail(what: string, cause: unknown): never {
      if (cause instanceof StorageError) throw cause;
      throw new StorageError(
        `Cannot ${what}: Redis at ${where}: ${message(cause)}`,
        { cause },
      );
    }
    // Deadlines. node-redis's own command timeout covers only the wait to
    // be written, not the wait for the reply: a frozen Redis would leave a
    // written command pending for ever. So every request is guarded here:
    // pending requests in start order (one timeout for all, so also in
    // deadline order), swept by one interval that runs only while some are
    // pending.
    const pending = new Map<number, Guard>();
    let guardSeq = 0;
    let sweeper: ReturnType<typeof setInterval> | undefined;
    function sweep() {
      const now = Date.now();
      for (const [id, g] of pending) {
        if (g.at > now) break;
        pending.delete(id);
        g.reject(
          new StorageError(
            `Cannot ${g.what}: Redis at ${where} did not answer within ${commandTimeout} ms`,
          ),
        );
      }
      if (pending.size === 0) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
    }
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
        const id = ++guardSeq;
        pending.set(id, { at: Date.now() + commandTimeout, what, reject });
        sweeper ??= setInterval(sweep, Math.max(5, commandTimeout >> 2));
        const ok = (v: T) => {
          if (pending.delete(id)) resolve(v);
        };
        const ko = (e: unknown) => {
          if (!pending.delete(id)) return;
          try {
            fail(what, e);
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

    // The data path. One node: requests are queued and sent together a few
    // microtasks later (the turn in which their callers issue them), runs of
    // the same kind merged into one command: GETs into one MGET, SETs into
    // one MSET, DELs into one DEL; a SET with a TTL, and listings and bulk
    // writes, go as they are, in their place. One connection keeps commands
    // in order, so every request sees exactly the writes accepted before
    // it. A cluster spreads keys over slots (no multi-key command across
    // them): there each request is its own command, pipelined per node by
    // node-redis.
    let queue: Item[] = [];
    let scheduled = false;
    function enqueue(item: Item) {
      if (queue.length >= maxQueue) {
        item.ko(
          new StorageError(
            `Cannot run request: ${maxQueue} requests already wait for Redis at ${where}`,
          ),
        );
        return;
      }
      queue.push(item);
      if (scheduled) return;
      scheduled = true;
      let depth = FLUSH_DEPTH;
      const hop = () => {
        if (--depth > 0) queueMicrotask(hop);
        else flush();
      };
      queueMicrotask(hop);
    }
    function flush() {
      scheduled = false;
      const c = conn as NodeClient | undefined;
      if (c === undefined) {
        // Not connected yet: wait (requests past their deadline are
        // dropped from the batch, never sent late).
        if (!closed) {
          scheduled = true;
          started.then(flush, () => void (scheduled = false));
        }
        return;
      }
      const items = queue;
      queue = [];
      for (let i = 0; i < items.length;) {
        const kind = items[i].kind;
        let j = i + 1;
        if (kind !== SETEX && kind !== OTHER) {
          while (j < items.length && items[j].kind === kind) j++;
        }
        const batch: Item[] = [];
        for (let x = i; x < j; x++) {
          if (pending.has(items[x].id)) batch.push(items[x]);
        }
        i = j;
        if (batch.length === 0) continue;
        try {
          send(c, kind, batch);
        } catch (e) {
          for (const it of batch) it.ko(e);
        }
      }
    }
    function send(c: NodeClient, kind: Kind, batch: Item[]) {
      const all = (e: unknown) => {
        for (const it of batch) it.ko(e);
      };
      const one = batch[0];
      switch (kind) {
        case GET:
          if (batch.length === 1) {
            return void c.get(one.name).then(one.ok, one.ko);
          }
          return void c.mGet(batch.map((it) => it.name)).then((texts) => {
            for (let i = 0; i < batch.length; i++) batch[i].ok(texts[i]);
          }, all);
        case SET:
          if (batch.length === 1) {
            return void c.set(one.name, one.text!).then(one.ok, one.ko);
          }
          return void c.mSet(batch.map((it) => [it.name, it.text!])).then(
            () => {
              for (const it of batch) it.ok(undefined);
            },
            all,
          );
        case DEL:
          return void c.del(batch.map((it) => it.name)).then(() => {
            for (const it of batch) it.ok(undefined);
          }, all);
        case SETEX:
          return void c.set(one.name, one.text!, { EX: one.ttl! }).then(
            one.ok,
            one.ko,
          );
        default:
          return void one.op!(c).then(one.ok, one.ko);
      }
    }
    /** Run `op` on the client, in order with the data path. */
    function run<T>(what: string, op: (c: Commands) => Promise<T>): Promise<T> {
      return guarded<T>(what, (id, ok, ko) => {
        if (!cluster) {
          return enqueue({
            kind: OTHER,
            id,
            name: "",
            op,
            ok: ok as (v: unknown) => void,
            ko,
          });
        }
        if (conn !== undefined) return void op(conn).then(ok, ko);
        started.then((c) => pending.has(id) ? op(c) : undefined).then(
          (v) => ok(v as T),
          ko,
        );
      });
    }
    /** One key command: queued (one node) or sent as is (a cluster). */
    function command<T>(
      what: string,
      kind: Kind,
      name: string,
      text: string | undefined,
      ttl: number | undefined,
      done: (reply: unknown) => T,
    ): Promise<T> {
      if (cluster) {
        return run(what, (c) => {
          const r = kind === GET
            ? c.get(name)
            : kind === DEL
            ? c.del(name)
            : ttl === undefined
            ? c.set(name, text!)
            : c.set(name, text!, { EX: ttl });
          return (r as Promise<unknown>).then(done);
        });
      }
      return guarded<T>(what, (id, ok, ko) =>
        enqueue({
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
    function space(ns: string) {
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
    function parse(key: string, text: string): JsonValue {
      try {
        return JSON.parse(text) as JsonValue;
      } catch (cause) {
        throw new StorageError(`Cannot read ${key}: corrupt JSON in Redis`, {
          cause,
        });
      }
    }
    /** The clients to SCAN: the one node, or every master of the cluster. */
    //
    // Synchronous for one node, so that a listing's first SCAN is sent in
    // the same turn as the request: it then runs after every write accepted
    // before it, and before every one accepted after it (one connection
    // keeps its commands in order).
    function scanNodes(c: Commands): NodeClient[] | Promise<NodeClient[]> {
      if (!cluster) return [c as NodeClient];
      const rc = c as unknown as {
        masters: unknown[];
        nodeClient(node: unknown): Promise<NodeClient>;
      };
      return Promise.all(rc.masters.map((m) => rc.nodeClient(m)));
    }
    /**
     * Values of `names` (full Redis keys), `null` where there is none, and
     * their remaining times (`PTTL`: ms, or -1 for none, -2 for no key).
     */
    function readMany(
      c: Commands,
      node: NodeClient,
      names: string[],
    ): Promise<[(string | null)[], number[]]> {
      if (names.length === 0) return Promise.resolve([[], []]);
      // One node: one MGET. A cluster: the keys of one master may span
      // slots (MGET would be CROSSSLOT), so one GET each, pipelined. The
      // PTTLs are issued in the same tick, so pipelined with them.
      const texts = cluster
        ? Promise.all(names.map((n) => c.get(n)))
        : node.mGet(names);
      const ttls = Promise.all(
        names.map((n) => (cluster ? c : node).pTTL(n)),
      );
      return Promise.all([texts, ttls]);
    }

    return {
      async ready() {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const c = await Promise.race([
            started,
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () =>
                  reject(
                    new Error(
                      `no connection within ${connectTimeout} ms${
                        lastError ? ` (${lastError.message})` : ""
                      }`,
                    ),
                  ),
                connectTimeout,
              );
            }),
          ]);
          for (const node of await scanNodes(c)) await node.ping();
        } catch (e) {
          fail("start storage", e);
        } finally {
          clearTimeout(timer);
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
        const { head, pattern } = space(ns);
        return run(`list ${ns}`, async (c) => {
          const out = new Set<string>();
          const found = scanNodes(c);
          for (const node of found instanceof Promise ? await found : found) {
            let cursor = "0";
            do {
              const r = await node.scan(cursor, {
                MATCH: pattern,
                COUNT: SCAN_COUNT,
              });
              for (const name of r.keys) out.add(name.slice(head.length));
              cursor = String(r.cursor);
            } while (cursor !== "0");
          }
          return [...out];
        });
      },
      entries(ns, cursor, limit): Promise<EntriesBatch> {
        const { head, pattern } = space(ns);
        return run(`list ${ns}`, async (c) => {
          let id: EntriesCursor = cursor;
          let listing: Listing | undefined;
          if (id === null) {
            id = String(++seq);
            const found = scanNodes(c);
            listing = {
              nodes: found instanceof Promise ? await found : found,
              node: 0,
              cursor: "0",
              buffer: [],
              seen: new Set(),
            };
            if (listings.size >= MAX_LISTINGS) {
              listings.delete(listings.keys().next().value!);
            }
            listings.set(id, listing);
          } else {
            listing = listings.get(id);
            if (listing === undefined) {
              throw new StorageError(
                `Cannot answer storage.entries: unknown cursor ${
                  JSON.stringify(id)
                }`,
              );
            }
          }
          // SCAN until `limit` new keys are buffered or every master is done.
          const l = listing;
          while (l.buffer.length < limit && l.node < l.nodes.length) {
            const r = await l.nodes[l.node].scan(l.cursor, {
              MATCH: pattern,
              COUNT: Math.max(limit, 100),
            });
            for (const name of r.keys) {
              if (!l.seen.has(name)) {
                l.seen.add(name);
                l.buffer.push(name);
              }
            }
            l.cursor = String(r.cursor);
            if (l.cursor === "0") l.node++;
          }
          const names = l.buffer.splice(0, limit);
          const done = l.buffer.length === 0 && l.node >= l.nodes.length;
          if (done) listings.delete(id);
          const asked = Date.now();
          const [texts, ttls] = await readMany(
            c,
            l.nodes[Math.min(l.node, l.nodes.length - 1)],
            names,
          );
          // A PTTL was taken somewhere in the round trip, after `asked`:
          // counted from `asked`, a deadline is never overstated.
          const batch: EntriesBatch = { entries: [], next: done ? null : id };
          const unreadable: [string, string][] = [];
          names.forEach((name, i) => {
            const text = texts[i];
            const key = name.slice(head.length);
            if (text === null) return; // deleted (or expired) since listed
            try {
              const value = parse(key, text);
              // A remaining time (ms) travels with the entry.
              const ttl = Number(ttls[i]);
              batch.entries.push(
                ttl > 0 ? [key, value, asked + ttl] : [key, value],
              );
            } catch (e) {
              unreadable.push([key, message(e)]);
            }
          });
          if (unreadable.length > 0) batch.unreadable = unreadable;
          return batch;
        });
      },
      setMany(ns, entries, ttl) {
        const { head } = space(ns);
        if (entries.length === 0) return;
        const all = ttl === undefined ? undefined : { EX: ttl };
        return run(`write ${entries.length} entries`, async (c) => {
          // An entry's own deadline wins: SET … PX what is left of it now,
          // when the command is sent.
          const now = Date.now();
          const opts = (e: StorageEntry) =>
            e[2] === undefined ? all : { PX: Math.max(1, e[2] - now) };
          if (cluster) {
            // Keys span slots: no MULTI across them. Pipelined SETs.
            await Promise.all(
              entries.map((e) =>
                c.set(head + e[0], JSON.stringify(e[1]), opts(e))
              ),
            );
            return;
          }
          const m = c.multi();
          for (const e of entries) {
            m.set(head + e[0], JSON.stringify(e[1]), opts(e));
          }
          await m.exec();
        });
      },
      close() {
        closed = true;
        clearInterval(sweeper);
        pending.clear();
        queue = [];
        listings.clear();
        try {
          conn?.destroy();
        } catch {
          // already closed
        }
        // Still importing or connecting: destroy once it has a client.
        started.then((c) => {
          if (c !== conn) c.destroy();
        }, () => {});
      },
    };
  }, { name: redisName(url, prefix) });
}
