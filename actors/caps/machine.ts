/**
 * The XEP-0115 plugin actor (system id `xep_0115`): peers' presences with
 * caps come here from the connection, and each becomes one lookup child,
 * at most `maxLookups` at a time.
 *
 * ```
 * active
 *   caps.presence (connection) ─► screened (available, from a peer, a hash we
 *     compute, a well-formed ver); over maxLookups: emit caps.outcome skipped;
 *     else a lookup child: get_verstring, get_caps (known: assign, cache);
 *     else disco#info node#ver (one query per ver in flight), verified,
 *     cache_caps, assign_verstring
 *   caps.looked_up (lookup child) ─► child stopped, emit caps.outcome
 * ```
 *
 * @module
 */
import {
  assertEvent,
  enqueueActions,
  fromCallback,
  setup,
} from "../../src/deps.ts";
import type { Element } from "../../src/deps.ts";
import type { AnyStateMachine } from "../../src/types.ts";
import type { PluginInput } from "../plugin/define.ts";
import type { Api } from "../registry/api.ts";
import type { DiscoPlugin } from "../disco/plugin.ts";
import { CAPS_HASHES } from "../../src/caps_ver.ts";
import { isVerString, verifies } from "./ops.ts";

/** Namespace of XEP-0115. */
export const NS_CAPS = "http://jabber.org/protocol/caps";

/** What became of a peer's announced caps (emitted as `caps.outcome`). */
export interface CapsEvent {
  /** The peer. */
  jid: string;
  /** The `ver` it announced. */
  ver: string;
  /**
   * `cache`: known already (no query); `verified`: queried, checked,
   * cached; `refused`: queried and not verified (nothing cached);
   * `skipped`: not looked up, `maxLookups` lookups were running.
   */
  outcome: "cache" | "verified" | "refused" | "skipped";
}

/** What one lookup child gets. */
interface LookupInput {
  api: Api;
  disco: DiscoPlugin;
  /** Queries in flight by ver (shared by the lookups of one actor). */
  queries: Map<string, Promise<boolean>>;
  jid: string;
  node: string;
  ver: string;
  hash: string;
  id: string;
}

/** The caps actor's events. */
export type CapsMachineEvent =
  | { type: "caps.presence"; stanza: Element }
  | ({ type: "caps.looked_up"; id: string } & CapsEvent);

/** The caps actor's context. */
export interface CapsContext extends PluginInput {
  /** Most lookups at once. */
  maxLookups: number;
  /** Lookups running. */
  running: number;
  /** Id of the next lookup child. */
  next: number;
  /** Queries in flight by ver. */
  queries: Map<string, Promise<boolean>>;
}

async function look(i: LookupInput): Promise<CapsEvent["outcome"]> {
  const { api, jid, ver } = i;
  if (await api.run("get_verstring", { jid }) === ver) return "cache";
  if (await api.run("get_caps", { args: { verstring: ver } }) !== undefined) {
    await api.run("assign_verstring", { jid, args: { verstring: ver } });
    return "cache";
  }
  let query = i.queries.get(ver);
  if (query === undefined) {
    query = (async () => {
      // Not kept in disco's per-JID cache: a peer announcing ever new vers
      // must not grow the store; only verified caps are kept.
      const info = await i.disco.info(jid, {
        node: `${i.node}#${ver}`,
        cache: false,
      });
      if (!await verifies(info, ver, i.hash)) return false;
      await api.run("cache_caps", {
        args: { verstring: ver, info, hash: i.hash },
      });
      return true;
    })().catch(() => false).finally(() => i.queries.delete(ver));
    i.queries.set(ver, query);
  }
  if (!await query) return "refused";
  await api.run("assign_verstring", { jid, args: { verstring: ver } });
  return "verified";
}

/** The caps plugin machine (input: the plugin's input plus `maxLookups`). */
export const capsMachine: AnyStateMachine = setup({
  types: {
    input: {} as PluginInput,
    context: {} as CapsContext,
    events: {} as CapsMachineEvent,
    emitted: {} as { type: "caps.outcome" } & CapsEvent,
  },
  actors: {
    lookup: fromCallback<CapsMachineEvent, LookupInput>(
      ({ input, sendBack }) => {
        look(input).catch(() => "refused" as const).then((outcome) =>
          sendBack({
            type: "caps.looked_up",
            id: input.id,
            jid: input.jid,
            ver: input.ver,
            outcome,
          })
        );
      },
    ),
  },
  actions: {
    screen: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "caps.presence");
      const p = event.stanza;
      const from = p.attrs.from;
      if (p.attrs.type !== undefined || typeof from !== "string") return;
      if (from === context.host.jid) return;
      const c = p.getChild("c", NS_CAPS);
      const { ver, hash, node } = c?.attrs ?? {};
      // Legacy caps (no hash) and hashes we cannot compute are left alone.
      if (typeof hash !== "string" || !Object.hasOwn(CAPS_HASHES, hash)) {
        return;
      }
      if (!isVerString(ver) || typeof node !== "string" || node.length > 1024) {
        return;
      }
      if (context.running >= context.maxLookups) {
        enqueue.emit({
          type: "caps.outcome",
          jid: from,
          ver,
          outcome: "skipped",
        });
        return;
      }
      const id = `lookup:${context.next}`;
      enqueue.assign({ running: context.running + 1, next: context.next + 1 });
      enqueue.spawnChild("lookup", {
        id,
        input: {
          api: context.api,
          disco: context.host.plugin("xep_0030") as DiscoPlugin,
          queries: context.queries,
          jid: from,
          node,
          ver,
          hash,
          id,
        },
      });
    }),
    finish: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "caps.looked_up");
      enqueue.stopChild(event.id);
      enqueue.assign({ running: context.running - 1 });
      enqueue.emit({
        type: "caps.outcome",
        jid: event.jid,
        ver: event.ver,
        outcome: event.outcome,
      });
    }),
  },
}).createMachine({
  id: "caps",
  context: ({ input }) => {
    const max = (input.options as { maxLookups?: number }).maxLookups ?? 8;
    return {
      ...input,
      maxLookups: max,
      running: 0,
      next: 1,
      queries: new Map(),
    };
  },
  initial: "active",
  states: {
    active: {
      on: {
        "caps.presence": { actions: "screen" },
        "caps.looked_up": { actions: "finish" },
      },
    },
  },
});
