/**
 * The XEP-0231 Bits of Binary plugin, built with the public plugin API
 * ({@linkcode definePlugin}): its ops (`set_bob`, `get_bob`, `del_bob`) over
 * the bound storage, its actor ({@linkcode bobMachine}: max-age expiry), and
 * the facade users call, `xmpp.plugin["xep_0231"]`.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type { Element } from "../../src/deps.ts";
import type { Api } from "../registry/api.ts";
import { cidOf, isCid, normalizeCid } from "../../src/cid.ts";
import { assertBob, type BobData } from "../../src/bob_data.ts";
import {
  bobElement,
  DEFAULT_MAX_BOB_SIZE,
  NS_BOB,
} from "../../src/bob_element.ts";
import { ClientStoppedError, ItemNotFound } from "../../src/errors.ts";
import { checkCount } from "../../src/options.ts";
import {
  definePlugin,
  type Plugin,
  type PluginContext,
} from "../plugin/define.ts";
import { discoPlugin } from "../disco/plugin.ts";
import { bobMachine, DEFAULT_MAX_SERVING } from "./machine.ts";
import { bobStorageOps, checkGot, markChecked } from "./ops.ts";
import type { BobEmitted, NetworkEvent } from "./protocol.ts";

/** Options of the BoB plugin (`registerPlugin("xep_0231", options)`). */
export interface BobOptions {
  /**
   * Largest payload in bytes: `setBob` refuses larger data, larger data
   * from peers is refused and not cached, larger stored entries are not
   * served (`not-acceptable`).
   * @default {65536}
   */
  maxSize?: number;
  /**
   * Most IQ gets served to one peer at once; more are answered
   * `resource-constraint` (type `wait`).
   * @default {64}
   */
  maxServing?: number;
}

/** Options of {@linkcode BobPlugin.setBob}. */
export interface SetBobOptions {
  /** The cid; derived from the data (`sha1+…@bob.xmpp.org`) when omitted. */
  cid?: string;
  /**
   * Seconds the data may be cached (XEP-0231 `max-age`). When positive, the
   * entry is deleted that long after it was set, as slixmpp does. `null`
   * (slixmpp's `None`) or absent: no max-age.
   */
  maxAge?: number | null;
}

/** Options of {@linkcode BobPlugin.getBob}. */
export interface GetBobOptions {
  /** The cid to read. */
  cid: string;
  /** Passed to the handler as `ifrom`. */
  ifrom?: string;
  /**
   * A peer (full JID) to fetch the cid from when it is not stored (or
   * always, with `cached: false`).
   */
  jid?: string;
  /**
   * Look in storage first.
   * @default {true}
   */
  cached?: boolean;
  /** Timeout of the fetch IQ in ms (default: the connection's `iqTimeout`). */
  timeout?: number;
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

  /** Largest payload in bytes (see {@linkcode BobOptions}). */
  get maxSize(): number {
    const s = this.actor.getSnapshot();
    return s.context?.maxSize ?? DEFAULT_MAX_BOB_SIZE;
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
      if (data.length > this.maxSize) {
        throw new RangeError(
          `Cannot set bob: data is ${data.length} bytes, over the ${this.maxSize}-byte limit`,
        );
      }
      bob = {
        cid: options.cid === undefined
          ? cidOf(data)
          : normalizeCid(options.cid, "set bob"),
        type,
        data,
      };
      // null (slixmpp's None) is no max-age, as undefined.
      if (options.maxAge != null) bob.maxAge = options.maxAge;
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
   * Read a BoB through `get_bob`; with `jid`, fetch it from that peer when
   * it is not stored (or always, with `cached: false`): the bytes must hash
   * to the cid, then it is cached through `set_bob` honouring its max-age
   * (0: returned, never stored; n: expires after n seconds; absent: kept).
   * Concurrent fetches of one cid from one peer share one IQ.
   *
   * @param options The cid, and the peer to fetch from.
   * @returns The entry.
   * @throws {ItemNotFound} When nothing is stored under the cid (and, with
   *   `jid`, the peer has none either).
   * @throws {VerificationError} A fetched entry that does not hash to its
   *   cid, is over `maxSize` or is malformed (nothing is stored).
   * @throws {StorageError} When the stored entry is corrupt.
   * @throws {ApiError} When a registered `get_bob` function returns an
   *   entry that is not valid for the cid.
   * @throws {StanzaError} The peer's error answer; `TimeoutError` if none.
   */
  getBob(options: GetBobOptions): Promise<BobData> {
    let cid: string;
    try {
      cid = normalizeCid(options?.cid, "get bob");
    } catch (e) {
      return Promise.reject(e);
    }
    // The local path is one promise chain (no async layers: it is the hot one).
    if (options.jid === undefined) return this.#local(cid, options.ifrom);
    return this.#getRemote(options, cid, options.jid);
  }

  async #getRemote(
    options: GetBobOptions,
    cid: string,
    jid: string,
  ): Promise<BobData> {
    const { cached = true } = options;
    if (cached) {
      try {
        return await this.#local(cid, options.ifrom);
      } catch (e) {
        if (!(e instanceof ItemNotFound)) throw e;
      }
    }
    return this.#fetch(jid, cid, options.timeout);
  }

  async #fetch(jid: string, cid: string, timeout?: number): Promise<BobData> {
    if (typeof jid !== "string" || jid === "") {
      throw new TypeError("Cannot get bob: jid must be a non-empty string");
    }
    return await new Promise<BobData>((resolve, reject) =>
      toNetwork(
        this.actor,
        { type: "net.fetch", jid, cid, timeout, resolve, reject },
        reject,
      )
    );
  }

  #local(cid: string, ifrom?: string): Promise<BobData> {
    return this.api.run<BobData | undefined | null>("get_bob", {
      args: cid,
      ifrom,
    }).then((got) => checkGot(got, cid));
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

  /**
   * Attach a stored BoB to an outgoing message (XEP-0231 §3): its full
   * `<data/>` element is appended, and `cid:<cid>` is the URI to refer to it
   * (in an XHTML-IM `<img src>` or the body).
   *
   * @param message The message to extend.
   * @param cid The stored cid.
   * @returns The same message.
   * @throws {ItemNotFound} When nothing is stored under the cid.
   */
  async attach(message: Element, cid: string): Promise<Element> {
    const bob = await this.getBob({ cid });
    message.append(bobElement(bob));
    return message;
  }

  /**
   * Listen to what the plugin actor reports: `bob.data` (a verified
   * `<data/>` arrived in a message or presence, cached unless its max-age
   * is 0), `bob.rejected` (one failed verification), `bob.expired`,
   * `bob.expiry_failed`.
   *
   * @param type The event type.
   * @param fn The listener.
   * @returns A function that removes the listener.
   */
  on<T extends BobEmitted["type"]>(
    type: T,
    fn: (event: Extract<BobEmitted, { type: T }>) => void,
  ): () => void {
    const sub = this.actor.on(type, fn as (e: unknown) => void);
    return () => sub.unsubscribe();
  }
}

// Hand an event to the network child of a BoB plugin actor; a stopped
// plugin has none (then `stopped` says what to do instead).
function toNetwork(
  actor: AnyActorRef,
  event: NetworkEvent,
  stopped: (error: Error) => void = () => {},
): void {
  const s = actor.getSnapshot();
  const network = s.status === "active" ? s.children.network : undefined;
  if (network !== undefined) network.send(event);
  else {stopped(
      new ClientStoppedError("Cannot serve bob: the client is stopped"),
    );}
}

/**
 * The `cid:` URI of a cid (RFC 2392), to refer to a BoB from a body or an
 * XHTML-IM `<img src>`.
 *
 * @param cid The cid.
 * @returns `cid:<cid>`.
 */
export function cidUri(cid: string): string {
  return `cid:${normalizeCid(cid)}`;
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
  features: [NS_BOB],
  isKey: isCid,
  dependencies: [discoPlugin],
  checkOptions(options) {
    const o = options as BobOptions;
    checkCount(o.maxSize, "maxSize", DEFAULT_MAX_BOB_SIZE);
    checkCount(o.maxServing, "maxServing", DEFAULT_MAX_SERVING);
  },
  handlers: [
    {
      // A peer asks for a cid: served from whatever storage is bound.
      kind: "iq",
      match: { type: "get", name: "data", xmlns: NS_BOB },
      handle: (iq, { actor }) =>
        new Promise<Element>((resolve, reject) =>
          toNetwork(actor, { type: "net.serve", iq, resolve, reject }, reject)
        ),
    },
    {
      kind: "message",
      match: { name: "data", xmlns: NS_BOB },
      handle: (stanza, { actor }) =>
        toNetwork(actor, { type: "net.inline", stanza }),
    },
    {
      kind: "presence",
      match: { name: "data", xmlns: NS_BOB },
      handle: (stanza, { actor }) =>
        toNetwork(actor, { type: "net.inline", stanza }),
    },
  ],
  create: (plugin) => new BobPlugin(plugin),
});
