/**
 * The BoB entry as the plugin hands it out, and as storage keeps it.
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { StorageError } from "./errors.ts";
import { assertCid, cidMatches, isCid, normalizeCid } from "./cid.ts";
import type { JsonValue } from "./json.ts";

// RFC 6838 §4.2 restricted-name: type and subtype, at most 127 characters.
const NAME = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}";
// RFC 2045 §5.1 token: printable ASCII but for space and tspecials.
const TOKEN = "[!#$%&'*+.^_`{|}~0-9A-Za-z-]+";
// RFC 822 quoted-string, printable ASCII only (no CTL, not even in a pair).
const QUOTED = '"(?:[ !#-\\[\\]-~]|\\\\[ -~])*"';
const MIME = new RegExp(
  `^${NAME}/${NAME}(?: *; *${TOKEN}=(?:${TOKEN}|${QUOTED}))*$`,
);

/**
 * Whether `type` is a MIME type XEP-0231 can carry: RFC 6838 `type/subtype`
 * (restricted names), optionally followed by RFC 2045 parameters
 * (`; name=value`, the value a token or a quoted string), printable ASCII
 * only (so no CR, LF, NUL, tab or other control character), at most 255
 * characters. Case is kept as given.
 *
 * @param type The candidate.
 * @returns `true` for an acceptable MIME type.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isMimeType } from "./bob_data.ts";
 * ok(isMimeType("image/png"));
 * ok(isMimeType("text/plain; charset=utf-8"));
 * ok(!isMimeType("text/plain\r\nX-Injected: 1"));
 * ok(!isMimeType("png"));
 * ```
 */
export function isMimeType(type: unknown): type is string {
  return typeof type === "string" && type.length <= 255 && MIME.test(type);
}

/** One Bits of Binary entry. */
export interface BobData {
  /** The content-id, `sha1+<hex>@bob.xmpp.org`. */
  cid: string;
  /** MIME type, e.g. `image/png`. */
  type: string;
  /** The bytes. */
  data: Uint8Array;
  /**
   * Seconds the data may be cached; `undefined` when not given. An entry
   * handed in (a registered `get_bob` function's answer, `set_bob` args) may
   * say `null` for "no max-age", as slixmpp's `None`: it is read as
   * `undefined`, and entries handed out never carry `null`.
   */
  maxAge?: number;
}

/**
 * The record a storage actor keeps for a BoB entry: the JSON object of the
 * slixmpp how-to's `BobLoader`, field order included.
 */
export interface BobRecord {
  /** A record is a plain JSON object. */
  [key: string]: JsonValue;
  /** The bytes, base64. */
  data: string;
  /** MIME type. */
  type: string;
  /** The content-id. */
  cid: string;
  /** Seconds the data may be cached, or `null` when not given. */
  max_age: number | null;
}

/**
 * The storage record of a BoB entry, with the canonical (lowercase) cid.
 *
 * @param bob The entry.
 * @param checked Whether the caller checked it (its cid is canonical then).
 * @returns Its JSON record.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { toRecord } from "./bob_data.ts";
 * import { cidOf } from "./cid.ts";
 * const data = new TextEncoder().encode("coucou");
 * deepStrictEqual(toRecord({ cid: cidOf(data), type: "text/plain", data }), {
 *   data: "Y291Y291",
 *   type: "text/plain",
 *   cid: "sha1+5ed25af7b1ed23fb00122e13d7f74c4d8262acd8@bob.xmpp.org",
 *   max_age: null,
 * });
 * ```
 */
export function toRecord(bob: BobData, checked = false): BobRecord {
  const record: BobRecord = Object.freeze({
    data: encodeBase64(bob.data),
    type: bob.type,
    // An entry the caller checked has its canonical cid already.
    cid: checked ? bob.cid : normalizeCid(bob.cid, "store bob"),
    max_age: bob.maxAge ?? null,
  });
  built.add(record);
  return record;
}

// Records toRecord built from data it had just hashed (or checked). They are
// frozen, so a storage that hands back the very same object (the memory
// storage does) hands back untouched data: no need to hash it again. Records
// read from a file, IndexedDB or any copy are new objects and are checked.
const built = new WeakSet<object>();

/**
 * The BoB entry of a storage record, checked: the record must be well formed
 * (a MIME type, a base64 string, a well-formed cid, a `max_age` that is
 * `null`, absent or a non-negative integer), name the cid it is stored under
 * (in any case), and (for sha1 cids) hold bytes that hash to it. A torn or
 * tampered entry is a `StorageError`, never wrong data.
 *
 * @param value What the storage returned.
 * @param cid The cid it was stored under.
 * @returns The entry, with the canonical cid.
 * @throws {StorageError} For anything but a valid record of `cid`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { fromRecord } from "./bob_data.ts";
 * const cid = "sha1+5ed25af7b1ed23fb00122e13d7f74c4d8262acd8@bob.xmpp.org";
 * const record = { data: "Y291Y291", type: "text/plain", cid, max_age: 86400 };
 * strictEqual(fromRecord(record, cid).maxAge, 86400);
 * throws(() => fromRecord({ ...record, max_age: -7 }, cid), /max-age/);
 * ```
 */
export function fromRecord(value: unknown, cid: string): BobData {
  // A record this process built from a checked entry, handed back as is (the
  // memory storage does): nothing in it can have changed.
  if (built.has(value as object) && (value as BobRecord).cid === cid) {
    const rec = value as BobRecord;
    const out: BobData = {
      cid,
      type: rec.type,
      data: decodeBase64(rec.data),
    };
    if (rec.max_age !== null) out.maxAge = rec.max_age;
    return out;
  }
  const fail = (why: string): never => {
    throw new StorageError(`Cannot read bob ${cid}: ${why}`);
  };
  const r = value as Partial<BobRecord> | null;
  if (r === null || typeof r !== "object" || Array.isArray(r)) {
    fail("malformed record");
  }
  if (typeof r!.data !== "string") fail("malformed record: data");
  if (!isMimeType(r!.type)) fail("malformed record: type is not a MIME type");
  if (!isCid(r!.cid)) fail("malformed record: cid");
  const maxAge = r!.max_age;
  if (
    maxAge !== null && maxAge !== undefined &&
    (typeof maxAge !== "number" || !Number.isSafeInteger(maxAge) || maxAge < 0)
  ) {
    fail("malformed record: max-age must be a non-negative integer");
  }
  const rec = r as BobRecord;
  const canonical = isCid(cid) ? cid.toLowerCase() : cid;
  if (rec.cid.toLowerCase() !== canonical) fail(`record is for ${rec.cid}`);
  let data: Uint8Array;
  try {
    data = decodeBase64(rec.data);
  } catch (cause) {
    throw new StorageError(`Cannot read bob ${cid}: data is not base64`, {
      cause,
    });
  }
  if (!built.has(rec) && !cidMatches(canonical, data)) {
    fail("data does not match its cid");
  }
  const out: BobData = { cid: canonical, type: rec.type, data };
  // -0 (JSON "-0") reads as 0.
  if (typeof maxAge === "number") out.maxAge = maxAge + 0;
  return out;
}

/**
 * Check a BoB entry before it is stored: bytes, a MIME type (see
 * {@linkcode isMimeType}), a well-formed cid (in any case) that (for sha1)
 * names these bytes, a max-age that is a non-negative integer, `null` or
 * absent (`null` and absent both mean "no max-age").
 *
 * @param bob The candidate.
 * @param what What the caller was doing, for the message.
 * @param checkHash Whether to check a sha1 cid against the data.
 * @throws {TypeError} For a wrong type or malformed value.
 * @throws {RangeError} For a negative or fractional max-age.
 *
 * @example Usage
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { assertBob } from "./bob_data.ts";
 * import { cidOf } from "./cid.ts";
 * const data = new TextEncoder().encode("x");
 * assertBob({ cid: cidOf(data), type: "text/plain", data });
 * throws(() => assertBob({ cid: cidOf(data), type: "text/plain\r\n", data }), TypeError);
 * ```
 */
export function assertBob(
  bob: unknown,
  what = "store bob",
  checkHash = true,
): asserts bob is BobData {
  const b = bob as Partial<BobData> | null;
  if (b === null || typeof b !== "object") {
    throw new TypeError(`Cannot ${what}: expected { cid, type, data, maxAge }`);
  }
  if (!(b.data instanceof Uint8Array)) {
    throw new TypeError(`Cannot ${what}: data must be a Uint8Array`);
  }
  if (typeof b.type !== "string" || b.type.trim() === "") {
    throw new TypeError(`Cannot ${what}: type must be a non-empty string`);
  }
  if (!isMimeType(b.type)) {
    throw new TypeError(
      `Cannot ${what}: type must be a MIME type like type/subtype, got ${
        JSON.stringify(b.type).slice(0, 120)
      }`,
    );
  }
  assertCid(b.cid, what);
  if (checkHash && !cidMatches(b.cid, b.data)) {
    throw new TypeError(`Cannot ${what}: cid ${b.cid} does not match the data`);
  }
  // null is "no max-age", as undefined (slixmpp's None, a record's null).
  if (
    b.maxAge !== undefined && b.maxAge !== null &&
    (typeof b.maxAge !== "number" || !Number.isSafeInteger(b.maxAge) ||
      b.maxAge < 0)
  ) {
    throw new RangeError(
      `Cannot ${what}: max-age must be a non-negative integer`,
    );
  }
}

/**
 * The entry without a `null` max-age: `null` (slixmpp's `None`, what a
 * literal translation of its `BobLoader` returns) means "no max-age", and
 * entries handed out carry `undefined` instead. Any other entry is returned
 * as is.
 *
 * @param bob An entry checked with {@linkcode assertBob}.
 * @returns The same entry, or a copy without `maxAge` when it was `null`.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { withoutNullMaxAge } from "./bob_data.ts";
 * import { cidOf } from "./cid.ts";
 * const data = new TextEncoder().encode("x");
 * const bob = { cid: cidOf(data), type: "text/plain", data, maxAge: null };
 * ok(!("maxAge" in withoutNullMaxAge(bob)));
 * ```
 */
export function withoutNullMaxAge<T extends { maxAge?: number | null }>(
  bob: T,
): T & { maxAge?: number } {
  if (bob.maxAge !== null) return bob as T & { maxAge?: number };
  const { maxAge: _, ...rest } = bob;
  return rest as T & { maxAge?: number };
}
