import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { createActor, sendTo, setup } from "../src/deps.ts";
import { cidOf, createClient } from "../mod.ts";
import { deadlineScheduler } from "../internals.ts";

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Counts the timers of at least `minMs` that are live (set, not yet fired or
// cleared) while `fn` runs.
async function liveTimers<T>(
  minMs: number,
  fn: (live: () => number) => Promise<T>,
): Promise<T> {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const live = new Set<ReturnType<typeof setTimeout>>();
  // deno-lint-ignore no-explicit-any
  (globalThis as any).setTimeout = (cb: () => void, ms?: number) => {
    const id = realSet(() => {
      live.delete(id);
      cb();
    }, ms);
    if ((ms ?? 0) >= minMs) live.add(id);
    return id;
  };
  // deno-lint-ignore no-explicit-any
  (globalThis as any).clearTimeout = (id?: ReturnType<typeof setTimeout>) => {
    if (id !== undefined) live.delete(id);
    realClear(id);
  };
  try {
    return await fn(() => live.size);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
}

function schedulerHarness() {
  const due: string[][] = [];
  const busy: boolean[] = [];
  const parent = createActor(
    setup({
      types: {
        events: {} as
          | { type: "schedule"; key: string; at: number }
          | { type: "cancel"; key: string }
          | { type: "scheduler.due"; keys: string[] }
          | { type: "scheduler.busy"; busy: boolean },
      },
      actors: { scheduler: deadlineScheduler() },
    }).createMachine({
      invoke: { id: "s", src: "scheduler" },
      on: {
        schedule: {
          actions: sendTo("s", ({ event }) => ({
            type: "scheduler.schedule" as const,
            key: event.key,
            at: event.at,
          })),
        },
        cancel: {
          actions: sendTo("s", ({ event }) => ({
            type: "scheduler.cancel" as const,
            key: event.key,
          })),
        },
        "scheduler.due": { actions: ({ event }) => void due.push(event.keys) },
        "scheduler.busy": {
          actions: ({ event }) => void busy.push(event.busy),
        },
      },
    }),
  ).start();
  return { parent, due, busy };
}

Deno.test("deadlineScheduler() reports due keys in deadline order, once, and honours cancel and moves", async () => {
  const { parent, due, busy } = schedulerHarness();
  try {
    const now = Date.now();
    parent.send({ type: "schedule", key: "c", at: now + 60 });
    parent.send({ type: "schedule", key: "a", at: now + 20 });
    parent.send({ type: "schedule", key: "b", at: now + 40 });
    parent.send({ type: "schedule", key: "x", at: now + 30 });
    parent.send({ type: "cancel", key: "x" });
    parent.send({ type: "schedule", key: "m", at: now + 10 });
    parent.send({ type: "schedule", key: "m", at: now + 50 }); // moved later
    for (let i = 0; i < 100 && due.flat().length < 4; i++) await sleep(10);
    await sleep(30);
    assertEquals(due.flat(), ["a", "b", "m", "c"]);
    assertEquals(busy, [true, false]);
  } finally {
    parent.stop();
  }
});

Deno.test("deadlineScheduler() holds one timer for 10,000 deadlines and clears it on stop", async () => {
  await liveTimers(1000, async (live) => {
    const { parent } = schedulerHarness();
    const now = Date.now();
    for (let i = 0; i < 10_000; i++) {
      // Random order: some sooner than the armed one, most later.
      parent.send({
        type: "schedule",
        key: `k${i}`,
        at: now + 5_000 + Math.floor(Math.random() * 1e6),
      });
    }
    assertStrictEquals(live(), 1);
    await sleep(0); // nothing fires on the next turn either
    assertStrictEquals(live(), 1);
    parent.stop();
    assertStrictEquals(live(), 0);
  });
});

Deno.test("deadlineScheduler() schedules deadlines beyond setTimeout's range", async () => {
  await liveTimers(1000, async (live) => {
    const { parent, due } = schedulerHarness();
    parent.send({ type: "schedule", key: "far", at: Date.now() + 2 ** 33 });
    assertStrictEquals(live(), 1); // armed for the 2^31-1 ms step, no overflow
    await sleep(20);
    assertEquals(due, []); // and it did not fire at once
    parent.stop();
  });
});

Deno.test("BoB expiry lives in the plugin actor: one timer for many max-ages, cancelled on delete and on stop", async () => {
  await liveTimers(1000, async (live) => {
    const xmpp = createClient({ jid: "alice@localhost" });
    const bob = xmpp.registerPlugin("xep_0231");
    assertStrictEquals(bob.actor.getSnapshot().value, "idle");
    const cids: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      cids.push(
        await bob.setBob(enc.encode(`e${i}`), "text/plain", {
          maxAge: 3600 + (i * 7919) % 5000,
        }),
      );
    }
    assertStrictEquals(live(), 1);
    assertStrictEquals(bob.actor.getSnapshot().value, "expiring");
    // A set without max-age clears that entry's expiry, a delete too.
    await bob.setBob(enc.encode("e0"), "text/plain");
    for (const cid of cids.slice(1, 1000)) await bob.delBob(cid);
    assertStrictEquals(live(), 1);
    for (const cid of cids.slice(1000)) await bob.delBob(cid);
    assertStrictEquals(bob.actor.getSnapshot().value, "idle");
    assertStrictEquals(live(), 0);
    // Stop with expiries pending: the timer goes with the actor.
    await bob.setBob(enc.encode("late"), "text/plain", { maxAge: 3600 });
    assertStrictEquals(live(), 1);
    await xmpp.stop();
    assertStrictEquals(live(), 0);
  });
});

Deno.test("BoB expiry: the plugin actor deletes through del_bob and emits bob.expired", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const deleted: string[] = [];
    bob.api.register(
      (_j, _n, _f, cid: string) => void deleted.push(cid),
      "del_bob",
    );
    const expired: string[] = [];
    bob.actor.on("bob.expired", (e: { cid: string }) => expired.push(e.cid));
    const cid = await bob.setBob(enc.encode("short"), "text/plain", {
      maxAge: 1,
    });
    for (let i = 0; i < 100 && expired.length === 0; i++) await sleep(30);
    assertEquals(expired, [cid]);
    assertEquals(deleted, [cid]);
    assertStrictEquals(bob.actor.getSnapshot().value, "idle");
    assert(cid === cidOf(enc.encode("short")));
  } finally {
    await xmpp.stop();
  }
});

Deno.test("BoB expiry: a set_bob that settles after stop() schedules nothing", async () => {
  await liveTimers(1000, async (live) => {
    const xmpp = createClient({ jid: "alice@localhost" });
    const bob = xmpp.registerPlugin("xep_0231");
    let release!: () => void;
    bob.api.register(
      () => new Promise<void>((r) => release = r),
      "set_bob",
    );
    const pending = bob.setBob(enc.encode("slow"), "text/plain", {
      maxAge: 3600,
    }).catch((e) => e);
    await xmpp.stop();
    release();
    await pending;
    await sleep(10);
    assertStrictEquals(live(), 0);
  });
});
