import { assertEquals, assertStrictEquals } from "./deps.ts";
import { Deadlines } from "../src/deadlines.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `done()` (polling), at most ~2 s. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await sleep(5);
}

Deno.test("Deadlines hands a value to onExpire once its deadline passed, unless it was taken", async () => {
  const expired: [string, number][] = [];
  const table = new Deadlines<string>((v, id) => expired.push([v, id]), {
    sweepMs: 2,
  });
  const late = table.add("late", 1);
  const taken = table.add("taken", 1);
  assertStrictEquals(table.has(late), true);
  // get() reads without taking.
  assertStrictEquals(table.get(taken), "taken");
  assertStrictEquals(table.get(taken), "taken");
  assertStrictEquals(table.take(taken), "taken");
  assertStrictEquals(table.get(taken), undefined);
  assertStrictEquals(table.take(taken), undefined);
  await until(() => table.size === 0);
  assertEquals(expired, [["late", late]]);
  assertStrictEquals(table.has(late), false);
  assertStrictEquals(table.take(late), undefined);
});

Deno.test("Deadlines expires a short deadline added after a long one", async () => {
  const expired: string[] = [];
  const table = new Deadlines<string>((v) => expired.push(v), { sweepMs: 2 });
  const long = table.add("long", 60_000);
  table.add("short", 1);
  await until(() => expired.length > 0);
  assertEquals(expired, ["short"]);
  assertStrictEquals(table.has(long), true);
  assertEquals(table.clear(), ["long"]); // and its timer stops
});

/** Counts timers armed and not yet fired or cleared while `f` runs. */
async function countingTimers(
  f: (armed: () => number) => Promise<void>,
): Promise<void> {
  const real = { set: globalThis.setTimeout, clear: globalThis.clearTimeout };
  const live = new Set<number>();
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    const id = real.set(() => {
      live.delete(id);
      fn();
    }, ms) as unknown as number;
    live.add(id);
    return id;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id?: number) => {
    live.delete(id!);
    real.clear(id as never);
  }) as unknown as typeof clearTimeout;
  try {
    await f(() => live.size);
  } finally {
    globalThis.setTimeout = real.set;
    globalThis.clearTimeout = real.clear;
  }
}

Deno.test("Deadlines stops its timer once nothing is pending, and starts it again", async () => {
  await countingTimers(async (armed) => {
    const expired: number[] = [];
    const table = new Deadlines<number>((v) => expired.push(v), {
      sweepMs: 2,
    });
    assertStrictEquals(armed(), 0);
    table.add(1, 1);
    assertStrictEquals(armed(), 1);
    table.add(0, 60_000);
    assertStrictEquals(armed(), 1); // one timer for all
    await until(() => expired.length === 1);
    table.take(2);
    await until(() => armed() === 0);
    assertStrictEquals(armed(), 0);
    table.add(2, 1);
    assertStrictEquals(armed(), 1);
    await until(() => expired.length === 2);
    await until(() => armed() === 0);
    assertStrictEquals(armed(), 0);
    assertEquals(expired, [1, 2]);
  });
});

Deno.test("Deadlines.clear() returns what was pending in order, and none of it expires", async () => {
  const expired: string[] = [];
  const table = new Deadlines<string>((v) => expired.push(v), { sweepMs: 2 });
  table.add("a", 1);
  table.add("b", 5);
  assertEquals(table.clear(), ["a", "b"]);
  assertStrictEquals(table.size, 0);
  await sleep(20);
  assertEquals(expired, []);
});

Deno.test("Deadlines: onExpire may add a value (it gets its own deadline)", async () => {
  const expired: string[] = [];
  const table = new Deadlines<string>((v) => {
    expired.push(v);
    if (v === "first") table.add("second", 1);
  }, { sweepMs: 2 });
  table.add("first", 1);
  await until(() => expired.length === 2);
  assertEquals(expired, ["first", "second"]);
  await sleep(10);
  assertStrictEquals(table.size, 0);
});
