/**
 * The XEP-0231 Bits of Binary plugin actor (system id `xep_0231`): every
 * BoB call that is more than one read goes through it as messages.
 *
 * ```
 * idle ─scheduler.busy(true)─► expiring ─scheduler.busy(false)─► idle
 * (in either state)
 *   bob.set / bob.del (facade: a set with max-age, or any while expiring)
 *     ─set_bob · del_bob (runOp)─► storage; on api.result the expiry is
 *      scheduled or cancelled, then the caller resolved (with nothing to
 *      schedule or cancel: api.call, and the registry settles the caller)
 *   bob.fetch (facade)         ─iq.call (replyTo: self)─► IQ caller (one per peer+cid in flight)
 *     iq.answer ─► verified, into the peer cache; callers resolved
 *   bob.serve (connection)     ─get_bob (runOp)─► storage
 *     api.result · api.error ─► router.answer to the connection (<data/> or the error)
 *   bob.inline (connection)    ─► verified, into the peer cache; emit bob.data / bob.rejected
 *   scheduler.due              ─del_bob (runOp)─► storage; emit bob.expired / bob.expiry_failed
 *
 * runOp: outside a migration the storage request goes from here straight
 * to the bound storage (the registry opened the call: `openRun`), which
 * answers the registry, which sends api.result · api.error here (one
 * registry step); otherwise api.run to the registry (two).
 *   bob.migrated_expiry        ─► expiry child (deadlines a migration copied)
 * children: expiry (scheduler), migratedExpiry (relays the registry's api.expiry)
 * ```
 *
 * Every message it sends is a `sendTo` from an action, so the inspector
 * sees who sent what. A local `getBob`, and a `setBob` without max-age or a
 * `delBob` while no expiry is pending, go to the registry's data path
 * (`Api.run`) and do not come here. Peer data goes to the peer cache (`peer_cache.ts`),
 * never through `set_bob`: a peer can add, never change (retype, re-time,
 * replace or delete) an entry you stored, and IQ gets serve only your
 * storage.
 *
 * @module
 */
import {
  assertEvent,
  enqueueActions,
  fromCallback,
  setup,
  xml,
  xmppId,
} from "../../src/deps.ts";
import type { Api } from "../registry/api.ts";
import type { ExpiryEvent } from "../registry/protocol.ts";
import { openRun } from "../registry/calls.ts";
import type { AnyActorRef, AnyStateMachine } from "../../src/types.ts";
import type { PluginInput } from "../plugin/define.ts";
import { deadlineScheduler } from "../scheduler/scheduler.ts";
import type { BobCall, BobEmitted, BobEvent } from "./protocol.ts";
import { DEFAULT_MAX_BOB_SIZE, NS_BOB } from "../../src/bob_element.ts";
import { PeerCache, type PeerCacheOptions } from "./peer_cache.ts";
import {
  fetchedBob,
  inlineBobs,
  servedPayload,
  serveRequest,
} from "./serve.ts";
import { markChecked } from "./ops.ts";

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
  /**
   * The calls it waits on (`api.run` ids and IQ ids), oldest first: the one
   * table, replaced (never changed) by each event that adds or removes a
   * call. An array, not a record keyed by id: a packed array of one shape
   * is copied and scanned several times faster than a record of random
   * keys (measured 0.7 µs vs 3.5 µs per add, find and remove at 32 in
   * flight). How many requests are served per peer, and the fetch in
   * flight per `jid cid`, are counted and found in it (`servingFor`,
   * `fetchOf`) rather than kept in tables of their own that each event
   * would copy too.
   */
  calls: readonly BobCall[];
  /** Numbers `api.run` ids. */
  seq: number;
}

/** How many of `calls` serve `peer` now. */
function servingFor(calls: readonly BobCall[], peer: string): number {
  let n = 0;
  for (const call of calls) {
    if (call.kind === "serve" && call.peer === peer) n++;
  }
  return n;
}

/** The fetch in flight for `key` (`jid cid`), if any. */
function fetchOf(calls: readonly BobCall[], key: string) {
  for (const call of calls) {
    if (call.kind === "fetch" && call.key === key) return call;
  }
  return undefined;
}

/** Where the call `id` is in `calls` (-1: none). */
function indexOf(calls: readonly BobCall[], id: string): number {
  for (let i = 0; i < calls.length; i++) if (calls[i].id === id) return i;
  return -1;
}

/** A new table: `calls` without the one at `index`. */
function removed(calls: readonly BobCall[], index: number): BobCall[] {
  const out = calls.slice(0, index);
  for (let i = index + 1; i < calls.length; i++) out.push(calls[i]);
  return out;
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

/** What `enqueueActions` hands an action (the part `runOp` uses). */
interface Sender {
  sendTo(to: AnyActorRef, event: { type: string }): void;
}

/**
 * Run a registry op for this actor, answered to it as `api.result` /
 * `api.error`: outside a migration a storage op's request goes straight to
 * the bound storage from here (`openRun`: the registry opened the call and
 * settles it, one registry step); anything else goes to the registry as
 * `api.run`. Either way the message is this actor's `sendTo`.
 */
function runOp(
  enqueue: Sender,
  api: Api,
  self: AnyActorRef,
  id: string,
  op: string,
  args: unknown,
  ifrom?: string,
): void {
  const run = apiRun(self, id, op, args, ifrom);
  const direct = openRun(api.actor, run);
  if (direct !== undefined) enqueue.sendTo(direct.storage, direct.request);
  else enqueue.sendTo(api.actor, run);
}

/** An `api.run` to the plugin's registry, answered to `replyTo`. */
function apiRun(
  replyTo: AnyActorRef,
  id: string,
  op: string,
  args: unknown,
  ifrom?: string,
) {
  return {
    type: "api.run" as const,
    id,
    op,
    args,
    ...(ifrom === undefined ? {} : { ifrom }),
    replyTo,
  };
}

const machine = setup({
  types: {
    input: {} as PluginInput,
    context: {} as BobContext,
    events: {} as BobEvent,
    emitted: {} as BobEmitted,
  },
  actors: { scheduler: deadlineScheduler(), migratedExpiry },
  guards: {
    nowBusy: ({ event }) => {
      assertEvent(event, "scheduler.busy");
      return event.busy;
    },
    nowIdle: ({ event }) => {
      assertEvent(event, "scheduler.busy");
      return !event.busy;
    },
  },
  actions: {
    /** set_bob / del_bob for the facade. */
    call: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, ["bob.set", "bob.del"]);
      const set = event.type === "bob.set";
      // No expiry to schedule or cancel: the registry settles the caller
      // itself (one step fewer); else the answer comes back here first.
      if (
        self.getSnapshot().value !== "expiring" &&
        !(set && (event.bob.maxAge ?? 0) > 0)
      ) {
        const { resolve, reject } = event;
        enqueue.sendTo(context.api.actor, {
          type: "api.call",
          op: set ? "set_bob" : "del_bob",
          args: set ? event.bob : event.cid,
          resolve: set ? () => resolve(event.bob.cid as never) : resolve,
          reject,
        });
        return;
      }
      const id = `c${context.seq}`;
      const call: BobCall = event.type === "bob.set"
        ? {
          id,
          kind: "set",
          cid: event.bob.cid,
          maxAge: event.bob.maxAge ?? undefined,
          resolve: event.resolve,
          reject: event.reject,
        }
        : {
          id,
          kind: "del",
          cid: event.cid,
          resolve: event.resolve,
          reject: event.reject,
        };
      enqueue.assign({
        seq: context.seq + 1,
        calls: [...context.calls, call],
      });
      if (event.type === "bob.set") {
        runOp(enqueue, context.api, self, id, "set_bob", event.bob);
      } else runOp(enqueue, context.api, self, id, "del_bob", event.cid);
    }),
    /** A peer's IQ get: refused at once, or get_bob for it. */
    serve: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, "bob.serve");
      const { stanza: request, replyTo } = event;
      const peer = request.attrs.from ?? "";
      const asked = serveRequest(
        request,
        servingFor(context.calls, peer),
        context.maxServing,
      );
      if ("error" in asked) {
        enqueue.sendTo(replyTo, {
          type: "router.answer",
          request,
          error: asked.error,
        });
        return;
      }
      const id = `c${context.seq}`;
      enqueue.assign({
        seq: context.seq + 1,
        calls: [
          ...context.calls,
          { id, kind: "serve", request, replyTo, peer, cid: asked.cid },
        ],
      });
      runOp(enqueue, context.api, self, id, "get_bob", asked.cid, peer);
    }),
    /** The registry answered one of our calls. */
    settle: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, ["api.result", "api.error"]);
      const at = indexOf(context.calls, String(event.id));
      if (at < 0) return;
      const call = context.calls[at];
      enqueue.assign({ calls: removed(context.calls, at) });
      const error = event.type === "api.error" ? event.error : undefined;
      const value = event.type === "api.result" ? event.value : undefined;
      switch (call.kind) {
        case "set": {
          if (error) return enqueue(() => call.reject(error));
          if ((call.maxAge ?? 0) > 0) {
            enqueue.sendTo("expiry", {
              type: "scheduler.schedule",
              key: call.cid,
              at: Date.now() + call.maxAge! * 1000,
            });
          } else if (self.getSnapshot().value === "expiring") {
            enqueue.sendTo("expiry", {
              type: "scheduler.cancel",
              key: call.cid,
            });
          }
          return enqueue(() => call.resolve(call.cid));
        }
        case "del":
          if (error) return enqueue(() => call.reject(error));
          if (self.getSnapshot().value === "expiring") {
            enqueue.sendTo("expiry", {
              type: "scheduler.cancel",
              key: call.cid,
            });
          }
          return enqueue(() => call.resolve(undefined));
        case "expire":
          if (error) {
            return enqueue.emit({
              type: "bob.expiry_failed",
              cid: call.cid,
              error,
            });
          }
          return enqueue.emit({ type: "bob.expired", cid: call.cid });
        case "serve": {
          let answer: { payload: ReturnType<typeof servedPayload> } | {
            error: Error;
          };
          try {
            answer = error
              ? { error }
              : { payload: servedPayload(value, call.cid, context.maxSize) };
          } catch (e) {
            answer = { error: asError(e) };
          }
          enqueue.sendTo(call.replyTo, {
            type: "router.answer",
            request: call.request,
            ...answer,
          });
          return;
        }
      }
    }),
    /** One IQ per (jid, cid) in flight: a second fetch joins it. */
    fetch: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, "bob.fetch");
      const { jid, cid, timeout } = event;
      const key = `${jid} ${cid}`;
      const waiter = { resolve: event.resolve, reject: event.reject };
      const call = fetchOf(context.calls, key);
      if (call !== undefined) {
        const joined = { ...call, waiters: [...call.waiters, waiter] };
        enqueue.assign({
          calls: context.calls.map((c) => c === call ? joined : c),
        });
        return;
      }
      let iqCaller: AnyActorRef;
      try {
        iqCaller = context.host.iqCaller();
      } catch (e) {
        return enqueue(() => waiter.reject(asError(e)));
      }
      const id = xmppId();
      enqueue.assign({
        calls: [
          ...context.calls,
          { id, kind: "fetch", key, jid, cid, waiters: [waiter] },
        ],
      });
      enqueue.sendTo(iqCaller, {
        type: "iq.call",
        id,
        stanza: xml(
          "iq",
          { type: "get", to: jid, id },
          xml("data", { xmlns: NS_BOB, cid }),
        ),
        ...(timeout === undefined ? {} : { timeout }),
        replyTo: self,
      });
    }),
    /** A fetch's answer: verified, kept in the peer cache, callers told. */
    fetched: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "iq.answer");
      const at = indexOf(context.calls, event.id);
      const call = at < 0 ? undefined : context.calls[at];
      if (call?.kind !== "fetch") return;
      enqueue.assign({ calls: removed(context.calls, at) });
      let outcome: { bob: ReturnType<typeof fetchedBob> } | { error: Error };
      try {
        if (event.error) throw event.error;
        const bob = fetchedBob(
          event.stanza!,
          call.jid,
          call.cid,
          context.maxSize,
        );
        // max-age 0: returned, never kept (PeerCache.add knows).
        context.peerCache.add(bob);
        outcome = { bob };
      } catch (e) {
        outcome = { error: asError(e) };
      }
      enqueue(() => {
        for (const w of call.waiters) {
          if ("bob" in outcome) {
            // Each caller gets its own copy of the bytes.
            const bob = outcome.bob;
            w.resolve(markChecked({ ...bob, data: bob.data.slice() }));
          } else w.reject(outcome.error);
        }
      });
    }),
    /** Inline `<data/>`: verified ones kept as peer data, never in storage. */
    inline: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "bob.inline");
      const { stanza } = event;
      const from = stanza.attrs.from ?? "";
      for (const outcome of inlineBobs(stanza, context.maxSize)) {
        if ("error" in outcome) {
          enqueue.emit({
            type: "bob.rejected",
            from,
            stanza,
            error: outcome.error,
          });
        } else {
          context.peerCache.add(outcome.bob);
          enqueue.emit({ type: "bob.data", from, bob: outcome.bob, stanza });
        }
      }
    }),
    /** Run `del_bob` for each due cid; each outcome comes back as api.*. */
    deleteExpired: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, "scheduler.due");
      let { seq } = context;
      const calls = [...context.calls];
      for (const cid of event.keys) {
        const id = `c${seq++}`;
        calls.push({ id, kind: "expire", cid });
        runOp(enqueue, context.api, self, id, "del_bob", cid);
      }
      enqueue.assign({ seq, calls });
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
    calls: [],
    seq: 0,
  }),
  invoke: [
    { id: "expiry", src: "scheduler" },
    {
      id: "migratedExpiry",
      src: "migratedExpiry",
      input: ({ context }: { context: BobContext }) => ({ api: context.api }),
    },
  ],
  initial: "idle",
  on: {
    "bob.set": { actions: "call" },
    "bob.del": { actions: "call" },
    "bob.fetch": { actions: "fetch" },
    "bob.serve": { actions: "serve" },
    "bob.inline": { actions: "inline" },
    "api.result": { actions: "settle" },
    "api.error": { actions: "settle" },
    "iq.answer": { actions: "fetched" },
    "bob.migrated_expiry": { actions: "scheduleMigrated" },
    "scheduler.due": { actions: "deleteExpired" },
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
