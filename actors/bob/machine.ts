/**
 * The XEP-0231 Bits of Binary plugin actor (system id `xep_0231`).
 *
 * ```
 * active ┬ idle ─scheduler.busy(true)─► expiring ─scheduler.busy(false)─► idle
 *        │   bob.stored / bob.deleted ─► expiry (scheduler child)
 *        └ scheduler.due ─► del_bob through the plugin's api, emit bob.expired
 * ```
 *
 * It owns the max-age expiry of stored entries: a scheduler child
 * (`expiry`, one timer for the nearest deadline) that the machine feeds with
 * `bob.stored` / `bob.deleted` and that answers `scheduler.due`, on which
 * the machine runs `del_bob` through the plugin's internal API. While no
 * entry expires the machine is `idle` and the facade does not message it
 * at all, so a plain set/get/del costs no machine hop.
 *
 * The local data path (set/get/del) is one hop: the facade resolves the op
 * from the registry's snapshot and sends one storage request (see
 * `actors/registry/`).
 *
 * @module
 */
import {
  assertEvent,
  emit,
  enqueueActions,
  sendTo,
  setup,
} from "../../src/deps.ts";
import type { AnyStateMachine } from "../../src/types.ts";
import type { PluginInput } from "../plugin/define.ts";
import { deadlineScheduler } from "../scheduler/scheduler.ts";
import type { BobEmitted, BobEvent } from "./protocol.ts";

/** The BoB plugin machine. */
export const bobMachine: AnyStateMachine = setup({
  types: {
    input: {} as PluginInput,
    context: {} as PluginInput,
    events: {} as BobEvent,
    emitted: {} as BobEmitted,
  },
  actors: { scheduler: deadlineScheduler() },
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
            (e) => report(cid, e instanceof Error ? e : new Error(String(e))),
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
  },
}).createMachine({
  id: "xep_0231",
  context: ({ input }) => input,
  invoke: { id: "expiry", src: "scheduler" },
  initial: "idle",
  on: {
    "bob.stored": [
      { guard: "expires", actions: "scheduleExpiry" },
      { actions: "cancelExpiry" },
    ],
    "bob.deleted": { actions: "cancelExpiry" },
    "scheduler.due": { actions: "deleteExpired" },
    "bob.expiry_done": [
      { guard: "failed", actions: "emitExpiryFailed" },
      { actions: "emitExpired" },
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
