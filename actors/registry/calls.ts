/**
 * The data path of the registry machine: what its actions do with a call
 * (`api.call` from the facade, `api.run` from an actor) and with the
 * storage's answer. A local call is two machine steps:
 *
 * ```
 * api.call ─► registry: resolve route, open the call, sendTo(storage, request)
 *                  storage ─sendBack(storage.result)─► registry: settle the call
 * ```
 *
 * The storage request goes out with `sendTo` (so it has the registry as its
 * source); a storage the registry spawned answers its parent by `sendBack`
 * (request without `replyTo`); one the user passed as a running ref gets
 * `replyTo: registry` and answers with `replyTo.send` (see the storage
 * protocol). A function handler is called in the action; an async one's
 * promise is handed to the registry's `awaiter` child, which reports
 * `api.settled` back.
 *
 * These functions run inside `enqueueActions`: they mutate the registry's
 * call table (and a migration's key sets), settle promises, and enqueue the
 * sends, which XState then executes in the same step.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import {
  ApiError,
  ItemNotFound,
  StorageError,
  TimeoutError,
} from "../../src/errors.ts";
import { isThenable } from "../../src/_util.ts";
import { checkTimeout } from "../../src/options.ts";
import type { StorageReply, StorageRequest } from "../storage/protocol.ts";
import type {
  ApiCallEvent,
  ApiRunEvent,
  RegistryContext,
  RegistryEvent,
} from "./protocol.ts";
import type { Call } from "./requests.ts";
import { resolveRoute } from "./routes.ts";

/** What the actions of `calls.ts` and `migration.ts` enqueue. */
export interface Enqueue {
  /** Run a function when the step's actions execute. */
  (action: () => void): void;
  /** Send with the registry as source. */
  sendTo(to: AnyActorRef | string, event: { type: string }): void;
  /** Send the registry an event of its own (with itself as source). */
  raise(event: RegistryEvent): void;
}

/** What the data-path actions are given (from `enqueueActions`). */
export interface Step {
  context: RegistryContext;
  enqueue: Enqueue;
  self: AnyActorRef;
}

/**
 * The error a failing function handler rejects with.
 * @param op The op.
 * @param cause What the handler threw or rejected with.
 * @returns `ItemNotFound` and `ApiError` as they are, else an `ApiError`.
 */
export function handlerError(op: string, cause: unknown): Error {
  if (cause instanceof ItemNotFound || cause instanceof ApiError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ApiError(op, `Cannot run ${op}: handler failed: ${detail}`, {
    cause,
  });
}

function storageError(op: string, cause: Error): Error {
  if (
    cause instanceof StorageError || cause instanceof ItemNotFound ||
    cause instanceof TypeError
  ) return cause;
  return new StorageError(`Cannot run ${op}: ${cause.message}`, { cause });
}

/*
 * A promise is settled right in the action (not as an enqueued action): that
 * only queues the caller's continuation as a microtask, which runs after the
 * registry's step either way, and it saves an action per call.
 */

/**
 * Settle a call with its result.
 * @param call The call.
 * @param value The result.
 * @param enqueue The step's queue.
 */
export function succeed(call: Call, value: unknown, enqueue: Enqueue): void {
  const { resolve } = call;
  if (resolve !== undefined) resolve(value);
  else {
    enqueue.sendTo(call.replyTo!, {
      type: "api.result",
      id: call.callerId!,
      value,
    } as { type: string });
  }
}

/**
 * Settle a call with an error.
 * @param call The call.
 * @param error Why it failed.
 * @param enqueue The step's queue.
 */
export function fail(call: Call, error: Error, enqueue: Enqueue): void {
  const { reject } = call;
  if (reject !== undefined) reject(error);
  else {
    enqueue.sendTo(call.replyTo!, {
      type: "api.error",
      id: call.callerId!,
      error,
    } as { type: string });
  }
}

/**
 * Settle a storage call from the storage's answer.
 * @param call The call (already taken from the table).
 * @param reply The storage's answer.
 * @param enqueue The step's queue.
 */
export function settleReply(
  call: Call,
  reply: StorageReply,
  enqueue: Enqueue,
): void {
  if (reply.type === "storage.error") {
    return fail(call, storageError(call.op, reply.error), enqueue);
  }
  const { finish } = call;
  if (finish === undefined) return succeed(call, reply.value, enqueue);
  let out;
  try {
    out = finish(reply.value, call.args);
  } catch (e) {
    return fail(call, e as Error, enqueue);
  }
  succeed(call, out, enqueue);
}

/**
 * Send a storage request: with `sendTo`, and `replyTo: registry` only to a
 * storage the registry did not spawn. A stopped storage is answered for at
 * once (a raised `storage.error`).
 *
 * @param step The step.
 * @param storage The storage actor.
 * @param owned Whether the registry spawned it (then it answers by
 *   `sendBack`).
 * @param request The request, without `replyTo`.
 */
export function sendStorage(
  { enqueue, self }: Step,
  storage: AnyActorRef,
  owned: boolean,
  request: StorageRequest,
): void {
  if (storage.getSnapshot().status !== "active") {
    enqueue.raise({
      type: "storage.error",
      id: request.id,
      error: new StorageError(
        `Cannot run ${request.type}: the storage actor is stopped`,
      ),
    });
    return;
  }
  enqueue.sendTo(storage, owned ? request : { ...request, replyTo: self });
}

/** Routes a storage call during a migration (see `migration.ts`). */
export type MigrationRoute = (step: Step, call: Call, id: number) => void;

/**
 * Start a call: resolve its route (JID+node, JID, global), then call the
 * function handler or send the storage request.
 *
 * @param step The step.
 * @param event The call.
 * @param migrate How to route a storage call during a migration, or
 *   `undefined` outside one (straight to the bound storage).
 */
export function startCall(
  step: Step,
  event: ApiCallEvent | ApiRunEvent,
  migrate: MigrationRoute | undefined,
): void {
  const { context, enqueue } = step;
  const { op, node, ifrom, args } = event;
  const isCall = event.type === "api.call";
  // Every field set at once: one object shape for every call in the table.
  const call: Call = {
    op,
    args,
    timeout: event.timeout ?? context.callTimeout,
    kind: "storage",
    resolve: isCall ? event.resolve : undefined,
    reject: isCall ? event.reject : undefined,
    replyTo: isCall ? undefined : event.replyTo,
    callerId: isCall ? undefined : event.id,
    finish: undefined,
    request: undefined,
    leg: undefined,
  };
  if (!isCall) {
    try {
      if (typeof op !== "string") {
        throw new TypeError("Cannot run op: op must be a string");
      }
      checkTimeout(event.timeout, "timeout", context.callTimeout);
    } catch (e) {
      return fail(call, e as Error, enqueue);
    }
  }
  const { timeout } = call;
  const jid = event.jid ?? context.jid;
  const route = resolveRoute(context, op, jid, node);
  if (route === null) {
    return fail(
      call,
      new ApiError(op, `Cannot run ${op}: unknown op`),
      enqueue,
    );
  }
  if (route === undefined) {
    return fail(
      call,
      new ApiError(op, `Cannot run ${op}: no handler registered`),
      enqueue,
    );
  }
  if (route.kind === "function") {
    let result;
    try {
      result = route.handler(jid, node, ifrom, args);
    } catch (e) {
      return fail(call, handlerError(op, e), enqueue);
    }
    if (!isThenable(result)) return succeed(call, result, enqueue);
    // An async handler gets the same deadline as a storage call.
    call.kind = "function";
    const id = context.calls.open(call, timeout);
    enqueue.sendTo("awaiter", { type: "await", id, promise: result } as {
      type: string;
    });
    return;
  }
  let request;
  try {
    request = route.op.request(args);
  } catch (e) {
    return fail(call, e as Error, enqueue);
  }
  call.request = request;
  call.finish = route.op.result;
  const id = context.calls.open(call, timeout);
  if (migrate !== undefined) return migrate(step, call, id);
  sendStorage(step, context.storage, context.owned, {
    ...request,
    id,
    ns: context.ns,
  });
}

/**
 * The direct path of a facade call (the one user-code entry of the call):
 * when the registry is `ready` or `binding` (not `migrating`) and the call's
 * route is a storage op on a running storage, the facade opens the call in
 * the registry's table (id, deadline) and sends the storage request straight
 * to the bound storage. That request is the call's one sourceless message;
 * the storage answers the registry (its parent, by `sendBack`; a running ref
 * through `replyTo: registry`), and the registry settles the call in one
 * machine step (`settleFacade`), as it settles a call it sent itself. The deadline
 * (the registry's clock child), a stop (`ClientStoppedError` from the table)
 * and a bind that starts meanwhile (a request already sent completes on the
 * storage that took it; the old storage's drain is answered after it) are
 * the same as on the registry's own path.
 *
 * Anything else (a function handler, an unknown op, a migration in
 * progress, a stopped storage) is left to the registry: `false` is returned
 * and nothing was done.
 *
 * @param registry The registry actor (checked active by the caller).
 * @param event The call, as it would enter the registry.
 * @returns Whether the call was taken (sent, or rejected by the op's
 *   request builder).
 */
export function callDirect(
  registry: AnyActorRef,
  event: ApiCallEvent,
): boolean {
  const direct = directRoute(registry, event);
  if (direct === undefined) return false;
  const { context, route, storage } = direct;
  const { op, args, reject } = event;
  let request;
  try {
    request = route.op.request(args);
  } catch (e) {
    reject(e as Error);
    return true;
  }
  const timeout = event.timeout ?? context.callTimeout;
  const call: Call = {
    op,
    args,
    timeout,
    kind: "storage",
    resolve: event.resolve,
    reject,
    replyTo: undefined,
    callerId: undefined,
    finish: route.op.result,
    request,
    leg: undefined,
  };
  const id = context.calls.open(call, timeout);
  storage.send(
    context.owned
      ? { ...request, id, ns: context.ns }
      : { ...request, id, ns: context.ns, replyTo: registry },
  );
  return true;
}

/**
 * The direct path of an actor's call, the `api.run` counterpart of
 * {@linkcode callDirect}: outside a migration, for a storage op on a running
 * storage, the call is opened in the registry's table (id, deadline,
 * `replyTo` and the caller's id) and the storage request is returned for the
 * calling actor to send with its own `sendTo` (so it has that actor as its
 * source). The storage answers the registry, which settles the call with
 * `api.result` / `api.error` to `replyTo` exactly as for an `api.run`: one
 * registry step per call instead of two. Deadlines, a stop and a bind that
 * starts meanwhile are handled as on the registry's own path.
 *
 * Anything else (a function handler, an unknown op, a migration in
 * progress, a stopped storage, an explicit timeout to check, arguments the
 * op refuses) returns `undefined` with nothing done: send the `api.run` to
 * the registry, which handles (or refuses) it.
 *
 * Call it from the calling actor's own action, and send what it returns in
 * the same step.
 *
 * @param registry The registry actor.
 * @param event The call, as it would enter the registry.
 * @returns The storage and the request to send it, or `undefined`.
 */
export function openRun(
  registry: AnyActorRef,
  event: ApiRunEvent,
): { storage: AnyActorRef; request: StorageRequest } | undefined {
  if (event.timeout !== undefined || typeof event.op !== "string") {
    return undefined;
  }
  const direct = directRoute(registry, event);
  if (direct === undefined) return undefined;
  const { context, route, storage } = direct;
  const { op, args } = event;
  let request;
  try {
    request = route.op.request(args);
  } catch {
    return undefined; // the registry refuses it with the same error
  }
  const timeout = context.callTimeout;
  const call: Call = {
    op,
    args,
    timeout,
    kind: "storage",
    resolve: undefined,
    reject: undefined,
    replyTo: event.replyTo,
    callerId: event.id,
    finish: route.op.result,
    request,
    leg: undefined,
  };
  const id = context.calls.open(call, timeout);
  return {
    storage,
    request: context.owned
      ? { ...request, id, ns: context.ns }
      : { ...request, id, ns: context.ns, replyTo: registry },
  };
}

/** The route of a call that may skip the registry's step, if any. */
function directRoute(
  registry: AnyActorRef,
  event: ApiCallEvent | ApiRunEvent,
) {
  const snap = registry.getSnapshot();
  const state = snap.value;
  if (
    snap.status !== "active" || (state !== "ready" && state !== "binding")
  ) return undefined;
  const context = snap.context as RegistryContext;
  const route = resolveRoute(
    context,
    event.op,
    event.jid ?? context.jid,
    event.node,
  );
  if (route === null || route === undefined || route.kind !== "storage") {
    return undefined;
  }
  const { storage } = context;
  if (storage.getSnapshot().status !== "active") return undefined;
  return { context, route, storage };
}

/**
 * A call's deadline passed: fail it with `TimeoutError`.
 * @param step The step.
 * @param id The call id.
 * @param call The call (already out of the table).
 */
export function expire({ enqueue }: Step, id: number, call: Call): void {
  call.leg?.keys.waiting.delete(id);
  const what = call.kind === "storage"
    ? "storage did not answer"
    : "handler did not settle";
  fail(
    call,
    new TimeoutError(
      `Cannot run ${call.op}: ${what} within ${call.timeout} ms`,
    ),
    enqueue,
  );
}

/**
 * An async function handler settled (reported by the awaiter child).
 * @param step The step.
 * @param id The call id.
 * @param ok Whether it resolved.
 * @param value What it resolved or rejected with.
 */
export function settled(
  { context, enqueue }: Step,
  id: number,
  ok: boolean,
  value: unknown,
): void {
  const call = context.calls.take(id);
  if (call === undefined) return;
  if (ok) succeed(call, value, enqueue);
  else fail(call, handlerError(call.op, value), enqueue);
}
