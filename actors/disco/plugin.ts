/**
 * XEP-0030 Service Discovery (the `disco#info` part), built with the public
 * plugin API: it answers `disco#info` queries with an identity and the
 * features of every loaded plugin, and asks peers for theirs.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { xml } from "../../src/xml.ts";
import { StanzaError } from "../../src/errors.ts";
import { definePlugin, type Plugin } from "../plugin/define.ts";

/** Namespace of disco#info. */
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";

/** A disco identity. */
export interface DiscoIdentity {
  /** E.g. `client`. */
  category: string;
  /** E.g. `bot`, `pc`. */
  type: string;
  /** A human name, if any. */
  name?: string;
}

/** What a peer told us in answer to disco#info. */
export interface DiscoInfo {
  /** Its identities. */
  identities: DiscoIdentity[];
  /** Its features (namespaces), as sent. */
  features: string[];
}

/** Options of the disco plugin (`registerPlugin("xep_0030", options)`). */
export interface DiscoOptions {
  /**
   * Our identity.
   * @default {{ category: "client", type: "bot", name: "xmpp-actors" }}
   */
  identity?: DiscoIdentity;
}

/** `xmpp.plugin["xep_0030"]`. */
export interface DiscoPlugin {
  /**
   * Ask a peer (a full JID, a server, a component) what it is and supports.
   *
   * @param jid The peer.
   * @param options Per-call timeout in ms, and a node.
   * @returns Its identities and features.
   * @throws {StanzaError} The peer's error answer.
   */
  info(
    jid: string,
    options?: { node?: string; timeout?: number },
  ): Promise<DiscoInfo>;
  /** What we answer: our identity and features. */
  ownInfo(): DiscoInfo;
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

function infoElement(info: DiscoInfo, node?: string): Element {
  const attrs: Record<string, string> = { xmlns: NS_DISCO_INFO };
  if (node !== undefined) attrs.node = node;
  return xml(
    "query",
    attrs,
    ...info.identities.map((i) =>
      xml("identity", {
        category: i.category,
        type: i.type,
        ...(i.name === undefined ? {} : { name: i.name }),
      })
    ),
    ...info.features.map((f) => xml("feature", { var: f })),
  );
}

/**
 * The XEP-0030 plugin: what `registerPlugin("xep_0030")` loads (BoB loads
 * it as a dependency).
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost" });
 * xmpp.registerPlugin("xep_0231");
 * deepStrictEqual(xmpp.plugin["xep_0030"].ownInfo().features, [
 *   "http://jabber.org/protocol/disco#info",
 *   "urn:xmpp:bob",
 * ]);
 * await xmpp.stop();
 * ```
 */
export const discoPlugin: Plugin<"xep_0030", DiscoPlugin> = definePlugin({
  name: "xep_0030",
  features: [NS_DISCO_INFO],
  handlers: [{
    kind: "iq",
    match: { type: "get", name: "query", xmlns: NS_DISCO_INFO },
    handle(iq, { host, options }) {
      const node = iq.getChild("query", NS_DISCO_INFO)?.attrs.node;
      // No node of ours is published.
      if (node !== undefined) throw new StanzaError("item-not-found");
      return infoElement({
        identities: [identityOf(options)],
        features: host.features,
      });
    },
  }],
  create: ({ host, options }) => {
    const identity = identityOf(options);
    return {
      ownInfo: () => ({ identities: [identity], features: host.features }),
      async info(jid, opts = {}) {
        const query: Record<string, string> = { xmlns: NS_DISCO_INFO };
        if (opts.node !== undefined) query.node = opts.node;
        const answer = await host.iq(
          xml("iq", { type: "get", to: jid }, xml("query", query)),
          opts.timeout === undefined ? undefined : { timeout: opts.timeout },
        );
        const q = answer.getChild("query", NS_DISCO_INFO);
        const identities: DiscoIdentity[] = [];
        const features: string[] = [];
        for (const child of q?.getChildElements() ?? []) {
          const a = child.attrs;
          if (child.name === "identity" && a.category && a.type) {
            identities.push({
              category: a.category,
              type: a.type,
              ...(a.name === undefined ? {} : { name: a.name }),
            });
          } else if (child.name === "feature" && typeof a.var === "string") {
            features.push(a.var);
          }
        }
        return { identities, features };
      },
    };
  },
});
