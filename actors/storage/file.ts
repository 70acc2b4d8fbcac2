/**
 * The file storage actor: one JSON file per key in one directory (Deno only).
 *
 * The layout is the one of slixmpp's "Flexible internal API usage" how-to:
 * the file is named exactly by the key (for BoB, the cid) and holds the entry
 * as Python's `json.dump` writes it, so a directory written by slixmpp's
 * `BobLoader` is readable here and the reverse.
 *
 * Every write goes to a hidden temp file in the same directory and is renamed
 * over the target, so a reader never sees a half-written file. The calls are
 * the synchronous ones: awaited one by one, Deno's async fs calls cost
 * ~200–450 µs each on this hardware against ~20 µs for the sync ones.
 *
 * @module
 */
import { defineStorage, type StorageLogic } from "./define.ts";
import { StorageError } from "../../src/errors.ts";
import { pythonJson } from "../../src/json.ts";
import type { JsonValue } from "./protocol.ts";

/** Options of {@linkcode fileStorage}. */
export interface FileStorageOptions {
  /** The directory that holds one file per key; created when missing. */
  dir: string;
}

/**
 * Check that `key` can be a file name inside the storage directory and
 * nothing else: no separator, no NUL, not `.`/`..`, not hidden (hidden names
 * are the storage's temp files), at most 255 bytes.
 *
 * @param key The key to check.
 * @throws {TypeError} When the key could name a path outside the directory.
 */
export function assertFileKey(key: string): void {
  if (
    typeof key !== "string" || key.length === 0 || key.length > 255 ||
    key.startsWith(".") || /[/\\\0]/.test(key)
  ) {
    throw new TypeError(
      `Cannot use key as a file name: ${JSON.stringify(key)}`,
    );
  }
}

function isNotFound(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound;
}

/**
 * Storage actor logic that keeps each entry in `dir/<key>` as JSON. One
 * directory serves one namespace: a request for a second namespace fails
 * rather than mixing keys.
 *
 * @param options The directory.
 * @returns Actor logic for `api.bind` or `createActor`.
 *
 * @example Usage
 * ```ts
 * import { createClient, fileStorage } from "../../mod.ts";
 * const dir = await Deno.makeTempDir();
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * await bob.api.bind(fileStorage({ dir }));
 * const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain");
 * console.assert(Deno.statSync(`${dir}/${cid}`).isFile);
 * await xmpp.stop();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function fileStorage(options: FileStorageOptions): StorageLogic {
  const dir = options?.dir;
  if (typeof dir !== "string" || dir === "") {
    throw new TypeError(
      "Cannot create file storage: dir must be a non-empty string",
    );
  }
  return defineStorage(() => {
    Deno.mkdirSync(dir, { recursive: true });
    let namespace: string | undefined;
    let tmpSeq = 0;
    const tmpPrefix = `.tmp-${crypto.randomUUID()}-`;

    function pathOf(ns: string, key: string): string {
      if (namespace === undefined) namespace = ns;
      else if (ns !== namespace) {
        throw new StorageError(
          `Cannot use file storage for namespace ${ns}: ${dir} already serves ${namespace}`,
        );
      }
      assertFileKey(key);
      return `${dir}/${key}`;
    }

    return {
      get(ns, key) {
        const path = pathOf(ns, key);
        let text: string;
        try {
          text = Deno.readTextFileSync(path);
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw new StorageError(
            `Cannot read ${key}: ${(e as Error).message}`,
            { cause: e },
          );
        }
        try {
          return JSON.parse(text) as JsonValue;
        } catch (e) {
          throw new StorageError(
            `Cannot read ${key}: corrupt JSON in ${path}`,
            { cause: e },
          );
        }
      },
      set(ns, key, value) {
        const path = pathOf(ns, key);
        const tmp = `${dir}/${tmpPrefix}${tmpSeq++}`;
        try {
          Deno.writeTextFileSync(tmp, pythonJson(value));
          Deno.renameSync(tmp, path);
        } catch (e) {
          try {
            Deno.removeSync(tmp);
          } catch { /* the temp file may not exist */ }
          throw new StorageError(
            `Cannot write ${key}: ${(e as Error).message}`,
            { cause: e },
          );
        }
      },
      del(ns, key) {
        const path = pathOf(ns, key);
        try {
          Deno.removeSync(path);
        } catch (e) {
          if (!isNotFound(e)) {
            throw new StorageError(
              `Cannot delete ${key}: ${(e as Error).message}`,
              { cause: e },
            );
          }
        }
      },
      keys(ns) {
        pathOf(ns, "x");
        const out: string[] = [];
        for (const entry of Deno.readDirSync(dir)) {
          if (entry.isFile && !entry.name.startsWith(".")) out.push(entry.name);
        }
        return out;
      },
    };
  });
}
