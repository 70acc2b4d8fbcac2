/**
 * Turn a plain key/value backend into a storage actor that speaks the
 * storage protocol (`actors/storage/protocol.ts`).
 *
 * A storage actor is a callback actor, not a state machine: it is on the data
 * path, where one hop costs ~0.5 µs as a callback and ~3–4 µs as a machine on
 * this hardware. The states worth drawing (bind, migrate, drain) live in the
 * registry machine.
 *
 * @module
 */
import { fromCallback } from "../../src/deps.ts";
import type { AnyActorLogic } from "../../src/types.ts";
import { StorageError } from "../../src/errors.ts";
import { isThenable } from "../../src/_util.ts";
import { nameStorage } from "./names.ts";
import type {
  EntriesBatch,
  EntriesCursor,
  JsonValue,
  StorageEntry,
  StorageReply,
  StorageRequest,
} from "./protocol.ts";

/** What a storage backend implements; each method may be sync or async. */
export interface StorageBackend {
  /** The entry under `key`, or `undefined` when there is none. */
  get(
    ns: string,
    key: string,
  ): JsonValue | undefined | Promise<JsonValue | undefined>;
  /**
   * Create or replace the entry under `key`; `ttl`, when given, is the
   * seconds it may live (see `StorageSet.ttl`): a backend without expiry of
   * its own ignores it.
   */
  set(
    ns: string,
    key: string,
    value: JsonValue,
    ttl?: number,
  ): void | Promise<void>;
  /** Delete the entry under `key`; a missing key is not an error. */
  del(ns: string, key: string): void | Promise<void>;
  /** Every key of the namespace. */
  keys(ns: string): string[] | Promise<string[]>;
  /**
   * Prove the backend works (open the database, check the directory): the
   * answer to `storage.ready`. Without it, a backend whose factory returned
   * is ready.
   */
  ready?(): void | Promise<void>;
  /**
   * The next batch of at most `limit` entries from `cursor` (`null`: from
   * the start); see {@linkcode EntriesBatch}. Without it, `storage.entries`
   * is answered from `keys()` (listed once per listing) and `get()`.
   */
  entries?(
    ns: string,
    cursor: EntriesCursor,
    limit: number,
  ): EntriesBatch | Promise<EntriesBatch>;
  /**
   * Write many entries in order. Without it, `storage.set_many` calls
   * `set()` once per entry (all issued at once, in order), with the time
   * left until the entry's own `expiresAt` rounded up to whole seconds, else
   * `ttl`. `ttl` as in `set()`, for every entry without an `expiresAt` of its
   * own (see `StorageEntry`).
   */
  setMany?(
    ns: string,
    entries: StorageEntry[],
    ttl?: number,
  ): void | Promise<void>;
  /**
   * When the entry under `key` (whose value is `value`) expires, in ms since
   * the epoch (`Date.now()` clock), when the backend knows it (`undefined`:
   * it does not expire). Without `entries()`, a listing gives it with each
   * entry (`[key, value, expiresAt]`, see `StorageEntry`) and leaves out the
   * entries already expired, so a migration carries it on.
   */
  expiresAt?(ns: string, key: string, value: JsonValue): number | undefined;
  /** Release resources when the actor stops. */
  close?(): void;
}

/** Options of {@linkcode defineStorage}. */
export interface DefineStorageOptions {
  /**
   * What the storage is and where, for a person reading the inspector (e.g.
   * `file:/var/lib/bob`): the actor a registry spawns from the logic is
   * called `storage:<name>`, with a `#2`, `#3`… suffix while another of the
   * same name runs beside it. Put no secret in it (a URL's password is
   * redacted).
   * @default {undefined} (the actor is called `storage`)
   */
  name?: string;
}

/** The actor logic of a storage actor: pass it to `createActor` or `api.bind`. */
export type StorageLogic = AnyActorLogic;

function toError(cause: unknown): Error {
  return cause instanceof Error ? cause : new Error(String(cause));
}

function isKeyList(keys: unknown): keys is string[] {
  return Array.isArray(keys) && keys.every((k) => typeof k === "string");
}

/**
 * The `ttl` of a request: absent, or a positive safe integer of seconds.
 * @throws {RangeError} For anything else.
 */
function checkTtl(ttl: unknown): number | undefined {
  if (ttl === undefined) return undefined;
  if (typeof ttl !== "number" || !Number.isSafeInteger(ttl) || ttl < 1) {
    throw new RangeError(
      `Cannot write entry: ttl must be a positive integer of seconds, got ${
        String(ttl)
      }`,
    );
  }
  return ttl;
}

/**
 * The entries of a `storage.set_many`, checked: each an array of a string
 * key, a value and an optional `expiresAt` that is a positive safe integer.
 * @throws {TypeError} For a malformed entry.
 * @throws {RangeError} For a bad `expiresAt`.
 */
function checkEntries(entries: unknown): StorageEntry[] {
  if (!Array.isArray(entries)) {
    throw new TypeError("Cannot write entries: entries must be an array");
  }
  for (const e of entries) {
    if (!Array.isArray(e) || typeof e[0] !== "string") {
      throw new TypeError(
        "Cannot write entries: each entry must be [key, value, expiresAt?]",
      );
    }
    const at = e[2];
    if (
      at !== undefined &&
      (typeof at !== "number" || !Number.isSafeInteger(at) || at < 1)
    ) {
      throw new RangeError(
        `Cannot write ${
          e[0]
        }: expiresAt must be a positive integer of ms since the epoch, got ${
          String(at)
        }`,
      );
    }
  }
  return entries as StorageEntry[];
}

/** The most listings of one storage actor kept open at once. */
const MAX_LISTINGS = 8;

/**
 * `storage.entries` from `keys()` and `get()`: the key list is taken once,
 * when a listing starts, and kept (keys only) until the listing ends; each
 * batch reads its values. A key deleted since the listing began is left out.
 */
function defaultEntries(backend: StorageBackend) {
  const listings = new Map<string, { keys: string[]; pos: number }>();
  let seq = 0;
  function batchFrom(
    id: string,
    listing: { keys: string[]; pos: number },
    ns: string,
    limit: number,
  ): EntriesBatch | Promise<EntriesBatch> {
    const slice = listing.keys.slice(listing.pos, listing.pos + limit);
    listing.pos += slice.length;
    const done = listing.pos >= listing.keys.length;
    if (done) listings.delete(id);
    const batch: EntriesBatch = {
      entries: [],
      next: done ? null : id,
      total: listing.keys.length,
    };
    const unreadable: [string, string][] = [];
    const pending: Promise<void>[] = [];
    const add = (key: string, value: JsonValue | undefined) => {
      if (value === undefined) return;
      let at: number | undefined;
      try {
        at = backend.expiresAt?.(ns, key, value);
      } catch {
        at = undefined; // no expiry known: listed as it is
      }
      if (at === undefined) batch.entries.push([key, value]);
      else if (at > Date.now()) {
        batch.entries.push([key, value, Math.floor(at)]);
      } // else: expired, left out
    };
    for (const key of slice) {
      let value;
      try {
        value = backend.get(ns, key);
      } catch (e) {
        unreadable.push([key, toError(e).message]);
        continue;
      }
      if (isThenable<JsonValue | undefined>(value)) {
        pending.push(
          Promise.resolve(value).then(
            (v) => add(key, v),
            (e) => void unreadable.push([key, toError(e).message]),
          ),
        );
      } else add(key, value);
    }
    const finish = () => {
      if (unreadable.length > 0) batch.unreadable = unreadable;
      return batch;
    };
    return pending.length === 0 ? finish() : Promise.all(pending).then(finish);
  }
  return (
    ns: string,
    cursor: EntriesCursor,
    limit: number,
  ): EntriesBatch | Promise<EntriesBatch> => {
    if (cursor !== null) {
      const listing = listings.get(cursor);
      if (listing === undefined) {
        throw new StorageError(
          `Cannot answer storage.entries: unknown cursor ${
            JSON.stringify(cursor)
          }`,
        );
      }
      return batchFrom(cursor, listing, ns, limit);
    }
    const start = (keys: unknown) => {
      if (!isKeyList(keys)) {
        throw new StorageError(
          "Cannot answer storage.entries: the backend's keys() (storage.keys) returned something other than a list of strings",
        );
      }
      const id = String(++seq);
      // An abandoned listing (a failed migration) must not pin its keys for
      // ever: keep the newest few.
      if (listings.size >= MAX_LISTINGS) {
        listings.delete(listings.keys().next().value!);
      }
      const listing = { keys: [...keys], pos: 0 };
      listings.set(id, listing);
      return batchFrom(id, listing, ns, limit);
    };
    const keys = backend.keys(ns);
    return isThenable(keys) ? Promise.resolve(keys).then(start) : start(keys);
  };
}

/** `storage.set_many` from `set()`: every write issued at once, in order. */
function defaultSetMany(backend: StorageBackend) {
  return (
    ns: string,
    entries: StorageEntry[],
    ttl?: number,
  ): void | Promise<void> => {
    let pending: Promise<void>[] | undefined;
    for (const [key, value, at] of entries) {
      const r = backend.set(
        ns,
        key,
        value,
        at === undefined
          ? ttl
          : Math.max(1, Math.ceil((at - Date.now()) / 1000)),
      );
      if (isThenable<void>(r)) (pending ??= []).push(Promise.resolve(r));
    }
    if (pending !== undefined) return Promise.all(pending).then(() => {});
  };
}

/**
 * Wrap a backend factory as a storage actor logic. The factory runs when the
 * actor starts. Each answer goes to the request's `replyTo`, or, for a request
 * without one, to the actor's parent by `sendBack` (see the storage
 * protocol). Sync results are answered at once, in order; async ones when
 * they settle. `storage.drain` is answered once every earlier request is.
 * `storage.ready` succeeds only if the factory returned (and the backend's
 * `ready()`, if any, succeeded): a storage that cannot start fails it, so
 * `api.bind` rejects instead of binding a dead storage.
 *
 * The bulk path of a migration (`storage.entries`, `storage.set_many`) uses
 * the backend's `entries()` / `setMany()` when it has them, and otherwise
 * defaults built from `keys()`, `get()` and `set()`.
 *
 * @param make Creates the backend when the actor starts.
 * @param options Its name (see {@linkcode DefineStorageOptions}).
 * @returns The actor logic, ready for `createActor` or `api.bind`.
 * @throws {TypeError} When `options.name` is given and is not a non-empty
 *   string.
 *
 * @example Usage
 * ```ts
 * import { createActor } from "npm:xstate@^5.33.0";
 * import { defineStorage } from "./define.ts";
 * const map = new Map();
 * const logic = defineStorage(() => ({
 *   get: (ns, key) => map.get(`${ns}/${key}`),
 *   set: (ns, key, value) => void map.set(`${ns}/${key}`, value),
 *   del: (ns, key) => void map.delete(`${ns}/${key}`),
 *   keys: (ns) => [...map.keys()].filter((k) => k.startsWith(`${ns}/`)).map((k) => k.slice(ns.length + 1)),
 * }), { name: "map" }); // spawned by a registry as `storage:map`
 * const store = createActor(logic).start();
 * store.stop();
 * ```
 */
export function defineStorage(
  make: () => StorageBackend,
  options: DefineStorageOptions = {},
): StorageLogic {
  const logic = fromCallback<StorageRequest>(({ receive, sendBack }) => {
    // A backend that cannot start (no such directory, no IndexedDB) must
    // not crash the actor or its parent: every request then fails with why.
    let backend: StorageBackend;
    try {
      backend = make();
    } catch (cause) {
      const error = new StorageError(
        `Cannot start storage: ${toError(cause).message}`,
        { cause },
      );
      const fail = () => {
        throw error;
      };
      backend = {
        get: fail,
        set: fail,
        del: fail,
        keys: fail,
        ready: fail,
        entries: fail,
        setMany: fail,
      };
    }
    const entries = backend.entries?.bind(backend) ?? defaultEntries(backend);
    const setMany = backend.setMany?.bind(backend) ?? defaultSetMany(backend);
    const ready = backend.ready?.bind(backend) ?? (() => {});
    let inFlight = 0;
    let drains: StorageRequest[] = [];
    let stopped = false;

    function reply(req: StorageRequest, out: StorageReply) {
      // A stopped actor sends nothing: work that settles after stop() is
      // not reported (its caller times out).
      if (stopped) return;
      // No replyTo: the requester is the parent that spawned this storage
      // (see the storage protocol's module doc).
      if (req.replyTo === undefined) return sendBack(out);
      try {
        req.replyTo.send(out);
      } catch {
        // A requester that went away must not take the storage down with it.
      }
    }
    function settle(req: StorageRequest, work: () => unknown) {
      let result: unknown;
      try {
        result = work();
      } catch (cause) {
        reply(req, {
          type: "storage.error",
          id: req.id,
          error: toError(cause),
        });
        return;
      }
      if (!isThenable(result)) {
        reply(req, {
          type: "storage.result",
          id: req.id,
          value: result as JsonValue,
        });
        return;
      }
      inFlight++;
      Promise.resolve(result).then(
        (value) =>
          reply(req, {
            type: "storage.result",
            id: req.id,
            value: value as JsonValue,
          }),
        (cause) =>
          reply(req, {
            type: "storage.error",
            id: req.id,
            error: toError(cause),
          }),
      ).finally(() => {
        if (--inFlight === 0 && drains.length > 0) {
          const waiting = drains;
          drains = [];
          for (const d of waiting) {
            reply(d, { type: "storage.result", id: d.id });
          }
        }
      });
    }

    receive((req) => {
      switch (req.type) {
        case "storage.get":
          return settle(req, () => backend.get(req.ns, req.key));
        case "storage.set":
          return settle(
            req,
            () => backend.set(req.ns, req.key, req.value, checkTtl(req.ttl)),
          );
        case "storage.del":
          return settle(req, () => backend.del(req.ns, req.key));
        case "storage.keys":
          return settle(req, () => backend.keys(req.ns));
        case "storage.ready":
          return settle(req, () => {
            const r = ready();
            return isThenable(r) ? Promise.resolve(r).then(() => {}) : r;
          });
        case "storage.entries": {
          const { limit } = req;
          if (!Number.isInteger(limit) || limit < 1) {
            return settle(req, () => {
              throw new RangeError(
                `Cannot answer storage.entries: limit must be a positive integer, got ${limit}`,
              );
            });
          }
          return settle(req, () => entries(req.ns, req.cursor ?? null, limit));
        }
        case "storage.set_many":
          return settle(
            req,
            () => setMany(req.ns, checkEntries(req.entries), checkTtl(req.ttl)),
          );
        case "storage.drain":
          if (inFlight === 0) {
            reply(req, { type: "storage.result", id: req.id });
          } else drains.push(req);
          return;
        default: {
          const unknown = req as {
            id?: unknown;
            type?: unknown;
            replyTo?: { send?: unknown };
          };
          if (
            (unknown.replyTo === undefined ||
              typeof unknown.replyTo?.send === "function") &&
            typeof unknown.id === "number"
          ) {
            reply(req, {
              type: "storage.error",
              id: unknown.id,
              error: new TypeError(
                `Cannot handle storage request: unknown type ${
                  String(unknown.type)
                }`,
              ),
            });
          }
        }
      }
    });
    return () => {
      stopped = true;
      backend.close?.();
    };
  });
  if (options?.name !== undefined) nameStorage(logic, options.name);
  return logic;
}
