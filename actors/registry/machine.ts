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
import { and, assign, enqueueActions, raise, setup } from "../../src/deps.ts";
import type { AnyActorRef, AnyStateMachine } from "../../src/types.ts";
import type {
  JsonValue,
  ReplyTarget,
  StorageReply,
} from "../storage/protocol.ts";
import { StorageError } from "../../src/errors.ts";
import { isActorRef } from "../../src/_util.ts";
import type {
  RegistryContext,
  RegistryEvent,
  RegistryInput,
} from "./protocol.ts";
import { deliver, place, table } from "./routes.ts";

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
export const registryMachine: AnyStateMachine = setup({
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
    isValidKeyList: ({ event }) =>
      event.type === "storage.result" && Array.isArray(event.value) &&
      event.value.every((k) => typeof k === "string"),
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
      // isValidKeyList let only a string[] through.
      const keys = event.type === "storage.result"
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
        ? new StorageError(
          `Cannot bind storage: migration failed: ${event.error.message}`,
          { cause: event.error },
        )
        : event.type === "storage.result"
        ? new StorageError(
          "Cannot bind storage: migration failed: the old storage answered storage.keys with something other than a list of strings",
        )
        : new StorageError(
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
            "storage.result": [
              {
                guard: and(["isKeyList", "isValidKeyList"]),
                target: "copying",
                actions: "copyAll",
              },
              {
                guard: "isKeyList",
                target: "#registry.ready",
                actions: "abortMigration",
              },
            ],
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
