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
import {
  cidAlgorithm,
  cidOf,
  isCid,
  isVerifiableCid,
  normalizeCid,
} from "../../src/cid.ts";
import { parseJid } from "../../src/jid.ts";
import { assertBob, type BobData } from "../../src/bob_data.ts";
import {
  bobElement,
  DEFAULT_MAX_BOB_SIZE,
  NS_BOB,
} from "../../src/bob_element.ts";
import {
  ClientStoppedError,
  ItemNotFound,
  VerificationError,
} from "../../src/errors.ts";
import { checkCount } from "../../src/options.ts";
import {
  definePlugin,
  type Plugin,
  type PluginContext,
} from "../plugin/define.ts";
import { discoPlugin } from "../disco/plugin.ts";
import { bobMachine, DEFAULT_MAX_SERVING } from "./machine.ts";
import { bobStorageOps, checkGot, markChecked } from "./ops.ts";
import type { BobEmitted, BobEvent } from "./protocol.ts";
import {
  checkPeerCacheOptions,
  type PeerCache,
  type PeerCacheOptions,
  type PeerCacheStats,
} from "./peer_cache.ts";

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
  /**
   * Bounds of the peer cache: verified data peers sent (inline, or answered
   * to `getBob({ cid, jid })`), kept apart from your storage, least recently
   * used out first, max-age honoured; `getBob` reads it after your storage,
   * peers are never served from it. 0 for either bound keeps nothing.
   * @default {{ maxEntries: 1000, maxBytes: 8388608 }}
   */
  peerCache?: PeerCacheOptions;
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
   * A peer (full JID, with a resource: BoB is asked of a client, not an
   * account) to fetch the cid from when it is not stored nor in the peer
   * cache (or always, with `cached: false`).
   */
  jid?: string;
  /**
   * Look in storage and the peer cache first.
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
    // Calls the actor holds when it stops fail, rather than hang.
    this.actor.subscribe({
      complete: () => this.#closeAll(),
      error: () => this.#closeAll(),
    });
  }

  #open = new Set<(error: Error) => void>();

  #closeAll() {
    const error = new ClientStoppedError(
      "Cannot finish bob call: the client is stopped",
    );
    for (const reject of [...this.#open]) reject(error);
  }

  /**
   * Hand one call to the plugin actor: the one message a user call sends.
   * It settles once, when the actor answers, or when the actor stops.
   */
  #tell<T>(
    what: string,
    event: (settle: {
      resolve: (value: T) => void;
      reject: (error: Error) => void;
    }) => BobEvent,
  ): Promise<T> {
    if (this.actor.getSnapshot().status !== "active") {
      return Promise.reject(
        new ClientStoppedError(`Cannot ${what}: the client is stopped`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const fail = (error: Error) => {
        this.#open.delete(fail);
        reject(error);
      };
      this.#open.add(fail);
      this.actor.send(event({
        resolve: (value) => {
          this.#open.delete(fail);
          resolve(value);
        },
        reject: fail,
      }));
    });
  }

  /**
   * Whether the plugin actor runs and has no expiry pending: then a set
   * without max-age or a delete has nothing for it to do.
   */
  #idle(): boolean {
    const s = this.actor.getSnapshot();
    return s.status === "active" && s.value === "idle";
  }

  /** Largest payload in bytes (see {@linkcode BobOptions}). */
  get maxSize(): number {
    const s = this.actor.getSnapshot();
    return s.context?.maxSize ?? DEFAULT_MAX_BOB_SIZE;
  }

  #cache(): PeerCache | undefined {
    return this.actor.getSnapshot().context?.peerCache;
  }

  /** What the peer cache holds, and its bounds (see {@linkcode BobOptions}). */
  get peerCache(): PeerCacheStats {
    return this.#cache()?.stats ?? {
      entries: 0,
      bytes: 0,
      maxEntries: 0,
      maxBytes: 0,
    };
  }

  /**
   * Store bytes as a BoB through `set_bob`.
   *
   * @param data The bytes.
   * @param type Their MIME type.
   * @param options Cid and max-age. A given cid under a hash we verify
   *   (`sha1`, `sha-1`, `sha-256`, …) must name the data; one under another
   *   hash (`md5`, unknown names) is stored as given: you vouch for your own
   *   data (peers will not accept it).
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
    const checked = markChecked(bob);
    // Nothing to schedule or cancel (no max-age, no expiry pending): the
    // registry's data path alone, without a step of the plugin actor.
    if (!((bob.maxAge ?? 0) > 0) && this.#idle()) {
      const { cid } = bob;
      return this.api.run("set_bob", { args: checked }).then(() => cid);
    }
    return this.#tell<string>(
      "run set_bob",
      (settle) => ({ type: "bob.set", bob: checked, ...settle }),
    );
  }

  /**
   * Read a BoB through `get_bob`, then from the peer cache; with `jid`,
   * fetch it from that peer when it is in neither (or always, with
   * `cached: false`): the bytes must hash to the cid under a hash we can
   * check, then it is kept in the peer cache honouring its max-age (0:
   * returned, never kept; n: gone after n seconds; absent: kept) — never in
   * your storage. Concurrent fetches of one cid from one peer share one IQ.
   *
   * @param options The cid, and the peer to fetch from.
   * @returns The entry.
   * @throws {ItemNotFound} When nothing is stored under the cid (and, with
   *   `jid`, the peer has none either).
   * @throws {TypeError} A malformed cid, or a `jid` that is not a full JID
   *   (nothing is sent).
   * @throws {VerificationError} A fetched entry that does not hash to its
   *   cid, is over `maxSize` or is malformed (nothing is kept); a cid under
   *   a hash we cannot check (`md5`, unknown names: nothing is sent).
   * @throws {StorageError} When the stored entry is corrupt.
   * @throws {ApiError} When a registered `get_bob` function returns an
   *   entry that is not valid for the cid.
   * @throws {StanzaError} The peer's error answer; `TimeoutError` if none.
   */
  getBob(options: GetBobOptions): Promise<BobData> {
    let cid: string;
    try {
      cid = normalizeCid(options?.cid, "get bob");
      if (options.jid !== undefined) assertFullJid(options.jid);
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
    if (!isVerifiableCid(cid)) {
      throw new VerificationError(
        `Cannot get bob ${cid}: ${
          cidAlgorithm(cid)
        } cids cannot be verified, so they are not fetched from peers`,
      );
    }
    return await this.#tell<BobData>(
      "get bob",
      (settle) => ({ type: "bob.fetch", jid, cid, timeout, ...settle }),
    );
  }

  // Your storage, then the peer cache.
  #local(cid: string, ifrom?: string): Promise<BobData> {
    return this.api.run<BobData | undefined | null>("get_bob", {
      args: cid,
      ifrom,
    }).then(
      (got) =>
        got === undefined || got === null
          ? this.#peer(cid)
          : checkGot(got, cid),
      (e) => {
        if (e instanceof ItemNotFound) return this.#peer(cid);
        throw e;
      },
    );
  }

  // A copy: what a caller does with the bytes never changes the cache.
  #peer(cid: string): BobData {
    const bob = this.#cache()?.get(cid);
    if (bob === undefined) {
      throw new ItemNotFound(`Cannot get bob: no data for cid ${cid}`);
    }
    return markChecked({ ...bob, data: bob.data.slice() });
  }

  /**
   * Delete a BoB through `del_bob` (and forget its expiry, and drop a peer
   * copy from the peer cache). Deleting a missing cid is not an error.
   *
   * @param cid The cid.
   */
  async delBob(cid: string): Promise<void> {
    cid = normalizeCid(cid, "delete bob");
    this.#cache()?.delete(cid);
    const key = cid;
    if (this.#idle()) {
      await this.api.run("del_bob", { args: key });
      return;
    }
    await this.#tell<unknown>(
      "run del_bob",
      (settle) => ({ type: "bob.del", cid: key, ...settle }),
    );
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
   * `<data/>` arrived in a message or presence, kept in the peer cache
   * unless its max-age is 0; your own entry under that cid is never
   * changed), `bob.rejected` (one failed verification, or a hash we cannot
   * check), `bob.expired`, `bob.expiry_failed`.
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

// BoB is asked of a client (a full JID): a bare JID reaches the account,
// which answers service-unavailable for it.
function assertFullJid(jid: unknown): void {
  if (typeof jid !== "string" || jid === "") {
    throw new TypeError("Cannot get bob: jid must be a non-empty string");
  }
  if (parseJid(jid).resource === undefined) {
    throw new TypeError(
      `Cannot get bob: jid must be a full JID (with a resource), got ${
        JSON.stringify(jid).slice(0, 120)
      }`,
    );
  }
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
    checkPeerCacheOptions(o.peerCache);
  },
  handlers: [
    // A peer asks for a cid: served from whatever storage is bound.
    {
      kind: "iq",
      match: { type: "get", name: "data", xmlns: NS_BOB },
      event: "bob.serve",
    },
    {
      kind: "message",
      match: { name: "data", xmlns: NS_BOB },
      event: "bob.inline",
    },
    {
      kind: "presence",
      match: { name: "data", xmlns: NS_BOB },
      event: "bob.inline",
    },
  ],
  create: (plugin) => new BobPlugin(plugin),
});
