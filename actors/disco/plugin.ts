/**
 * XEP-0030 Service Discovery, built with the public plugin API: it answers
 * `disco#info` and `disco#items` for our JID and its nodes, asks peers for
 * theirs (and caches what they answer), and keeps its state behind slixmpp's
 * internal API ops (see `ops.ts`) in whatever storage is bound.
 *
 * Our own info (no node) is what the ops stored for our JID plus the
 * features of every loaded plugin, with the default identity when none is
 * stored (as slixmpp's `_fix_default_info`).
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { xml } from "../../src/xml.ts";
import { ApiError, StanzaError } from "../../src/errors.ts";
import type { Api } from "../registry/api.ts";
import {
  definePlugin,
  type Plugin,
  type PluginHost,
} from "../plugin/define.ts";
import {
  type DiscoIdentity,
  type DiscoInfo,
  discoInfoElement,
  NS_DISCO_INFO,
  parseDiscoInfo,
  toDiscoInfo,
} from "../../src/caps_ver.ts";
import { type DiscoItem, isDiscoKey, itemsArg, recordOps } from "./store.ts";
import { DISCO_OPS, discoDefaults, isOwnJid } from "./ops.ts";

export type {
  DataForm,
  DiscoIdentity,
  DiscoInfo,
  FormField,
} from "../../src/caps_ver.ts";
export type { DiscoItem } from "./store.ts";
export { DISCO_OPS } from "./ops.ts";
export { NS_DISCO_INFO };

/** Namespace of disco#items. */
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";

/** Options of the disco plugin (`registerPlugin("xep_0030", options)`). */
export interface DiscoOptions {
  /**
   * Our identity when the ops stored none for our JID.
   * @default {{ category: "client", type: "bot", name: "xmpp-actors" }}
   */
  identity?: DiscoIdentity;
}

/** Which JID and node an op is for (our JID and no node by default). */
export interface DiscoScope {
  /** The JID (ours when left out). */
  jid?: string;
  /** The node. */
  node?: string;
}

/** Options of a query to a peer. */
export interface DiscoQueryOptions {
  /** The node to ask about. */
  node?: string;
  /** Per-call timeout in ms. */
  timeout?: number;
  /** Answer from the cache (`get_cached_info`) when it holds the answer. */
  cached?: boolean;
  /** Answer from our own data (`get_info`) instead of asking. */
  local?: boolean;
  /**
   * Keep the answer with `cache_info`.
   * @default {true}
   */
  cache?: boolean;
}

/** `xmpp.plugin["xep_0030"]`. */
export interface DiscoPlugin {
  /** The plugin's internal API (slixmpp's `plugin.api`): ops in `DISCO_OPS`. */
  readonly api: Api;
  /**
   * Ask a peer (a full JID, a server, a component) what it is and supports.
   * The answer is cached (`cache_info`) unless it is over the size limits.
   *
   * @param jid The peer.
   * @param options Node, timeout, `cached`, `local`.
   * @returns Its identities, features and forms.
   * @throws {StanzaError} The peer's error answer.
   */
  info(jid: string, options?: DiscoQueryOptions): Promise<DiscoInfo>;
  /**
   * Ask a peer for its items (disco#items).
   * @param jid The peer.
   * @param options Node, timeout, `local`.
   * @returns Its items.
   * @throws {StanzaError} The peer's error answer.
   */
  items(
    jid: string,
    options?: Omit<DiscoQueryOptions, "cached">,
  ): Promise<DiscoItem[]>;
  /** Our identity (from the options) and the loaded plugins' features. */
  ownInfo(): DiscoInfo;
  /**
   * What we answer for a JID/node of ours (`get_info`, then the loaded
   * plugins' features and the default identity for our JID with no node).
   * @param scope JID and node.
   * @returns The info.
   * @throws {ItemNotFound} An unknown node.
   */
  getInfo(scope?: DiscoScope): Promise<DiscoInfo>;
  /**
   * Our items for a JID/node (`get_items`).
   * @param scope JID and node.
   * @returns The items.
   */
  getItems(scope?: DiscoScope): Promise<DiscoItem[]>;
  /**
   * Run any op of {@linkcode DISCO_OPS} with slixmpp's arguments, e.g.
   * `run("add_feature", { feature: "urn:x" }, { node: "n" })`.
   * @param op The op.
   * @param args Its arguments (slixmpp's `data` dict).
   * @param scope JID and node.
   * @returns What the op returns.
   */
  run<R = unknown>(op: string, args?: unknown, scope?: DiscoScope): Promise<R>;
  /**
   * Listen to changes of our own info or items made through the ops.
   * @param fn Called after each change.
   * @returns A function that removes the listener.
   */
  onChange(fn: () => void): () => void;
  /**
   * Change the info stored for a JID/node (read, `change`, write), one
   * update at a time per node: what XEP-0128's defaults use.
   * @param change Gets the stored info (empty when none) and returns the new.
   * @param scope JID and node.
   * @param create Whether to create a node that has no info yet.
   */
  updateInfo(
    change: (info: DiscoInfo) => DiscoInfo,
    scope?: DiscoScope,
    create?: boolean,
  ): Promise<void>;
}

const DEFAULT_IDENTITY: DiscoIdentity = {
  category: "client",
  type: "bot",
  name: "xmpp-actors",
};

function identityOf(options: Readonly<Record<string, unknown>>): DiscoIdentity {
  const id = (options as DiscoOptions).identity ?? DEFAULT_IDENTITY;
  if (typeof id?.category !== "string" || typeof id.type !== "string") {
    throw new TypeError(
      "Cannot register xep_0030: identity needs a category and a type",
    );
  }
  return id;
}

/** A failing op as the peer should see it: a stanza error keeps its condition. */
function asStanzaError(e: unknown): unknown {
  if (e instanceof ApiError && e.cause instanceof StanzaError) return e.cause;
  return e;
}

/** Our info with the plugins' features and the default identity. */
function assemble(
  info: DiscoInfo,
  host: PluginHost,
  identity: DiscoIdentity,
): DiscoInfo {
  const features = [...new Set([...info.features, ...host.features])];
  return {
    ...info,
    identities: info.identities.length > 0 ? info.identities : [identity],
    features,
  };
}

function itemsElement(items: DiscoItem[], node?: string): Element {
  const attrs: Record<string, string> = { xmlns: NS_DISCO_ITEMS };
  if (node) attrs.node = node;
  return xml(
    "query",
    attrs,
    ...items.map((i) =>
      xml("item", {
        jid: i.jid,
        ...(i.node === undefined ? {} : { node: i.node }),
        ...(i.name === undefined ? {} : { name: i.name }),
      })
    ),
  );
}

function parseItems(query: Element | undefined): DiscoItem[] {
  const out: DiscoItem[] = [];
  for (const c of query?.getChildren("item") ?? []) {
    const { jid, node, name } = c.attrs;
    if (typeof jid !== "string" || jid === "") continue;
    out.push({
      jid,
      ...(typeof node === "string" && node !== "" ? { node } : {}),
      ...(typeof name === "string" && name !== "" ? { name } : {}),
    });
  }
  return out;
}

// What each loaded disco plugin needs to answer queries (by host: one
// client, one disco).
const answerers = new WeakMap<
  PluginHost,
  { info(s: Element): Promise<Element>; items(s: Element): Promise<Element> }
>();

/**
 * The XEP-0030 plugin: what `registerPlugin("xep_0030")` loads (BoB and
 * caps load it as a dependency).
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost" });
 * const disco = xmpp.registerPlugin("xep_0030");
 * await disco.run("add_feature", { feature: "urn:example" });
 * deepStrictEqual((await disco.getInfo()).features, [
 *   "urn:example",
 *   "http://jabber.org/protocol/disco#info",
 *   "http://jabber.org/protocol/disco#items",
 * ]);
 * await xmpp.stop();
 * ```
 */
export const discoPlugin: Plugin<"xep_0030", DiscoPlugin> = definePlugin({
  name: "xep_0030",
  features: [NS_DISCO_INFO, NS_DISCO_ITEMS],
  ops: recordOps,
  isKey: isDiscoKey,
  checkOptions: (options) => void identityOf(options),
  handlers: [{
    kind: "iq",
    match: { type: "get", name: "query", xmlns: NS_DISCO_INFO },
    handle: (iq, { host }) => answerers.get(host)!.info(iq),
  }, {
    kind: "iq",
    match: { type: "get", name: "query", xmlns: NS_DISCO_ITEMS },
    handle: (iq, { host }) => answerers.get(host)!.items(iq),
  }],
  create: ({ host, options, api }) => {
    const identity = identityOf(options);
    const configured = host.jid;
    const listeners = new Set<() => void>();
    const own = (jid?: string) => isOwnJid(jid, host, configured);

    async function getInfo(scope: DiscoScope = {}, ifrom?: string) {
      const { jid, node } = scope;
      const got = await api.run("get_info", { jid, node, ifrom }).catch(
        (e) => {
          throw asStanzaError(e);
        },
      );
      const info = toDiscoInfo(
        got ?? { identities: [], features: [] },
        "run get_info",
      );
      return own(jid) && !node ? assemble(info, host, identity) : info;
    }
    async function getItems(scope: DiscoScope = {}, ifrom?: string) {
      const { jid, node } = scope;
      const got = await api.run("get_items", { jid, node, ifrom }).catch(
        (e) => {
          throw asStanzaError(e);
        },
      );
      return itemsArg(got ?? [], "run get_items");
    }
    async function remoteInfo(jid: string, opts: DiscoQueryOptions) {
      if (opts.local) return getInfo({ jid, node: opts.node });
      if (opts.cached) {
        const hit = await api.run<DiscoInfo | undefined>("get_cached_info", {
          jid,
          node: opts.node,
        });
        if (hit !== undefined && hit !== null) return hit;
      }
      const query: Record<string, string> = { xmlns: NS_DISCO_INFO };
      if (opts.node) query.node = opts.node;
      const answer = await host.iq(
        xml("iq", { type: "get", to: jid }, xml("query", query)),
        opts.timeout === undefined ? undefined : { timeout: opts.timeout },
      );
      const q = answer.getChild("query", NS_DISCO_INFO);
      const info = q === undefined
        ? { identities: [], features: [] }
        : parseDiscoInfo(q);
      // Over the size limits (or refused by an override): not cached.
      if (opts.cache !== false) {
        await api.run("cache_info", { jid, node: opts.node, args: info })
          .catch(() => {});
      }
      return info;
    }

    const { handlers: defaults, updateInfo } = discoDefaults({
      api,
      host,
      configured,
      lookup: (jid, node, o) =>
        own(jid) || o.local
          ? getInfo({ jid, node })
          : remoteInfo(jid!, { node, cached: o.cached }),
      changed: () => {
        for (const fn of listeners) {
          try {
            fn();
          } catch {
            // A failing listener must not fail the op.
          }
        }
      },
    });
    for (const op of DISCO_OPS) api.registerDefault(defaults[op], op);

    answerers.set(host, {
      async info(iq) {
        const node = iq.getChild("query", NS_DISCO_INFO)?.attrs.node;
        const info = await getInfo(
          { jid: iq.attrs.to, node: node || undefined },
          iq.attrs.from,
        );
        return discoInfoElement(info, node || undefined);
      },
      async items(iq) {
        const node = iq.getChild("query", NS_DISCO_ITEMS)?.attrs.node;
        const items = await getItems(
          { jid: iq.attrs.to, node: node || undefined },
          iq.attrs.from,
        );
        return itemsElement(items, node || undefined);
      },
    });

    return {
      api,
      ownInfo: () => ({ identities: [identity], features: host.features }),
      info: (jid, opts = {}) => remoteInfo(jid, opts),
      async items(jid, opts = {}) {
        if (opts.local) return getItems({ jid, node: opts.node });
        const query: Record<string, string> = { xmlns: NS_DISCO_ITEMS };
        if (opts.node) query.node = opts.node;
        const answer = await host.iq(
          xml("iq", { type: "get", to: jid }, xml("query", query)),
          opts.timeout === undefined ? undefined : { timeout: opts.timeout },
        );
        return parseItems(answer.getChild("query", NS_DISCO_ITEMS));
      },
      getInfo: (scope) => getInfo(scope),
      getItems: (scope) => getItems(scope),
      run: (op, args, scope = {}) =>
        api.run(op, { jid: scope.jid, node: scope.node, args }),
      updateInfo: (change, scope = {}, create = true) =>
        updateInfo(scope.jid, scope.node, change, create),
      onChange(fn) {
        listeners.add(fn);
        return () => void listeners.delete(fn);
      },
    };
  },
});
