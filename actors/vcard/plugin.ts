/**
 * XEP-0054 vcard-temp, built with the public plugin API: slixmpp's three
 * ops (`get_vcard`, `set_vcard`, `del_vcard`, called `(jid, node, ifrom,
 * vcard)` and keyed by bare JID) over the bound storage, our vCard read
 * from and published to the server, peers' vCards fetched and cached, and
 * a vcard-temp get sent to our full JID answered with our own vCard.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { xml } from "../../src/xml.ts";
import { bareJid, jidEquals } from "../../src/jid.ts";
import { ApiError, VerificationError } from "../../src/errors.ts";
import { checkCount } from "../../src/options.ts";
import {
  DEFAULT_MAX_VCARD_SIZE,
  emptyVcard,
  isVcard,
  jidKey,
  NS_VCARD,
  photoOf,
  vcardFromText,
  vcardToText,
} from "../../src/vcard.ts";
import type { Api } from "../registry/api.ts";
import {
  definePlugin,
  type Plugin,
  type PluginContext,
} from "../plugin/define.ts";
import { discoPlugin } from "../disco/plugin.ts";

/** Options of the vCard plugin (`registerPlugin("xep_0054", options)`). */
export interface VcardOptions {
  /**
   * Largest vCard (bytes of its XML) stored, published, served or accepted
   * from a peer.
   * @default {262144}
   */
  maxSize?: number;
}

/** Options of {@linkcode VcardPlugin.getVcard}. */
export interface GetVcardOptions {
  /**
   * Read the local store only (no query). Default: only for our own full
   * JID or no JID, as slixmpp.
   */
  local?: boolean;
  /** Answer from the local store when it has the vCard; query otherwise. */
  cached?: boolean;
  /** Passed to the ops as `ifrom`. */
  ifrom?: string;
  /** Timeout of the query in ms (default: the connection's `iqTimeout`). */
  timeout?: number;
}

/** `xmpp.plugin["xep_0054"]`: vcard-temp. */
export interface VcardPlugin {
  /** The plugin's internal API (slixmpp's `plugin.api`). */
  readonly api: Api;
  /**
   * A new empty vCard (`<vCard xmlns="vcard-temp"/>`), to fill and publish.
   * @returns The element.
   */
  makeVcard(): Element;
  /**
   * A vCard: ask the server for a bare JID's (ours included) or a peer for
   * its own, and cache what comes back (`set_vcard`); or read the store
   * (`local`, `cached`).
   *
   * @param jid Whose vCard (default: ours, from the store).
   * @param options See {@linkcode GetVcardOptions} (`local`, `cached`,
   *   `ifrom`, `timeout`).
   * @returns The vCard (an empty one when a local read finds nothing).
   * @throws {StanzaError} The server's or peer's error answer.
   * @throws {VerificationError} An answer that is not a vCard, too large,
   *   or whose photo is not base64: nothing is cached.
   */
  getVcard(
    jid?: string,
    options?: {
      local?: boolean;
      cached?: boolean;
      ifrom?: string;
      timeout?: number;
    },
  ): Promise<Element>;
  /**
   * Publish our vCard on the server, then store it (`set_vcard`).
   * @param vcard The vCard.
   * @param options Timeout in ms.
   * @throws {TypeError} Not a vCard. @throws {RangeError} Too large.
   */
  publishVcard(vcard: Element, options?: { timeout?: number }): Promise<void>;
}

/**
 * The vCard facade of each client (keyed by its plugin host), for the
 * plugins that depend on xep_0054 (xep_0153 reads vCards through it).
 */
export const vcardOf: WeakMap<object, VcardPlugin> = new WeakMap();

function maxSizeOf(options: Readonly<Record<string, unknown>>): number {
  return checkCount(
    (options as VcardOptions).maxSize,
    "maxSize",
    DEFAULT_MAX_VCARD_SIZE,
  );
}

function byteLength(el: Element): number {
  return new TextEncoder().encode(el.toString()).length;
}

/** A vCard an op handler returned, checked (`undefined`: none). */
function checkedVcard(got: unknown, op: string): Element | undefined {
  if (got === undefined || got === null) return undefined;
  if (!isVcard(got)) {
    throw new ApiError(op, `Cannot run ${op}: handler returned no vCard`);
  }
  return got;
}

/** Our own vCard from the store, for a peer's get (empty when none). */
async function ownVcard(iq: Element, { api, host, options }: PluginContext) {
  const got = checkedVcard(
    await api.run("get_vcard", {
      jid: bareJid(host.jid),
      ifrom: iq.attrs.from,
    }),
    "get_vcard",
  ) ?? emptyVcard();
  // Never more than we would accept ourselves.
  return byteLength(got) > maxSizeOf(options) ? emptyVcard() : got;
}

/**
 * The XEP-0054 plugin: what `registerPlugin("xep_0054")` loads. Its
 * storage ops underneath are `store_vcard`, `load_vcard` and `drop_vcard`
 * (key: the bare JID, value: the vCard's XML); slixmpp's three ops are
 * function defaults over them, so overriding one by name works as in
 * slixmpp and binding a storage moves them all.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient, xml } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost/a" });
 * const vcard = xmpp.registerPlugin("xep_0054");
 * const card = vcard.makeVcard();
 * card.append(xml("FN", {}, "Alice"));
 * await vcard.api.run("set_vcard", { jid: "alice@localhost", args: card });
 * strictEqual((await vcard.getVcard()).getChildText("FN"), "Alice");
 * await xmpp.stop();
 * ```
 */
export const vcardPlugin: Plugin<"xep_0054", VcardPlugin> = definePlugin({
  name: "xep_0054",
  features: [NS_VCARD],
  dependencies: [discoPlugin],
  checkOptions: (options) => void maxSizeOf(options),
  ops: {
    store_vcard: {
      request: (a) => {
        const [key, value] = a as [string, string];
        return { type: "storage.set", key, value };
      },
    },
    load_vcard: {
      request: (key) => ({ type: "storage.get", key: key as string }),
    },
    drop_vcard: {
      request: (key) => ({ type: "storage.del", key: key as string }),
    },
  },
  handlers: [{
    kind: "iq",
    match: { type: "get", name: "vCard", xmlns: NS_VCARD },
    handle: (iq, plugin) => ownVcard(iq, plugin),
  }],
  create: ({ api, host, options }) => {
    const maxSize = maxSizeOf(options);
    const own = () => bareJid(host.jid);
    api.registerDefault(async (jid, _node, _ifrom, vcard: Element) => {
      const text = vcardToText(vcard);
      if (new TextEncoder().encode(text).length > maxSize) {
        throw new RangeError(`Cannot store vCard: over ${maxSize} bytes`);
      }
      await api.run("store_vcard", { args: [jidKey(jid!, true), text] });
    }, "set_vcard");
    api.registerDefault(async (jid) => {
      const text = await api.run("load_vcard", { args: jidKey(jid!, true) });
      return text === undefined || text === null
        ? undefined
        : vcardFromText(text, maxSize);
    }, "get_vcard");
    api.registerDefault(async (jid) => {
      await api.run("drop_vcard", { args: jidKey(jid!, true) });
    }, "del_vcard");

    async function read(jid: string | undefined, ifrom?: string) {
      return checkedVcard(
        await api.run("get_vcard", { jid, ifrom }),
        "get_vcard",
      );
    }

    const facade: VcardPlugin = {
      api,
      makeVcard: emptyVcard,
      async getVcard(jid, opts = {}) {
        const local = opts.local ??
          (jid === undefined || jidEquals(jid, host.jid));
        if (local) return (await read(jid, opts.ifrom)) ?? emptyVcard();
        if (opts.cached) {
          const got = await read(jid, opts.ifrom);
          if (got !== undefined) return got;
        }
        const to = jid!;
        const answer = await host.iq(
          xml(
            "iq",
            { type: "get", ...(jidEquals(to, own()) ? {} : { to }) },
            xml("vCard", { xmlns: NS_VCARD }),
          ),
          opts.timeout === undefined ? undefined : { timeout: opts.timeout },
        );
        // No payload: no vCard (RFC 6120 allows an empty result).
        const vcard = answer.getChild("vCard", NS_VCARD) ?? emptyVcard();
        if (byteLength(vcard) > maxSize) {
          throw new VerificationError(
            `Cannot accept vCard of ${to}: over ${maxSize} bytes`,
          );
        }
        try {
          photoOf(vcard);
        } catch (cause) {
          throw new VerificationError(
            `Cannot accept vCard of ${to}: ${(cause as Error).message}`,
            { cause },
          );
        }
        await api.run("set_vcard", { jid: bareJid(to), args: vcard });
        return vcard;
      },
      async publishVcard(vcard, opts = {}) {
        const text = vcardToText(vcard);
        if (new TextEncoder().encode(text).length > maxSize) {
          throw new RangeError(`Cannot publish vCard: over ${maxSize} bytes`);
        }
        await host.iq(
          xml("iq", { type: "set" }, vcard),
          opts.timeout === undefined ? undefined : { timeout: opts.timeout },
        );
        await api.run("set_vcard", { jid: own(), args: vcard });
      },
    };
    vcardOf.set(host, facade);
    return facade;
  },
});
