/**
 * A plugin for migration tests and benches whose ops write any JSON value
 * under any key (`put [key, value]`, `read key`, `remove key`), so a key can
 * change value (unlike a cid) and a stale overwrite would show.
 *
 * @module
 */
import { definePlugin, type JsonValue, type Plugin } from "../../mod.ts";
import type { Api } from "../../actors/registry/api.ts";

/**
 * A key/value plugin named `name` (each test file uses its own name).
 *
 * @param name The plugin name.
 * @returns The plugin; its facade is its internal API.
 */
export function kvPlugin(name: string): Plugin<string, Api> {
  return definePlugin({
    name,
    ops: {
      put: {
        request: (a) => {
          const [key, value] = a as [string, JsonValue];
          return { type: "storage.set", key, value };
        },
      },
      read: { request: (key) => ({ type: "storage.get", key: key as string }) },
      remove: {
        request: (key) => ({ type: "storage.del", key: key as string }),
      },
    },
    create: ({ api }) => api,
  });
}
