// deno-lint-ignore-file no-import-prefix
/**
 * Assertions and runtime shims used only by the tests. Deno's standard
 * assertions live on JSR, which this project cannot reach, so the basic ones
 * come from Node's `assert` module (built into Deno) and the two std-style
 * helpers below check the error class and message pattern.
 *
 * @module
 */
import { ok } from "node:assert/strict";
export {
  deepStrictEqual as assertEquals,
  equal as assertStrictEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";

// IndexedDB for the idb storage actor under Deno (in memory).
import "npm:fake-indexeddb@^6.2.0/auto";

// Property-based tests (tests/property_test.ts).
export { default as fc } from "npm:fast-check@^4.10.2";
// The oracle of the built-in SASLprep subset (src/saslprep.ts).
export { saslprep } from "npm:@mongodb-js/saslprep@^1.3.0";

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error = Error> = new (...args: any[]) => E;

function check<E extends Error>(
  e: unknown,
  cls?: ErrorClass<E>,
  pattern?: RegExp,
): E {
  ok(e instanceof Error, `expected an Error, got ${String(e)}`);
  if (cls) {
    ok(e instanceof cls, `expected ${cls.name}, got ${e.name}: ${e.message}`);
  }
  if (pattern) {
    ok(
      pattern.test(e.message),
      `message ${JSON.stringify(e.message)} !~ ${pattern}`,
    );
  }
  return e as E;
}

/**
 * Assert that `fn` (or the promise) rejects with `cls` and a message
 * matching `pattern`; returns the error.
 */
export async function assertRejects<E extends Error = Error>(
  fn: Promise<unknown> | (() => Promise<unknown>),
  cls?: ErrorClass<E>,
  pattern?: RegExp,
): Promise<E> {
  try {
    await (typeof fn === "function" ? fn() : fn);
  } catch (e) {
    return check(e, cls, pattern);
  }
  throw new Error(`expected ${cls?.name ?? "a rejection"}, promise resolved`);
}

/** Assert that `fn` throws `cls` with a message matching `pattern`; returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  cls?: ErrorClass<E>,
  pattern?: RegExp,
): E {
  try {
    fn();
  } catch (e) {
    return check(e, cls, pattern);
  }
  throw new Error(`expected ${cls?.name ?? "a throw"}, nothing thrown`);
}

// The event stream of Stately's WebSocket inspector (tests/inspector_test.ts).
export { createWebSocketInspector } from "npm:@statelyai/inspect@^0.4.0";
