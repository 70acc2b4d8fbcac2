/**
 * The inspector's ring of recent events: a fixed number of slots, the
 * oldest overwritten first. Kept for pages that open later.
 *
 * Browser-safe.
 *
 * @module
 */

/**
 * A bounded ring of recent events, each with its target, source and time.
 * The slots are parallel arrays allocated once, so remembering an event
 * allocates nothing.
 *
 * @typeParam E The kind of event kept.
 * @typeParam A How an actor (target, source) is kept.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { EventRing } from "./ring.ts";
 *
 * const ring = new EventRing<string, string>(2);
 * ring.push("a", "t", undefined, 1);
 * ring.push("b", "t", "s", 2);
 * ring.push("c", "t", "s", 3);
 * const seen: string[] = [];
 * ring.forEach((event) => seen.push(event));
 * deepStrictEqual(seen, ["b", "c"]);
 * ```
 */
export class EventRing<E, A> {
  /** How many events the ring holds at most. */
  readonly capacity: number;
  #event: E[];
  #target: A[];
  #source: (A | undefined)[];
  #at: number[];
  #pos = 0;
  #count = 0;

  /**
   * Create an empty ring.
   * @param capacity How many events it keeps (0 keeps none).
   */
  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.#event = new Array(this.capacity);
    this.#target = new Array(this.capacity);
    this.#source = new Array(this.capacity);
    this.#at = new Array(this.capacity);
  }

  /** How many events the ring holds now. */
  get size(): number {
    return this.#count;
  }

  /**
   * Remember an event, overwriting the oldest when full (a ring of capacity
   * 0 keeps nothing).
   * @param event The event.
   * @param target The actor it was sent to.
   * @param source The actor that sent it, if known.
   * @param at When, in milliseconds since the epoch.
   */
  push(event: E, target: A, source: A | undefined, at: number): void {
    if (this.capacity === 0) return;
    const i = this.#pos;
    this.#event[i] = event;
    this.#target[i] = target;
    this.#source[i] = source;
    this.#at[i] = at;
    this.#pos = i + 1 === this.capacity ? 0 : i + 1;
    if (this.#count < this.capacity) this.#count++;
  }

  /**
   * Visit the kept events, oldest first.
   * @param fn Called with each event, its target, source and time.
   */
  forEach(
    fn: (event: E, target: A, source: A | undefined, at: number) => void,
  ): void {
    const n = this.#count;
    for (let k = 0; k < n; k++) {
      const i = (this.#pos - n + k + this.capacity) % this.capacity;
      fn(this.#event[i], this.#target[i], this.#source[i], this.#at[i]);
    }
  }
}
