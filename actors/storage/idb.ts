/**
 * The IndexedDB storage actor, over idb-keyval: the persistent storage of
 * browsers. Each entry is kept under the array key `[namespace, key]`.
 *
 * @module
 */
import { defineStorage, type StorageLogic } from "./define.ts";
import {
  createStore,
  idbDel,
  idbGet,
  idbKeys,
  idbSet,
} from "../../src/deps.ts";
import type { JsonValue } from "./protocol.ts";

/** Options of {@linkcode idbStorage}. */
export interface IdbStorageOptions {
  /**
   * IndexedDB database name.
   * @default {"xmpp-actors"}
   */
  dbName?: string;
  /**
   * Object store name inside the database.
   * @default {"storage"}
   */
  storeName?: string;
}

/**
 * Storage actor logic that keeps entries in IndexedDB. Needs a global
 * `indexedDB` (browsers; in Deno, `npm:fake-indexeddb/auto`).
 *
 * @param options Database and store names.
 * @returns Actor logic for `api.bind` or `createActor`.
 *
 * @example Usage
 * ```ts ignore
 * import { createClient, idbStorage } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * await xmpp.registerPlugin("xep_0231").api.bind(idbStorage({ dbName: "bob" }));
 * ```
 */
export function idbStorage(options: IdbStorageOptions = {}): StorageLogic {
  const dbName = options.dbName ?? "xmpp-actors";
  const storeName = options.storeName ?? "storage";
  return defineStorage(() => {
    if ((globalThis as { indexedDB?: unknown }).indexedDB === undefined) {
      throw new TypeError(
        "Cannot open IndexedDB storage: no indexedDB in this runtime",
      );
    }
    const store = createStore(dbName, storeName);
    return {
      get: (ns, key) => idbGet<JsonValue>([ns, key], store),
      set: (ns, key, value) => idbSet([ns, key], value, store),
      del: (ns, key) => idbDel([ns, key], store),
      keys: async (ns) =>
        (await idbKeys<unknown>(store))
          .filter((k): k is [string, string] => Array.isArray(k) && k[0] === ns)
          .map((k) => k[1]),
    };
  }, { name: `idb:${dbName}/${storeName}` });
}
