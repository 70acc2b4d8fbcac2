/**
 * The micro-batcher of the Redis data path, against a fake command sink
 * that records every command (the real Redis is in redis_storage_test.ts).
 */
import { assertEquals, assertStrictEquals } from "./deps.ts";
import {
  Batcher,
  type BatcherOptions,
  type CommandSink,
  DEL,
  GET,
  type Kind,
  OTHER,
  type Request,
  SET,
  SETEX,
} from "../actors/storage/redis/batcher.ts";

/** A sink that records commands and answers them on the next macrotask. */
class FakeSink implements CommandSink {
  log: unknown[][] = [];
  data = new Map<string, string>();
  /** When set, every command rejects with it. */
  failWith: Error | undefined;
  #answer<T>(f: () => T): Promise<T> {
    return new Promise((resolve, reject) =>
      setTimeout(() => this.failWith ? reject(this.failWith) : resolve(f()), 0)
    );
  }
  get(key: string) {
    this.log.push(["get", key]);
    return this.#answer(() => this.data.get(key) ?? null);
  }
  mGet(keys: string[]) {
    this.log.push(["mGet", ...keys]);
    return this.#answer(() => keys.map((k) => this.data.get(k) ?? null));
  }
  set(key: string, value: string, options?: { EX: number }) {
    this.log.push(
      options ? ["set", key, value, options.EX] : ["set", key, value],
    );
    return this.#answer(() => void this.data.set(key, value));
  }
  mSet(pairs: [string, string][]) {
    this.log.push(["mSet", ...pairs.flat()]);
    return this.#answer(() => {
      for (const [k, v] of pairs) this.data.set(k, v);
    });
  }
  del(keys: string[]) {
    this.log.push(["del", ...keys]);
    return this.#answer(() => keys.filter((k) => this.data.delete(k)).length);
  }
}

interface Harness {
  sink: FakeSink;
  batcher: Batcher<FakeSink>;
  /** Queue a request; its promise settles with its reply or error. */
  push(
    kind: Kind,
    name: string,
    more?: Partial<Request<FakeSink>>,
  ): Promise<unknown>;
  /** Ids that are no longer live. */
  dead: Set<number>;
}

function harness(options: Partial<BatcherOptions<FakeSink>> = {}): Harness {
  const sink = new FakeSink();
  const dead = new Set<number>();
  const batcher = new Batcher<FakeSink>({
    sink: () => sink,
    whenSink: () => undefined,
    live: (id) => !dead.has(id),
    maxQueue: 1000,
    full: () => new Error("full"),
    ...options,
  });
  let seq = 0;
  return {
    sink,
    batcher,
    dead,
    push: (kind, name, more = {}) =>
      new Promise((ok, ko) =>
        batcher.push({ kind, id: ++seq, name, ok, ko, ...more })
      ),
  };
}

Deno.test("Batcher merges runs of GET, SET and DEL into MGET, MSET and DEL, in order, and answers each request", async () => {
  const h = harness();
  h.sink.data.set("a", "1");
  h.sink.data.set("e", "5");
  const other = (s: FakeSink) => s.get("inside");
  const replies = await Promise.all([
    h.push(GET, "a"),
    h.push(GET, "b"),
    h.push(SET, "c", { text: "3" }),
    h.push(SET, "d", { text: "4" }),
    h.push(DEL, "e"),
    h.push(DEL, "f"),
    h.push(GET, "c"),
    h.push(SETEX, "g", { text: "7", ttl: 60 }),
    h.push(SETEX, "h", { text: "8", ttl: 30 }),
    h.push(OTHER, "", { op: other }),
    h.push(SET, "i", { text: "9" }),
    h.push(GET, "e"),
  ]);
  assertEquals(h.sink.log, [
    ["mGet", "a", "b"],
    ["mSet", "c", "3", "d", "4"],
    ["del", "e", "f"],
    ["get", "c"],
    ["set", "g", "7", 60],
    ["set", "h", "8", 30],
    ["get", "inside"],
    ["set", "i", "9"],
    ["get", "e"],
  ]);
  assertEquals(replies, [
    "1",
    null,
    undefined,
    undefined,
    undefined,
    undefined,
    "3", // the write before it in the queue
    undefined,
    undefined,
    null,
    undefined,
    null, // deleted before it in the queue
  ]);
});

Deno.test("Batcher flushes once per turn, however many promise hops a caller takes before its request", async () => {
  const h = harness();
  // Callers woken in the same turn, each going through more promise hops
  // (registry, facade, user code) than a depth tuned to one caller.
  const callers = Array.from({ length: 8 }, async (_, i) => {
    for (let hop = 0; hop < 10 * i; hop++) await null;
    return h.push(GET, `k${i}`);
  });
  await Promise.all(callers);
  assertEquals(h.sink.log, [[
    "mGet",
    "k0",
    "k1",
    "k2",
    "k3",
    "k4",
    "k5",
    "k6",
    "k7",
  ]]);
});

Deno.test("Batcher: callers woken by one reply send their next requests in one batch", async () => {
  const h = harness();
  const loops = Array.from({ length: 16 }, async (_, i) => {
    for (let round = 0; round < 3; round++) {
      await h.push(GET, `r${round}:${i}`);
      for (let hop = 0; hop < i * 3; hop++) await null;
    }
  });
  await Promise.all(loops);
  assertEquals(h.sink.log.length, 3);
  for (const [round, cmd] of h.sink.log.entries()) {
    assertEquals(cmd, [
      "mGet",
      ...Array.from({ length: 16 }, (_, i) => `r${round}:${i}`),
    ]);
  }
});

Deno.test("Batcher does not send a request that is no longer live (answered or timed out)", async () => {
  const h = harness();
  const sent = [h.push(GET, "a"), h.push(GET, "b"), h.push(GET, "c")];
  h.dead.add(2); // "b" timed out before the flush
  await Promise.all([sent[0], sent[2]]);
  assertEquals(h.sink.log, [["mGet", "a", "c"]]);
});

Deno.test("Batcher fails a request beyond maxQueue at once and keeps the queued ones", async () => {
  const h = harness({ maxQueue: 2 });
  const a = h.push(SET, "a", { text: "1" });
  const b = h.push(SET, "b", { text: "2" });
  const c = h.push(SET, "c", { text: "3" });
  const outcome = await c.then(() => "sent", (e: Error) => e.message);
  assertStrictEquals(outcome, "full");
  assertStrictEquals(h.batcher.size, 2);
  await Promise.all([a, b]);
  assertEquals(h.sink.log, [["mSet", "a", "1", "b", "2"]]);
});

Deno.test("Batcher: a failed merged command fails every request of its run, and only those", async () => {
  const h = harness();
  const boom = new Error("boom");
  const errors: unknown[] = [];
  const gets = [h.push(GET, "a"), h.push(GET, "b")].map((p) =>
    p.catch((e) => void errors.push(e))
  );
  const throwing = h.push(OTHER, "", {
    op: () => {
      throw new TypeError("sync");
    },
  }).catch((e) => e);
  h.sink.failWith = boom;
  await Promise.all(gets);
  assertEquals(errors, [boom, boom]);
  assertStrictEquals((await throwing) instanceof TypeError, true);
});

Deno.test("Batcher waits for a sink before sending, and sends nothing once none will come", async () => {
  let sink: FakeSink | undefined;
  const real = new FakeSink();
  let connected!: () => void;
  const ready = new Promise<void>((r) => connected = r);
  let closed = false;
  const batcher = new Batcher<FakeSink>({
    sink: () => sink,
    whenSink: () => closed ? undefined : ready,
    live: () => true,
    maxQueue: 10,
    full: () => new Error("full"),
  });
  const got = new Promise((ok, ko) =>
    batcher.push({ kind: GET, id: 1, name: "a", ok, ko })
  );
  await new Promise((r) => setTimeout(r, 5));
  assertEquals(real.log, []);
  sink = real;
  connected();
  assertStrictEquals(await got, null);
  assertEquals(real.log, [["get", "a"]]);

  sink = undefined;
  closed = true;
  batcher.push({ kind: GET, id: 2, name: "b", ok: () => {}, ko: () => {} });
  await new Promise((r) => setTimeout(r, 5));
  batcher.clear();
  assertStrictEquals(batcher.size, 0);
  assertEquals(real.log, [["get", "a"]]);
});
