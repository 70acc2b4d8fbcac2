/**
 * The internal API registry of one plugin, modelled on slixmpp's `plugin.api`.
 *
 * It holds, for every op (`set_bob`, `get_bob`, …), the handlers registered
 * globally, per JID and per JID+node, the default handler, and the storage
 * actor bound right now. A handler is either a plain function (slixmpp's
 * `api.register(fn, op)`) or a storage op: a recipe that turns the call into
 * one storage request for the bound storage actor.
 *
 * The machine is the control plane: register, bind, migrate, drain, retire.
 * The data plane is one hop: while the registry is `ready`, a caller resolves
 * the route from the registry's snapshot ({@linkcode resolveRoute}) and sends
 * the storage request straight to the bound storage. While a migrating bind
 * copies data, callers send `api.run` here instead and the registry queues it
 * until the new storage takes over.
 *
 * Hot swap rules:
 * - a request already sent to the old storage completes there;
 * - requests that arrive during a migrating bind are queued and served by the
 *   new storage once every entry is copied;
 * - the old storage is sent `storage.drain` and, if the registry spawned it,
 *   stopped once that is answered (or after `timeout`); a storage the caller passed as a running
 *   ref is left running;
 * - a bind that arrives while another migrates waits its turn.
 *
 * @module
 */
import {
  type AnyActorRef,
  assign,
  enqueueActions,
  raise,
  setup,
} from "../../src/deps.ts";
import type {
  JsonValue,
  ReplyTarget,
  StorageReply,
  StorageRequest,
} from "../storage/protocol.ts";
import type { StorageLogic } from "../storage/define.ts";
import { StorageError } from "../../src/errors.ts";
import { isActorRef } from "../../src/_util.ts";

/**
 * A function handler, called as slixmpp calls its API handlers:
 * `(jid, node, ifrom, args)`. It may return a value or a promise.
 */
// deno-lint-ignore no-explicit-any
export type ApiHandler<A = any, R = any> = (
  jid: string | undefined,
  node: string | undefined,
  ifrom: string | undefined,
  args: A,
) => R | Promise<R>;

/** The storage request a storage-backed op makes from its arguments. */
export type StorageCall =
  | { type: "storage.get"; key: string }
  | { type: "storage.set"; key: string; value: JsonValue }
  | { type: "storage.del"; key: string };

/** How a storage-backed op maps to the storage protocol and back. */
export interface StorageOp {
  /** Build the storage request (may throw a `TypeError` for bad args). */
  request(args: unknown): StorageCall;
  /** Turn the storage's answer into the op's result (may throw). */
  result?(value: unknown, args: unknown): unknown;
}

/** Where a call goes: a function, or the bound storage. */
export type Route =
  | { kind: "function"; handler: ApiHandler }
  | { kind: "storage"; op: StorageOp };

/** The handlers of one op at every scope. */
export interface OpTable {
  global: Route | undefined;
  jid: Map<string, Route>;
  node: Map<string, Route>;
  default: Route | undefined;
}

/** A scope for register/unregister/restoreDefault, as in slixmpp. */
export interface Scope {
  /** Narrow to calls for this JID. */
  jid?: string;
  /** Narrow to calls for this node (needs `jid`). */
  node?: string;
}

/** The registry's context. */
export interface RegistryContext {
  /** API name, also the storage namespace (e.g. `xep_0231`). */
  ns: string;
  /** Handlers per op. */
  ops: Record<string, OpTable>;
  /** The storage actor bound now. */
  storage: AnyActorRef;
  /** Whether the registry spawned `storage` (and so stops it when retired). */
  owned: boolean;
  /** Timeout of each step of a migration, in ms. */
  timeout: number;
  /** Id of the registry's own next storage request. */
  nextId: number;
  /** `api.run` requests held during a migrating bind. */
  queue: StorageRequest[];
  /** Binds that arrived during a migration. */
  deferred: BindEvent[];
  /** Old storages waiting for their drain answer, by drain request id. */
  retiring: Record<number, { ref: AnyActorRef; owned: boolean }>;
  /** The migration in progress. */
  migration: Migration | undefined;
}

/** A migrating bind in progress. */
export interface Migration {
  to: AnyActorRef;
  owned: boolean;
  bind: BindEvent;
  drainId: number;
  keysId: number;
  /** Outstanding copy steps: get request id → key, set request id → key. */
  gets: Record<number, string>;
  sets: Record<number, string>;
  remaining: number;
}

/** Bind a storage: actor logic (spawned and owned) or a running ref (kept). */
export interface BindEvent {
  /** Discriminant. */
  type: "api.bind";
  /** Storage actor logic (spawned, owned) or a running storage actor (kept). */
  storage: StorageLogic | AnyActorRef;
  /** Copy every entry into the new storage before switching. */
  migrate: boolean;
  /** Request id of the answer (a storage reply). */
  id: number;
  /** Who gets the answer. */
  replyTo: ReplyTarget;
}

/** Every event the registry accepts. */
export type RegistryEvent =
  | {
    type: "api.register";
    op: string;
    route: Route | undefined;
    scope?: Scope;
    isDefault?: boolean;
  }
  | { type: "api.unregister"; op: string; scope?: Scope }
  | { type: "api.restore_default"; op: string; scope?: Scope }
  | BindEvent
  | { type: "api.run"; request: StorageRequest }
  | { type: "api.retire_timeout"; id: number }
  | StorageReply;

/** What the registry is created with. */
export interface RegistryInput {
  /** API name and storage namespace. */
  ns: string;
  /** The storage bound at start (spawned and owned by the registry). */
  storage: StorageLogic;
  /** Timeout of each migration step in ms. */
  timeout: number;
}

function nodeKey(jid: string, node: string): string {
  return `${jid}\u0000${node}`;
}

/**
 * Find the handler for a call: JID+node first, then JID, then global, as in
 * slixmpp's `APIRegistry.run`.
 *
 * @param context The registry context (from its snapshot).
 * @param op The op name.
 * @param jid The JID the call is for.
 * @param node The node the call is for.
 * @returns The route, `undefined` when nothing handles the op, or `null` when
 *   the op is unknown.
 */
export function resolveRoute(
  context: RegistryContext,
  op: string,
  jid: string | undefined,
  node: string | undefined,
): Route | undefined | null {
  const table = context.ops[op];
  if (table === undefined) return null;
  if (jid !== undefined) {
    if (node !== undefined && node !== "") {
      const r = table.node.get(nodeKey(jid, node));
      if (r !== undefined) return r;
    }
    const r = table.jid.get(jid);
    if (r !== undefined) return r;
  }
  return table.global;
}

/**
 * Send a storage request to a storage actor, or answer it with an error at
 * once if that actor is no longer running.
 *
 * @param storage The storage actor.
 * @param request The request.
 */
export function deliver(storage: AnyActorRef, request: StorageRequest): void {
  if (storage.getSnapshot().status !== "active") {
    request.replyTo.send({
      type: "storage.error",
      id: request.id,
      error: new StorageError(
        `Cannot run ${request.type}: the storage actor is stopped`,
      ),
    });
    return;
  }
  storage.send(request);
}

function table(context: RegistryContext, op: string): OpTable {
  const t = context.ops[op];
  if (t !== undefined) {
    return {
      global: t.global,
      jid: new Map(t.jid),
      node: new Map(t.node),
      default: t.default,
    };
  }
  return {
    global: undefined,
    jid: new Map(),
    node: new Map(),
    default: undefined,
  };
}

function place(
  t: OpTable,
  route: Route | undefined,
  scope: Scope | undefined,
): void {
  if (scope?.jid === undefined) {
    t.global = route;
  } else if (scope.node === undefined) {
    if (route === undefined) t.jid.delete(scope.jid);
    else t.jid.set(scope.jid, route);
  } else {
    const k = nodeKey(scope.jid, scope.node);
    if (route === undefined) t.node.delete(k);
    else t.node.set(k, route);
  }
}

/**
 * Plan the retirement of the storage bound now: the context change that lists
 * it as retiring, and the effect that sends it `storage.drain` (once answered,
 * or after the retire timeout, it is stopped if owned).
 */
function retireCurrent(
  context: RegistryContext,
  self: AnyActorRef,
): {
  update: Pick<RegistryContext, "nextId" | "retiring">;
  effect: () => void;
} {
  const drainId = context.nextId;
  const { storage, ns } = context;
  return {
    update: {
      nextId: drainId + 1,
      retiring: {
        ...context.retiring,
        [drainId]: { ref: storage, owned: context.owned },
      },
    },
    effect: () =>
      deliver(storage, {
        type: "storage.drain",
        id: drainId,
        ns,
        replyTo: self,
      }),
  };
}

function reply(target: ReplyTarget, out: StorageReply): void {
  try {
    target.send(out);
  } catch {
    // The requester is gone; nothing to answer.
  }
}

// Every migration step waits at most `timeout` ms for its answer; then the
// bind is aborted and the old storage keeps serving.
const STEP_TIMEOUT = {
  stepTimeout: { target: "#registry.ready", actions: "abortMigration" },
} as const;

/**
 * The registry machine: states `ready` and `migrating` (`draining` the old
 * storage, `listing` its keys, `copying` them).
 */
export const registryMachine = setup({
  types: {
    context: {} as RegistryContext,
    events: {} as RegistryEvent,
    input: {} as RegistryInput,
  },
  delays: {
    stepTimeout: ({ context }) => context.timeout,
  },
  guards: {
    wantsMigration: ({ event }) => event.type === "api.bind" && event.migrate,
    isRetiringDrain: ({ context, event }) =>
      (event.type === "storage.result" ||
        event.type === "api.retire_timeout") &&
      event.id in context.retiring,
    isDrained: ({ context, event }) =>
      event.type === "storage.result" &&
      event.id === context.migration?.drainId,
    isKeyList: ({ context, event }) =>
      event.type === "storage.result" && event.id === context.migration?.keysId,
    isCopyStep: ({ context, event }) => {
      const m = context.migration;
      return event.type === "storage.result" && m !== undefined &&
        (event.id in m.gets || event.id in m.sets);
    },
    copyDone: ({ context }) => context.migration?.remaining === 0,
    isMigrationError: ({ context, event }) => {
      const m = context.migration;
      return event.type === "storage.error" && m !== undefined &&
        (event.id === m.drainId || event.id === m.keysId ||
          event.id in m.gets ||
          event.id in m.sets);
    },
    hasDeferredBind: ({ context }) => context.deferred.length > 0,
  },
  actions: {
    register: assign(({ context, event }) => {
      if (event.type !== "api.register") return {};
      const t = table(context, event.op);
      place(t, event.route, event.scope);
      if (event.isDefault) t.default = event.route;
      return { ops: { ...context.ops, [event.op]: t } };
    }),
    unregister: assign(({ context, event }) => {
      if (event.type !== "api.unregister") return {};
      const t = table(context, event.op);
      place(t, undefined, event.scope);
      return { ops: { ...context.ops, [event.op]: t } };
    }),
    restoreDefault: assign(({ context, event }) => {
      if (event.type !== "api.restore_default") return {};
      const t = table(context, event.op);
      place(t, t.default, event.scope);
      return { ops: { ...context.ops, [event.op]: t } };
    }),
    forward: ({ context, event }) => {
      if (event.type === "api.run") deliver(context.storage, event.request);
    },
    enqueue: assign(({ context, event }) =>
      event.type === "api.run"
        ? { queue: [...context.queue, event.request] }
        : {}
    ),
    defer: assign(({ context, event }) =>
      event.type === "api.bind"
        ? { deferred: [...context.deferred, event] }
        : {}
    ),
    replayDeferred: enqueueActions(({ context, enqueue }) => {
      const [first, ...rest] = context.deferred;
      enqueue.assign({ deferred: rest });
      if (first !== undefined) enqueue(raise(first));
    }),
    /** Plain bind: switch at once, retire the old storage. */
    swap: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== "api.bind") return;
      const { storage, replyTo, id } = event;
      const retired = retireCurrent(context, self);
      enqueue.assign(({ spawn }) => ({
        storage: isActorRef(storage) ? storage : spawn(storage),
        owned: !isActorRef(storage),
        ...retired.update,
      }));
      enqueue(retired.effect);
      enqueue(() => reply(replyTo, { type: "storage.result", id }));
    }),
    /**
     * A retired storage gets `timeout` ms to answer its drain; one that
     * never does is stopped (if owned) all the same.
     */
    scheduleRetireTimeout: raise(
      ({ context }) => ({
        type: "api.retire_timeout" as const,
        id: context.nextId - 1,
      }),
      { delay: ({ context }) => context.timeout },
    ),
    stopRetired: enqueueActions(({ context, event, enqueue }) => {
      if (
        event.type !== "storage.result" && event.type !== "api.retire_timeout"
      ) return;
      const { [event.id]: old, ...rest } = context.retiring;
      enqueue.assign({ retiring: rest });
      if (old?.owned) enqueue.stopChild(old.ref);
    }),
    startMigration: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== "api.bind") return;
      const drainId = context.nextId;
      const { storage, ns } = context;
      enqueue.assign(({ spawn }) => ({
        nextId: drainId + 2,
        migration: {
          to: isActorRef(event.storage) ? event.storage : spawn(event.storage),
          owned: !isActorRef(event.storage),
          bind: event,
          drainId,
          keysId: drainId + 1,
          gets: {},
          sets: {},
          remaining: 0,
        },
      }));
      enqueue(() =>
        deliver(storage, {
          type: "storage.drain",
          id: drainId,
          ns,
          replyTo: self,
        })
      );
    }),
    listKeys: ({ context, self }) => {
      const m = context.migration!;
      deliver(context.storage, {
        type: "storage.keys",
        id: m.keysId,
        ns: context.ns,
        replyTo: self,
      });
    },
    copyAll: enqueueActions(({ context, event, enqueue, self }) => {
      const m = context.migration!;
      const keys = event.type === "storage.result" && Array.isArray(event.value)
        ? event.value as string[]
        : [];
      const gets: Record<number, string> = {};
      let id = context.nextId;
      for (const key of keys) gets[id++] = key;
      enqueue.assign({
        nextId: id,
        migration: { ...m, gets, remaining: keys.length },
      });
      const { storage, ns } = context;
      enqueue(() => {
        for (const [getId, key] of Object.entries(gets)) {
          deliver(storage, {
            type: "storage.get",
            id: Number(getId),
            ns,
            key,
            replyTo: self,
          });
        }
      });
    }),
    copyStep: enqueueActions(({ context, event, enqueue, self }) => {
      const m = context.migration!;
      if (event.type !== "storage.result") return;
      const { id } = event;
      if (!(id in m.gets)) {
        const { [id]: _, ...sets } = m.sets;
        enqueue.assign({
          migration: { ...m, sets, remaining: m.remaining - 1 },
        });
        return;
      }
      const key = m.gets[id];
      const { [id]: _, ...gets } = m.gets;
      if (event.value === undefined) {
        enqueue.assign({
          migration: { ...m, gets, remaining: m.remaining - 1 },
        });
        return;
      }
      const setId = context.nextId;
      const value = event.value as JsonValue;
      enqueue.assign({
        nextId: setId + 1,
        migration: { ...m, gets, sets: { ...m.sets, [setId]: key } },
      });
      enqueue(() =>
        deliver(m.to, {
          type: "storage.set",
          id: setId,
          ns: context.ns,
          key,
          value,
          replyTo: self,
        })
      );
    }),
    /** The copy is complete: the new storage takes over and serves the queue. */
    commitMigration: enqueueActions(({ context, enqueue, self }) => {
      const m = context.migration!;
      const { queue } = context;
      const retired = retireCurrent(context, self);
      enqueue.assign({
        storage: m.to,
        owned: m.owned,
        queue: [],
        migration: undefined,
        ...retired.update,
      });
      enqueue(retired.effect);
      enqueue(() => {
        for (const request of queue) deliver(m.to, request);
        reply(m.bind.replyTo, { type: "storage.result", id: m.bind.id });
      });
    }),
    /** The copy failed: keep the old storage, serve the queue from it. */
    abortMigration: enqueueActions(({ context, event, enqueue }) => {
      const m = context.migration!;
      const error = event.type === "storage.error"
        ? new Error(
          `Cannot bind storage: migration failed: ${event.error.message}`,
          {
            cause: event.error,
          },
        )
        : new Error(
          `Cannot bind storage: migration step got no answer within ${context.timeout} ms`,
        );
      const { queue, storage } = context;
      if (m.owned) enqueue.stopChild(m.to);
      enqueue.assign({ queue: [], migration: undefined });
      enqueue(() => {
        for (const request of queue) deliver(storage, request);
        reply(m.bind.replyTo, { type: "storage.error", id: m.bind.id, error });
      });
    }),
  },
}).createMachine({
  id: "registry",
  context: ({ input, spawn }) => ({
    ns: input.ns,
    ops: {},
    storage: spawn(input.storage),
    owned: true,
    timeout: input.timeout,
    nextId: 1,
    queue: [],
    deferred: [],
    retiring: {},
    migration: undefined,
  }),
  on: {
    "api.register": { actions: "register" },
    "api.unregister": { actions: "unregister" },
    "api.restore_default": { actions: "restoreDefault" },
    "storage.result": { guard: "isRetiringDrain", actions: "stopRetired" },
    "api.retire_timeout": { guard: "isRetiringDrain", actions: "stopRetired" },
  },
  initial: "ready",
  states: {
    ready: {
      always: { guard: "hasDeferredBind", actions: "replayDeferred" },
      on: {
        "api.run": { actions: "forward" },
        "api.bind": [
          {
            guard: "wantsMigration",
            target: "migrating",
            actions: "startMigration",
          },
          { actions: ["swap", "scheduleRetireTimeout"] },
        ],
      },
    },
    migrating: {
      initial: "draining",
      on: {
        "api.run": { actions: "enqueue" },
        "api.bind": { actions: "defer" },
        "storage.error": {
          guard: "isMigrationError",
          target: "ready",
          actions: "abortMigration",
        },
      },
      states: {
        draining: {
          after: STEP_TIMEOUT,
          on: {
            "storage.result": {
              guard: "isDrained",
              target: "listing",
              actions: "listKeys",
            },
          },
        },
        listing: {
          after: STEP_TIMEOUT,
          on: {
            "storage.result": {
              guard: "isKeyList",
              target: "copying",
              actions: "copyAll",
            },
          },
        },
        copying: {
          // Each answered step re-enters the state, so the timeout bounds the
          // wait for the next answer, not the whole copy.
          after: STEP_TIMEOUT,
          always: {
            guard: "copyDone",
            target: "#registry.ready",
            actions: ["commitMigration", "scheduleRetireTimeout"],
          },
          on: {
            "storage.result": {
              guard: "isCopyStep",
              target: "copying",
              reenter: true,
              actions: "copyStep",
            },
          },
        },
      },
    },
  },
});
