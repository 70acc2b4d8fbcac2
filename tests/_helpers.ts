/**
 * Test helpers of the connection tests: small assertions (no third-party
 * test library is imported) and a scripted fake XMPP server for the cases a
 * real Prosody cannot produce (forbidden XML, oversize stanzas, bad SCRAM
 * signatures).
 *
 * @module
 */

/** Thrown by the assertions below. */
export class AssertionError extends Error {
  /** @param message What did not hold. */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (
    typeof a !== "object" || typeof b !== "object" || a === null || b === null
  ) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    equal(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
    )
  );
}

/** Deep equality of plain values. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!equal(actual, expected)) {
    throw new AssertionError(
      `${msg ? msg + ": " : ""}expected ${JSON.stringify(expected)}, got ${
        JSON.stringify(actual)
      }`,
    );
  }
}

/** Truthiness. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

// deno-lint-ignore no-explicit-any
type Ctor<E> = new (...args: any[]) => E;

/** The function throws an instance of `cls`; returns it. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  cls: Ctor<E>,
): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof cls) return e;
    throw new AssertionError(`expected ${cls.name}, got ${e}`);
  }
  throw new AssertionError(`expected ${cls.name}, nothing thrown`);
}

/** The promise rejects with an instance of `cls`; returns it. */
export async function assertRejects<E extends Error>(
  p: Promise<unknown> | (() => Promise<unknown>),
  cls: Ctor<E>,
): Promise<E> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (e instanceof cls) return e;
    throw new AssertionError(`expected ${cls.name}, got ${e}`);
  }
  throw new AssertionError(`expected ${cls.name}, promise resolved`);
}
