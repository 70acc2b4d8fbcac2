/**
 * XEP-0319 Last User Interaction in Presence, built with the public plugin
 * API: slixmpp's ops (`get_idle`, `set_idle`, keyed by JID) over the bound
 * storage, `<idle xmlns="urn:xmpp:idle:1" since="…"/>` added to our
 * available presence while we are idle, and peers' idle times read from
 * theirs. Going idle also sets our last activity (xep_0012), as slixmpp.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { xml } from "../../src/xml.ts";
import { ApiError } from "../../src/errors.ts";
import { jidKey } from "../../src/vcard.ts";
import { formatDateTime, NS_IDLE, parseDateTime } from "../../src/idle.ts";
import type { Api } from "../registry/api.ts";
import { definePlugin, type Plugin } from "../plugin/define.ts";
import { lastOf, lastPlugin } from "../last/plugin.ts";

/** A peer's presence said it is idle since `since`. */
export type IdleListener = (jid: string, since: Date) => void;

/** `xmpp.plugin["xep_0319"]`: idle in presence. */
export interface IdlePlugin {
  /** The plugin's internal API (slixmpp's `plugin.api`). */
  readonly api: Api;
  /**
   * We are idle since `since` (default: now): stored (`set_idle`), our
   * last activity set, and the last presence sent again with `<idle/>`.
   * @param since When the user was last active.
   */
  idle(since?: Date): Promise<void>;
  /** We are active again: `set_idle` to `null`, last activity removed. */
  active(): Promise<void>;
  /**
   * The stored idle time of a JID (`get_idle`).
   * @param jid Whose (default: ours).
   * @returns Since when, or `undefined`.
   */
  getIdle(jid?: string): Promise<Date | undefined>;
  /**
   * Be told of each peer presence that carries an idle time.
   * @param listener Called with the sender's JID and the time.
   * @returns A function that removes the listener.
   */
  onIdle(listener: (jid: string, since: Date) => void): () => void;
}

interface State {
  since: Date | undefined;
  listeners: Set<IdleListener>;
}

const states = new WeakMap<object, State>();

function checkedIdle(got: unknown): Date | undefined {
  if (got === undefined || got === null) return undefined;
  if (!(got instanceof Date) || Number.isNaN(got.getTime())) {
    throw new ApiError(
      "get_idle",
      "Cannot run get_idle: handler returned no Date",
    );
  }
  return got;
}

function children(state: State | undefined): Element[] {
  return state?.since === undefined
    ? []
    : [xml("idle", { xmlns: NS_IDLE, since: formatDateTime(state.since) })];
}

/**
 * The XEP-0319 plugin: what `registerPlugin("xep_0319")` loads (with
 * xep_0012). Storage ops underneath: `store_idle`, `load_idle` (key: the
 * JID, value: the DateTime text or `null`).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost/a" });
 * const idle = xmpp.registerPlugin("xep_0319");
 * await idle.idle(new Date("2026-12-07T16:00:00Z"));
 * strictEqual((await idle.getIdle())?.toISOString(), "2026-12-07T16:00:00.000Z");
 * await xmpp.stop();
 * ```
 */
export const idlePlugin: Plugin<"xep_0319", IdlePlugin> = definePlugin({
  name: "xep_0319",
  features: [NS_IDLE],
  dependencies: [lastPlugin],
  ops: {
    store_idle: {
      request: (a) => {
        const [key, value] = a as [string, string | null];
        return { type: "storage.set", key, value };
      },
    },
    load_idle: {
      request: (key) => ({ type: "storage.get", key: key as string }),
    },
  },
  handlers: [{
    kind: "presence",
    match: { name: "idle", xmlns: NS_IDLE },
    handle(presence, { host }) {
      const state = states.get(host);
      const { from, type } = presence.attrs;
      if (state === undefined || type !== undefined || !from) return;
      const since = parseDateTime(
        presence.getChild("idle", NS_IDLE)?.attrs.since,
      );
      for (const listener of [...state.listeners]) listener(from, since);
    },
  }],
  presence: ({ host }) => children(states.get(host)),
  create: ({ api, host }) => {
    const last = lastOf.get(host)!;
    api.registerDefault(async (jid, _n, _i, since: Date | null) => {
      const value = since === null || since === undefined
        ? null
        : formatDateTime(since);
      await api.run("store_idle", { args: [jidKey(jid!), value] });
    }, "set_idle");
    api.registerDefault(async (jid) => {
      const got = await api.run("load_idle", { args: jidKey(jid!) });
      return got === undefined || got === null ? undefined : parseDateTime(got);
    }, "get_idle");

    const state: State = { since: undefined, listeners: new Set() };
    states.set(host, state);
    return {
      api,
      async idle(since) {
        const at = since ?? new Date();
        await api.run("set_idle", { args: at });
        await last.setLastActivity({
          seconds: Math.max(0, Math.floor((Date.now() - at.getTime()) / 1000)),
        });
        state.since = at;
        host.resendPresence();
      },
      async active() {
        await api.run("set_idle", { args: null });
        await last.delLastActivity();
        state.since = undefined;
        host.resendPresence();
      },
      async getIdle(jid) {
        return checkedIdle(await api.run("get_idle", { jid }));
      },
      onIdle(listener) {
        state.listeners.add(listener);
        return () => void state.listeners.delete(listener);
      },
    };
  },
});
