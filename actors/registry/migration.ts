/**
 * Calls during a migrating bind, as the registry machine serves them in its
 * `migrating` state (the machine's state decides the route; the
 * {@linkcode MigrationKeys} in context are data shared with the copier):
 *
 * - `storage.get` goes to the new storage and, on a miss, to the old one
 *   (after the switch, a late miss asks the new storage again: it then holds
 *   everything). During a mirroring migration (the default) the new storage
 *   may still hold stale entries (keys it held before, which the copy has
 *   not rewritten and which are removed at the end): a get of one of them
 *   (or of any key, until the new storage's keys are known) goes to the old
 *   storage, which holds everything until the switch, unless a caller wrote
 *   or deleted the key meanwhile. Decided when the request is sent: a copy
 *   of the key sent later lands after this read on the new storage;
 * - `storage.set` and `storage.del` go to both storages (write-through), and
 *   the key is marked touched, so the background copy never writes it: a
 *   newer value is never replaced by an older one and a deleted key is never
 *   brought back. The caller gets the old storage's answer: the old storage
 *   stays complete, so a failed migration loses nothing (once the new
 *   storage has taken over, its failure is the caller's);
 * - a failure of the new storage makes the registry raise `api.route_failed`
 *   (which aborts the migration) and the caller is served by the old
 *   storage; so does a new storage that leaves a caller waiting half the step
 *   timeout (the {@linkcode stallWatch}).
 *
 * Each call costs one extra storage hop at most (the second write, or the
 * read of the old storage on a miss). The leg on the new storage uses the
 * negated call id, so the answers of the two legs are told apart.
 *
 * @module
 */
import { fromCallback } from "../../src/deps.ts";
import type { AnyActorLogic } from "../../src/types.ts";
import { StorageError } from "../../src/errors.ts";
import type { StorageReply } from "../storage/protocol.ts";
import type { MigrationKeys, RegistryContext } from "./protocol.ts";
import type { Call, MigrationLeg } from "./requests.ts";
import { type Enqueue, sendStorage, settleReply, type Step } from "./calls.ts";

/**
 * The key sets of a new migration.
 * @param mirror Whether the new storage is to mirror the old one.
 * @returns Empty sets (`stale` unknown when mirroring).
 */
export function migrationKeys(mirror: boolean): MigrationKeys {
  return {
    touched: new Set(),
    stale: mirror ? null : new Set(),
    mirror,
    waiting: new Map(),
    calls: 0,
  };
}

function resend(step: Step, call: Call, id: number, toNew: boolean): void {
  const leg = call.leg!;
  sendStorage(
    step,
    toNew ? leg.to : leg.from,
    toNew ? leg.toOwned : leg.fromOwned,
    { ...call.request!, id, ns: step.context.ns },
  );
}

/**
 * Route a storage call during a migration (see the module doc).
 * @param step The step (the registry is in `migrating`).
 * @param call The call, already in the table.
 * @param id Its id.
 */
export function routeMigrating(step: Step, call: Call, id: number): void {
  const { context } = step;
  const keys = context.migration!;
  const p = context.pending!;
  const request = call.request!;
  keys.calls++; // callers are active: the copier's pacing (pacer.ts)
  const leg: MigrationLeg = {
    from: context.storage,
    fromOwned: context.owned,
    to: p.to,
    toOwned: p.owned,
    keys,
    write: request.type !== "storage.get",
    newReply: undefined,
    oldReply: undefined,
    committed: false,
  };
  if (!leg.write) {
    if (
      keys.mirror && !keys.touched.has(request.key) &&
      (keys.stale === null || keys.stale.has(request.key))
    ) {
      // Still stale (or not known yet): the old storage is complete.
      return sendStorage(step, context.storage, context.owned, {
        ...request,
        id,
        ns: context.ns,
      });
    }
  } else keys.touched.add(request.key);
  call.leg = leg;
  keys.waiting.set(id, performance.now());
  resend(step, call, -id, true);
  if (leg.write) resend(step, call, id, false);
}

function finishWrite(step: Step, call: Call, id: number): void {
  const leg = call.leg!;
  const n = leg.newReply;
  const o = leg.oldReply;
  if (n === undefined || o === undefined) return;
  step.context.calls.take(id);
  // Once the new storage has taken over, its failure is the caller's.
  settleReply(
    call,
    leg.committed && n?.type === "storage.error" ? n : o,
    step.enqueue,
  );
}

function routeFailed(step: Step, leg: MigrationLeg, error: Error): void {
  step.enqueue.raise({ type: "api.route_failed", error, to: leg.to });
}

/**
 * Whether a storage answer settles a facade call (one with a promise, not
 * routed by a migration): such an answer needs nothing sent, so the
 * registry settles it with a plain action ({@linkcode settleFacadeReply})
 * rather than an `enqueueActions` one ({@linkcode onCallReply}).
 *
 * @param args The registry's context and the event (a guard's arguments).
 * @returns `true` for the answer to a pending facade call outside a
 *   migration.
 */
export function isFacadeReply(
  { context, event }: { context: RegistryContext; event: { type: string } },
): boolean {
  const reply = event as StorageReply;
  const call = (event.type === "storage.result" ||
      event.type === "storage.error") && reply.id > 0
    ? context.calls.get(reply.id)
    : undefined;
  return call !== undefined && call.resolve !== undefined &&
    call.leg === undefined;
}

const NO_SENDS = (() => {
  throw new Error("a facade call's settlement sends nothing");
}) as unknown as Enqueue;

/**
 * Settle a facade call from its storage's answer (see
 * {@linkcode isFacadeReply}).
 *
 * @param args The registry's context and the storage's answer (an action's
 *   arguments).
 */
export function settleFacadeReply(
  { context, event }: { context: RegistryContext; event: { type: string } },
): void {
  const reply = event as StorageReply;
  const call = context.calls.take(reply.id);
  if (call !== undefined) settleReply(call, reply, NO_SENDS);
}

/**
 * A storage answered a call (an id below the control range; negative: the
 * new storage's leg during a migration).
 * @param step The step.
 * @param reply The answer.
 */
export function onCallReply(step: Step, reply: StorageReply): void {
  const { calls } = step.context;
  const id = reply.id;
  if (id > 0) {
    const call = calls.get(id);
    if (call === undefined) return; // settled already (timed out)
    const leg = call.leg;
    if (leg?.write) {
      leg.oldReply = reply;
      return finishWrite(step, call, id);
    }
    calls.take(id);
    return settleReply(call, reply, step.enqueue);
  }
  const callId = -id;
  const call = calls.get(callId);
  const leg = call?.leg;
  if (call === undefined || leg === undefined || leg.newReply !== undefined) {
    return; // settled, or no longer waiting for the new storage
  }
  leg.newReply = reply;
  leg.keys.waiting.delete(callId);
  const failed = reply.type === "storage.error";
  if (leg.write) {
    if (failed && !leg.committed) routeFailed(step, leg, reply.error);
    return finishWrite(step, call, callId);
  }
  if (!failed && reply.value !== undefined) {
    calls.take(callId);
    return settleReply(call, reply, step.enqueue);
  }
  if (leg.committed) {
    // The new storage holds everything now: its error is the answer, and a
    // miss that raced with the copy is asked again.
    if (failed) {
      calls.take(callId);
      return settleReply(call, reply, step.enqueue);
    }
    return resend(step, call, callId, true);
  }
  if (failed) routeFailed(step, leg, reply.error);
  resend(step, call, callId, false);
}

/**
 * The new storage took over: calls still waiting for it keep their answers
 * from it.
 * @param keys The migration's key sets.
 * @param step The step.
 */
export function commitCalls(keys: MigrationKeys, step: Step): void {
  for (const id of keys.waiting.keys()) {
    const leg = step.context.calls.get(id)?.leg;
    if (leg !== undefined) leg.committed = true;
  }
  keys.waiting.clear();
}

/**
 * The migration failed: calls still waiting for the new storage are served
 * by the old one (a read is sent there; a write takes the old storage's
 * answer).
 * @param keys The migration's key sets.
 * @param step The step.
 */
export function abortCalls(keys: MigrationKeys, step: Step): void {
  const waiting = [...keys.waiting.keys()];
  keys.waiting.clear();
  for (const id of waiting) {
    const call = step.context.calls.get(id);
    const leg = call?.leg;
    if (leg === undefined || leg.newReply !== undefined) continue;
    leg.newReply = null;
    if (leg.write) finishWrite(step, call!, id);
    else resend(step, call!, id, false);
  }
}

/** What {@linkcode stallWatch} is created with. */
export interface StallWatchInput {
  /** The calls waiting for the new storage (a migration's `waiting`). */
  waiting: Map<number, number>;
  /** How long a caller may wait for the new storage, in ms. */
  stallMs: number;
}

/**
 * Watches the calls of a migration: when one has waited `stallMs` for the
 * new storage (a storage that stopped answering), it reports
 * `api.route_failed` to the registry, which aborts the migration and has the
 * old storage serve the waiting calls, well before their own deadline. Runs
 * only while the registry is migrating (one timer, every `stallMs / 4`).
 */
export const stallWatch: AnyActorLogic = fromCallback<
  { type: "noop" },
  StallWatchInput
>(({ input, sendBack }) => {
  const { waiting, stallMs } = input;
  const timer = setInterval(() => {
    const first = waiting.values().next();
    if (!first.done && performance.now() - first.value >= stallMs) {
      sendBack({
        type: "api.route_failed",
        error: new StorageError(`no answer within ${stallMs} ms`),
      });
    }
  }, Math.max(1, Math.floor(stallMs / 4)));
  return () => clearInterval(timer);
});
