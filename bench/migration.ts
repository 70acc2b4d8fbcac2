/**
 * Live migration (`api.bind(storage, { migrate: true })`): how callers and
 * the copy share the event loop, the copy rate next to the raw bulk write
 * rate of the target, and call latency during a migration.
 *
 *     deno run -A bench/migration.ts [--n 20000] [--idb-n 5000] [--callers 64]
 *       [--rounds 3] [--shares 0.25,0.75] [--caller-ms 1000]
 *       [--only pacing|rates|latency]
 *
 * Callers: `callers` concurrent loops, each `tick → run` (a macrotask yield
 * on a fresh MessageChannel, as a caller driven by network input would be,
 * then one get or set of a random key among the `n`).
 *
 * Pacing (memory → file and file → memory, the default `share` and each of
 * `--shares`): in each round, the target's raw `set_many` rate, the copy
 * alone (a migration of `n` entries, no caller), then per share: callers
 * alone on a file storage of `n` entries for `caller-ms`, and right after,
 * the migration with the callers running while it lasts. Reported: the
 * callers' rate during the migration against their rate on the file storage
 * alone (the slower storage), and the copy's rate (`n` / wall time of the
 * bind) against the raw `set_many` rate and against the copy alone; each
 * ratio is taken within its round, the median of `rounds` is shown. For
 * file → memory the raw `set_many` of memory is far above what reading
 * files allows: "copy vs alone" is the meaningful ratio there.
 *
 * Rates: the source is filled with `n` entries (`{ v: "<40 chars>" }` JSON
 * values, keys `k<i>`), then one `bind({ migrate: true })` with no other
 * load; the rate is `n` / wall time of the bind. The raw rate is the target
 * storage alone, in the same run: `n` entries written by `storage.set_many`
 * batches of 1024 sent straight to a fresh storage actor (no registry); the
 * source's raw read rate (`storage.entries` batches of 1024, straight) is
 * shown too, since a copy cannot beat the slower of the two. Each rate is
 * the median of `rounds` rounds, raw and migration interleaved.
 *
 * Latency: the callers run for as long as a memory → file migration of `n`
 * entries runs; then the same loop for the same time with no migration, on
 * the memory storage (the old one) and on a file storage (the new one). A
 * call's latency is the time from the caller's turn (before its yield) to
 * the answer, so time spent behind a copy batch on the event loop counts.
 *
 * File storages live in `Deno.makeTempDir()` (`TMPDIR`; e.g.
 * `TMPDIR=/dev/shm` keeps a busy disk out of the figures).
 *
 * @module
 */
import { kvPlugin } from "../tests/support/kv_plugin.ts";
import {
  type Api,
  createClient,
  fileStorage,
  idbStorage,
  type JsonValue,
  memoryStorage,
  type StorageLogic,
} from "../mod.ts";
import type { StorageReply } from "../internals.ts";
import { createActor } from "../src/deps.ts";
import type { AnyActorRef } from "../src/types.ts";
// IndexedDB for the idb storage under Deno (in memory).
import "../tests/deps.ts";
import { flag } from "./_args.ts";

const N = Number(flag("n", "20000"));
const IDB_N = Number(flag("idb-n", "5000"));
const CALLERS = Number(flag("callers", "64"));
const ROUNDS = Number(flag("rounds", "3"));
const SHARES = flag("shares", "0.25,0.75").split(",").filter((x) => x !== "")
  .map(Number);
const CALLER_MS = Number(flag("caller-ms", "1000"));
const ONLY = flag("only", "");

const kv = kvPlugin("kvbench");

const value = (i: number): JsonValue => ({ v: `${i}`.padStart(40, "0") });

function ask(
  storage: AnyActorRef,
  request: Record<string, unknown>,
): Promise<StorageReply> {
  return new Promise((resolve) =>
    storage.send({
      id: 1,
      ns: "kvbench",
      ...request,
      replyTo: { send: resolve },
    })
  );
}

async function fill(storage: AnyActorRef, n: number): Promise<void> {
  for (let start = 0; start < n; start += 1024) {
    const entries: [string, JsonValue][] = [];
    for (let i = start; i < Math.min(n, start + 1024); i++) {
      entries.push([`k${i}`, value(i)]);
    }
    const r = await ask(storage, { type: "storage.set_many", entries });
    if (r.type !== "storage.result") throw r.error;
  }
}

/** Entries/s of `set_many` batches straight into a fresh storage actor. */
async function rawRate(logic: StorageLogic, n: number): Promise<number> {
  const storage = createActor(logic).start();
  const t = performance.now();
  await fill(storage, n);
  const rate = n / ((performance.now() - t) / 1000);
  storage.stop();
  return rate;
}

/** Entries/s of `storage.entries` batches of 1024 straight from a storage. */
async function rawReadRate(storage: AnyActorRef): Promise<number> {
  const t = performance.now();
  let cursor: string | null = null;
  let n = 0;
  do {
    const r = await ask(storage, {
      type: "storage.entries",
      cursor,
      limit: 1024,
    });
    if (r.type !== "storage.result") throw r.error;
    const batch = r.value as { entries: unknown[]; next: string | null };
    n += batch.entries.length;
    cursor = batch.next;
  } while (cursor !== null);
  return n / ((performance.now() - t) / 1000);
}

async function migrationRate(
  from: StorageLogic,
  to: StorageLogic,
  n: number,
): Promise<{ mig: number; read: number }> {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 30_000 });
  try {
    const api = xmpp.registerPlugin(kv);
    await api.bind(from);
    await fill(api.storage, n);
    const read = await rawReadRate(api.storage);
    const t = performance.now();
    await api.bind(to, { migrate: true });
    return { mig: n / ((performance.now() - t) / 1000), read };
  } finally {
    await xmpp.stop();
  }
}

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

/** Run `callers` loops until `until` settles; returns the latencies in ms. */
async function calls(
  api: Api,
  keys: number,
  until: Promise<unknown>,
): Promise<number[]> {
  let stop = false;
  until.finally(() => stop = true);
  const lat: number[] = [];
  await Promise.all(Array.from({ length: CALLERS }, async (_, c) => {
    let i = c;
    while (!stop) {
      const t = performance.now();
      await tick();
      const key = `k${(i = (i * 7919 + 13) % keys)}`;
      if (i % 2 === 0) await api.run("put", { args: [key, value(i)] });
      else await api.run("read", { args: key });
      lat.push(performance.now() - t);
    }
  }));
  return lat;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

async function latency(): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  const row = (name: string, lat: number[], ms: number) =>
    rows.push({
      case: name,
      calls: String(lat.length),
      "calls/s": (lat.length / (ms / 1000)).toFixed(0),
      "p50 µs": (pct(lat, 0.5) * 1000).toFixed(0),
      "p99 µs": (pct(lat, 0.99) * 1000).toFixed(0),
    });
  const dirs: string[] = [];
  const run = async (
    name: string,
    setup: (api: Api) => Promise<void>,
    during: (api: Api) => Promise<unknown>,
  ) => {
    const xmpp = createClient({ jid: "alice@localhost", timeout: 30_000 });
    try {
      const api = xmpp.registerPlugin(kv);
      await setup(api);
      await fill(api.storage, N);
      const t = performance.now();
      const lat = await calls(api, N, during(api));
      const ms = performance.now() - t;
      row(name, lat, ms);
      return ms;
    } finally {
      await xmpp.stop();
    }
  };
  const dir = () => Deno.makeTempDir().then((d) => (dirs.push(d), d));
  const ms = await run(
    "during memory → file migration",
    async () => {},
    async (api) =>
      api.bind(fileStorage({ dir: await dir() }), { migrate: true }),
  );
  const sleep = () => new Promise((r) => setTimeout(r, ms));
  await run("no migration, memory", async () => {}, sleep);
  await run("no migration, file", async (api) => {
    await api.bind(fileStorage({ dir: await dir() }));
  }, sleep);
  for (const d of dirs) await Deno.remove(d, { recursive: true });
  return rows;
}

const tmp: string[] = [];
const fileLogic = async () => {
  const d = await Deno.makeTempDir();
  tmp.push(d);
  return fileStorage({ dir: d });
};
const rates: Record<string, string>[] = [];
const pair = async (
  name: string,
  n: number,
  from: () => Promise<StorageLogic> | StorageLogic,
  to: () => Promise<StorageLogic> | StorageLogic,
) => {
  // Median of ROUNDS, raw and migration interleaved: the machine is shared
  // and file rates swing with the disk.
  const raws: number[] = [], migs: number[] = [], reads: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    raws.push(await rawRate(await to(), n));
    const m = await migrationRate(await from(), await to(), n);
    migs.push(m.mig);
    reads.push(m.read);
  }
  const [raw, mig, read] = [raws, migs, reads].map((xs) => pct(xs, 0.5));
  rates.push({
    migration: name,
    entries: String(n),
    "migration /s": mig.toFixed(0),
    "target raw write /s": raw.toFixed(0),
    "vs write": `${(mig / raw * 100).toFixed(0)}%`,
    "source raw read /s": read.toFixed(0),
    "vs min(read, write)": `${(mig / Math.min(raw, read) * 100).toFixed(0)}%`,
  });
};
const idb = () => idbStorage({ dbName: `bench-${crypto.randomUUID()}` });

/** Calls per second of `CALLERS` caller loops over `until`. */
async function callerRate(
  api: Api,
  keys: number,
  until: Promise<unknown>,
): Promise<number> {
  const t = performance.now();
  const lat = await calls(api, keys, until);
  return lat.length / ((performance.now() - t) / 1000);
}

/** Callers alone on a storage filled with `n` entries, for `ms`. */
async function callersAlone(
  logic: StorageLogic,
  n: number,
  ms: number,
): Promise<number> {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 30_000 });
  try {
    const api = xmpp.registerPlugin(kv);
    await api.bind(logic);
    await fill(api.storage, n);
    return await callerRate(api, n, new Promise((r) => setTimeout(r, ms)));
  } finally {
    await xmpp.stop();
  }
}

/**
 * A migration of `n` entries with (or without) `CALLERS` callers running
 * while it lasts: the copy's rate (entries/s) and the callers' rate.
 */
async function pacedMigration(
  from: StorageLogic,
  to: StorageLogic,
  n: number,
  withCallers: boolean,
  share: number | undefined,
): Promise<{ copy: number; callers: number; ms: number }> {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 30_000 });
  try {
    const api = xmpp.registerPlugin(kv);
    await api.bind(from);
    await fill(api.storage, n);
    const t = performance.now();
    const bind = api.bind(to, {
      migrate: true,
      ...(share === undefined ? {} : { share }),
    });
    const callers = withCallers ? await callerRate(api, n, bind) : 0;
    await bind;
    const ms = performance.now() - t;
    return { copy: n / (ms / 1000), callers, ms };
  } finally {
    await xmpp.stop();
  }
}

/**
 * The pacing table: for each direction and share, in each round (medians
 * of `ROUNDS`, everything interleaved): callers alone on the slower storage
 * (file), the target's raw `set_many` rate, the copy alone, then the copy
 * with callers.
 */
async function pacing(
  n: number,
  rounds: number,
): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  const shares: (number | undefined)[] = [undefined, ...SHARES];
  const dirs: [
    string,
    () => Promise<StorageLogic>,
    () => Promise<StorageLogic>,
  ][] = [
    ["memory → file", () => Promise.resolve(memoryStorage()), fileLogic],
    ["file → memory", fileLogic, () => Promise.resolve(memoryStorage())],
  ];
  for (const [name, from, to] of dirs) {
    const raw: number[] = [], copyAlone: number[] = [];
    const during = shares.map(() => ({
      alone: [] as number[],
      calls: [] as number[],
      copy: [] as number[],
      callsRatio: [] as number[],
      rawRatio: [] as number[],
      aloneRatio: [] as number[],
    }));
    for (let r = 0; r < rounds; r++) {
      const rawNow = await rawRate(await to(), n);
      raw.push(rawNow);
      const solo = await pacedMigration(
        await from(),
        await to(),
        n,
        false,
        undefined,
      );
      copyAlone.push(solo.copy);
      for (const [i, share] of shares.entries()) {
        // Callers alone right before the migration they are compared with.
        const alone = await callersAlone(await fileLogic(), n, CALLER_MS);
        const m = await pacedMigration(
          await from(),
          await to(),
          n,
          true,
          share,
        );
        const d = during[i];
        d.alone.push(alone);
        d.calls.push(m.callers);
        d.copy.push(m.copy);
        d.callsRatio.push(m.callers / alone);
        d.rawRatio.push(m.copy / rawNow);
        d.aloneRatio.push(m.copy / solo.copy);
      }
    }
    const med = (xs: number[]) => pct(xs, 0.5);
    const ratio = (xs: number[]) => `${(med(xs) * 100).toFixed(0)}%`;
    for (const [i, share] of shares.entries()) {
      const d = during[i];
      rows.push({
        migration: name,
        share: share === undefined ? "default" : String(share),
        "callers alone (file) /s": med(d.alone).toFixed(0),
        "callers during /s": med(d.calls).toFixed(0),
        "callers ratio": ratio(d.callsRatio),
        "copy during /s": med(d.copy).toFixed(0),
        "target raw set_many /s": med(raw).toFixed(0),
        "copy vs raw": ratio(d.rawRatio),
        "copy alone /s": med(copyAlone).toFixed(0),
        "copy vs alone": ratio(d.aloneRatio),
      });
    }
  }
  return rows;
}

if (ONLY === "" || ONLY === "pacing") {
  // Warm-up (JIT) of every path, not reported.
  await pacing(2000, 1);
  console.table(await pacing(N, ROUNDS));
}
if (ONLY === "" || ONLY === "rates") {
  // Warm-up (JIT), not reported.
  await pair("warm-up", 5000, memoryStorage, memoryStorage);
  rates.length = 0;
  await pair("memory → file", N, memoryStorage, fileLogic);
  await pair("file → memory", N, fileLogic, memoryStorage);
  await pair("memory → idb", IDB_N, memoryStorage, idb);
  await pair("memory → memory", N * 5, memoryStorage, memoryStorage);
  console.table(rates);
}
if (ONLY === "" || ONLY === "latency") console.table(await latency());
for (const d of tmp) await Deno.remove(d, { recursive: true });
