/**
 * The three ops of XEP-0231's internal API (`set_bob`, `get_bob`,
 * `del_bob`) as storage ops: each call becomes one request to whatever
 * storage actor is bound, under the plugin's namespace, keyed by cid.
 *
 * @module
 */
import type { StorageCall, StorageOp } from "../registry/protocol.ts";
import { normalizeCid } from "../../src/cid.ts";
import {
  assertBob,
  type BobData,
  fromRecord,
  toRecord,
  withoutNullMaxAge,
} from "../../src/bob_data.ts";
import { ApiError, ItemNotFound } from "../../src/errors.ts";

// Entries setBob has already checked (hashing the data again would double
// the cost of a local set).
const checked = new WeakSet<BobData>();

/**
 * Whether an entry was validated here (built by `setBob`, or read back from
 * a storage record and checked against its cid).
 *
 * @param bob The entry.
 * @returns `true` when it needs no further check.
 */
export function isChecked(bob: unknown): boolean {
  return typeof bob === "object" && bob !== null && checked.has(bob as BobData);
}

/**
 * Mark an entry as validated by the caller, so `set_bob` does not check it
 * again (internal to the BoB plugin).
 *
 * @param bob The entry, already checked with `assertBob`.
 * @returns The same entry.
 */
export function markChecked(bob: BobData): BobData {
  checked.add(bob);
  return bob;
}

/**
 * What `get_bob` returned, checked: `ItemNotFound` for nothing; an entry
 * that is not already known valid (a registered function's answer) must be
 * a valid entry for `cid` whose bytes hash to it.
 *
 * @param got What `api.run("get_bob")` resolved with.
 * @param cid The canonical cid asked for.
 * @returns The entry.
 * @throws {ItemNotFound} Nothing stored.
 * @throws {ApiError} An invalid answer from a registered function.
 */
export function checkGot(got: unknown, cid: string): BobData {
  if (got === undefined || got === null) {
    throw new ItemNotFound(`Cannot get bob: no data for cid ${cid}`);
  }
  if (isChecked(got)) return got as BobData;
  let bob: BobData;
  try {
    assertBob(got, "get bob");
    bob = withoutNullMaxAge(got);
    if (normalizeCid(bob.cid) !== cid) {
      throw new TypeError(`Cannot get bob: asked ${cid}, got ${bob.cid}`);
    }
  } catch (cause) {
    throw new ApiError(
      "get_bob",
      `Cannot run get_bob: handler returned an invalid entry: ${
        (cause as Error).message
      }`,
      { cause },
    );
  }
  return bob;
}

/** The three storage ops of XEP-0231 over the storage protocol. */
export const bobStorageOps: Record<
  "set_bob" | "get_bob" | "del_bob",
  StorageOp
> = {
  set_bob: {
    request(args: unknown) {
      const bob = args as BobData;
      let call: StorageCall & { ttl?: number };
      if (checked.has(bob)) {
        // Built by setBob: the cid is already canonical.
        call = {
          type: "storage.set",
          key: bob.cid,
          value: toRecord(bob, true),
        };
      } else {
        assertBob(bob, "run set_bob");
        call = {
          type: "storage.set",
          key: normalizeCid(bob.cid, "run set_bob"),
          value: toRecord(bob),
        };
      }
      // max-age becomes the entry's TTL (StorageSet.ttl) for a storage that
      // expires entries itself (Redis); 0 or absent: no expiry, as the
      // plugin's own scheduler, which still deletes the entry here.
      // (null, as undefined, is no max-age.)
      if (typeof bob.maxAge === "number" && bob.maxAge > 0) {
        call.ttl = bob.maxAge;
      }
      return call;
    },
  },
  get_bob: {
    request(cid: unknown) {
      return { type: "storage.get", key: normalizeCid(cid, "run get_bob") };
    },
    result(value: unknown, cid: unknown) {
      if (value === undefined || value === null) {
        throw new ItemNotFound(`Cannot get bob: no data for cid ${cid}`);
      }
      return markChecked(fromRecord(value, cid as string));
    },
  },
  del_bob: {
    request(cid: unknown) {
      return { type: "storage.del", key: normalizeCid(cid, "run del_bob") };
    },
  },
};
