/**
 * The in-memory storage actor: the default storage of every plugin.
 *
 * @module
 */
import { defineStorage, type StorageLogic } from "./define.ts";
import type { EntriesBatch, JsonValue, StorageEntry } from "./protocol.ts";

/**
 * Storage actor logic that keeps entries in a Map per namespace. Entries live
 * as long as the actor, or, written with a `ttl` (`storage.set`) or a
 * `expiresAt` (`storage.set_many`), until that time has passed: from then on
 * they read as missing (and are dropped when next touched), and a listing
 * gives each expiring entry's deadline, so a migration carries it on. Its
 * bulk path is native: a listing (`storage.entries`) walks the live Map
 * iterator, so it holds no copy of the keys, and `storage.set_many` writes
 * straight into the Map.
 *
 * @returns Actor logic for `api.bind` or `createActor`.
 *
 * @example Usage
 * ```ts
 * import { createClient, memoryStorage } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * await bob.api.bind(memoryStorage());
 * await xmpp.stop();
 * ```
 */
export function memoryStorage(): StorageLogic {
  return defineStorage(() => {
    const spaces = new Map<string, Map<string, JsonValue>>();
    // Deadlines (Date.now() ms) of the entries that expire, per namespace;
    // touched only for those (an entry without one costs nothing more).
    const deadlines = new Map<string, Map<string, number>>();
    function space(ns: string) {
      let s = spaces.get(ns);
      if (s === undefined) spaces.set(ns, s = new Map());
      return s;
    }
    /** Set (or, with `undefined`, clear) the deadline of `key`. */
    function expire(ns: string, key: string, at: number | undefined) {
      let d = deadlines.get(ns);
      if (at === undefined) {
        if (d !== undefined && d.size > 0) d.delete(key);
        return;
      }
      if (d === undefined) deadlines.set(ns, d = new Map());
      d.set(key, at);
    }
    /** The ms `key` has left (`undefined`: no expiry; ≤ 0: expired). */
    function left(ns: string, key: string, now: number): number | undefined {
      const d = deadlines.get(ns);
      if (d === undefined || d.size === 0) return undefined;
      const at = d.get(key);
      return at === undefined ? undefined : at - now;
    }
    function drop(ns: string, key: string) {
      spaces.get(ns)?.delete(key);
      deadlines.get(ns)?.delete(key);
    }
    // Open listings: cursor → live iterator over a namespace's Map (a Map
    // iterator skips entries deleted after it was made and visits entries
    // added after it was made). Only the newest few are kept.
    const listings = new Map<string, Iterator<[string, JsonValue]>>();
    let seq = 0;
    return {
      get(ns, key) {
        const value = spaces.get(ns)?.get(key);
        if (value === undefined) return undefined;
        const ms = left(ns, key, Date.now());
        if (ms !== undefined && ms <= 0) {
          drop(ns, key);
          return undefined;
        }
        return value;
      },
      set(ns, key, value, ttl) {
        space(ns).set(key, value);
        expire(
          ns,
          key,
          ttl === undefined ? undefined : Date.now() + ttl * 1000,
        );
      },
      del: (ns, key) => drop(ns, key),
      keys(ns) {
        const s = spaces.get(ns);
        if (s === undefined) return [];
        const d = deadlines.get(ns);
        if (d === undefined || d.size === 0) return [...s.keys()];
        const now = Date.now();
        return [...s.keys()].filter((k) => (d.get(k) ?? Infinity) > now);
      },
      entries(ns, cursor, limit): EntriesBatch {
        let id = cursor;
        let it = id === null ? undefined : listings.get(id);
        if (id === null) {
          id = String(++seq);
          it = space(ns).entries();
          if (listings.size >= 8) {
            listings.delete(listings.keys().next().value!);
          }
          listings.set(id, it);
        } else if (it === undefined) {
          throw new RangeError(
            `Cannot answer storage.entries: unknown cursor ${
              JSON.stringify(id)
            }`,
          );
        }
        const entries: StorageEntry[] = [];
        const d = deadlines.get(ns);
        const now = Date.now();
        let next: string | null = id;
        while (entries.length < limit) {
          const r = it!.next();
          if (r.done) {
            listings.delete(id);
            next = null;
            break;
          }
          const at = d === undefined || d.size === 0
            ? undefined
            : d.get(r.value[0]);
          if (at === undefined) entries.push(r.value);
          else if (at > now) entries.push([r.value[0], r.value[1], at]);
          else drop(ns, r.value[0]); // expired: safe while iterating a Map
        }
        return cursor === null
          ? { entries, next, total: space(ns).size }
          : { entries, next };
      },
      setMany(ns, entries, ttl) {
        const s = space(ns);
        const all = ttl === undefined ? undefined : Date.now() + ttl * 1000;
        for (const [key, value, at] of entries) {
          s.set(key, value);
          expire(ns, key, at ?? all);
        }
      },
      close: () => {
        listings.clear();
        spaces.clear();
        deadlines.clear();
      },
    };
  }, { name: "memory" });
}
