/**
 * The default handlers of XEP-0030's internal API, with slixmpp 1.8.3's op
 * names, arguments and meaning (`plugins/xep_0030/static.py`): each is a
 * function `(jid, node, ifrom, args)` over the `*_record` storage ops, so a
 * user's `api.register(fn, "get_info", { jid, node })` replaces one of them
 * and the bound storage (memory, file, Redis, IndexedDB) keeps the rest.
 *
 * A call for the client's own JID (none given, the configured JID, its bare
 * form or the bound full JID) is stored under one name (our bare JID), so
 * what was set before the session is bound stays ours after.
 *
 * @module
 */
import type { Api } from "../registry/api.ts";
import type { ApiHandler } from "../registry/protocol.ts";
import type { PluginHost } from "../plugin/define.ts";
import { ItemNotFound, StanzaError, TimeoutError } from "../../src/errors.ts";
import { bareJid } from "../../src/jid.ts";
import {
  checkInfoSize,
  type DiscoIdentity,
  type DiscoInfo,
  toDiscoInfo,
} from "../../src/caps_ver.ts";
import {
  type DiscoItem,
  identityArg,
  itemsArg,
  KeyLocks,
  recordKey,
  sameIdentity,
  storedInfo,
  storedItems,
} from "./store.ts";

/** The op names of XEP-0030's internal API, as in slixmpp. */
export const DISCO_OPS = [
  "get_info",
  "set_info",
  "set_identities",
  "set_features",
  "get_items",
  "set_items",
  "del_items",
  "add_identity",
  "del_identity",
  "add_feature",
  "del_feature",
  "add_item",
  "del_item",
  "del_identities",
  "del_features",
  "cache_info",
  "get_cached_info",
  "supports",
  "has_identity",
] as const;

/** What the defaults need of the plugin. */
export interface DefaultsWiring {
  /** The plugin's API (for the record ops). */
  api: Api;
  /** The client. */
  host: PluginHost;
  /** The configured JID. */
  configured: string;
  /**
   * Ask a JID for its info (remote, or local for our own JID), honouring
   * `cached`: what `supports` and `has_identity` look at.
   */
  lookup(
    jid: string | undefined,
    node: string | undefined,
    opts: { cached: boolean; local: boolean },
  ): Promise<DiscoInfo>;
  /** Called after an op changed our own info or items. */
  changed(): void;
}

/**
 * Whether a JID names this client.
 * @param jid The JID (or none).
 * @param host The client.
 * @param configured The configured JID.
 * @returns `true` for none, the configured JID, the bound one or our bare JID.
 */
export function isOwnJid(
  jid: string | undefined,
  host: PluginHost,
  configured: string,
): boolean {
  if (jid === undefined || jid === "") return true;
  if (jid === host.jid || jid === configured) return true;
  try {
    return jid === bareJid(host.jid);
  } catch {
    return false;
  }
}

const EMPTY: DiscoInfo = Object.freeze({
  identities: [],
  features: [],
}) as DiscoInfo;

/**
 * Build the default handlers of every op in {@linkcode DISCO_OPS}.
 * @param w The plugin's API, client and lookups.
 * @returns The handlers, by op.
 */
export function discoDefaults(
  w: DefaultsWiring,
): {
  handlers: Record<(typeof DISCO_OPS)[number], ApiHandler>;
  updateInfo: InfoUpdate;
} {
  const { api } = w;
  const locks = new KeyLocks();
  // Our own entries are stored under our bare JID: two accounts sharing a
  // store (a fleet's Redis) keep theirs apart; two resources of one account
  // (one software, one info) share theirs.
  let self: string;
  try {
    self = bareJid(w.configured);
  } catch {
    self = w.configured;
  }
  const who = (jid: string | undefined) =>
    isOwnJid(jid, w.host, w.configured) ? self : jid!;
  const infoKey = (jid?: string, node?: string) =>
    recordKey("info", who(jid), node ?? "");
  const itemsKey = (jid?: string, node?: string) =>
    recordKey("items", who(jid), node ?? "");
  const notify = (jid?: string) => {
    if (who(jid) === self) w.changed();
  };
  // Let the registry finish the step that called the handler before the
  // handler's own calls reach it.
  const tick = () => Promise.resolve();

  async function readInfo(jid?: string, node?: string) {
    await tick();
    return storedInfo(
      await api.run("get_record", { args: infoKey(jid, node) }),
    );
  }
  async function writeInfo(
    jid: string | undefined,
    node: string | undefined,
    info: DiscoInfo,
  ) {
    await api.run("set_record", {
      args: {
        key: infoKey(jid, node),
        value: { jid: who(jid), node: node ?? "", info: info as never },
      },
    });
    notify(jid);
  }
  /** Read-modify-write of a node's info, one at a time per node. */
  function updateInfo(
    jid: string | undefined,
    node: string | undefined,
    change: (info: DiscoInfo) => DiscoInfo,
    create = true,
  ): Promise<void> {
    return locks.run(infoKey(jid, node), async () => {
      const info = await readInfo(jid, node);
      if (info === undefined && !create) return;
      await writeInfo(jid, node, change(info ?? { ...EMPTY }));
    });
  }
  async function readItems(jid?: string, node?: string) {
    await tick();
    return storedItems(
      await api.run("get_record", { args: itemsKey(jid, node) }),
    );
  }
  function updateItems(
    jid: string | undefined,
    node: string | undefined,
    change: (items: DiscoItem[]) => DiscoItem[],
    create = true,
  ): Promise<void> {
    const key = itemsKey(jid, node);
    return locks.run(key, async () => {
      const items = await readItems(jid, node);
      if (items === undefined && !create) return;
      await api.run("set_record", {
        args: {
          key,
          value: {
            jid: who(jid),
            node: node ?? "",
            items: change(items ?? []) as never,
          },
        },
      });
      notify(jid);
    });
  }
  const str = (args: unknown, name: string, op: string): string => {
    const v = (args as Record<string, unknown> | undefined)?.[name];
    if (typeof v !== "string" || v === "") {
      throw new TypeError(
        `Cannot run ${op}: ${name} must be a non-empty string`,
      );
    }
    return v;
  };
  const list = <T>(args: unknown, name: string): T[] => {
    const v = (args as Record<string, unknown> | undefined)?.[name];
    return v === undefined ? [] : v as T[];
  };
  const flag = (args: unknown, name: string, dflt: boolean): boolean => {
    const v = (args as Record<string, unknown> | undefined)?.[name];
    return typeof v === "boolean" ? v : dflt;
  };

  const handlers: Record<(typeof DISCO_OPS)[number], ApiHandler> = {
    async get_info(jid, node) {
      const info = await readInfo(jid, node);
      if (info !== undefined) return info;
      if (node) throw new ItemNotFound(`Cannot get info: no node ${node}`);
      return { identities: [], features: [] };
    },
    async set_info(jid, node, _ifrom, info) {
      const clean = toDiscoInfo(info, "run set_info");
      await locks.run(infoKey(jid, node), () => writeInfo(jid, node, clean));
    },
    set_identities: (jid, node, _ifrom, args) => {
      const ids = list<unknown>(args, "identities").map((i) =>
        identityArg(i, "set_identities")
      );
      return updateInfo(jid, node, (info) => ({ ...info, identities: ids }));
    },
    set_features: (jid, node, _ifrom, args) => {
      const features = list<unknown>(args, "features");
      if (!features.every((f) => typeof f === "string" && f !== "")) {
        throw new TypeError(
          "Cannot run set_features: features must be strings",
        );
      }
      return updateInfo(jid, node, (info) => ({
        ...info,
        features: [...new Set(features as string[])],
      }));
    },
    add_identity: (jid, node, _ifrom, args) => {
      const id = identityArg(args, "add_identity");
      return updateInfo(jid, node, (info) => ({
        ...info,
        identities: info.identities.some((i) =>
            sameIdentity(i, id) && (i.name ?? "") === (id.name ?? "")
          )
          ? info.identities
          : [...info.identities, id],
      }));
    },
    del_identity: (jid, node, _ifrom, args) => {
      const id = identityArg(args, "del_identity");
      return updateInfo(jid, node, (info) => ({
        ...info,
        identities: info.identities.filter((i: DiscoIdentity) =>
          !sameIdentity(i, id)
        ),
      }), false);
    },
    del_identities: (jid, node) =>
      updateInfo(jid, node, (info) => ({ ...info, identities: [] }), false),
    add_feature: (jid, node, _ifrom, args) => {
      const f = str(args, "feature", "add_feature");
      return updateInfo(jid, node, (info) => ({
        ...info,
        features: info.features.includes(f)
          ? info.features
          : [...info.features, f],
      }));
    },
    del_feature: (jid, node, _ifrom, args) => {
      const f = str(args, "feature", "del_feature");
      return updateInfo(jid, node, (info) => ({
        ...info,
        features: info.features.filter((x) => x !== f),
      }), false);
    },
    del_features: (jid, node) =>
      updateInfo(jid, node, (info) => ({ ...info, features: [] }), false),
    async get_items(jid, node) {
      const items = await readItems(jid, node);
      if (items !== undefined) return items;
      if (node) throw new ItemNotFound(`Cannot get items: no node ${node}`);
      return [];
    },
    set_items: (jid, node, _ifrom, args) => {
      const items = itemsArg(list(args, "items"), "set_items");
      return updateItems(jid, node, () => items);
    },
    del_items: (jid, node) => updateItems(jid, node, () => [], false),
    add_item: (jid, node, _ifrom, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      const [item] = itemsArg([{
        jid: a.ijid,
        node: a.inode === null ? undefined : a.inode,
        name: a.name === null ? undefined : a.name,
      }], "add_item");
      return updateItems(jid, node, (items) => [
        ...items.filter((i) =>
          i.jid !== item.jid || (i.node ?? "") !== (item.node ?? "")
        ),
        item,
      ]);
    },
    del_item: (jid, node, _ifrom, args) => {
      const ijid = str(args, "ijid", "del_item");
      const inode = (args as Record<string, unknown>).inode;
      return updateItems(
        jid,
        node,
        (items) =>
          items.filter((i) =>
            i.jid !== ijid ||
            (typeof inode === "string" && (i.node ?? "") !== inode)
          ),
        false,
      );
    },
    async cache_info(jid, node, ifrom, info) {
      const clean = toDiscoInfo(info, "run cache_info");
      checkInfoSize(clean);
      await tick();
      await api.run("set_record", {
        args: {
          key: recordKey("cache", jid ?? "", node ?? "", ifrom ?? ""),
          value: {
            jid: jid ?? "",
            node: node ?? "",
            ifrom: ifrom ?? "",
            info: clean as never,
          },
        },
      });
    },
    async get_cached_info(jid, node, ifrom) {
      await tick();
      const v = await api.run("get_record", {
        args: recordKey("cache", jid ?? "", node ?? "", ifrom ?? ""),
      });
      return storedInfo(v);
    },
    async supports(jid, node, _ifrom, args) {
      const feature = (args as Record<string, unknown> | undefined)?.feature;
      if (typeof feature !== "string" || feature === "") return false;
      const info = await w.lookup(jid, node, {
        cached: flag(args, "cached", true),
        local: flag(args, "local", false),
      }).catch(notAnswered);
      return info === undefined
        ? undefined
        : info === null
        ? false
        : info.features.includes(feature);
    },
    async has_identity(jid, node, _ifrom, args) {
      const a = (args ?? {}) as Record<string, unknown>;
      const info = await w.lookup(jid, node, {
        cached: flag(args, "cached", true),
        local: flag(args, "local", false),
      }).catch(notAnswered);
      if (info === undefined) return undefined;
      if (info === null) return false;
      return info.identities.some((i) =>
        i.category === a.category && i.type === (a.itype ?? a.type) &&
        (i.lang ?? null) === (a.lang ?? null)
      );
    },
  };
  return { handlers, updateInfo };
}

/**
 * Read-modify-write of the info stored for a JID/node, one at a time per
 * node (what XEP-0128's defaults use).
 */
export type InfoUpdate = (
  jid: string | undefined,
  node: string | undefined,
  change: (info: DiscoInfo) => DiscoInfo,
  create?: boolean,
) => Promise<void>;

/**
 * An error answer is "no" (`null`), a timeout "unknown" (`undefined`), as in
 * slixmpp (`IqError`: `False`, `IqTimeout`: `None`); anything else fails.
 */
function notAnswered(e: unknown): null | undefined {
  if (e instanceof TimeoutError) return undefined;
  if (e instanceof StanzaError) return null;
  throw e;
}
