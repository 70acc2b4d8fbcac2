/**
 * The BoB entry as the plugin hands it out, and as storage keeps it.
 *
 * @module
 */
import { StorageError } from "./errors.ts";
import { assertCid, cidMatches, isCid } from "./cid.ts";
import type { JsonValue } from "./json.ts";

/** One Bits of Binary entry. */
export interface BobData {
  /** The content-id, `sha1+<hex>@bob.xmpp.org`. */
  cid: string;
  /** MIME type, e.g. `image/png`. */
  type: string;
  /** The bytes. */
  data: Uint8Array;
  /** Seconds the data may be cached; `undefined` when not given. */
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
 * The storage record of a BoB entry.
 *
 * @param bob The entry.
 * @returns Its JSON record.
 */
export function toRecord(bob: BobData): BobRecord {
  const record: BobRecord = Object.freeze({
    data: bob.data.toBase64(),
    type: bob.type,
    cid: bob.cid,
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
 * The BoB entry of a storage record, checked: the record must be well formed,
 * name the cid it is stored under, and (for sha1 cids) hold bytes that hash
 * to it. A torn or tampered entry is a `StorageError`, never wrong data.
 *
 * @param value What the storage returned.
 * @param cid The cid it was stored under.
 * @returns The entry.
 */
export function fromRecord(value: unknown, cid: string): BobData {
  const r = value as Partial<BobRecord> | null;
  if (
    r === null || typeof r !== "object" || typeof r.data !== "string" ||
    typeof r.type !== "string" || !isCid(r.cid) ||
    (r.max_age !== null && r.max_age !== undefined &&
      typeof r.max_age !== "number")
  ) {
    throw new StorageError(`Cannot read bob ${cid}: malformed record`);
  }
  if (r.cid !== cid) {
    throw new StorageError(`Cannot read bob ${cid}: record is for ${r.cid}`);
  }
  let data: Uint8Array;
  try {
    data = Uint8Array.fromBase64(r.data);
  } catch (cause) {
    throw new StorageError(`Cannot read bob ${cid}: data is not base64`, {
      cause,
    });
  }
  if (!built.has(r) && !cidMatches(cid, data)) {
    throw new StorageError(
      `Cannot read bob ${cid}: data does not match its cid`,
    );
  }
  const out: BobData = { cid, type: r.type, data };
  if (typeof r.max_age === "number") out.maxAge = r.max_age;
  return out;
}

/**
 * Check a BoB entry before it is stored: bytes, a non-empty MIME type, a
 * well-formed cid that (for sha1) names these bytes, a non-negative integer
 * max-age.
 *
 * @param bob The candidate.
 * @param what What the caller was doing, for the message.
 * @param checkHash Whether to check a sha1 cid against the data.
 * @throws {TypeError} For a wrong type or malformed value.
 * @throws {RangeError} For a negative or fractional max-age.
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
  if (
    typeof b.type !== "string" || b.type.trim() === "" || b.type.length > 255
  ) {
    throw new TypeError(`Cannot ${what}: type must be a non-empty string`);
  }
  assertCid(b.cid, what);
  if (checkHash && !cidMatches(b.cid, b.data)) {
    throw new TypeError(`Cannot ${what}: cid ${b.cid} does not match the data`);
  }
  if (
    b.maxAge !== undefined &&
    (typeof b.maxAge !== "number" || !Number.isSafeInteger(b.maxAge) ||
      b.maxAge < 0)
  ) {
    throw new RangeError(
      `Cannot ${what}: max-age must be a non-negative integer`,
    );
  }
}
