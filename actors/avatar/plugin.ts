/**
 * XEP-0153 vCard-based avatars, built with the public plugin API: slixmpp's
 * ops (`get_hash`, `set_hash`, `reset_hash`, keyed by bare JID), our hash
 * announced in every available presence (`<x xmlns="vcard-temp:x:update">`),
 * and peers' announced hashes checked against the photo of their vCard
 * (SHA-1 of the decoded BINVAL, fetched from the server) before they are
 * stored: a hash that does not match its photo is never stored.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { xml } from "../../src/xml.ts";
import { bareJid, jidEquals } from "../../src/jid.ts";
import {
  ApiError,
  ItemNotFound,
  StanzaError,
  TimeoutError,
  VerificationError,
} from "../../src/errors.ts";
import {
  isAvatarHash,
  jidKey,
  NS_VCARD_UPDATE,
  vcardHash,
  vcardWithPhoto,
} from "../../src/vcard.ts";
import type { Api } from "../registry/api.ts";
import {
  definePlugin,
  type Plugin,
  type PluginContext,
} from "../plugin/define.ts";
import { vcardOf, vcardPlugin } from "../vcard/plugin.ts";

const NS_MUC_USER = "http://jabber.org/protocol/muc#user";

/** A peer's avatar changed (its new hash checked against its photo). */
export type AvatarListener = (jid: string, hash: string) => void;

/** `xmpp.plugin["xep_0153"]`: vCard-based avatars. */
export interface AvatarPlugin {
  /** The plugin's internal API (slixmpp's `plugin.api`). */
  readonly api: Api;
  /**
   * The stored avatar hash of a JID (`get_hash`).
   * @param jid Whose (default: ours).
   * @returns The hash, `""` for no avatar, `undefined` when unknown.
   */
  getHash(jid?: string): Promise<string | undefined>;
  /**
   * Recompute a JID's hash from its vCard on the server (`reset_hash`);
   * for ours, announce it (the last presence is sent again).
   * @param jid Whose (default: ours).
   */
  resetHash(jid?: string): Promise<void>;
  /**
   * Put an avatar in our vCard on the server, then announce its hash.
   * @param data The image bytes.
   * @param type Its MIME type, e.g. `image/png`.
   * @param options Timeout of each IQ in ms.
   */
  setAvatar(
    data: Uint8Array,
    type: string,
    options?: { timeout?: number },
  ): Promise<void>;
  /**
   * Be told of each peer avatar change, once its hash is verified.
   * @param listener Called with the bare JID and the new hash.
   * @returns A function that removes the listener.
   */
  onAvatar(listener: (jid: string, hash: string) => void): () => void;
}

/** Most peers whose vCards are being fetched to check a hash at once. */
const MAX_CHECKING = 64;

/** What one client's avatar plugin keeps beside its storage. */
interface State {
  /** Our hash as last announced: `undefined` until read from the server. */
  own: string | undefined;
  /** Our hash is being read (once, on the first presence). */
  reading: boolean;
  /** Peers whose announced hash is being checked. */
  checking: Set<string>;
  listeners: Set<AvatarListener>;
  facade: AvatarPlugin;
}

const states = new WeakMap<object, State>();

function checkedHash(got: unknown): string | undefined {
  if (got === undefined || got === null) return undefined;
  if (got !== "" && !isAvatarHash(got)) {
    throw new ApiError(
      "get_hash",
      "Cannot run get_hash: handler returned no hash",
    );
  }
  return got;
}

/** Our children of an outgoing available presence. */
function children(state: State | undefined): Element[] {
  if (state === undefined) return [];
  if (state.own === undefined) {
    // Not known yet (XEP-0153 §4.2: an empty <x/>); read it once.
    if (!state.reading) {
      state.reading = true;
      state.facade.resetHash().catch(() => {});
    }
    return [xml("x", { xmlns: NS_VCARD_UPDATE })];
  }
  return [
    xml("x", { xmlns: NS_VCARD_UPDATE }, xml("photo", {}, state.own || null)),
  ];
}

/** A peer's available presence with a vcard-temp:x:update. */
async function received(presence: Element, { api, host }: PluginContext) {
  const state = states.get(host);
  const { from, type } = presence.attrs;
  if (state === undefined || type !== undefined || !from) return;
  // MUC occupants share their room's bare JID: not theirs to announce.
  if (presence.getChild("x", NS_MUC_USER)) return;
  const photo = presence.getChild("x", NS_VCARD_UPDATE)?.getChild("photo");
  if (photo === undefined) return;
  const announced = photo.text().trim().toLowerCase();
  const bare = bareJid(from);
  if (jidEquals(bare, bareJid(host.jid))) return;
  if (announced !== "" && !isAvatarHash(announced)) {
    throw new VerificationError(
      `Cannot accept avatar hash of ${bare}: not a SHA-1 hex digest`,
    );
  }
  // One check per peer at a time, and a bounded number of peers: a flood
  // of presences costs at most one vCard query per peer.
  if (state.checking.has(bare) || state.checking.size >= MAX_CHECKING) return;
  state.checking.add(bare);
  try {
    const known = checkedHash(await api.run("get_hash", { jid: bare }));
    if (known === announced) return;
    if (announced !== "") {
      // From the server: what the account really published.
      const vcard = await vcardOf.get(host)!.getVcard(bare, { cached: false });
      if (vcardHash(vcard) !== announced) {
        throw new VerificationError(
          `Cannot accept avatar of ${bare}: hash ${announced} does not match its photo`,
        );
      }
    }
    await api.run("set_hash", { jid: bare, args: announced });
  } finally {
    state.checking.delete(bare);
  }
  for (const listener of [...state.listeners]) listener(bare, announced);
}

/**
 * The XEP-0153 plugin: what `registerPlugin("xep_0153")` loads (with
 * xep_0054). Storage ops underneath: `store_hash`, `load_hash` (key: the
 * bare JID, value: the hash, `""` for no avatar, or `null` for unknown).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost/a" });
 * const avatar = xmpp.registerPlugin("xep_0153");
 * await avatar.api.run("set_hash", { jid: "bob@localhost", args: "" });
 * strictEqual(await avatar.getHash("bob@localhost"), "");
 * await xmpp.stop();
 * ```
 */
export const avatarPlugin: Plugin<"xep_0153", AvatarPlugin> = definePlugin({
  name: "xep_0153",
  dependencies: [vcardPlugin],
  ops: {
    store_hash: {
      request: (a) => {
        const [key, value] = a as [string, string | null];
        return { type: "storage.set", key, value };
      },
    },
    load_hash: {
      request: (key) => ({ type: "storage.get", key: key as string }),
    },
  },
  handlers: [{
    kind: "presence",
    match: { name: "x", xmlns: NS_VCARD_UPDATE },
    handle: (presence, plugin) => received(presence, plugin),
  }],
  presence: ({ host }) => children(states.get(host)),
  create: ({ api, host }) => {
    const vcard = vcardOf.get(host)!;
    const own = () => bareJid(host.jid);
    api.registerDefault(async (jid, _node, _ifrom, hash: string | null) => {
      if (hash !== null && hash !== "" && !isAvatarHash(hash)) {
        throw new TypeError("Cannot set hash: not a SHA-1 hex digest");
      }
      await api.run("store_hash", { args: [jidKey(jid!, true), hash] });
    }, "set_hash");
    api.registerDefault(async (jid) => {
      const got = await api.run("load_hash", { args: jidKey(jid!, true) });
      return got ?? undefined;
    }, "get_hash");
    api.registerDefault(async (jid, _node, ifrom) => {
      await api.run("set_hash", { jid, args: null });
      let hash: string;
      try {
        hash = vcardHash(await vcard.getVcard(bareJid(jid!), { ifrom }));
      } catch (e) {
        // No vCard at all (XEP-0054 §3.1: item-not-found): no avatar.
        if (e instanceof ItemNotFound) hash = "";
        // No vCard to read: the hash stays unknown, as slixmpp.
        else if (e instanceof StanzaError || e instanceof TimeoutError) return;
        // A photo that is not an image we can hash: no avatar.
        else if (!(e instanceof VerificationError)) throw e;
        else hash = "";
      }
      await api.run("set_hash", { jid, args: hash });
    }, "reset_hash");

    const facade: AvatarPlugin = {
      api,
      async getHash(jid) {
        return checkedHash(await api.run("get_hash", { jid: jid ?? own() }));
      },
      async resetHash(jid) {
        const whose = jid ?? own();
        await api.run("reset_hash", { jid: whose });
        if (jidEquals(bareJid(whose), own())) {
          state.own = await facade.getHash(whose);
          host.resendPresence();
        }
      },
      async setAvatar(data, type, opts = {}) {
        if (!(data instanceof Uint8Array) || typeof type !== "string") {
          throw new TypeError("Cannot set avatar: expected bytes and a type");
        }
        const card = await vcard.getVcard(own(), opts).catch((e) => {
          if (e instanceof ItemNotFound) return vcard.makeVcard();
          throw e;
        });
        await vcard.publishVcard(vcardWithPhoto(card, { type, data }), opts);
        await facade.resetHash();
      },
      onAvatar(listener) {
        state.listeners.add(listener);
        return () => void state.listeners.delete(listener);
      },
    };
    const state: State = {
      own: undefined,
      reading: false,
      checking: new Set(),
      listeners: new Set(),
      facade,
    };
    states.set(host, state);
    return facade;
  },
});
