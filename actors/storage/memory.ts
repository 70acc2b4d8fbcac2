/**
 * The in-memory storage actor: the default storage of every plugin.
 *
 * @module
 */
import { defineStorage, type StorageLogic } from "./define.ts";
import type { JsonValue } from "./protocol.ts";

/**
 * Storage actor logic that keeps entries in a Map per namespace. Entries live
 * as long as the actor.
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
    return {
      get: (ns, key) => spaces.get(ns)?.get(key),
      set: (ns, key, value) => void space(ns).set(key, value),
      del: (ns, key) => void spaces.get(ns)?.delete(key),
      keys: (ns) => [...(spaces.get(ns)?.keys() ?? [])],
      close: () => spaces.clear(),
    };
  });
}
