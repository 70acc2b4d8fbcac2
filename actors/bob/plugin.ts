/**
 * The XEP-0231 Bits of Binary plugin, built with the public plugin API
 * ({@linkcode definePlugin}): its ops (`set_bob`, `get_bob`, `del_bob`) over
 * the bound storage, its actor ({@linkcode bobMachine}: max-age expiry), and
 * the facade users call, `xmpp.plugin["xep_0231"]`.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type { Api } from "../registry/api.ts";
import { cidOf, normalizeCid } from "../../src/cid.ts";
import { assertBob, type BobData } from "../../src/bob_data.ts";
import { ApiError, ItemNotFound } from "../../src/errors.ts";
import {
  definePlugin,
  type Plugin,
  type PluginContext,
} from "../plugin/define.ts";
import { bobMachine } from "./machine.ts";
import { bobStorageOps, isChecked, markChecked } from "./ops.ts";

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

/**
 * `xmpp.plugin["xep_0231"]`: Bits of Binary.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain", { maxAge: 86400 });
 * const got = await bob.getBob({ cid });
 * strictEqual(new TextDecoder().decode(got.data), "coucou");
 * await bob.delBob(cid);
 * await xmpp.stop();
 * ```
 */
export class BobPlugin {
  /** The plugin name. */
  readonly name = "xep_0231";
  /** The plugin's internal API (slixmpp's `plugin.api`). */
  readonly api: Api;
  /** The plugin actor ({@linkcode bobMachine}). */
  readonly actor: AnyActorRef;

  /**
   * Wrap the BoB plugin actor and its API (done by `registerPlugin`).
   * @param plugin The plugin's context.
   */
  constructor(plugin: Pick<PluginContext, "api" | "actor">) {
    this.actor = plugin.actor;
    this.api = plugin.api;
  }

  // Whether any entry has a pending expiry: only then do stores and deletes
  // concern the plugin actor.
  #expiring(): boolean {
    const s = this.actor.getSnapshot();
    return s.status === "active" && s.value === "expiring";
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
      bob = {
        cid: options.cid === undefined
          ? cidOf(data)
          : normalizeCid(options.cid, "set bob"),
        type,
        data,
      };
      if (options.maxAge !== undefined) bob.maxAge = options.maxAge;
      // A cid we derived matches by construction; a given one is checked.
      assertBob(bob, "set bob", options.cid !== undefined);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.api.run("set_bob", { args: markChecked(bob) }).then(() => {
      const { cid, maxAge } = bob;
      if ((maxAge ?? 0) > 0 || this.#expiring()) {
        this.actor.send({ type: "bob.stored", cid, maxAge });
      }
      return cid;
    });
  }

  /**
   * Read a BoB through `get_bob`.
   *
   * @param options The cid.
   * @returns The entry.
   * @throws {ItemNotFound} When nothing is stored under the cid.
   * @throws {StorageError} When the stored entry is corrupt.
   * @throws {ApiError} When a registered `get_bob` function returns an
   *   entry that is not valid for the cid.
   */
  async getBob(options: GetBobOptions): Promise<BobData> {
    const cid = normalizeCid(options?.cid, "get bob");
    const got = await this.api.run<BobData | undefined | null>("get_bob", {
      args: cid,
      ifrom: options.ifrom,
    });
    if (got === undefined || got === null) {
      throw new ItemNotFound(`Cannot get bob: no data for cid ${cid}`);
    }
    // What a registered function returned is checked as a stored record is.
    if (!isChecked(got)) {
      try {
        assertBob(got, "get bob");
        if (normalizeCid(got.cid) !== cid) {
          throw new TypeError(`Cannot get bob: asked ${cid}, got ${got.cid}`);
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
    }
    return got;
  }

  /**
   * Delete a BoB through `del_bob` (and forget its expiry). Deleting a
   * missing cid is not an error.
   *
   * @param cid The cid.
   */
  async delBob(cid: string): Promise<void> {
    cid = normalizeCid(cid, "delete bob");
    if (this.#expiring()) this.actor.send({ type: "bob.deleted", cid });
    await this.api.run("del_bob", { args: cid });
  }
}

/**
 * The XEP-0231 plugin definition: what `registerPlugin("xep_0231")` loads.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { bobPlugin, createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost" });
 * ok(xmpp.registerPlugin(bobPlugin) === xmpp.plugin["xep_0231"]);
 * await xmpp.stop();
 * ```
 */
export const bobPlugin: Plugin<"xep_0231", BobPlugin> = definePlugin({
  name: "xep_0231",
  ops: bobStorageOps,
  machine: bobMachine,
  features: ["urn:xmpp:bob"],
  create: (plugin) => new BobPlugin(plugin),
});
