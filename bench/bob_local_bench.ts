/**
 * Local XEP-0231 (BoB) storage ops: a direct `Map` call (the floor), then
 * `setBob` / `getBob` / `delBob` through the API registry into memory storage
 * and into file storage (a temp dir, removed on exit).
 *
 *     deno bench --allow-all bench/bob_local_bench.ts
 *
 * Every iteration does {@link BATCH} (1000) ops, each awaited before the next
 * as in slixmpp's loop, so **time/iter in ms reads as µs per op** and iter/s ×
 * 1000 is ops/s. Batches keep the harness's own per-iteration cost out of the
 * numbers and let `del` prepare its entries outside the measured part
 * (`b.start()` / `b.end()`, which Deno ignores below 10 µs per iteration).
 * The registry benches give `n` and `warmup`: Deno's own iteration budget
 * counts only the measured part.
 *
 * Payloads are 16 distinct bytes (an 8-byte big-endian counter padded with
 * 0x5a, as in `slixmpp_bob_local.py`), made before the benches run; `set`
 * walks a pool of {@link POOL} of them (new keys until it wraps), `get` reads
 * a pre-populated pool. For slixmpp's numbers on the same workload see
 * `compare_slixmpp.ts`.
 *
 * @module
 */
import {
  type BobData,
  createClient,
  fileStorage,
  memoryStorage,
} from "../mod.ts";

const BATCH = 1000;
const POOL = 50_000;
const SIZE = 16;
const TYPE = "text/plain";

function payload(i: number): Uint8Array {
  const b = new Uint8Array(SIZE).fill(0x5a);
  const v = new DataView(b.buffer);
  v.setUint32(0, Math.floor(i / 2 ** 32));
  v.setUint32(4, i >>> 0);
  return b;
}

function payloads(base: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => payload(base + i));
}

const dir = await Deno.makeTempDir({ prefix: "xmpp-actors-bench-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* already gone */ }
});

const memClient = createClient({ jid: "alice@localhost", password: "pw" });
const memBob = memClient.registerPlugin("xep_0231");
await memBob.api.bind(memoryStorage());

const fileClient = createClient({ jid: "alice@localhost", password: "pw" });
const fileBob = fileClient.registerPlugin("xep_0231");
await fileBob.api.bind(fileStorage({ dir }));

// Three disjoint payload ranges: set, get, del.
const setData = payloads(0, POOL);
const getData = payloads(POOL, BATCH * 10);
const delData = payloads(2 * POOL, BATCH);
const setKeys = setData.map((_, i) => `s${i}`);
const delKeys = delData.map((_, i) => `d${i}`);

// The pre-populated entries `get` reads.
const map = new Map<string, Omit<BobData, "cid">>();
const mapKeys = getData.map((_, i) => `g${i}`);
const memCids: string[] = [];
const fileCids: string[] = [];
for (let i = 0; i < getData.length; i++) {
  map.set(mapKeys[i], { type: TYPE, data: getData[i] });
  memCids.push(await memBob.setBob(getData[i], TYPE));
  fileCids.push(await fileBob.setBob(getData[i], TYPE));
}

// ---- set: BATCH ops per iteration ------------------------------------------

let mapSetI = 0;
Deno.bench({
  name: "Map.set",
  group: "set ×1000",
  baseline: true,
  fn() {
    for (let k = 0; k < BATCH; k++) {
      const i = mapSetI++ % POOL;
      map.set(setKeys[i], { type: TYPE, data: setData[i] });
    }
  },
});

let memSetI = 0;
Deno.bench({
  name: "setBob → registry → memory",
  group: "set ×1000",
  n: 50,
  warmup: 5,
  async fn() {
    for (let k = 0; k < BATCH; k++) {
      await memBob.setBob(setData[memSetI++ % POOL], TYPE);
    }
  },
});

let fileSetI = 0;
Deno.bench({
  name: "setBob → registry → file",
  group: "set ×1000",
  n: 10,
  warmup: 2,
  async fn() {
    for (let k = 0; k < BATCH; k++) {
      await fileBob.setBob(setData[fileSetI++ % POOL], TYPE);
    }
  },
});

// ---- get: BATCH ops per iteration ------------------------------------------

let mapGetI = 0;
Deno.bench({
  name: "Map.get",
  group: "get ×1000",
  baseline: true,
  fn() {
    for (let k = 0; k < BATCH; k++) {
      if (map.get(mapKeys[mapGetI++ % mapKeys.length]) === undefined) {
        throw new Error("Map.get: missing entry");
      }
    }
  },
});

let memGetI = 0;
Deno.bench({
  name: "getBob → registry → memory",
  group: "get ×1000",
  n: 50,
  warmup: 5,
  async fn() {
    for (let k = 0; k < BATCH; k++) {
      await memBob.getBob({ cid: memCids[memGetI++ % memCids.length] });
    }
  },
});

let fileGetI = 0;
Deno.bench({
  name: "getBob → registry → file",
  group: "get ×1000",
  n: 30,
  warmup: 3,
  async fn() {
    for (let k = 0; k < BATCH; k++) {
      await fileBob.getBob({ cid: fileCids[fileGetI++ % fileCids.length] });
    }
  },
});

// ---- del: BATCH entries set unmeasured, then BATCH measured deletes --------

Deno.bench({
  name: "Map.delete",
  group: "del ×1000",
  baseline: true,
  fn(b) {
    for (let k = 0; k < BATCH; k++) {
      map.set(delKeys[k], { type: TYPE, data: delData[k] });
    }
    b.start();
    for (let k = 0; k < BATCH; k++) map.delete(delKeys[k]);
    b.end();
  },
});

async function delBatch(
  bob: typeof memBob,
  b: Deno.BenchContext,
): Promise<void> {
  const cids: string[] = [];
  for (let k = 0; k < BATCH; k++) cids.push(await bob.setBob(delData[k], TYPE));
  b.start();
  for (let k = 0; k < BATCH; k++) await bob.delBob(cids[k]);
  b.end();
}

Deno.bench({
  name: "delBob → registry → memory",
  group: "del ×1000",
  n: 50,
  warmup: 5,
  // `async`: Deno awaits only functions that are async by declaration
  async fn(b) {
    await delBatch(memBob, b);
  },
});

Deno.bench({
  name: "delBob → registry → file",
  group: "del ×1000",
  n: 10,
  warmup: 2,
  async fn(b) {
    await delBatch(fileBob, b);
  },
});
