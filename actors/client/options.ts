/**
 * What a client is created with and which plugins it can load by name.
 *
 * @module
 */
import type { ActorWatcher, Inspector } from "../../src/types.ts";
import type { StorageLogic } from "../storage/define.ts";
import { type BobOptions, type BobPlugin, bobPlugin } from "../bob/plugin.ts";
import {
  type DiscoOptions,
  type DiscoPlugin,
  discoPlugin,
} from "../disco/plugin.ts";
// xep_0030 (above), xep_0115, xep_0128: issue 26 part 1.
import {
  type CapsOptions,
  type CapsPlugin,
  capsPlugin,
} from "../caps/plugin.ts";
import { type DiscoExtPlugin, discoExtPlugin } from "../disco_ext/plugin.ts";
import type { Plugin } from "../plugin/define.ts";
// xep_0054, xep_0153, xep_0012, xep_0319
import {
  type VcardOptions,
  type VcardPlugin,
  vcardPlugin,
} from "../vcard/plugin.ts";
import { type AvatarPlugin, avatarPlugin } from "../avatar/plugin.ts";
import {
  type LastOptions,
  type LastPlugin,
  lastPlugin,
} from "../last/plugin.ts";
import { type IdlePlugin, idlePlugin } from "../idle/plugin.ts";
import type { ConnectionOptions } from "../connection/connection.ts";

/**
 * Options of {@linkcode createClient}: the connection's (`service`, `tls`,
 * `reconnect`, `iqTimeout`, `maxStanzaSize`, `queueLimit`, …) plus the
 * runtime's.
 */
export interface ClientOptions
  extends Omit<ConnectionOptions, "jid" | "password" | "inspect"> {
  /** The account JID, e.g. `alice@localhost` or `alice@localhost/laptop`. */
  jid: string;
  /** The account password (needed only to connect). */
  password?: string;
  /**
   * Timeout of each storage request (and each migration step) in ms.
   * @default {5000}
   */
  timeout?: number;
  /**
   * The storage every plugin starts with.
   * @default {memoryStorage}
   */
  storage?: () => StorageLogic;
  /**
   * XState inspection observer: receives every actor, event and snapshot of
   * the client's actor system.
   */
  inspect?: Inspector | ActorWatcher;
}

/** The built-in plugins a client can load by name. */
export interface PluginMap {
  /** XEP-0030 Service Discovery (info, items, nodes, cache). */
  xep_0030: DiscoPlugin;
  /** XEP-0115 Entity Capabilities. */
  xep_0115: CapsPlugin;
  /** XEP-0128 Service Discovery Extensions. */
  xep_0128: DiscoExtPlugin;
  /** XEP-0231 Bits of Binary. */
  xep_0231: BobPlugin;
  /** XEP-0054 vcard-temp. */
  xep_0054: VcardPlugin;
  /** XEP-0153 vCard-based avatars. */
  xep_0153: AvatarPlugin;
  /** XEP-0012 Last Activity. */
  xep_0012: LastPlugin;
  /** XEP-0319 Last User Interaction in Presence. */
  xep_0319: IdlePlugin;
}

/** The options of each built-in plugin, for `registerPlugin(name, options)`. */
export interface PluginOptionsMap {
  /** See {@linkcode DiscoOptions}. */
  xep_0030: DiscoOptions;
  /** See {@linkcode CapsOptions}. */
  xep_0115: CapsOptions;
  /** None. */
  xep_0128: Record<string, never>;
  /** See {@linkcode BobOptions}. */
  xep_0231: BobOptions;
  /** See {@linkcode VcardOptions}. */
  xep_0054: VcardOptions;
  /** No options. */
  xep_0153: Record<string, never>;
  /** See {@linkcode LastOptions}. */
  xep_0012: LastOptions;
  /** No options. */
  xep_0319: Record<string, never>;
}

/** The name of a built-in plugin. */
export type PluginName = keyof PluginMap;

/** The built-in plugins, by name. */
export const BUILTIN: { [N in PluginName]: Plugin<N, PluginMap[N]> } = {
  xep_0030: discoPlugin,
  xep_0115: capsPlugin,
  xep_0128: discoExtPlugin,
  xep_0231: bobPlugin,
  xep_0054: vcardPlugin,
  xep_0153: avatarPlugin,
  xep_0012: lastPlugin,
  xep_0319: idlePlugin,
};
