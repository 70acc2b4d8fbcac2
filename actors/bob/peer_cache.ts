/**
 * The BoB plugin's peer cache: what peers sent (inline in a message or
 * presence, or answered to `getBob({ cid, jid })`), kept apart from the
 * entries you stored. It is never written through `set_bob`, never served
 * to peers (IQ gets serve your storage only), and is read by `getBob` after
 * your own storage. Bounded by entry count and data bytes, least recently
 * used out first; an entry's max-age is honoured on read.
 *
 * Only verified data comes in: its bytes hash to its cid under a hash we
 * can check, so it is the same data whoever sent it. The first copy of a
 * cid stays (a later one with another type or max-age does not change it).
 *
 * @module
 */
import type { BobData } from "../../src/bob_data.ts";
import { checkNumber } from "../../src/options.ts";

/** Default {@linkcode PeerCacheOptions.maxEntries}. */
export const DEFAULT_PEER_CACHE_MAX_ENTRIES = 1000;
/** Default {@linkcode PeerCacheOptions.maxBytes} (8 MiB). */
export const DEFAULT_PEER_CACHE_MAX_BYTES: number = 8 * 1024 * 1024;

/** Bounds of the peer cache (`registerPlugin("xep_0231", { peerCache })`). */
export interface PeerCacheOptions {
  /**
   * Most entries kept; 0 keeps none (peer data is then only announced or
   * returned).
   * @default {1000}
   */
  maxEntries?: number;
  /**
   * Most bytes of data kept (the sum of the entries' payloads); 0 keeps none.
   * @default {8388608}
   */
  maxBytes?: number;
}

/** What the peer cache holds, and its bounds. */
export interface PeerCacheStats {
  /** Entries held. */
  entries: number;
  /** Bytes of data held. */
  bytes: number;
  /** Most entries. */
  maxEntries: number;
  /** Most bytes. */
  maxBytes: number;
}

interface Slot {
  bob: BobData;
  /** Epoch ms after which it is gone; `Infinity` without max-age. */
  expires: number;
}

function bound(value: unknown, name: string, fallback: number): number {
  return checkNumber(value, `peerCache.${name}`, fallback, {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    integer: true,
  });
}

/**
 * Check peer cache options (as `registerPlugin` does) and fill in the
 * defaults.
 *
 * @param options The candidate.
 * @returns The bounds.
 * @throws {TypeError} For something that is not an object.
 * @throws {RangeError} For a bound that is not a non-negative integer.
 *
 * @example Usage
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { checkPeerCacheOptions } from "./peer_cache.ts";
 * checkPeerCacheOptions({ maxEntries: 0 });
 * throws(() => checkPeerCacheOptions({ maxBytes: -1 }), RangeError);
 * ```
 */
export function checkPeerCacheOptions(
  options: unknown,
): Required<PeerCacheOptions> {
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    throw new TypeError(
      "Invalid option peerCache: expected { maxEntries, maxBytes }",
    );
  }
  const o = (options ?? {}) as PeerCacheOptions;
  return {
    maxEntries: bound(
      o.maxEntries,
      "maxEntries",
      DEFAULT_PEER_CACHE_MAX_ENTRIES,
    ),
    maxBytes: bound(o.maxBytes, "maxBytes", DEFAULT_PEER_CACHE_MAX_BYTES),
  };
}

/**
 * A bounded LRU of verified peer entries (see the module doc).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PeerCache } from "./peer_cache.ts";
 * import { cidOf } from "../../src/cid.ts";
 * const cache = new PeerCache({ maxEntries: 1 });
 * const a = new TextEncoder().encode("a"), b = new TextEncoder().encode("b");
 * cache.add({ cid: cidOf(a), type: "text/plain", data: a });
 * cache.add({ cid: cidOf(b), type: "text/plain", data: b });
 * strictEqual(cache.get(cidOf(a)), undefined);
 * strictEqual(cache.get(cidOf(b))?.type, "text/plain");
 * ```
 */
export class PeerCache {
  readonly #slots = new Map<string, Slot>();
  readonly #now: () => number;
  #bytes = 0;
  /** Most entries. */
  readonly maxEntries: number;
  /** Most bytes of data. */
  readonly maxBytes: number;

  /**
   * An empty cache.
   * @param options Its bounds.
   * @param now The clock (epoch ms), for tests.
   */
  constructor(options: PeerCacheOptions = {}, now: () => number = Date.now) {
    const { maxEntries, maxBytes } = checkPeerCacheOptions(options);
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.#now = now;
  }

  /**
   * Keep a verified entry (canonical cid) unless its max-age is 0, it is
   * larger than the cache, or the cid is already held (the held copy stays;
   * it only becomes the most recently used).
   *
   * @param bob The verified entry.
   * @returns Whether it was added.
   */
  add(bob: BobData): boolean {
    if (bob.maxAge === 0) return false;
    const size = bob.data.length;
    if (this.maxEntries === 0 || size > this.maxBytes) return false;
    if (this.get(bob.cid) !== undefined) return false;
    while (
      this.#slots.size > 0 &&
      (this.#slots.size >= this.maxEntries ||
        this.#bytes + size > this.maxBytes)
    ) {
      this.delete(this.#slots.keys().next().value!);
    }
    const expires = bob.maxAge === undefined
      ? Infinity
      : this.#now() + bob.maxAge * 1000;
    this.#slots.set(bob.cid, { bob, expires });
    this.#bytes += size;
    return true;
  }

  /**
   * The entry held for a canonical cid (then the most recently used), or
   * `undefined` (an expired one is dropped).
   *
   * @param cid The canonical cid.
   * @returns The entry.
   */
  get(cid: string): BobData | undefined {
    const slot = this.#slots.get(cid);
    if (slot === undefined) return undefined;
    this.#slots.delete(cid);
    if (slot.expires <= this.#now()) {
      this.#bytes -= slot.bob.data.length;
      return undefined;
    }
    this.#slots.set(cid, slot);
    return slot.bob;
  }

  /**
   * Drop the entry of a canonical cid, if held.
   * @param cid The canonical cid.
   */
  delete(cid: string): void {
    const slot = this.#slots.get(cid);
    if (slot === undefined) return;
    this.#slots.delete(cid);
    this.#bytes -= slot.bob.data.length;
  }

  /** Drop everything. */
  clear(): void {
    this.#slots.clear();
    this.#bytes = 0;
  }

  /** What it holds, and its bounds. */
  get stats(): PeerCacheStats {
    return {
      entries: this.#slots.size,
      bytes: this.#bytes,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
    };
  }

  /**
   * Its stats (what the inspector shows: never the data).
   * @returns {@linkcode PeerCache.stats}.
   */
  toJSON(): PeerCacheStats {
    return this.stats;
  }
}
