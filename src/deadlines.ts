/**
 * A table of pending things with deadlines, checked by one sweeping timer
 * rather than a timer each (a `setTimeout`/`clearTimeout` pair costs about as
 * much as a whole storage hop). The timer runs only while something is
 * pending. Shared by the registry's request table and the Redis storage
 * actor.
 *
 * @module
 */

interface Entry<T> {
  at: number;
  value: T;
}

/** Options of {@linkcode Deadlines}. */
export interface DeadlinesOptions {
  /**
   * How often deadlines are checked while something is pending, in ms: an
   * entry expires at most this long after its deadline.
   * @default {50}
   */
  sweepMs?: number;
}

/**
 * Pending values keyed by a fresh id, each with a deadline; a value is
 * either taken (with {@linkcode Deadlines.take}) or, once its deadline has
 * passed, handed to `onExpire`, never both.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Deadlines } from "./deadlines.ts";
 * const expired: string[] = [];
 * const table = new Deadlines<string>((v) => expired.push(v), { sweepMs: 5 });
 * const id = table.add("answered", 1000);
 * table.add("late", 1);
 * strictEqual(table.take(id), "answered");
 * await new Promise((r) => setTimeout(r, 30));
 * strictEqual(expired.join(), "late");
 * strictEqual(table.size, 0);
 * ```
 */
export class Deadlines<T> {
  #next = 1;
  #pending = new Map<number, Entry<T>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sweepMs: number;
  #onExpire: (value: T, id: number) => void;
  /** Whether the map is in deadline order (then a sweep stops early). */
  #ordered = true;
  #last = -Infinity;

  /**
   * @param onExpire Called once for each value whose deadline passed (it is
   *   already removed from the table).
   * @param options How often deadlines are checked.
   */
  constructor(
    onExpire: (value: T, id: number) => void,
    options: DeadlinesOptions = {},
  ) {
    this.#onExpire = onExpire;
    this.#sweepMs = options.sweepMs ?? 50;
  }

  /** Number of values still pending. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Add a value that expires in `timeoutMs`.
   *
   * @param value What to hand to `onExpire` if it is not taken in time.
   * @param timeoutMs How long it may stay pending, in ms.
   * @returns Its id, for {@linkcode Deadlines.take} and
   *   {@linkcode Deadlines.has}.
   */
  add(value: T, timeoutMs: number): number {
    const id = this.#next++;
    const at = Date.now() + timeoutMs;
    if (at < this.#last) this.#ordered = false;
    else this.#last = at;
    this.#pending.set(id, { at, value });
    this.#timer ??= setTimeout(() => this.#sweep(), this.#sweepMs);
    return id;
  }

  /**
   * Whether `id` is still pending.
   *
   * @param id An id from {@linkcode Deadlines.add}.
   * @returns `false` once taken, expired or cleared.
   */
  has(id: number): boolean {
    return this.#pending.has(id);
  }

  /**
   * A pending value, left pending.
   *
   * @param id An id from {@linkcode Deadlines.add}.
   * @returns The value, or `undefined` when it is no longer pending.
   */
  get(id: number): T | undefined {
    return this.#pending.get(id)?.value;
  }

  /**
   * Remove a pending value: it will not expire.
   *
   * @param id An id from {@linkcode Deadlines.add}.
   * @returns The value, or `undefined` when it is no longer pending.
   */
  take(id: number): T | undefined {
    const e = this.#pending.get(id);
    if (e === undefined) return undefined;
    this.#pending.delete(id);
    return e.value;
  }

  /**
   * Remove everything pending and stop the timer.
   *
   * @returns The values that were pending, in the order they were added.
   */
  clear(): T[] {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const values = [...this.#pending.values()].map((e) => e.value);
    this.#pending.clear();
    this.#ordered = true;
    this.#last = -Infinity;
    return values;
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [id, e] of this.#pending) {
      if (e.at > now) {
        if (this.#ordered) break;
        continue;
      }
      this.#pending.delete(id);
      this.#onExpire(e.value, id);
    }
    if (this.#pending.size === 0) {
      this.#ordered = true;
      this.#last = -Infinity;
    } else {
      this.#timer ??= setTimeout(() => this.#sweep(), this.#sweepMs);
    }
  }
}
