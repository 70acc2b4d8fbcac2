/**
 * Names of storage actors, for a person reading the inspector: the actor a
 * registry spawns from a storage logic gets the id `storage:<kind>:<place>`
 * (`storage:memory`, `storage:file:/var/lib/bob`,
 * `storage:redis:127.0.0.1:6379/xmpp-actors:`, `storage:idb:xmpp-actors/storage`),
 * where XState would otherwise call it `x:8`.
 *
 * @module
 */
import { redactText } from "../../src/redact.ts";

const names = new WeakMap<object, string>();

/**
 * Remember what a storage logic is (its kind and place, e.g. `file:<dir>`).
 * A secret that looks like one (the password of a URL) is redacted.
 * @param logic The storage actor logic.
 * @param name Its kind and place.
 * @throws {TypeError} When `name` is not a non-empty string.
 */
export function nameStorage(logic: object, name: string): void {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      "Cannot define storage: name must be a non-empty string",
    );
  }
  names.set(logic, redactText(name));
}

/**
 * The id of an actor spawned from a storage logic: `storage:<name>`, or
 * `storage` for a logic that was given no name (see
 * `DefineStorageOptions.name`).
 * @param logic A storage actor logic.
 * @returns Its actor id.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { memoryStorage } from "../../mod_browser.ts";
 * import { storageId } from "../../internals.ts";
 * strictEqual(storageId(memoryStorage()), "storage:memory");
 * ```
 */
export function storageId(logic: unknown): string {
  const name = typeof logic === "object" && logic !== null
    ? names.get(logic)
    : undefined;
  return name === undefined ? "storage" : `storage:${name}`;
}

/**
 * `id` made unique among `taken`: `id`, else `id#2`, `id#3`, … (XState keeps
 * a parent's children by id: two alike must not share one).
 * @param id The wanted id.
 * @param taken The ids in use.
 * @returns An id not in `taken`.
 */
export function uniqueId(id: string, taken: ReadonlySet<string>): string {
  let out = id;
  for (let n = 2; taken.has(out); n++) out = `${id}#${n}`;
  return out;
}

/**
 * The name of a Redis storage: `redis:<host>:<port>/<prefix>`. Only the host
 * and port are read from the URL: its user name, password and database never
 * appear.
 * @param url A `redis://` or `rediss://` URL.
 * @param prefix The key prefix.
 * @returns The name, for `DefineStorageOptions.name`.
 */
export function redisName(url: string, prefix: string): string {
  let host = "?";
  let port = "6379";
  try {
    const u = new URL(url);
    host = u.hostname || "?";
    port = u.port || port;
  } catch {
    // Not a URL: no place to tell (the options check reports it).
  }
  return `redis:${host}:${port}/${prefix}`;
}
