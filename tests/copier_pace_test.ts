/**
 * Pacing of a migration's copy (`actors/registry/pacer.ts`): callers keep
 * their part of the time while a copy runs, the `share` option sets that
 * part, a copy with no callers is not paced, and bad values are refused.
 *
 * No wall-clock thresholds: the policy is checked on a simulated event loop
 * (virtual time), and the real copier by the order of operations a storage
 * records and the copier's own counts.
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { assertRejects } from "./_helpers.ts";
import { kvPlugin } from "./support/kv_plugin.ts";
import type { InspectionEvent } from "../src/deps.ts";
import type { AnyActorRef } from "../src/types.ts";
import {
  type Api,
  createClient,
  defineStorage,
  type JsonValue,
  memoryStorage,
  type StorageLogic,
} from "../mod.ts";
import {
  afterYield,
  beginPause,
  checkShare,
  DEFAULT_SHARE,
  endPause,
  MAX_BUDGET_MS,
  type Pace,
  paceAfter,
  pauseGoesOn,
  QUIET_YIELDS,
  startPace,
} from "../actors/registry/pacer.ts";

const BASE_MS = 2;

interface Sim {
  /** Fraction of the time the copy's batches took. */
  copyShare: number;
  /** The pacing at the end. */
  pace: Pace;
  /** Caller turns between consecutive batches (one entry per gap). */
  turns: number[];
}

/**
 * The copier's loop on a simulated event loop: a batch takes its budget;
 * then the copier yields (one macrotask), and every caller that is active
 * takes one turn (a call of `callMs`) per yield; the pause goes on as the
 * copier's `pausing` state does (`beginPause`, `afterYield`, `pauseGoesOn`,
 * `endPause`).
 */
function simulate(
  share: number,
  o: {
    callers: number;
    callMs: number;
    batches: number;
    activeUntil?: number;
  },
): Sim {
  let t = 0, calls = 0, busy = 0;
  let p = startPace(0, 0, BASE_MS);
  const turns: number[] = [];
  for (let i = 0; i < o.batches; i++) {
    const active = i < (o.activeUntil ?? Infinity) ? o.callers : 0;
    const start = t;
    t += p.budgetMs;
    busy += p.budgetMs;
    p = paceAfter(p, { share, baseMs: BASE_MS }, start, t, calls);
    let z = beginPause(p, t, calls);
    let n = 0;
    do {
      t += active * o.callMs; // one yield: each active caller's turn
      calls += active;
      n += active;
      z = afterYield(z, calls);
    } while (pauseGoesOn(z, t));
    p = endPause(p, z, t);
    turns.push(n);
  }
  return { copyShare: busy / t, pace: p, turns };
}

Deno.test("pacer: callers whose turns are short get 1 - share of the time, the copy gets share", () => {
  for (const share of [0.25, DEFAULT_SHARE, 0.75]) {
    const sim = simulate(share, { callers: 8, callMs: 0.02, batches: 2000 });
    assert(
      Math.abs(sim.copyShare - share) < 0.03,
      `share ${share}: the copy took ${sim.copyShare}`,
    );
    // Batches keep their base budget: the pauses do the pacing.
    assertEquals(sim.pace.budgetMs, BASE_MS);
    assert(sim.pace.pauses > 1900);
  }
  // A smaller share: more caller turns between batches.
  const few = simulate(0.75, { callers: 8, callMs: 0.02, batches: 200 });
  const many = simulate(0.25, { callers: 8, callMs: 0.02, batches: 200 });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert(mean(many.turns) > 8 * mean(few.turns));
});

Deno.test("pacer: callers whose own turns take longer than their part make the copy's batches grow, up to the cap", () => {
  // 64 callers of 0.15 ms: a round of their turns takes 9.6 ms, more than
  // the 2 ms a base batch would give them at share 0.5.
  const mid = simulate(0.5, { callers: 64, callMs: 0.15, batches: 500 });
  assert(mid.pace.budgetMs > 9 && mid.pace.budgetMs <= MAX_BUDGET_MS);
  assert(Math.abs(mid.copyShare - 0.5) < 0.03, `took ${mid.copyShare}`);
  // 20 ms rounds: the batches stop at the cap; the copy still gets
  // cap / (cap + round), not base / (base + round).
  const slow = simulate(0.5, { callers: 64, callMs: 0.3125, batches: 500 });
  assertEquals(slow.pace.budgetMs, MAX_BUDGET_MS);
  const round = 64 * 0.3125;
  assert(slow.copyShare > MAX_BUDGET_MS / (MAX_BUDGET_MS + round) - 0.01);
  assert(slow.copyShare > 4 * BASE_MS / (BASE_MS + round));
  // Every gap between batches still gives each caller a turn.
  assert(slow.turns.every((n) => n >= 64));
});

Deno.test("pacer: no caller, no pause: one yield per batch, full budget, no account", () => {
  const sim = simulate(0.5, { callers: 0, callMs: 0.02, batches: 100 });
  assertEquals(sim.pace.pauses, 0);
  assertEquals(sim.copyShare, 1);
  assertEquals(sim.pace.busyMs, 0);
  // Callers that stop: the pauses stop with them, the account is emptied.
  const after = simulate(0.5, {
    callers: 8,
    callMs: 0.02,
    batches: 100,
    activeUntil: 50,
  });
  assert(after.pace.pauses > 0 && after.pace.pauses <= 50);
  assertEquals(after.pace.pauseMs, 0);
  assertEquals(after.pace.wallMs, 0);
  // share 1 is not paced, callers or not.
  const off = simulate(1, { callers: 8, callMs: 0.02, batches: 100 });
  assertEquals(off.pace.pauses, 0);
  assert(off.turns.every((n) => n === 8));
});

Deno.test("pacer: a pause ends when its time is up, or after QUIET_YIELDS yields in a row with no new call", () => {
  const p = paceAfter(startPace(0, 0, 2), { share: 0.5, baseMs: 2 }, 0, 3, 1);
  assertEquals(p.pauseMs, 3);
  let z = beginPause(p, 3, 1);
  z = afterYield(z, 5); // callers called
  assert(pauseGoesOn(z, 4));
  assert(!pauseGoesOn(z, 6)); // time is up
  for (let i = 1; i < QUIET_YIELDS; i++) {
    z = afterYield(z, 5);
    assert(pauseGoesOn(z, 4));
  }
  z = afterYield(z, 5); // QUIET_YIELDS yields with no call: callers idle
  assert(!pauseGoesOn(z, 4));
  const idle = endPause(p, z, 4);
  assertEquals([idle.busyMs, idle.wallMs, idle.lastEnd], [0, 0, 4]);
  // A pause that ran its time leaves the account as it is.
  assertStrictEquals(endPause(p, z, 6), p);
});

Deno.test("pacer: a batch during which callers called (an async storage) counts as shared time and adds no pause", () => {
  const limits = { share: 0.5, baseMs: 2 };
  // Calls only before the batch: the batch's 4 ms are the copy's.
  const sync = paceAfter(startPace(0, 0, 2), limits, 0, 4, 3, 3);
  assertEquals(sync.pauseMs, 4);
  // Calls during the batch: callers ran while the copy waited.
  const shared = paceAfter(startPace(0, 0, 2), limits, 0, 4, 3, 1);
  assertEquals(shared.pauseMs, 0);
  assertEquals(shared.busyMs, 2);
});

Deno.test("checkShare: a number in (0, 1]; anything else is a RangeError naming the value", () => {
  assertStrictEquals(checkShare(undefined), DEFAULT_SHARE);
  assertStrictEquals(checkShare(1), 1);
  assertStrictEquals(checkShare(0.01), 0.01);
  for (const bad of [0, -0.5, 1.5, NaN, Infinity, "0.5", null, {}, [0.5]]) {
    let error: unknown;
    try {
      checkShare(bad);
    } catch (e) {
      error = e;
    }
    assert(error instanceof RangeError, `share ${String(bad)}`);
    assert((error as Error).message.includes("share must be"));
  }
});

// --- the real copier --------------------------------------------------------

const kv = kvPlugin("pace");

/** Storage logic over `map` that records each operation in `log`. */
function recording(map: Map<string, JsonValue>, log: string[]): StorageLogic {
  return defineStorage(() => ({
    get: (_ns, k) => (log.push(`get ${k}`), map.get(k)),
    set: (_ns, k, v) => void (log.push(`set ${k}`), map.set(k, v)),
    del: (_ns, k) => void (log.push(`del ${k}`), map.delete(k)),
    keys: () => [...map.keys()],
    setMany: (_ns, entries) => {
      log.push("batch");
      for (const [k, v] of entries) map.set(k, v);
    },
  }));
}

/**
 * `n` callers looping `tick → put c<i>` until `until` settles; a tick is a
 * message on the caller's own channel (a macrotask, as for a caller woken
 * by network input).
 */
async function callers(
  api: Api,
  n: number,
  until: Promise<unknown>,
): Promise<void> {
  let stop = false;
  until.finally(() => stop = true);
  await Promise.all(Array.from({ length: n }, async (_, c) => {
    const { port1, port2 } = new MessageChannel();
    let wake = () => {};
    port1.onmessage = () => wake();
    const tick = () =>
      new Promise<void>((r) => {
        wake = r;
        port2.postMessage(null);
      });
    while (!stop) {
      await tick();
      if (!stop) await api.run("put", { args: [`c${c}`, c] });
    }
    port1.close();
    port2.close();
  }));
}

/** The copier's last snapshot context, seen through inspection. */
function copierWatch() {
  let pace: Pace | undefined;
  let resumes = 0;
  return {
    inspect(e: InspectionEvent) {
      const ref = e.actorRef as AnyActorRef;
      if (ref.id !== "copier") return;
      if (e.type === "@xstate.snapshot") {
        const ctx = (e.snapshot as { context?: { pace?: Pace } }).context;
        if (ctx?.pace !== undefined) pace = ctx.pace;
      }
      if (e.type === "@xstate.event" && e.event.type === "copy.resume") {
        resumes++;
      }
    },
    get pace() {
      return pace;
    },
    get resumes() {
      return resumes;
    },
  };
}

async function migrate(
  share: number | undefined,
  nCallers: number,
  n = 2000,
) {
  const log: string[] = [];
  const watch = copierWatch();
  const xmpp = createClient({ jid: "a@localhost", inspect: watch.inspect });
  try {
    const api = xmpp.registerPlugin(kv);
    for (let i = 0; i < n; i++) await api.run("put", { args: [`k${i}`, i] });
    const bind = api.bind(recording(new Map(), log), {
      migrate: true,
      merge: true,
      batchSize: 16,
      ...(share === undefined ? {} : { share }),
    });
    await callers(api, nCallers, bind);
    const report = await bind;
    // The callers' keys were written to both storages: counted or not.
    assert(report.copied + report.superseded >= n);
    assertEquals(report.copied, n);
    return { log, pace: watch.pace!, resumes: watch.resumes };
  } finally {
    await xmpp.stop();
  }
}

/** Caller writes between consecutive batches, from the first batch on. */
function gaps(log: string[]): number[] {
  const out: number[] = [];
  let n = -1;
  for (const op of log) {
    if (op === "batch") {
      if (n >= 0) out.push(n);
      n = 0;
    } else if (n >= 0 && op.startsWith("set c")) n++;
  }
  return out;
}

Deno.test("copier: with no caller it takes no pause: one yield per batch, nothing paced", async () => {
  const { log, pace, resumes } = await migrate(undefined, 0);
  const batches = log.filter((op) => op === "batch").length;
  assert(batches >= 2000 / 16);
  assertEquals(pace.pauses, 0);
  // One yield between batches (none after the last).
  assertEquals(resumes, batches - 1);
});

Deno.test("copier: callers waiting during a copy are served between its batches", async () => {
  // A caller ready when the copier yields runs before the copier's next
  // batch but one: K = 2, not 1, because Deno delivers the messages of
  // ports ready in the same turn in no fixed order (the copier's yield may
  // come first).
  const K = 2;
  for (const share of [undefined, 0.25, 1]) {
    const { log } = await migrate(share, 4);
    const lastBatch = log.lastIndexOf("batch");
    for (let c = 0; c < 4; c++) {
      let batchesSince = -1;
      for (const op of log.slice(0, lastBatch)) {
        if (op === `set c${c}`) batchesSince = 0;
        else if (op === "batch" && batchesSince >= 0) batchesSince++;
        assert(batchesSince <= K, `share ${share}: caller ${c} waited`);
      }
    }
  }
});

Deno.test("copier: share paces the copy while callers call; share 1 does not", async () => {
  const batches = (log: string[]) => log.filter((op) => op === "batch").length;
  // share 1: one yield between batches whatever the callers do.
  const off = await migrate(1, 4);
  assertEquals(off.pace.pauses, 0);
  assertEquals(off.resumes, batches(off.log) - 1);
  // share 0.25: after a batch the copier keeps yielding while callers call,
  // until they have had three times the batch's time: more yields than
  // batches, and callers get several turns in some gaps.
  // The pacer compares measured times (callers' against the batch's): on a
  // loaded machine one run may see no caller time worth a pause, so up to
  // three runs, and one must show the pacing.
  type Run = Awaited<ReturnType<typeof migrate>>;
  const paced = (r: Run) =>
    r.pace.pauses > 0 && r.resumes > batches(r.log) - 1 &&
    gaps(r.log).some((n) => n > 4);
  const runs: Run[] = [];
  for (let i = 0; i < 3 && !runs.some(paced); i++) {
    runs.push(await migrate(0.25, 4));
  }
  assert(
    runs.some(paced),
    `no pacing in ${runs.length} runs: ${
      runs.map((r) => `${r.pace.pauses} pauses, ${r.resumes} resumes`)
    }`,
  );
});

Deno.test("api.bind({ share }): a value outside (0, 1] is a RangeError and the old storage stays bound", async () => {
  const xmpp = createClient({ jid: "a@localhost" });
  try {
    const api = xmpp.registerPlugin(kv);
    await api.run("put", { args: ["k", 1] });
    const before = api.storage;
    for (const share of [0, -1, 2, NaN, "half"]) {
      await assertRejects(
        () =>
          api.bind(memoryStorage(), {
            migrate: true,
            share: share as number,
          }),
        RangeError,
        /share must be a number in \(0, 1\]/,
      );
    }
    assertStrictEquals(api.storage, before);
    assertStrictEquals(await api.run("read", { args: "k" }), 1);
    const report = await api.bind(memoryStorage(), {
      migrate: true,
      share: 1,
    });
    assertStrictEquals(report.copied, 1);
  } finally {
    await xmpp.stop();
  }
});
