/**
 * Where XEP-0030's state lives: one storage entry per JID/node (slixmpp's
 * `StaticDisco` nodes), reached through three storage ops (`get_record`,
 * `set_record`, `del_record`) that whatever storage is bound answers, and
 * the default handlers of the slixmpp ops built on them.
 *
 * Keys are `info_`, `items_` or `cache_` and the SHA-256 (hex) of the JID,
 * node and requester: safe as a file name, whatever a JID holds (a JID may
 * be 3071 bytes; a file name only 255). The entry itself keeps the JID and
 * node, so a person reading the storage sees whose it is.
 *
 * @module
 */
import { sha256 } from "../../src/deps.ts";
import type { StorageOp } from "../registry/protocol.ts";
import type { JsonValue } from "../storage/protocol.ts";
import {
  type DiscoIdentity,
  type DiscoInfo,
  toDiscoInfo,
} from "../../src/caps_ver.ts";
import { encodeHex } from "../../src/base64.ts";

/** An item of disco#items (XEP-0030 §4). */
export interface DiscoItem {
  /** The item's JID. */
  jid: string;
  /** Its node, if any. */
  node?: string;
  /** A human name, if any. */
  name?: string;
}

/** The kinds of entry disco keeps. */
export type RecordKind = "info" | "items" | "cache" | "ver" | "jid";

const KEY = /^(info|items|cache|ver|jid)_[0-9a-f]{64}$/;

/**
 * Whether a storage key is one disco or caps writes (the key filter of a
 * migration: stray keys are skipped).
 * @param key The key.
 * @returns `true` for `info_…`, `items_…`, `cache_…`, `ver_…`, `jid_…`.
 */
export function isDiscoKey(key: string): boolean {
  return KEY.test(key);
}

/**
 * The storage key of an entry.
 * @param kind What it holds.
 * @param parts What it is for (JID, node, requester…).
 * @returns `<kind>_<sha-256 hex>`.
 */
export function recordKey(kind: RecordKind, ...parts: string[]): string {
  return `${kind}_${
    encodeHex(sha256(new TextEncoder().encode(parts.join("\u0000"))))
  }`;
}

function checkKey(key: unknown, op: string): string {
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new TypeError(`Cannot run ${op}: not a disco key`);
  }
  return key;
}

/**
 * The storage ops under disco's and caps's defaults: one key each. Args of
 * `set_record`: `{ key, value }`; of the others: the key.
 */
export const recordOps: Record<
  "get_record" | "set_record" | "del_record",
  StorageOp
> = {
  get_record: {
    request: (key) => ({
      type: "storage.get",
      key: checkKey(key, "get_record"),
    }),
  },
  set_record: {
    request(args) {
      const { key, value } = (args ?? {}) as { key?: unknown; value?: unknown };
      return {
        type: "storage.set",
        key: checkKey(key, "set_record"),
        value: value as JsonValue,
      };
    },
  },
  del_record: {
    request: (key) => ({
      type: "storage.del",
      key: checkKey(key, "del_record"),
    }),
  },
};

/**
 * Check an identity given to an op (slixmpp's names: `category`, `itype`,
 * `name`, `lang`; `type` is taken for `itype` too).
 * @param args The op's args.
 * @param op The op, for the error.
 * @returns The identity.
 * @throws {TypeError} No category or type, or a non-string.
 */
export function identityArg(args: unknown, op: string): DiscoIdentity {
  const a = (args ?? {}) as Record<string, unknown>;
  const type = a.itype ?? a.type;
  const opt = (x: unknown) =>
    x === undefined || x === null || typeof x === "string";
  if (
    typeof a.category !== "string" || a.category === "" ||
    typeof type !== "string" || type === "" || !opt(a.name) || !opt(a.lang)
  ) {
    throw new TypeError(
      `Cannot run ${op}: an identity needs a category and a type (strings)`,
    );
  }
  return {
    category: a.category,
    type,
    ...(typeof a.name === "string" ? { name: a.name } : {}),
    ...(typeof a.lang === "string" && a.lang !== "" ? { lang: a.lang } : {}),
  };
}

/**
 * Check a list of items given to an op.
 * @param items The candidate list.
 * @param op The op, for the error.
 * @returns The items.
 * @throws {TypeError} Not a list of items with a string `jid`.
 */
export function itemsArg(items: unknown, op: string): DiscoItem[] {
  const str = (x: unknown) => x === undefined || typeof x === "string";
  if (
    !Array.isArray(items) ||
    !items.every((i) =>
      typeof i === "object" && i !== null && typeof i.jid === "string" &&
      i.jid !== "" && str(i.node) && str(i.name)
    )
  ) {
    throw new TypeError(
      `Cannot run ${op}: items must be { jid, node?, name? }`,
    );
  }
  return items.map((i) => ({
    jid: i.jid,
    ...(i.node === undefined || i.node === "" ? {} : { node: i.node }),
    ...(i.name === undefined || i.name === "" ? {} : { name: i.name }),
  }));
}

/**
 * Read back a stored info entry (`{ jid, node, info }`).
 * @param value What the storage returned.
 * @returns The info, or `undefined` for no entry.
 * @throws {TypeError} A damaged entry.
 */
export function storedInfo(value: unknown): DiscoInfo | undefined {
  if (value === undefined || value === null) return undefined;
  return toDiscoInfo((value as { info?: unknown }).info, "read disco entry");
}

/**
 * Read back a stored items entry (`{ jid, node, items }`).
 * @param value What the storage returned.
 * @returns The items, or `undefined` for no entry.
 * @throws {TypeError} A damaged entry.
 */
export function storedItems(value: unknown): DiscoItem[] | undefined {
  if (value === undefined || value === null) return undefined;
  return itemsArg((value as { items?: unknown }).items, "read disco entry");
}

/** Same identity (category, type, lang; and name when given). */
export function sameIdentity(a: DiscoIdentity, b: DiscoIdentity): boolean {
  return a.category === b.category && a.type === b.type &&
    (a.lang ?? "") === (b.lang ?? "") &&
    (b.name === undefined || (a.name ?? "") === b.name);
}

/**
 * Serializes read-modify-write updates per key (one process: two
 * `add_feature` calls on one node must not lose one of the two).
 */
export class KeyLocks {
  #tails = new Map<string, Promise<unknown>>();

  /**
   * Run `fn` after every earlier update of `key` has settled.
   * @param key The storage key.
   * @param fn The update.
   * @returns What `fn` returns.
   */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}
