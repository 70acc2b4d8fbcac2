/**
 * XEP-0012 Last Activity, built with the public plugin API: slixmpp's ops
 * (`get_last_activity`, `set_last_activity`, `del_last_activity`, keyed by
 * JID) over the bound storage, `jabber:iq:last` queries sent to our full JID
 * answered from `get_last_activity` (to the requesters `authorize` lets
 * through: by default our own account only), and peers asked for theirs.
 *
 * @module
 */
import { xml } from "../../src/xml.ts";
import { bareJid, jidEquals } from "../../src/jid.ts";
import { ApiError, StanzaError } from "../../src/errors.ts";
import { jidKey } from "../../src/vcard.ts";
import { type LastActivity, NS_LAST, parseSeconds } from "../../src/idle.ts";
import type { Api } from "../registry/api.ts";
import type { PluginHost } from "../plugin/define.ts";
import { definePlugin, type Plugin } from "../plugin/define.ts";
import { discoPlugin } from "../disco/plugin.ts";

export type { LastActivity } from "../../src/idle.ts";

/** Options of the plugin (`registerPlugin("xep_0012", options)`). */
export interface LastOptions {
  /**
   * Who may read our last activity (XEP-0012 §7: only those allowed to see
   * our presence). Called with the requester's JID (`undefined`: the
   * server); refused requesters get `forbidden`.
   * @default {Our own account (any of its resources) and our server}
   */
  authorize?: (from: string | undefined) => boolean;
}

/** Options of {@linkcode LastPlugin.getLastActivity}. */
export interface GetLastOptions {
  /** Read the store, not the peer. Default: only for our full JID or none. */
  local?: boolean;
  /** Passed to the op as `ifrom`. */
  ifrom?: string;
  /** Timeout of the query in ms. */
  timeout?: number;
}

/** What `set_last_activity` takes (slixmpp's `{seconds, status}`). */
export interface SetLastActivity {
  /** Seconds since the last activity. @default {0} */
  seconds?: number | null;
  /** Status text. @default {""} */
  status?: string | null;
}

/** `xmpp.plugin["xep_0012"]`: last activity. */
export interface LastPlugin {
  /** The plugin's internal API (slixmpp's `plugin.api`). */
  readonly api: Api;
  /**
   * A JID's last activity: asked of the peer (or its server, for a bare
   * JID), or read from the store for ours.
   * @param jid Whose (default: ours, from the store).
   * @param options See {@linkcode GetLastOptions} (`local`, `ifrom`,
   *   `timeout`).
   * @returns Its seconds and status.
   * @throws {StanzaError} The peer's error answer (`forbidden`, …), or
   *   `item-not-found` when the store has nothing for a local read.
   * @throws {TypeError} An answer whose `seconds` is not an integer.
   */
  getLastActivity(
    jid?: string,
    options?: { local?: boolean; ifrom?: string; timeout?: number },
  ): Promise<{ seconds: number; status: string }>;
  /**
   * Store a JID's last activity (`set_last_activity`).
   * @param activity See {@linkcode SetLastActivity} (`seconds`, `status`).
   * @param jid Whose (default: ours).
   */
  setLastActivity(
    activity: { seconds?: number | null; status?: string | null },
    jid?: string,
  ): Promise<void>;
  /**
   * Forget a JID's last activity (`del_last_activity`).
   * @param jid Whose (default: ours).
   */
  delLastActivity(jid?: string): Promise<void>;
  /**
   * We are idle from now (slixmpp's `begin_idle`).
   * @param status Status text.
   */
  beginIdle(status?: string): Promise<void>;
  /** We are active again (slixmpp's `end_idle`). */
  endIdle(): Promise<void>;
}

/**
 * The last activity facade of each client (keyed by its plugin host), for
 * xep_0319, which sets it.
 */
export const lastOf: WeakMap<object, LastPlugin> = new WeakMap();

function checkedLast(got: unknown): LastActivity | undefined {
  if (got === undefined || got === null) return undefined;
  const l = got as LastActivity;
  if (
    !Number.isSafeInteger(l?.seconds) || l.seconds < 0 ||
    (l.status !== undefined && typeof l.status !== "string")
  ) {
    throw new ApiError(
      "get_last_activity",
      "Cannot run get_last_activity: handler returned no {seconds, status}",
    );
  }
  return { seconds: l.seconds, status: l.status ?? "" };
}

function authorizer(
  options: Readonly<Record<string, unknown>>,
  host: PluginHost,
): (from: string | undefined) => boolean {
  const given = (options as LastOptions).authorize;
  if (given !== undefined) return given;
  return (from) => {
    if (from === undefined) return true;
    try {
      const own = bareJid(host.jid);
      return jidEquals(bareJid(from), own) ||
        jidEquals(from, own.slice(own.indexOf("@") + 1));
    } catch {
      return false;
    }
  };
}

/**
 * The XEP-0012 plugin: what `registerPlugin("xep_0012")` loads. Storage ops
 * underneath: `store_last`, `load_last`, `drop_last` (key: the JID, value:
 * `{ since, status }` with `since` in ms since the epoch).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost/a" });
 * const last = xmpp.registerPlugin("xep_0012");
 * await last.setLastActivity({ seconds: 60, status: "lunch" });
 * strictEqual((await last.getLastActivity()).status, "lunch");
 * await xmpp.stop();
 * ```
 */
export const lastPlugin: Plugin<"xep_0012", LastPlugin> = definePlugin({
  name: "xep_0012",
  features: [NS_LAST],
  dependencies: [discoPlugin],
  checkOptions(options) {
    const a = (options as LastOptions).authorize;
    if (a !== undefined && typeof a !== "function") {
      throw new TypeError(
        "Cannot register xep_0012: authorize must be a function",
      );
    }
  },
  ops: {
    store_last: {
      request: (a) => {
        const [key, since, status] = a as [string, number, string];
        return { type: "storage.set", key, value: { since, status } };
      },
    },
    load_last: {
      request: (key) => ({ type: "storage.get", key: key as string }),
    },
    drop_last: {
      request: (key) => ({ type: "storage.del", key: key as string }),
    },
  },
  handlers: [{
    kind: "iq",
    match: { type: "get", name: "query", xmlns: NS_LAST },
    async handle(iq, { api, host, options }) {
      const from = iq.attrs.from as string | undefined;
      if (!authorizer(options, host)(from)) throw new StanzaError("forbidden");
      const last = checkedLast(
        await api.run("get_last_activity", {
          jid: iq.attrs.to ?? host.jid,
          ifrom: from,
          args: iq,
        }),
      );
      if (last === undefined) throw new StanzaError("service-unavailable");
      return xml(
        "query",
        { xmlns: NS_LAST, seconds: String(last.seconds) },
        last.status || null,
      );
    },
  }],
  create: ({ api, host }) => {
    api.registerDefault(async (jid, _n, _i, a: SetLastActivity) => {
      const seconds = a?.seconds ?? 0;
      if (typeof seconds !== "number" || !(seconds >= 0)) {
        throw new TypeError("Cannot set last activity: bad seconds");
      }
      const since = Date.now() - Math.round(seconds * 1000);
      const status = String(a?.status ?? "");
      await api.run("store_last", { args: [jidKey(jid!), since, status] });
    }, "set_last_activity");
    api.registerDefault(async (jid) => {
      const got = await api.run<{ since: number; status: string } | null>(
        "load_last",
        { args: jidKey(jid!) },
      );
      if (got === undefined || got === null) return undefined;
      const seconds = Math.max(0, Math.floor((Date.now() - got.since) / 1000));
      return { seconds, status: got.status ?? "" };
    }, "get_last_activity");
    api.registerDefault(async (jid) => {
      await api.run("drop_last", { args: jidKey(jid!) });
    }, "del_last_activity");

    const facade: LastPlugin = {
      api,
      async getLastActivity(jid, opts = {}) {
        const local = opts.local ??
          (jid === undefined || jidEquals(jid, host.jid));
        if (local) {
          const got = checkedLast(
            await api.run("get_last_activity", { jid, ifrom: opts.ifrom }),
          );
          if (got === undefined) {
            throw new StanzaError("item-not-found", "No last activity stored");
          }
          return got;
        }
        const answer = await host.iq(
          xml("iq", { type: "get", to: jid }, xml("query", { xmlns: NS_LAST })),
          opts.timeout === undefined ? undefined : { timeout: opts.timeout },
        );
        const q = answer.getChild("query", NS_LAST);
        return {
          seconds: parseSeconds(q?.attrs.seconds),
          status: q?.text() ?? "",
        };
      },
      setLastActivity: async (activity, jid) =>
        void await api.run("set_last_activity", { jid, args: activity }),
      delLastActivity: async (jid) =>
        void await api.run("del_last_activity", { jid }),
      beginIdle: (status) => facade.setLastActivity({ seconds: 0, status }),
      endIdle: () => facade.delLastActivity(),
    };
    lastOf.set(host, facade);
    return facade;
  },
});
