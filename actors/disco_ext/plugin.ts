/**
 * XEP-0128 Service Discovery Extensions: data forms in disco#info, with
 * slixmpp 1.8.3's ops (`set_extended_info`, `add_extended_info`,
 * `del_extended_info`, args `{ data: form | form[] }`). The forms are kept
 * in XEP-0030's stored info of the JID/node, so they are answered in
 * disco#info and enter the XEP-0115 `ver` of our own info.
 *
 * @module
 */
import { definePlugin, type Plugin } from "../plugin/define.ts";
import type { Api } from "../registry/api.ts";
import type { ApiHandler } from "../registry/protocol.ts";
import { type DataForm, toDiscoInfo } from "../../src/caps_ver.ts";
import {
  type DiscoPlugin,
  discoPlugin,
  type DiscoScope,
} from "../disco/plugin.ts";

/** The op names of XEP-0128's internal API, as in slixmpp. */
export const DISCO_EXT_OPS = [
  "set_extended_info",
  "add_extended_info",
  "del_extended_info",
] as const;

/** `xmpp.plugin["xep_0128"]`. */
export interface DiscoExtPlugin {
  /** The plugin's internal API: ops in {@linkcode DISCO_EXT_OPS}. */
  readonly api: Api;
  /**
   * Replace the forms of a JID/node (`set_extended_info`).
   * @param forms One form or several.
   * @param scope JID and node (ours, no node, by default).
   */
  setExtendedInfo(
    forms: DataForm | DataForm[],
    scope?: DiscoScope,
  ): Promise<void>;
  /**
   * Add forms to a JID/node (`add_extended_info`).
   * @param forms One form or several.
   * @param scope JID and node.
   */
  addExtendedInfo(
    forms: DataForm | DataForm[],
    scope?: DiscoScope,
  ): Promise<void>;
  /**
   * Remove every form of a JID/node (`del_extended_info`).
   * @param scope JID and node.
   */
  delExtendedInfo(scope?: DiscoScope): Promise<void>;
}

/** The forms of `{ data }`, checked (a `TypeError` otherwise). */
function formsOf(args: unknown, op: string): DataForm[] {
  const data = (args as { data?: unknown } | undefined)?.data;
  const list = data === undefined ? [] : Array.isArray(data) ? data : [data];
  return toDiscoInfo({ identities: [], features: [], forms: list }, `run ${op}`)
    .forms ?? [];
}

/**
 * The XEP-0128 plugin (`registerPlugin("xep_0128")`; loads XEP-0030).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost" });
 * const ext = xmpp.registerPlugin("xep_0128");
 * await ext.addExtendedInfo({
 *   type: "result",
 *   fields: [{ var: "FORM_TYPE", type: "hidden", values: ["urn:x"] }],
 * });
 * strictEqual((await xmpp.plugin["xep_0030"].getInfo()).forms?.length, 1);
 * await xmpp.stop();
 * ```
 */
export const discoExtPlugin: Plugin<"xep_0128", DiscoExtPlugin> = definePlugin({
  name: "xep_0128",
  dependencies: [discoPlugin],
  create: ({ api, host }) => {
    const disco = host.plugin("xep_0030") as DiscoPlugin;
    const defaults: Record<(typeof DISCO_EXT_OPS)[number], ApiHandler> = {
      set_extended_info: (jid, node, _ifrom, args) => {
        const forms = formsOf(args, "set_extended_info");
        return disco.updateInfo((info) => ({ ...info, forms }), { jid, node });
      },
      add_extended_info: (jid, node, _ifrom, args) => {
        const forms = formsOf(args, "add_extended_info");
        return disco.updateInfo(
          (info) => ({ ...info, forms: [...info.forms ?? [], ...forms] }),
          { jid, node },
        );
      },
      del_extended_info: (jid, node) =>
        disco.updateInfo(({ forms: _, ...info }) => info, { jid, node }, false),
    };
    for (const op of DISCO_EXT_OPS) api.registerDefault(defaults[op], op);
    const run = (op: string, data: unknown, scope: DiscoScope = {}) =>
      api.run<void>(op, { jid: scope.jid, node: scope.node, args: { data } });
    return {
      api,
      setExtendedInfo: (forms, scope) => run("set_extended_info", forms, scope),
      addExtendedInfo: (forms, scope) => run("add_extended_info", forms, scope),
      delExtendedInfo: (scope) => run("del_extended_info", undefined, scope),
    };
  },
});
