/**
 * XEP-0115 Entity Capabilities: our `<c/>` in every available presence
 * (its `ver` recomputed when a plugin loads or our disco info changes, and
 * the last broadcast presence sent again when it changed), and a verified
 * cache of what peers announce: a peer's disco#info is kept under its `ver`
 * only once the hash checks (see `ops.ts`), so a second client sharing the
 * store (Redis) resolves a contact's caps without a disco query.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { xml } from "../../src/xml.ts";
import { definePlugin, type Plugin } from "../plugin/define.ts";
import type { Api } from "../registry/api.ts";
import { CAPS_HASHES, type DiscoInfo, verString } from "../../src/caps_ver.ts";
import { type DiscoPlugin, discoPlugin } from "../disco/plugin.ts";
import { isDiscoKey, recordOps } from "../disco/store.ts";
import { CAPS_OPS, capsDefaults } from "./ops.ts";
import { type CapsEvent, capsMachine, NS_CAPS } from "./machine.ts";

export { CAPS_OPS } from "./ops.ts";
export { type CapsEvent, capsMachine, NS_CAPS } from "./machine.ts";

/** Options of `registerPlugin("xep_0115", options)`. */
export interface CapsOptions {
  /**
   * Our `node` (a URI naming the software).
   * @default {"https://github.com/xmpp-actors/runtime"}
   */
  node?: string;
  /**
   * The hash of our `ver` (IANA name).
   * @default {"sha-1"}
   */
  hash?: string;
  /**
   * Most disco queries for peers' caps in flight at once; presences over
   * it are not looked up (the next presence with the same `ver` is).
   * @default {8}
   */
  maxLookups?: number;
}

/** `xmpp.plugin["xep_0115"]`. */
export interface CapsPlugin {
  /** The plugin's internal API: ops in {@linkcode CAPS_OPS}. */
  readonly api: Api;
  /** Our current `ver` (undefined until first computed). */
  readonly ver: string | undefined;
  /**
   * Recompute our `ver` now (also done on plugin load and disco changes).
   * @returns The new `ver`.
   */
  update(): Promise<string>;
  /**
   * The verified caps of a JID (by the `ver` it announced) or of a `ver`.
   * @param jid The peer, or undefined with `verstring`.
   * @param verstring A `ver` to look up instead.
   * @returns The info, or `undefined` when unknown.
   */
  getCaps(jid?: string, verstring?: string): Promise<DiscoInfo | undefined>;
  /**
   * Listen to what became of each peer's announced caps.
   * @param fn The listener.
   * @returns A function that removes it.
   */
  onCaps(fn: (e: CapsEvent) => void): () => void;
}

const DEFAULT_NODE = "https://github.com/xmpp-actors/runtime";

function optionsOf(o: Readonly<Record<string, unknown>>) {
  const { node = DEFAULT_NODE, hash = "sha-1", maxLookups = 8 } =
    o as CapsOptions;
  if (typeof node !== "string" || node === "") {
    throw new TypeError("Cannot register xep_0115: node must be a string");
  }
  if (typeof hash !== "string" || !Object.hasOwn(CAPS_HASHES, hash)) {
    throw new TypeError(
      `Cannot register xep_0115: hash must be one of ${
        Object.keys(CAPS_HASHES).join(", ")
      }`,
    );
  }
  if (!Number.isInteger(maxLookups) || maxLookups < 1) {
    throw new RangeError(
      "Cannot register xep_0115: maxLookups must be a positive integer",
    );
  }
  return { node, hash, maxLookups };
}

// Our current <c/> per loaded caps plugin (read by the presence hook).
const current = new WeakMap<object, Element>();
// Recompute on plugin load, per loaded plugin.
const updaters = new WeakMap<object, () => void>();

/**
 * The XEP-0115 plugin (`registerPlugin("xep_0115")`; loads XEP-0030).
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost" });
 * const caps = xmpp.registerPlugin("xep_0115");
 * ok((await caps.update()).endsWith("="));
 * await xmpp.stop();
 * ```
 */
export const capsPlugin: Plugin<"xep_0115", CapsPlugin> = definePlugin({
  name: "xep_0115",
  features: [NS_CAPS],
  dependencies: [discoPlugin],
  ops: recordOps,
  isKey: isDiscoKey,
  checkOptions: (o) => void optionsOf(o),
  presence: ({ actor }) => {
    const c = current.get(actor);
    return c === undefined ? [] : [c];
  },
  pluginLoaded: ({ actor }) => updaters.get(actor)?.(),
  machine: capsMachine,
  handlers: [{
    kind: "presence",
    match: { name: "c", xmlns: NS_CAPS },
    event: "caps.presence",
  }],
  create: ({ api, host, options, actor }) => {
    const { node, hash } = optionsOf(options);
    const disco = host.plugin("xep_0030") as DiscoPlugin;
    const defaults = capsDefaults(api, disco);
    for (const op of CAPS_OPS) api.registerDefault(defaults[op], op);
    let ver: string | undefined;

    async function compute(): Promise<string> {
      const info = await disco.getInfo();
      const next = await verString(info, hash);
      if (next !== ver) {
        // Peers ask node#ver for what the hash covers (XEP-0115 §6.2).
        await disco.run("set_info", info, { node: `${node}#${next}` });
        await api.run("cache_caps", {
          args: { verstring: next, info, hash },
        });
        ver = next;
        current.set(
          actor,
          xml("c", { xmlns: NS_CAPS, hash, node, ver: next }),
        );
        host.resendPresence();
      }
      return next;
    }
    // One computation at a time; calls made while one runs share the next
    // (which starts after it, so it sees their changes).
    let tail: Promise<unknown> = Promise.resolve();
    let queued: Promise<string> | undefined;
    function update(): Promise<string> {
      if (queued !== undefined) return queued;
      const next = tail.catch(() => {}).then(() => {
        queued = undefined;
        return compute();
      });
      queued = next;
      tail = next;
      return next;
    }
    const quiet = () => void update().catch(() => {});
    updaters.set(actor, quiet);
    disco.onChange(quiet);
    quiet();

    return {
      api,
      get ver() {
        return ver;
      },
      update,
      async getCaps(jid, verstring) {
        return await api.run<DiscoInfo | undefined>("get_caps", {
          jid,
          args: verstring === undefined ? {} : { verstring },
        }) ?? undefined;
      },
      onCaps(fn) {
        const sub = actor.on("caps.outcome", (e: CapsEvent) => {
          try {
            fn({ jid: e.jid, ver: e.ver, outcome: e.outcome });
          } catch {
            // A failing listener must not disturb the actor.
          }
        });
        return () => sub.unsubscribe();
      },
    };
  },
});
