/**
 * The storage protocol: the one message protocol every storage actor speaks.
 *
 * A storage actor is a generic key/value store partitioned by namespace (the
 * API name, e.g. `xep_0231`). Values are plain JSON values (objects, arrays,
 * strings, numbers, booleans, null), so any backend can keep them: a Map, a
 * JSON file, IndexedDB, Redis. Each request carries an `id` and, usually, a
 * `replyTo` ref; the storage answers every request exactly once with a
 * {@linkcode StorageReply} carrying the same `id`, in the order it accepted
 * them for a given key.
 *
 * Where the answer goes:
 * - a request without `replyTo` is answered to the storage actor's parent
 *   (a callback actor's `sendBack`, so the answer carries the storage as its
 *   source): the registry sends its requests this way to the storages it
 *   spawned (its children), and so does the `Api.run` facade on its direct
 *   path (a storage op outside a migration: the facade opens the call in
 *   the registry's table and sends the request itself, with no source, as
 *   the call's one entry into the actor system; the answer goes to the
 *   registry, which settles the call);
 * - a request with `replyTo` is answered with `replyTo.send(reply)`: how the
 *   registry reaches a storage the user passed as an already running ref (not
 *   its child: a shared Redis, one store for several clients), and how code
 *   outside the actor system asks a storage directly. Such an answer has no
 *   source actor in inspection events (the documented exception).
 *
 * A new backend has to answer these eight requests: the five of the data and
 * drain path (`get`, `set`, `del`, `keys`, `drain`), the start handshake
 * (`ready`) and the bulk path a migration uses (`entries`, `set_many`).
 * `defineStorage` answers all of them from a key/value backend, with
 * defaults for the bulk path built from `get`/`set`/`keys`.
 *
 * @module
 */

import type { JsonValue } from "../../src/json.ts";
export type { JsonValue };

/** Where a storage actor sends its answer: any actor ref (or look-alike) with `send`. */
export interface ReplyTarget {
  /** Delivers one reply. */
  send(event: StorageReply): void;
}

/** What every storage request carries. */
export interface RequestBase {
  /** Request id, echoed in the reply. Unique per `replyTo`. */
  id: number;
  /** Namespace: the API name that owns the key (e.g. `xep_0231`). */
  ns: string;
  /**
   * Who gets the reply; omitted, the storage's parent gets it (`sendBack`),
   * which only a requester that spawned the storage may rely on.
   */
  replyTo?: ReplyTarget;
}

/** Read one entry; the reply's `value` is `undefined` when there is none. */
export interface StorageGet extends RequestBase {
  /** Discriminant. */
  type: "storage.get";
  /** The key to read. */
  key: string;
}

/** Write one entry (create or replace). */
export interface StorageSet extends RequestBase {
  /** Discriminant. */
  type: "storage.set";
  /** The key to write. */
  key: string;
  /** The new value. */
  value: JsonValue;
  /**
   * Seconds the entry may live (a positive integer), for a storage that
   * expires entries itself (Redis: a TTL, so every process sharing the store
   * sees the same expiry). Absent: no expiry. A storage without expiry of its
   * own ignores it (the BoB plugin's scheduler still deletes the entry).
   */
  ttl?: number;
}

/** Delete one entry; deleting a missing key is not an error. */
export interface StorageDel extends RequestBase {
  /** Discriminant. */
  type: "storage.del";
  /** The key to delete. */
  key: string;
}

/** List the keys of a namespace; the reply's `value` is a `string[]`. */
export interface StorageKeys extends RequestBase {
  /** Discriminant. */
  type: "storage.keys";
}

/**
 * Answered once every request accepted before it has been answered: the
 * barrier the registry uses before it stops or copies an old storage.
 */
export interface StorageDrain extends RequestBase {
  /** Discriminant. */
  type: "storage.drain";
}

/**
 * The start handshake: answered with success only once the storage has
 * started (its backend exists and works), with `storage.error` otherwise.
 * `api.bind` waits for it before the storage takes over.
 */
export interface StorageReady extends RequestBase {
  /** Discriminant. */
  type: "storage.ready";
}

/**
 * An opaque position in a listing of entries, handed out by the storage in
 * {@linkcode EntriesBatch.next}; `null` starts a new listing.
 */
export type EntriesCursor = string | null;

/**
 * Read the next batch of at most `limit` entries of a namespace, from
 * `cursor` (`null`: from the start). The reply's `value` is an
 * {@linkcode EntriesBatch}. Entries written or deleted while a listing runs
 * may or may not appear in it; every entry that exists for the whole listing
 * appears exactly once.
 */
export interface StorageEntries extends RequestBase {
  /** Discriminant. */
  type: "storage.entries";
  /** Where to continue, or `null` to start. */
  cursor: EntriesCursor;
  /** The most entries to return (≥ 1). */
  limit: number;
}

/**
 * One entry of a listing or a bulk write: `[key, value]`, or
 * `[key, value, expiresAt]` for an entry that expires: `expiresAt` is when,
 * in ms since the epoch on this process's clock (`Date.now()`), a positive
 * integer. A listing gives it for the entries whose expiry the storage knows
 * (Redis: now plus the key's `PTTL`; memory: the deadline of the `ttl` it
 * was written with; files: modification time plus the record's `max_age`),
 * and leaves out entries already expired; a bulk write makes the entry expire
 * then (Redis: `PX` of what is left when it is sent; memory: its own
 * deadline; a storage without expiry of its own ignores it, as it ignores
 * {@linkcode StorageSet.ttl}). A migration carries it from the old storage to
 * the new one. An absolute time, so that no time is lost or gained between
 * the storage that lists it and the one that writes it.
 */
export type StorageEntry = [
  key: string,
  value: JsonValue,
  expiresAt?: number,
];

/** One batch of a listing: the answer to {@linkcode StorageEntries}. */
export interface EntriesBatch {
  /**
   * The entries, at most `limit` of them, each with its remaining time when
   * it expires (see {@linkcode StorageEntry}).
   */
  entries: StorageEntry[];
  /**
   * Keys listed but whose value could not be read, with why (e.g. a stray
   * file that is not JSON): `[key, message]`.
   */
  unreadable?: [string, string][];
  /** The cursor of the next batch, or `null` when the listing is complete. */
  next: EntriesCursor;
  /** How many keys the listing covers, when the storage knows. */
  total?: number;
}

/**
 * Write many entries (create or replace), in order. Answered once all are
 * written; on failure some may have been written.
 */
export interface StorageSetMany extends RequestBase {
  /** Discriminant. */
  type: "storage.set_many";
  /**
   * The entries to write; an entry's own `expiresAt` (see
   * {@linkcode StorageEntry}) wins over `ttl`.
   */
  entries: StorageEntry[];
  /** Seconds every entry may live, as in {@linkcode StorageSet.ttl}. */
  ttl?: number;
}

/** Every request a storage actor must answer. */
export type StorageRequest =
  | StorageGet
  | StorageSet
  | StorageDel
  | StorageKeys
  | StorageDrain
  | StorageReady
  | StorageEntries
  | StorageSetMany;

/**
 * Success: `value` is the entry (get), the key list (keys), a batch
 * (entries) or `undefined`.
 */
export interface StorageResult {
  /** Discriminant. */
  type: "storage.result";
  /** The id of the request this answers. */
  id: number;
  /** The entry (get), the keys (keys), a batch (entries), or nothing. */
  value?: JsonValue | string[] | EntriesBatch;
}

/** Failure: the request was not carried out; `error` says why. */
export interface StorageFailure {
  /** Discriminant. */
  type: "storage.error";
  /** The id of the request this answers. */
  id: number;
  /** Why the request failed. */
  error: Error;
}

/** Every reply a storage actor sends. */
export type StorageReply = StorageResult | StorageFailure;
