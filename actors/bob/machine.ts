/**
 * The XEP-0231 Bits of Binary plugin actor (system id `xep_0231`).
 *
 * ```
 * idle ─scheduler.busy(true)─► expiring ─scheduler.busy(false)─► idle
 * (in either state)
 *   bob.stored / bob.deleted ─► expiry child (one timer, nearest deadline)
 *   scheduler.due            ─► del_bob through the api, emit bob.expired
 *   bob.migrated_expiry      ─► expiry child (deadlines a migration copied)
 *   bob.inline_done          ─► emit bob.data (or bob.rejected); no expiry:
 *                               peer data lives in the peer cache
 * children: expiry (scheduler), network (fetch, serve, inline — see network.ts)
 * ```
 *
 * The data paths do not go through this machine: local set/get/del are one
 * hop from the facade to the storage (the registry's snapshot routes them,
 * see `actors/registry/`), fetches and served IQs one hop to the `network`
 * child. The machine holds the control: expiry, and what is announced. While
 * no entry expires it is `idle` and the facade does not message it at all.
 *
 * @module
 */
import {
  assertEvent,
  emit,
  enqueueActions,
  fromCallback,
  sendTo,
  setup,
} from "../../src/deps.ts";
import type { Api } from "../registry/api.ts";
import type { ExpiryEvent } from "../registry/protocol.ts";
import type { AnyStateMachine } from "../../src/types.ts";
import type { PluginInput } from "../plugin/define.ts";
import { deadlineScheduler } from "../scheduler/scheduler.ts";
import type { BobEmitted, BobEvent } from "./protocol.ts";
import { bobNetwork } from "./network.ts";
import { DEFAULT_MAX_BOB_SIZE } from "../../src/bob_element.ts";
import { PeerCache, type PeerCacheOptions } from "./peer_cache.ts";

/** Default most IQ gets served at once to one peer. */
export const DEFAULT_MAX_SERVING = 64;

/** The BoB plugin actor's context. */
export interface BobContext extends PluginInput {
  /** Largest payload accepted or served, in bytes. */
  maxSize: number;
  /** Most IQ gets served at once to one peer. */
  maxServing: number;
  /** What peers sent (see `peer_cache.ts`); never served, never in storage. */
  peerCache: PeerCache;
}

const asError = (e: unknown) => e instanceof Error ? e : new Error(String(e));

/**
 * Relays the registry's `api.expiry` (entries a migration copied with a
 * remaining TTL) to the plugin actor, which schedules their deletion.
 */
const migratedExpiry = fromCallback<{ type: "noop" }, { api: Api }>(
  ({ input, sendBack }) => {
    const sub = input.api.actor.on(
      "api.expiry",
      (e: ExpiryEvent) =>
        sendBack({ type: "bob.migrated_expiry", entries: e.entries }),
    );
    return () => sub.unsubscribe();
  },
);

const machine = setup({
  types: {
    input: {} as PluginInput,
    context: {} as BobContext,
    events: {} as BobEvent,
    emitted: {} as BobEmitted,
  },
  actors: {
    scheduler: deadlineScheduler(),
    network: bobNetwork,
    migratedExpiry,
  },
  guards: {
    expires: ({ event }) => {
      assertEvent(event, "bob.stored");
      return (event.maxAge ?? 0) > 0;
    },
    nowBusy: ({ event }) => {
      assertEvent(event, "scheduler.busy");
      return event.busy;
    },
    nowIdle: ({ event }) => {
      assertEvent(event, "scheduler.busy");
      return !event.busy;
    },
    failed: ({ event }) => {
      assertEvent(event, "bob.expiry_done");
      return event.error !== undefined;
    },
    inlineFailed: ({ event }) => {
      assertEvent(event, "bob.inline_done");
      return event.error !== undefined;
    },
  },
  actions: {
    scheduleExpiry: sendTo("expiry", ({ event }) => {
      assertEvent(event, "bob.stored");
      return {
        type: "scheduler.schedule" as const,
        key: event.cid,
        at: Date.now() + (event.maxAge ?? 0) * 1000,
      };
    }),
    cancelExpiry: sendTo("expiry", ({ event }) => {
      assertEvent(event, ["bob.stored", "bob.deleted"]);
      return { type: "scheduler.cancel" as const, key: event.cid };
    }),
    /** Run `del_bob` for each due cid; each outcome comes back as an event. */
    deleteExpired: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, "scheduler.due");
      const { api } = context;
      const report = (cid: string, error?: Error) => {
        if (self.getSnapshot().status === "active") {
          self.send({ type: "bob.expiry_done", cid, error });
        }
      };
      enqueue(() => {
        for (const cid of event.keys) {
          api.run("del_bob", { args: cid }).then(
            () => report(cid),
            (e) => report(cid, asError(e)),
          );
        }
      });
    }),
    emitExpired: emit(({ event }) => {
      assertEvent(event, "bob.expiry_done");
      return { type: "bob.expired" as const, cid: event.cid };
    }),
    emitExpiryFailed: emit(({ event }) => {
      assertEvent(event, "bob.expiry_done");
      return {
        type: "bob.expiry_failed" as const,
        cid: event.cid,
        error: event.error!,
      };
    }),
    /** One fetcher per (jid, cid): a second fetch joins the running one. */
    emitData: emit(({ event }) => {
      assertEvent(event, "bob.inline_done");
      return {
        type: "bob.data" as const,
        from: event.from,
        bob: event.bob!,
        stanza: event.stanza,
      };
    }),
    emitRejected: emit(({ event }) => {
      assertEvent(event, "bob.inline_done");
      return {
        type: "bob.rejected" as const,
        from: event.from,
        stanza: event.stanza,
        error: event.error!,
      };
    }),
    /** Entries a migration copied keep their deadlines here. */
    scheduleMigrated: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, "bob.migrated_expiry");
      for (const [key, at] of event.entries) {
        enqueue.sendTo("expiry", {
          type: "scheduler.schedule" as const,
          key,
          at,
        });
      }
    }),
  },
}).createMachine({
  id: "xep_0231",
  context: ({ input }) => ({
    ...input,
    maxSize: typeof input.options.maxSize === "number"
      ? input.options.maxSize
      : DEFAULT_MAX_BOB_SIZE,
    maxServing: typeof input.options.maxServing === "number"
      ? input.options.maxServing
      : DEFAULT_MAX_SERVING,
    peerCache: new PeerCache(
      input.options.peerCache as PeerCacheOptions | undefined,
    ),
  }),
  invoke: [
    { id: "expiry", src: "scheduler" },
    {
      id: "migratedExpiry",
      src: "migratedExpiry",
      input: ({ context }: { context: BobContext }) => ({ api: context.api }),
    },
    {
      id: "network",
      src: "network",
      input: ({ context }: { context: BobContext }) => ({
        api: context.api,
        host: context.host,
        maxSize: context.maxSize,
        maxServing: context.maxServing,
        cache: context.peerCache,
      }),
    },
  ],
  initial: "idle",
  on: {
    "bob.stored": [
      { guard: "expires", actions: "scheduleExpiry" },
      { actions: "cancelExpiry" },
    ],
    "bob.deleted": { actions: "cancelExpiry" },
    "bob.migrated_expiry": { actions: "scheduleMigrated" },
    "scheduler.due": { actions: "deleteExpired" },
    "bob.expiry_done": [
      { guard: "failed", actions: "emitExpiryFailed" },
      { actions: "emitExpired" },
    ],
    "bob.inline_done": [
      { guard: "inlineFailed", actions: "emitRejected" },
      { actions: "emitData" },
    ],
  },
  states: {
    idle: {
      on: { "scheduler.busy": { guard: "nowBusy", target: "expiring" } },
    },
    expiring: {
      on: { "scheduler.busy": { guard: "nowIdle", target: "idle" } },
    },
  },
});

/** The BoB plugin machine (typed as any state machine in the public API). */
export const bobMachine: AnyStateMachine = machine;
