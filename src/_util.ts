/**
 * Small type guards shared by the facades and actors.
 *
 * @module
 */
import type { AnyActorRef } from "./deps.ts";

/**
 * Whether `value` is a promise or any thenable.
 *
 * @param value The candidate.
 * @returns `true` when it has a `then` method.
 */
export function isThenable<T = unknown>(
  value: unknown,
): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === "function";
}

/**
 * Whether `value` is a running actor ref (rather than actor logic).
 *
 * @param value The candidate.
 * @returns `true` when it has `send` and `getSnapshot`.
 */
export function isActorRef(value: unknown): value is AnyActorRef {
  return typeof (value as AnyActorRef)?.send === "function" &&
    typeof (value as AnyActorRef)?.getSnapshot === "function";
}

/**
 * The bytes of `parts`, one after another (the part itself when there is
 * only one).
 *
 * @param parts The byte arrays.
 * @returns Their concatenation.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}
