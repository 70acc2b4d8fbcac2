/**
 * The storage protocol: the one message protocol every storage actor speaks.
 *
 * A storage actor is a generic key/value store partitioned by namespace (the
 * API name, e.g. `xep_0231`). Values are plain JSON values (objects, arrays,
 * strings, numbers, booleans, null), so any backend can keep them: a Map, a
 * JSON file, IndexedDB, Redis. Each request carries an `id` and a `replyTo`
 * ref; the storage answers every request exactly once with a
 * {@linkcode StorageReply} carrying the same `id`, in the order it accepted
 * them for a given key.
 *
 * A new backend only has to answer these five requests.
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
  /** Who gets the reply. */
  replyTo: ReplyTarget;
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

/** Every request a storage actor must answer. */
export type StorageRequest =
  | StorageGet
  | StorageSet
  | StorageDel
  | StorageKeys
  | StorageDrain;

/** Success: `value` is the entry (get), the key list (keys) or `undefined`. */
export interface StorageResult {
  /** Discriminant. */
  type: "storage.result";
  /** The id of the request this answers. */
  id: number;
  /** The entry (get), the keys (keys), or nothing. */
  value?: JsonValue | string[];
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
