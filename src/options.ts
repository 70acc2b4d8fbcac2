/**
 * Checks of numeric options: a finite, positive number of milliseconds that
 * `setTimeout` can honour, or a positive integer count.
 *
 * @module
 */

/** The largest delay `setTimeout` honours (2³¹−1 ms, about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Check a timeout option.
 *
 * @param value The option's value (`undefined` takes the default).
 * @param name The option's name, for the message.
 * @param fallback The default.
 * @returns The timeout in ms.
 * @throws {RangeError} Not a finite number in 1…2³¹−1.
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { checkTimeout } from "./options.ts";
 * strictEqual(checkTimeout(undefined, "timeout", 5000), 5000);
 * throws(() => checkTimeout(Infinity, "timeout", 5000), RangeError);
 * ```
 */
export function checkTimeout(
  value: unknown,
  name: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value <= 0 ||
    value > MAX_TIMEOUT_MS
  ) {
    throw new RangeError(
      `Invalid option ${name}: expected a number of ms in 1…${MAX_TIMEOUT_MS}, got ${
        String(value)
      }`,
    );
  }
  return value;
}

/**
 * Check a count option (a limit, a size).
 *
 * @param value The option's value (`undefined` takes the default).
 * @param name The option's name, for the message.
 * @param fallback The default.
 * @returns The count.
 * @throws {RangeError} Not a positive safe integer.
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { checkCount } from "./options.ts";
 * strictEqual(checkCount(10, "queueLimit", 1000), 10);
 * throws(() => checkCount(NaN, "queueLimit", 1000), RangeError);
 * ```
 */
export function checkCount(
  value: unknown,
  name: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(
      `Invalid option ${name}: expected a positive integer, got ${
        String(value)
      }`,
    );
  }
  return value;
}

/** Bounds of {@linkcode checkNumber}. */
export interface NumberBounds {
  /** Smallest allowed value. */
  min: number;
  /** Largest allowed value (`Infinity` allows `Infinity`). */
  max: number;
  /**
   * Whether the value must be a whole number.
   * @default {false}
   */
  integer?: boolean;
}

/**
 * Check a numeric option against bounds (both inclusive).
 *
 * @param value The option's value (`undefined` takes the default).
 * @param name The option's name, for the message.
 * @param fallback The default.
 * @param bounds The allowed range, and whether it must be whole.
 * @returns The number.
 * @throws {RangeError} Not a number in `min`…`max` (or not whole).
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { checkNumber } from "./options.ts";
 * strictEqual(checkNumber(0.5, "jitter", 0.2, { min: 0, max: 1 }), 0.5);
 * throws(() => checkNumber(NaN, "jitter", 0.2, { min: 0, max: 1 }), RangeError);
 * ```
 */
export function checkNumber(
  value: unknown,
  name: string,
  fallback: number,
  bounds: NumberBounds,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || Number.isNaN(value) || value < bounds.min ||
    value > bounds.max ||
    (bounds.integer === true && value !== Infinity &&
      !Number.isInteger(value))
  ) {
    throw new RangeError(
      `Invalid option ${name}: expected ${
        bounds.integer ? "an integer" : "a number"
      } in ${bounds.min}…${bounds.max}, got ${String(value)}`,
    );
  }
  return value;
}
