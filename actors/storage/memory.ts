/**
 * The in-memory storage actor: the default storage of every plugin.
 *
 * @module
 */
import { defineStorage, type StorageLogic } from "./define.ts";
import type { EntriesBatch, JsonValue } from "./protocol.ts";

/**
 * Storage actor logic that keeps entries in a Map per namespace. Entries live
 * as long as the actor. Its bulk path is native: a listing
 * (`storage.entries`) walks the live Map iterator, so it holds no copy of
 * the keys, and `storage.set_many` writes straight into the Map.
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
    function space(ns: string) {
      let s = spaces.get(ns);
      if (s === undefined) spaces.set(ns, s = new Map());
      return s;
    }
    // Open listings: cursor → live iterator over a namespace's Map (a Map
    // iterator skips entries deleted after it was made and visits entries
    // added after it was made). Only the newest few are kept.
    const listings = new Map<string, Iterator<[string, JsonValue]>>();
    let seq = 0;
    return {
      get: (ns, key) => spaces.get(ns)?.get(key),
      set: (ns, key, value) => void space(ns).set(key, value),
      del: (ns, key) => void spaces.get(ns)?.delete(key),
      keys: (ns) => [...(spaces.get(ns)?.keys() ?? [])],
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
        const entries: [string, JsonValue][] = [];
        let next: string | null = id;
        while (entries.length < limit) {
          const r = it!.next();
          if (r.done) {
            listings.delete(id);
            next = null;
            break;
          }
          entries.push(r.value);
        }
        return cursor === null
          ? { entries, next, total: space(ns).size }
          : { entries, next };
      },
      setMany(ns, entries) {
        const s = space(ns);
        for (const [key, value] of entries) s.set(key, value);
      },
      close: () => {
        listings.clear();
        spaces.clear();
      },
    };
  });
}
