/**
 * The file storage actor: one JSON file per key in one directory (Deno only).
 *
 * The layout is the one of slixmpp's "Flexible internal API usage" how-to:
 * the file is named exactly by the key (for BoB, the cid) and holds the entry
 * as Python's `json.dump` writes it, so a directory written by slixmpp's
 * `BobLoader` is readable here and the reverse.
 *
 * Every write goes to a hidden temp file in the same directory (created
 * exclusively, so a planted link is never written through) and is renamed
 * over the target, so a reader never sees a half-written file. The calls are
 * the synchronous ones: awaited one by one, Deno's async fs calls cost
 * ~200–450 µs each on this hardware against ~20 µs for the sync ones.
 *
 * Only regular files are entries. The directory may hold anything (another
 * process, or an attacker, can put a symlink, a FIFO or a device there under
 * a key's name), and a read is synchronous, so nothing may block or grow
 * without bound: `get` opens with `O_NOFOLLOW | O_NONBLOCK`, checks the
 * opened file (`fstat`, so there is no window between check and read) is
 * regular and at most `maxEntryBytes`, and reads no more than that; anything
 * else is a `StorageError` naming the key. `keys` lists regular files only;
 * `del` unlinks (a link is removed, never what it points to) and refuses a
 * directory.
 *
 * Expiry: an entry whose value is an object with a positive integer
 * `max_age` (the BoB record's field, seconds) is due `max_age` seconds after
 * its file's modification time, so a listing (a migration) gives what is
 * left of it, and leaves it out once it is due (a `get` still reads it: the
 * storage deletes nothing by itself). An entry written with less time left
 * than its `max_age` (a `ttl`, or a migration's remaining time) gets a
 * modification time that far in the past, so the two always agree.
 *
 * @module
 */
import {
  closeSync,
  constants as fsConstants,
  openSync,
  readSync,
} from "node:fs";
import { defineStorage, type StorageLogic } from "./define.ts";
import { type EntryInfo, type FileSystem, fileSystem } from "./file_fs.ts";
import { StorageError } from "../../src/errors.ts";
import { pythonJson } from "../../src/json.ts";
import type { JsonValue } from "./protocol.ts";

/**
 * The default {@linkcode FileStorageOptions.maxEntryBytes}: 1 MiB of base64
 * (a BoB of 768 KiB, far above the 8 KiB XEP-0231 recommends in-band) plus
 * 4 KiB for the JSON envelope (cid, MIME type, max-age, keys).
 */
export const DEFAULT_MAX_ENTRY_BYTES: number = 1024 * 1024 + 4 * 1024;

/** Options of {@linkcode fileStorage}. */
export interface FileStorageOptions {
  /** The directory that holds one file per key; created when missing. */
  dir: string;
  /**
   * Largest entry file, in bytes, that `get` reads and `set` writes; a larger
   * one is a `StorageError` naming the key (and a file is never read past
   * it).
   * @default {1052672} (1 MiB + 4 KiB)
   */
  maxEntryBytes?: number;
}

const utf8 = new TextEncoder();

/**
 * Whether `key` can be a file name inside the storage directory and nothing
 * else, and names a file of its own: no separator, no NUL, not `.`/`..`, not
 * hidden (hidden names are the storage's temp files), well-formed Unicode (a
 * lone surrogate would be written as U+FFFD, so two keys would share a file),
 * at most 255 bytes in UTF-8 (the file name limit of Linux and macOS).
 *
 * @param key The candidate.
 * @returns `true` when {@linkcode assertFileKey} accepts it.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isFileKey } from "./file.ts";
 * ok(isFileKey("sha1+da39a3ee5e6b4b0d3255bfef95601890afd80709@bob.xmpp.org"));
 * ok(!isFileKey("../etc/passwd"));
 * ```
 */
export function isFileKey(key: unknown): key is string {
  return typeof key === "string" && key.length > 0 && key.length <= 255 &&
    !key.startsWith(".") && !/[/\\\0]/.test(key) && key.isWellFormed() &&
    // At most 3 UTF-8 bytes per UTF-16 code unit: short keys need no count.
    (key.length <= 85 || utf8.encode(key).length <= 255);
}

/**
 * Check that `key` can be a file name inside the storage directory (see
 * {@linkcode isFileKey}).
 *
 * @param key The key to check.
 * @throws {TypeError} When the key could name a path outside the directory.
 *
 * @example Usage
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { assertFileKey } from "./file.ts";
 * assertFileKey("k");
 * throws(() => assertFileKey(".."), TypeError);
 * ```
 */
export function assertFileKey(key: string): void {
  if (!isFileKey(key)) {
    throw new TypeError(
      `Cannot use key as a file name: ${JSON.stringify(key)}`,
    );
  }
}

/** The `max_age` (seconds) a record declares: a positive integer, or none. */
function maxAgeOf(value: JsonValue): number | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  const m = (value as { [k: string]: JsonValue }).max_age;
  return typeof m === "number" && Number.isSafeInteger(m) && m > 0
    ? m
    : undefined;
}

/** Deno's calls in Deno, `node:fs` elsewhere (`./file_fs.ts`). */
const defaultFs: FileSystem = fileSystem();

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// O_NOFOLLOW: a symlink fails to open (ELOOP) instead of being followed.
// O_NONBLOCK: a FIFO opens at once instead of waiting for a writer (and is
// then refused as not a regular file); no effect on regular files.
const OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW |
  fsConstants.O_NONBLOCK;

/** What a non-regular file is, for error messages. */
function kindOf(info: EntryInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isSymlink) return "a symbolic link";
  if (info.isFifo) return "a FIFO";
  if (info.isDevice) return "a device";
  if (info.isSocket) return "a socket";
  return "special";
}

/**
 * The bytes of the regular file at `path`, at most `max` of them, or
 * `undefined` when there is none. Never follows a link, never blocks on a
 * FIFO, never reads past `max`.
 *
 * `lstat` first (cheap here: ~2 µs, where node's `fstatSync` costs ~6 µs)
 * refuses what is not a regular file with a clear reason. The file may be
 * swapped between that and the open, so the open still refuses a link
 * (`O_NOFOLLOW`) and never waits on a FIFO (`O_NONBLOCK`), and the read
 * stops past `max` bytes: whatever was swapped in is refused or bounded, and
 * the record check (JSON, cid hash) refuses what is not the entry.
 */
function readEntry(
  path: string,
  key: string,
  max: number,
  fs: FileSystem,
): Uint8Array | undefined {
  let info: EntryInfo;
  try {
    info = fs.lstat(path);
  } catch (e) {
    if (fs.isNotFound(e)) return undefined;
    throw new StorageError(`Cannot read ${key}: ${message(e)}`, { cause: e });
  }
  if (!info.isFile) {
    throw new StorageError(
      `Cannot read ${key}: not a regular file (${kindOf(info)})`,
    );
  }
  const tooLarge = () =>
    new StorageError(`Cannot read ${key}: entry exceeds the ${max}-byte limit`);
  if (info.size > max) throw tooLarge();
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") {
      throw new StorageError(
        `Cannot read ${key}: not a regular file (a symbolic link)`,
        { cause: e },
      );
    }
    throw new StorageError(`Cannot read ${key}: ${message(e)}`, { cause: e });
  }
  try {
    // One byte more than lstat said: a short read of a regular file is its
    // end; a full one means it grew, so read on (up to max + 1).
    let buf = new Uint8Array(info.size + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      n += got;
      if (got === 0 || n < buf.length) break;
      if (n > max) throw tooLarge();
      const bigger = new Uint8Array(Math.min(n * 2, max + 1));
      bigger.set(buf);
      buf = bigger;
    }
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof StorageError) throw e;
    throw new StorageError(`Cannot read ${key}: ${message(e)}`, { cause: e });
  } finally {
    closeSync(fd);
  }
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
 * import { ok } from "node:assert/strict";
 * import { createClient, fileStorage } from "../../mod.ts";
 * const dir = await Deno.makeTempDir();
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * await bob.api.bind(fileStorage({ dir }));
 * const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain");
 * ok(Deno.statSync(`${dir}/${cid}`).isFile);
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
  const max = options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(
      "Cannot create file storage: maxEntryBytes must be a positive integer",
    );
  }
  const enc = new TextEncoder();
  const dec = new TextDecoder("utf-8", { fatal: true });
  return defineStorage(() => {
    const fs = defaultFs;
    fs.mkdirp(dir);
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

    /**
     * Write one entry atomically (temp file, then rename). When it is due
     * (`at`, ms since the epoch) before its record's `max_age` from now, the
     * file's modification time is set that much in the past (on the temp
     * file, before the rename), so that modification time + `max_age` is
     * when the entry is due.
     */
    function write(
      ns: string,
      key: string,
      value: JsonValue,
      at: number | undefined,
    ): void {
      const path = pathOf(ns, key);
      const bytes = enc.encode(pythonJson(value));
      if (bytes.length > max) {
        throw new StorageError(
          `Cannot write ${key}: entry exceeds the ${max}-byte limit`,
        );
      }
      const maxAge = maxAgeOf(value);
      const now = Date.now();
      const backdate = at !== undefined && maxAge !== undefined &&
          at - maxAge * 1000 < now
        ? new Date(at - maxAge * 1000)
        : undefined;
      const tmp = `${dir}/${tmpPrefix}${tmpSeq++}`;
      try {
        // exclusive (O_EXCL): never write through a link planted there;
        // backdated on the open file: no path to swap in between
        fs.writeNew(tmp, bytes, backdate);
        fs.rename(tmp, path);
      } catch (e) {
        try {
          fs.unlink(tmp);
        } catch { /* the temp file may not exist */ }
        throw new StorageError(
          `Cannot write ${key}: ${message(e)}`,
          { cause: e },
        );
      }
    }

    return {
      get(ns, key) {
        const path = pathOf(ns, key);
        const bytes = readEntry(path, key, max, fs);
        if (bytes === undefined) return undefined;
        try {
          return JSON.parse(dec.decode(bytes)) as JsonValue;
        } catch (e) {
          throw new StorageError(
            `Cannot read ${key}: corrupt JSON in ${path}`,
            { cause: e },
          );
        }
      },
      set(ns, key, value, ttl) {
        write(
          ns,
          key,
          value,
          ttl === undefined ? undefined : Date.now() + ttl * 1000,
        );
      },
      setMany(ns, entries, ttl) {
        const all = ttl === undefined ? undefined : Date.now() + ttl * 1000;
        for (const [key, value, at] of entries) {
          write(ns, key, value, at ?? all);
        }
      },
      expiresAt(ns, key, value) {
        const maxAge = maxAgeOf(value);
        if (maxAge === undefined) return undefined;
        const mtime = fs.lstat(pathOf(ns, key)).mtime;
        return mtime === null ? undefined : mtime.getTime() + maxAge * 1000;
      },
      del(ns, key) {
        const path = pathOf(ns, key);
        try {
          // lstat: a link is an entry to unlink, whatever it points to.
          if (fs.lstat(path).isDirectory) {
            throw new StorageError(
              `Cannot delete ${key}: not a regular file (a directory)`,
            );
          }
          // unlink(2): removes a link itself, never its target.
          fs.unlink(path);
        } catch (e) {
          if (e instanceof StorageError) throw e;
          if (!fs.isNotFound(e)) {
            throw new StorageError(
              `Cannot delete ${key}: ${message(e)}`,
              { cause: e },
            );
          }
        }
      },
      keys(ns) {
        pathOf(ns, "x");
        const out: string[] = [];
        // regular files only: no links, FIFOs, devices or directories
        for (const name of fs.files(dir)) {
          if (isFileKey(name)) out.push(name);
        }
        return out;
      },
    };
  }, { name: `file:${dir}` });
}
