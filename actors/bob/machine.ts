/**
 * The XEP-0231 Bits of Binary plugin actor (system id `xep_0231`).
 *
 * ```
 * idle ─scheduler.busy(true)─► expiring ─scheduler.busy(false)─► idle
 * (in either state)
 *   bob.stored / bob.deleted ─► expiry child (one timer, nearest deadline)
 *   scheduler.due            ─► del_bob through the api, emit bob.expired
 *   bob.fetch                ─► spawn `fetch <jid> <cid>` (one per pair in flight)
 *   bob.serve [peer under its limit] ─► get_bob, answer <data/>; else resource-constraint
 *   bob.inline               ─► verify each <data/>, set_bob, emit bob.data
 * ```
 *
 * The local data path (set/get/del from the facade) is one hop: the facade
 * resolves the op from the registry's snapshot and sends one storage
 * request (see `actors/registry/`). While no entry expires the machine is
 * `idle` and the facade does not message it at all.
 *
 * @module
 */
import {
  assertEvent,
  emit,
  enqueueActions,
  sendTo,
  setup,
  stopChild,
} from "../../src/deps.ts";
import type { BobData } from "../../src/bob_data.ts";
import type { AnyStateMachine } from "../../src/types.ts";
import type { PluginInput } from "../plugin/define.ts";
import { deadlineScheduler } from "../scheduler/scheduler.ts";
import type { BobEmitted, BobEvent } from "./protocol.ts";
import { bobFetcher, fetchId } from "./fetch.ts";
import { checkGot, markChecked } from "./ops.ts";
import {
  bobElement,
  DEFAULT_MAX_BOB_SIZE,
  NS_BOB,
  readBobElement,
  requestedCid,
} from "../../src/bob_element.ts";
import { StanzaError } from "../../src/errors.ts";

/** Default most IQ gets served at once to one peer. */
export const DEFAULT_MAX_SERVING = 64;

/** The BoB plugin actor's context. */
export interface BobContext extends PluginInput {
  /** Largest payload accepted or served, in bytes. */
  maxSize: number;
  /** Most IQ gets served at once to one peer. */
  maxServing: number;
  /** IQ gets being served, per peer. */
  serving: Readonly<Record<string, number>>;
}

const asError = (e: unknown) => e instanceof Error ? e : new Error(String(e));

const machine = setup({
  types: {
    input: {} as PluginInput,
    context: {} as BobContext,
    events: {} as BobEvent,
    emitted: {} as BobEmitted,
  },
  actors: { scheduler: deadlineScheduler(), fetcher: bobFetcher },
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
    inlineExpires: ({ event }) => {
      assertEvent(event, "bob.inline_done");
      return (event.bob?.maxAge ?? 0) > 0;
    },
    peerBusy: ({ context, event }) => {
      assertEvent(event, "bob.serve");
      const peer = event.iq.attrs.from ?? "";
      return (context.serving[peer] ?? 0) >= context.maxServing;
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
    startFetch: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, "bob.fetch");
      const id = fetchId(event.jid, event.cid);
      if (self.getSnapshot().children[id] !== undefined) return;
      const input = {
        api: context.api,
        host: context.host,
        jid: event.jid,
        cid: event.cid,
        timeout: event.timeout,
        maxSize: context.maxSize,
      };
      enqueue.spawnChild("fetcher", { id, input });
    }),
    /** A finished fetcher leaves the children (its promise has its output). */
    dropChild: stopChild(({ event }) =>
      (event as { actorId?: string }).actorId ?? ""
    ),
    serve: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, "bob.serve");
      const { iq, resolve, reject } = event;
      const peer = iq.attrs.from ?? "";
      enqueue.assign({
        serving: {
          ...context.serving,
          [peer]: (context.serving[peer] ?? 0) + 1,
        },
      });
      const { api, maxSize } = context;
      enqueue(() => {
        const done = () => {
          if (self.getSnapshot().status === "active") {
            self.send({ type: "bob.served", peer });
          }
        };
        let cid: string;
        try {
          cid = requestedCid(iq.getChild("data", NS_BOB));
        } catch (e) {
          reject(asError(e));
          return done();
        }
        api.run("get_bob", { args: cid, ifrom: peer }).then((got) => {
          const bob = checkGot(got, cid);
          if (bob.data.length > maxSize) {
            throw new StanzaError(
              "not-acceptable",
              `data is over the ${maxSize}-byte limit`,
            );
          }
          resolve(bobElement(bob));
        }).catch((e) => reject(asError(e))).finally(done);
      });
    }),
    refuseServe: ({ event }) => {
      assertEvent(event, "bob.serve");
      const busy = new StanzaError(
        "resource-constraint",
        "too many requests in flight",
      );
      busy.type = "wait";
      event.reject(busy);
    },
    served: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "bob.served");
      const { [event.peer]: n = 1, ...rest } = context.serving;
      enqueue.assign({
        serving: n > 1 ? { ...rest, [event.peer]: n - 1 } : rest,
      });
    }),
    /** Verify and cache every `<data/>` of a message or presence. */
    receiveInline: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, "bob.inline");
      const { stanza } = event;
      const from = stanza.attrs.from ?? "";
      const { api, maxSize } = context;
      const report = (outcome: { bob?: BobData; error?: Error }) => {
        if (self.getSnapshot().status === "active") {
          self.send({ type: "bob.inline_done", from, stanza, ...outcome });
        }
      };
      enqueue(() => {
        for (const el of stanza.getChildren("data", NS_BOB)) {
          let bob: BobData;
          try {
            bob = markChecked(readBobElement(el, { maxSize }));
          } catch (e) {
            report({ error: asError(e) });
            continue;
          }
          // max-age 0: announced, never stored.
          const stored = bob.maxAge === 0
            ? Promise.resolve()
            : api.run("set_bob", { args: bob });
          stored.then(
            () => report({ bob }),
            (e) => report({ error: asError(e) }),
          );
        }
      });
    }),
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
    /** A cached inline entry with a max-age gets its expiry scheduled. */
    scheduleInlineExpiry: sendTo("expiry", ({ event }) => {
      assertEvent(event, "bob.inline_done");
      return {
        type: "scheduler.schedule" as const,
        key: event.bob!.cid,
        at: Date.now() + (event.bob!.maxAge ?? 0) * 1000,
      };
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
    serving: {},
  }),
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
    "bob.fetch": { actions: "startFetch" },
    "xstate.done.actor.*": { actions: "dropChild" },
    "xstate.error.actor.*": { actions: "dropChild" },
    "bob.serve": [
      { guard: "peerBusy", actions: "refuseServe" },
      { actions: "serve" },
    ],
    "bob.served": { actions: "served" },
    "bob.inline": { actions: "receiveInline" },
    "bob.inline_done": [
      { guard: "inlineFailed", actions: "emitRejected" },
      { guard: "inlineExpires", actions: ["scheduleInlineExpiry", "emitData"] },
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
