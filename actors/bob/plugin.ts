/**
 * The facade of the XEP-0231 Bits of Binary plugin:
 * `xmpp.plugin["xep_0231"]` with `setBob`, `getBob`, `delBob` and `api`.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/deps.ts";
import type { Api } from "../registry/api.ts";
import { assertCid, cidOf } from "../../src/cid.ts";
import {
  assertBob,
  type BobData,
  fromRecord,
  toRecord,
} from "../../src/bob_data.ts";
import { ItemNotFound } from "../../src/errors.ts";
import type { StorageOp } from "../registry/machine.ts";

/** Options of {@linkcode BobPlugin.setBob}. */
export interface SetBobOptions {
  /** The cid; derived from the data (`sha1+…@bob.xmpp.org`) when omitted. */
  cid?: string;
  /**
   * Seconds the data may be cached (XEP-0231 `max-age`). When positive, the
   * entry is deleted that long after it was set, as slixmpp does.
   */
  maxAge?: number;
}

/** Options of {@linkcode BobPlugin.getBob}. */
export interface GetBobOptions {
  /** The cid to read. */
  cid: string;
  /** Passed to the handler as `ifrom`. */
  ifrom?: string;
}

// setTimeout's upper bound; longer max-ages are not scheduled.
const MAX_TIMER_MS = 2 ** 31 - 1;

// Entries setBob has already checked (hashing the data again would double
// the cost of a local set).
const checked = new WeakSet<BobData>();

/** The three storage ops of XEP-0231 over the storage protocol. */
export const bobStorageOps: Record<
  "set_bob" | "get_bob" | "del_bob",
  StorageOp
> = {
  set_bob: {
    request(args) {
      const bob = args as BobData;
      if (!checked.has(bob)) assertBob(bob, "run set_bob");
      return { type: "storage.set", key: bob.cid, value: toRecord(bob) };
    },
  },
  get_bob: {
    request(cid) {
      assertCid(cid, "run get_bob");
      return { type: "storage.get", key: cid };
    },
    result(value, cid) {
      if (value === undefined || value === null) {
        throw new ItemNotFound(`Cannot get bob: no data for cid ${cid}`);
      }
      return fromRecord(value, cid as string);
    },
  },
  del_bob: {
    request(cid) {
      assertCid(cid, "run del_bob");
      return { type: "storage.del", key: cid };
    },
  },
};

/**
 * `xmpp.plugin["xep_0231"]`: Bits of Binary.
 *
 * @example Usage
 * ```ts
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain", { maxAge: 86400 });
 * const got = await bob.getBob({ cid });
 * console.assert(new TextDecoder().decode(got.data) === "coucou");
 * await bob.delBob(cid);
 * await xmpp.stop();
 * ```
 */
export class BobPlugin {
  /** The plugin name. */
  readonly name = "xep_0231";
  /** The plugin's internal API (slixmpp's `plugin.api`). */
  readonly api: Api;
  /** The plugin actor. */
  readonly actor: AnyActorRef;
  #expiry = new Map<string, ReturnType<typeof setTimeout>>();

  /**
   * Wrap the BoB plugin actor and its API (done by `registerPlugin`).
   * @param actor The BoB plugin actor.
   * @param api Its internal API.
   */
  constructor(actor: AnyActorRef, api: Api) {
    this.actor = actor;
    this.api = api;
    for (const [op, storageOp] of Object.entries(bobStorageOps)) {
      api.registerDefault(storageOp, op);
    }
  }

  /**
   * Store bytes as a BoB through `set_bob`.
   *
   * @param data The bytes.
   * @param type Their MIME type.
   * @param options Cid and max-age.
   * @returns The cid.
   * @throws {TypeError} For data that is not a Uint8Array, an empty type or a bad cid.
   * @throws {RangeError} For a negative or fractional max-age.
   */
  setBob(
    data: Uint8Array,
    type: string,
    options: SetBobOptions = {},
  ): Promise<string> {
    let bob: BobData;
    try {
      if (!(data instanceof Uint8Array)) {
        throw new TypeError("Cannot set bob: data must be a Uint8Array");
      }
      bob = { cid: options.cid ?? cidOf(data), type, data };
      if (options.maxAge !== undefined) bob.maxAge = options.maxAge;
      // A cid we derived matches by construction; a given one is checked.
      assertBob(bob, "set bob", options.cid !== undefined);
    } catch (e) {
      return Promise.reject(e);
    }
    checked.add(bob);
    return this.api.run("set_bob", { args: bob }).then(() =>
      this.#scheduleExpiry(bob)
    );
  }

  #scheduleExpiry({ cid, maxAge }: BobData): string {
    const old = this.#expiry.get(cid);
    if (old !== undefined) {
      clearTimeout(old);
      this.#expiry.delete(cid);
    }
    if (maxAge !== undefined && maxAge > 0 && maxAge * 1000 <= MAX_TIMER_MS) {
      this.#expiry.set(
        cid,
        setTimeout(() => {
          this.#expiry.delete(cid);
          this.delBob(cid).catch(() => {});
        }, maxAge * 1000),
      );
    }
    return cid;
  }

  /**
   * Read a BoB through `get_bob`.
   *
   * @param options The cid.
   * @returns The entry.
   * @throws {ItemNotFound} When nothing is stored under the cid.
   * @throws {StorageError} When the stored entry is corrupt.
   */
  async getBob(options: GetBobOptions): Promise<BobData> {
    const cid = options?.cid;
    assertCid(cid, "get bob");
    const got = await this.api.run<BobData | undefined | null>("get_bob", {
      args: cid,
      ifrom: options.ifrom,
    });
    if (got === undefined || got === null) {
      throw new ItemNotFound(`Cannot get bob: no data for cid ${cid}`);
    }
    return got;
  }

  /**
   * Delete a BoB through `del_bob`. Deleting a missing cid is not an error.
   *
   * @param cid The cid.
   */
  async delBob(cid: string): Promise<void> {
    assertCid(cid, "delete bob");
    const timer = this.#expiry.get(cid);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.#expiry.delete(cid);
    }
    await this.api.run("del_bob", { args: cid });
  }

  /** Cancel scheduled expiries (called when the client stops). */
  close(): void {
    for (const t of this.#expiry.values()) clearTimeout(t);
    this.#expiry.clear();
  }
}
