import { assertEquals } from "./deps.ts";
import { EventRing } from "../actors/inspector/ring.ts";

function kept<E, A>(ring: EventRing<E, A>) {
  const out: [E, A, A | undefined, number][] = [];
  ring.forEach((e, t, s, at) => out.push([e, t, s, at]));
  return out;
}

Deno.test("inspector ring: keeps the newest events, oldest first, across many wraps", () => {
  const ring = new EventRing<number, string>(3);
  assertEquals(kept(ring), []);
  ring.push(1, "t1", undefined, 10);
  ring.push(2, "t2", "s2", 20);
  assertEquals(ring.size, 2);
  assertEquals(kept(ring), [[1, "t1", undefined, 10], [2, "t2", "s2", 20]]);
  for (let i = 3; i <= 3 * 7 + 2; i++) ring.push(i, `t${i}`, `s${i}`, i * 10);
  assertEquals(ring.size, 3);
  assertEquals(kept(ring), [
    [21, "t21", "s21", 210],
    [22, "t22", "s22", 220],
    [23, "t23", "s23", 230],
  ]);
});

Deno.test("inspector ring: a wrapped slot forgets its old source", () => {
  const ring = new EventRing<string, string>(1);
  ring.push("a", "t", "s", 1);
  ring.push("b", "t", undefined, 2);
  assertEquals(kept(ring), [["b", "t", undefined, 2]]);
});

Deno.test("inspector ring: capacity 0 (or less) keeps nothing", () => {
  for (const capacity of [0, -5]) {
    const ring = new EventRing<string, string>(capacity);
    ring.push("a", "t", undefined, 1);
    assertEquals(ring.size, 0);
    assertEquals(kept(ring), []);
  }
});
