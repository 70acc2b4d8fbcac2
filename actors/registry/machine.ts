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
 * The data plane never goes through it: a caller resolves the route from the
 * registry's snapshot ({@linkcode resolveRoute}) and sends the storage
 * request straight to the bound storage (one hop), or, during a migrating
 * bind, hands it to the migration's router found in the same snapshot
 * (`context.router`, see `router.ts`: at most one extra storage hop).
 *
 * Hot swap rules:
 * - a bind first sends the new storage `storage.ready`; a storage that cannot
 *   start fails it (or does not answer within `timeout`), the bind rejects
 *   with `StorageError` and the old storage stays bound. Binding the storage
 *   bound now is a no-op;
 * - a request already sent to the old storage completes there;
 * - during a migrating bind no call waits for the copy: reads go to the new
 *   storage then, on a miss, the old one (mirroring: only for keys the new
 *   storage was given; others are read from the old one); writes and
 *   deletes go to both; the background copy (`copier.ts`) never writes a key
 *   a caller touched, and carries remaining TTLs;
 * - after a committed migration the new storage mirrors the old one: keys
 *   of the namespace that the key filter accepts and that only the new
 *   storage held are removed (never a key a caller wrote meanwhile), unless
 *   the bind asked to `merge`;
 * - if the copy fails (an error, a malformed batch, no answer within
 *   `timeout`), or the new storage fails a caller's request, the bind rejects
 *   with `StorageError` and the old storage, which got every write, stays
 *   bound; callers see no error;
 * - the old storage is sent `storage.drain` and, if the registry spawned it,
 *   stopped once that is answered (or after `timeout`); a storage the caller
 *   passed as a running ref is left running;
 * - a bind that arrives while another is in progress waits its turn.
 *
 * @module
 */
import {
  assertEvent,
  assign,
  emit,
  enqueueActions,
  raise,
  setup,
} from "../../src/deps.ts";
import type { AnyActorRef, AnyStateMachine } from "../../src/types.ts";
import { isActorRef } from "../../src/_util.ts";
import type {
  BindReport,
  RegistryContext,
  RegistryEmitted,
  RegistryEvent,
  RegistryInput,
} from "./protocol.ts";
import { deliver, place, table } from "./routes.ts";
import { storageId, uniqueId } from "../storage/names.ts";
import { copierInput, NO_COPY, reply, retireCurrent } from "./steps.ts";
import { MigrationRouter, stallWatch } from "./router.ts";
import { copierMachine } from "./copier.ts";
import { bindError } from "./bind_error.ts";

type Step = { step?: "ready" | "drain" };

/**
 * Spawn options with an id. XState's types allow no `id` on a child spawned
 * from logic given at run time, though its runtime takes one (and keys the
 * child by it): the options are upcast to drop it from the type.
 */
function named(id: string): { systemId?: string } {
  return { id } as { systemId?: string };
}

/** The ids of the storages alive under this registry (bound, retiring). */
function storageIds(context: RegistryContext): Set<string> {
  const ids = new Set([context.storage.id]);
  for (const r of Object.values(context.retiring)) ids.add(r.ref.id);
  if (context.pending !== undefined) ids.add(context.pending.to.id);
  return ids;
}

/**
 * The registry machine: `ready`, `binding` (a plain bind waits for the new
 * storage's start handshake) and `migrating` (`starting` the new storage,
 * `draining` the old one, then `copying` in the background).
 */
export const registryMachine: AnyStateMachine = setup({
  types: {
    context: {} as RegistryContext,
    events: {} as RegistryEvent,
    input: {} as RegistryInput,
    emitted: {} as RegistryEmitted,
  },
  actors: { copier: copierMachine, stallWatch },
  delays: {
    stepTimeout: ({ context }) => context.timeout,
  },
  guards: {
    wantsMigration: ({ event }) => event.type === "api.bind" && event.migrate,
    isCurrentStorage: ({ context, event }) =>
      event.type === "api.bind" && event.storage === context.storage,
    isRetiringDrain: ({ context, event }) =>
      (event.type === "storage.result" ||
        event.type === "api.retire_timeout") &&
      event.id in context.retiring,
    isReadyAnswer: ({ context, event }) =>
      (event.type === "storage.result" || event.type === "storage.error") &&
      event.id === context.pending?.readyId,
    isDrained: ({ context, event }) =>
      event.type === "storage.result" &&
      event.id === context.pending?.drainId,
    isDrainError: ({ context, event }) =>
      event.type === "storage.error" && event.id === context.pending?.drainId,
    copySucceeded: ({ event }) =>
      event.type === "xstate.done.actor.copier" && event.output.ok,
    hasDeferredBind: ({ context }) => context.deferred.length > 0,
  },
  actions: {
    register: assign(({ context, event }) => {
      assertEvent(event, "api.register");
      const t = table(context, event.op);
      place(t, event.route, event.scope);
      if (event.isDefault) t.default = event.route;
      return { ops: { ...context.ops, [event.op]: t } };
    }),
    unregister: assign(({ context, event }) => {
      assertEvent(event, "api.unregister");
      const t = table(context, event.op);
      place(t, undefined, event.scope);
      return { ops: { ...context.ops, [event.op]: t } };
    }),
    restoreDefault: assign(({ context, event }) => {
      assertEvent(event, "api.restore_default");
      const t = table(context, event.op);
      place(t, t.default, event.scope);
      return { ops: { ...context.ops, [event.op]: t } };
    }),
    /** `api.run` sent here (not the facade's path): serve it the same way. */
    forward: ({ context, event }) => {
      assertEvent(event, "api.run");
      if (context.router !== undefined) context.router.route(event.request);
      else deliver(context.storage, event.request);
    },
    defer: assign(({ context, event }) => {
      assertEvent(event, "api.bind");
      return { deferred: [...context.deferred, event] };
    }),
    replayDeferred: enqueueActions(({ context, enqueue }) => {
      const [first, ...rest] = context.deferred;
      enqueue.assign({ deferred: rest });
      if (first !== undefined) enqueue(raise(first));
    }),
    /** Binding what is bound already: nothing to do. */
    answerNoop: ({ event }) => {
      assertEvent(event, "api.bind");
      reply(event.replyTo, {
        type: "storage.result",
        id: event.id,
        value: { migrated: false, ...NO_COPY } satisfies BindReport,
      });
    },
    /** Spawn (or adopt) the new storage; a migration also gets its router. */
    startBind: assign(({ context, event, spawn, self }) => {
      assertEvent(event, "api.bind");
      const owned = !isActorRef(event.storage);
      // Named for its kind and place, unique among the storages alive here
      // (the bound one, those retiring): a hot swap to the same kind works.
      const to = isActorRef(event.storage) ? event.storage : spawn(
        event.storage,
        named(uniqueId(storageId(event.storage), storageIds(context))),
      ) as AnyActorRef;
      const readyId = context.nextId;
      return {
        nextId: readyId + 2,
        pending: { to, owned, bind: event, readyId, drainId: readyId + 1 },
        router: event.migrate
          ? new MigrationRouter(
            context.storage,
            to,
            (error) => self.send({ type: "api.route_failed", error }),
            event.merge !== true,
          )
          : undefined,
      };
    }),
    askReady: ({ context, self }) => {
      const p = context.pending!;
      deliver(p.to, {
        type: "storage.ready",
        id: p.readyId,
        ns: context.ns,
        replyTo: self,
      });
    },
    drainOld: ({ context, self }) => {
      deliver(context.storage, {
        type: "storage.drain",
        id: context.pending!.drainId,
        ns: context.ns,
        replyTo: self,
      });
    },
    /** Plain bind: the new storage started; switch, retire the old one. */
    swap: enqueueActions(({ context, enqueue, self }) => {
      const p = context.pending!;
      const retired = retireCurrent(context, self);
      enqueue.assign({
        storage: p.to,
        owned: p.owned,
        pending: undefined,
        ...retired.update,
      });
      enqueue(retired.effect);
      enqueue(() =>
        reply(p.bind.replyTo, {
          type: "storage.result",
          id: p.bind.id,
          value: { migrated: false, ...NO_COPY } satisfies BindReport,
        })
      );
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
      assertEvent(event, ["storage.result", "api.retire_timeout"]);
      const { [event.id]: old, ...rest } = context.retiring;
      enqueue.assign({ retiring: rest });
      if (old?.owned) enqueue.stopChild(old.ref);
    }),
    emitExpiry: emit(({ context, event }) => {
      assertEvent(event, "api.copy_expiry");
      return {
        type: "api.expiry" as const,
        bind: context.pending!.bind.id,
        entries: event.entries,
      };
    }),
    emitProgress: emit(({ context, event }) => {
      assertEvent(event, "api.copy_progress");
      return {
        type: "api.progress" as const,
        bind: context.pending!.bind.id,
        done: false,
        ...event.progress,
      };
    }),
    /** The copy is complete: the new storage takes over. */
    commitMigration: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, "xstate.done.actor.copier");
      if (!event.output.ok) return;
      const p = context.pending!;
      const router = context.router as MigrationRouter;
      const retired = retireCurrent(context, self);
      const { progress } = event.output;
      enqueue(() => router.commit());
      enqueue.assign({
        storage: p.to,
        owned: p.owned,
        router: undefined,
        pending: undefined,
        ...retired.update,
      });
      enqueue(retired.effect);
      enqueue.emit({
        type: "api.progress",
        bind: p.bind.id,
        done: true,
        ...progress,
      });
      enqueue(() =>
        reply(p.bind.replyTo, {
          type: "storage.result",
          id: p.bind.id,
          value: { migrated: true, ...progress } satisfies BindReport,
        })
      );
    }),
    /**
     * The bind failed: the old storage stays bound (a migration's router
     * sends the calls still waiting on the new storage to it), the new one
     * is stopped if the registry spawned it, and the bind rejects.
     */
    abortBind: enqueueActions(
      ({ context, event, enqueue }, params: Step | undefined) => {
        const p = context.pending!;
        const error = bindError(
          event,
          p.bind.migrate,
          context.timeout,
          params?.step,
        );
        const router = context.router as MigrationRouter | undefined;
        if (router !== undefined) enqueue(() => router.abort());
        if (p.owned) enqueue.stopChild(p.to);
        enqueue.assign({ router: undefined, pending: undefined });
        enqueue(() =>
          reply(p.bind.replyTo, { type: "storage.error", id: p.bind.id, error })
        );
      },
    ),
  },
}).createMachine({
  id: "registry",
  context: ({ input, spawn }) => ({
    ns: input.ns,
    ops: {},
    storage: spawn(input.storage, named(storageId(input.storage))),
    owned: true,
    timeout: input.timeout,
    isKey: input.isKey ?? (() => true),
    nextId: 1,
    router: undefined,
    deferred: [],
    retiring: {},
    pending: undefined,
  }),
  on: {
    "api.register": { actions: "register" },
    "api.unregister": { actions: "unregister" },
    "api.restore_default": { actions: "restoreDefault" },
    "api.run": { actions: "forward" },
    "storage.result": { guard: "isRetiringDrain", actions: "stopRetired" },
    "api.retire_timeout": { guard: "isRetiringDrain", actions: "stopRetired" },
  },
  initial: "ready",
  states: {
    ready: {
      always: { guard: "hasDeferredBind", actions: "replayDeferred" },
      on: {
        "api.bind": [
          { guard: "isCurrentStorage", actions: "answerNoop" },
          {
            guard: "wantsMigration",
            target: "migrating",
            actions: ["startBind", "askReady"],
          },
          { target: "binding", actions: ["startBind", "askReady"] },
        ],
      },
    },
    binding: {
      after: {
        stepTimeout: {
          target: "ready",
          actions: { type: "abortBind", params: { step: "ready" } },
        },
      },
      on: {
        "api.bind": { actions: "defer" },
        "storage.result": {
          guard: "isReadyAnswer",
          target: "ready",
          actions: ["swap", "scheduleRetireTimeout"],
        },
        "storage.error": {
          guard: "isReadyAnswer",
          target: "ready",
          actions: "abortBind",
        },
      },
    },
    migrating: {
      initial: "starting",
      // Callers must not wait on a new storage that stopped answering.
      invoke: {
        src: "stallWatch",
        input: ({ context }: { context: RegistryContext }) => ({
          router: context.router as MigrationRouter,
          stallMs: Math.max(1, Math.floor(context.timeout / 2)),
        }),
      },
      on: {
        "api.bind": { actions: "defer" },
        "api.route_failed": { target: "ready", actions: "abortBind" },
        "storage.error": [
          { guard: "isReadyAnswer", target: "ready", actions: "abortBind" },
          {
            guard: "isDrainError",
            target: "ready",
            actions: { type: "abortBind", params: { step: "drain" } },
          },
        ],
      },
      states: {
        starting: {
          after: {
            stepTimeout: {
              target: "#registry.ready",
              actions: { type: "abortBind", params: { step: "ready" } },
            },
          },
          on: {
            "storage.result": {
              guard: "isReadyAnswer",
              target: "draining",
              actions: "drainOld",
            },
          },
        },
        draining: {
          after: {
            stepTimeout: {
              target: "#registry.ready",
              actions: { type: "abortBind", params: { step: "drain" } },
            },
          },
          on: {
            "storage.result": { guard: "isDrained", target: "copying" },
          },
        },
        copying: {
          invoke: {
            id: "copier",
            src: "copier",
            input: ({ context }: { context: RegistryContext }) =>
              copierInput(context),
            onDone: [
              {
                guard: "copySucceeded",
                target: "#registry.ready",
                actions: ["commitMigration", "scheduleRetireTimeout"],
              },
              { target: "#registry.ready", actions: "abortBind" },
            ],
          },
          on: {
            "api.copy_progress": { actions: "emitProgress" },
            "api.copy_expiry": { actions: "emitExpiry" },
          },
        },
      },
    },
  },
});
