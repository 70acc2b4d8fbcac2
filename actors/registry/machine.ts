/**
 * The internal API registry of one plugin, modelled on slixmpp's `plugin.api`.
 *
 * It holds the handlers of every op (`set_bob`, …: global, per JID, per
 * JID+node, the default) and the storage bound now. A handler is a plain
 * function (slixmpp's `api.register(fn, op)`) or a storage op: a recipe that
 * turns the call into one storage request. The machine is the control plane
 * (register, bind, migrate, drain, retire) and settles every call
 * (`calls.ts`): a facade call on a storage op outside a migration sends its
 * request straight to the bound storage (`callDirect`), any other enters
 * as one event (`api.call`, or `api.run` from an actor) routed here. The
 * storage answers the registry (`sendBack`), which settles the call: one
 * machine step per call, every message after the entry with a source. The
 * call table (`requests.ts`) holds deadlines (its `clock` child reports
 * `api.timeout`, and rejects what is pending on stop). In `migrating` calls
 * are routed over both storages (`migration.ts`).
 *
 * Hot swap rules:
 * - a bind first sends the new storage `storage.ready`; if it fails (or no
 *   answer within `timeout`) the bind rejects with `StorageError` and the old
 *   storage stays bound. Binding the storage bound now is a no-op;
 * - a request already sent to the old storage completes there;
 * - during a migrating bind no call waits for the copy: reads go to the new
 *   storage, then on a miss the old one (mirroring: only for keys the new
 *   storage was given); writes and deletes go to both; the copy
 *   (`copier.ts`) never writes a key a caller touched, and carries TTLs;
 * - after the commit the new storage mirrors the old one: the keys of the
 *   namespace that the key filter accepts and that only it held are removed
 *   (never one a caller wrote meanwhile), unless the bind asked to `merge`;
 * - if the copy fails (an error, a malformed batch, no answer within
 *   `timeout`), or the new storage fails a caller's request, the bind
 *   rejects with `StorageError`, the old storage (it got every write) stays
 *   bound; callers see no error;
 * - the old storage is sent `storage.drain` and, if the registry spawned it,
 *   stopped once answered (or after `timeout`); a running ref is left
 *   running;
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
  sendTo,
  setup,
} from "../../src/deps.ts";
import type { AnyActorRef, AnyStateMachine } from "../../src/types.ts";
import { isActorRef } from "../../src/_util.ts";
import type { StorageReply } from "../storage/protocol.ts";
import type {
  ApiCallEvent,
  RegistryContext,
  RegistryEmitted,
  RegistryEvent,
  RegistryInput,
} from "./protocol.ts";
import { editOps } from "./routes.ts";
import { storageId, uniqueId } from "../storage/names.ts";
import {
  copierInput,
  named,
  NO_COPY,
  rejectBind,
  resolveBind,
  retireCurrent,
  stepOf,
  storageIds,
} from "./steps.ts";
import { copierMachine } from "./copier.ts";
import { bindError } from "./bind_error.ts";
import { expire, sendStorage, settled, startCall } from "./calls.ts";
import {
  abortCalls,
  commitCalls,
  isFacadeReply,
  migrationKeys,
  onCallReply,
  routeMigrating,
  settleFacadeReply,
  stallWatch,
} from "./migration.ts";
import { CallTable, CONTROL_BASE, COPIER_BASE } from "./requests.ts";
import { awaiter, clock } from "./clock.ts";

type BindStep = { step?: "ready" | "drain" };

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
  actors: { copier: copierMachine, stallWatch, clock, awaiter },
  delays: { stepTimeout: ({ context }) => context.timeout },
  guards: {
    isCallReply: ({ event }) =>
      (event.type === "storage.result" || event.type === "storage.error") &&
      event.id < CONTROL_BASE,
    isFacadeReply: (args) => isFacadeReply(args),
    /** An `api.run` whose answer can go somewhere (an actor ref). */
    canAnswer: ({ event }) =>
      event.type === "api.run" && isActorRef(event.replyTo),
    isCopierReply: ({ event }) =>
      (event.type === "storage.result" || event.type === "storage.error") &&
      event.id >= COPIER_BASE,
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
    isThisMigration: ({ context, event }) =>
      event.type === "api.route_failed" &&
      (event.to === undefined || event.to === context.pending?.to),
    copySucceeded: ({ event }) =>
      event.type === "xstate.done.actor.copier" && event.output.ok,
  },
  actions: {
    /** `api.register`, `api.unregister`, `api.restore_default`. */
    editOps: assign(({ context, event }) => {
      assertEvent(event, [
        "api.register",
        "api.unregister",
        "api.restore_default",
      ]);
      return { ops: editOps(context, event) };
    }),
    setJid: assign({ jid: ({ event }) => (event as { jid: string }).jid }),
    /** A call: straight to the bound storage (or a function handler). */
    call: enqueueActions((args) => {
      startCall(stepOf(args), args.event as ApiCallEvent, undefined);
    }),
    /** A call during a migration: over both storages (`migration.ts`). */
    callMigrating: enqueueActions((args) => {
      startCall(stepOf(args), args.event as ApiCallEvent, routeMigrating);
    }),
    /** A storage answered a facade call: settle it, nothing to send. */
    settleFacade: (args) => settleFacadeReply(args),
    /** A storage answered a call. */
    reply: enqueueActions((args) => {
      onCallReply(stepOf(args), args.event as StorageReply);
    }),
    expire: enqueueActions((args) => {
      assertEvent(args.event, "api.timeout");
      expire(stepOf(args), args.event.id, args.event.call);
    }),
    settled: enqueueActions((args) => {
      const { event } = args;
      assertEvent(event, "api.settled");
      settled(stepOf(args), event.id, event.ok, event.value);
    }),
    /** An answer to the copier's request: hand it on. */
    forwardToCopier: sendTo("copier", ({ event }) => event),
    defer: assign(({ context, event }) => {
      assertEvent(event, "api.bind");
      context.calls.holdBind(event);
      return { deferred: [...context.deferred, event] };
    }),
    /** The next deferred bind, on entering `ready` or after a no-op bind. */
    replayDeferred: enqueueActions(({ context, enqueue }) => {
      const [first, ...rest] = context.deferred;
      if (first === undefined) return;
      enqueue.assign({ deferred: rest });
      enqueue(raise(first));
    }),
    /** Binding what is bound already: nothing to do. */
    answerNoop: ({ context, event }) => {
      assertEvent(event, "api.bind");
      resolveBind(context, event, { migrated: false, ...NO_COPY });
    },
    /** Spawn (or adopt) the new storage; a migration gets its key sets. */
    startBind: assign(({ context, event, spawn }) => {
      assertEvent(event, "api.bind");
      context.calls.holdBind(event);
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
        migration: event.migrate
          ? migrationKeys(event.merge !== true)
          : undefined,
      };
    }),
    askReady: enqueueActions((args) => {
      const p = args.context.pending!;
      sendStorage(stepOf(args), p.to, p.owned, {
        type: "storage.ready",
        id: p.readyId,
        ns: args.context.ns,
      });
    }),
    drainOld: enqueueActions((args) => {
      const { context } = args;
      sendStorage(stepOf(args), context.storage, context.owned, {
        type: "storage.drain",
        id: context.pending!.drainId,
        ns: context.ns,
      });
    }),
    /** Plain bind: the new storage started; switch, retire the old one. */
    swap: enqueueActions((args) => {
      const { context, enqueue } = args;
      const p = context.pending!;
      const retired = retireCurrent(stepOf(args));
      enqueue.assign({
        storage: p.to,
        owned: p.owned,
        pending: undefined,
        ...retired,
      });
      enqueue(() =>
        resolveBind(context, p.bind, { migrated: false, ...NO_COPY })
      );
    }),
    /** After `timeout` ms a retired storage is stopped, drained or not. */
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
    commitMigration: enqueueActions((args) => {
      const { context, event, enqueue } = args;
      assertEvent(event, "xstate.done.actor.copier");
      if (!event.output.ok) return;
      const p = context.pending!;
      const step = stepOf(args);
      commitCalls(context.migration!, step);
      const retired = retireCurrent(step);
      const { progress } = event.output;
      enqueue.assign({
        storage: p.to,
        owned: p.owned,
        migration: undefined,
        pending: undefined,
        ...retired,
      });
      enqueue.emit({
        type: "api.progress",
        bind: p.bind.id,
        done: true,
        ...progress,
      });
      enqueue(() =>
        resolveBind(context, p.bind, { migrated: true, ...progress })
      );
    }),
    /**
     * The bind failed: the old storage stays bound (the calls still waiting
     * on the new storage are served by it), the new one is stopped if the
     * registry spawned it, and the bind rejects.
     */
    abortBind: enqueueActions(
      (args, params: BindStep | undefined) => {
        const { context, event, enqueue } = args;
        const p = context.pending!;
        const error = bindError(
          event,
          p.bind.migrate,
          context.timeout,
          params?.step,
        );
        if (context.migration !== undefined) {
          abortCalls(context.migration, stepOf(args));
        }
        if (p.owned) enqueue.stopChild(p.to);
        enqueue.assign({ migration: undefined, pending: undefined });
        enqueue(() => rejectBind(context, p.bind, error));
      },
    ),
  },
}).createMachine({
  id: "registry",
  context: ({ input, spawn }) => ({
    ns: input.ns,
    jid: input.jid,
    ops: {},
    storage: spawn(input.storage, named(storageId(input.storage))),
    owned: true,
    timeout: input.timeout,
    callTimeout: input.callTimeout ?? input.timeout,
    isKey: input.isKey ?? (() => true),
    nextId: CONTROL_BASE,
    calls: new CallTable(),
    migration: undefined,
    deferred: [],
    retiring: {},
    pending: undefined,
  }),
  invoke: [
    {
      id: "clock",
      src: "clock",
      input: ({ context }: { context: RegistryContext }) => context.calls,
    },
    { id: "awaiter", src: "awaiter" },
  ],
  on: {
    "api.call": { actions: "call" },
    "api.run": { guard: "canAnswer", actions: "call" },
    "storage.result": [
      { guard: "isFacadeReply", actions: "settleFacade" },
      { guard: "isCallReply", actions: "reply" },
      { guard: "isRetiringDrain", actions: "stopRetired" },
    ],
    "storage.error": [
      { guard: "isFacadeReply", actions: "settleFacade" },
      { guard: "isCallReply", actions: "reply" },
    ],
    "api.timeout": { actions: "expire" },
    "api.settled": { actions: "settled" },
    "api.jid": { actions: "setJid" },
    "api.register": { actions: "editOps" },
    "api.unregister": { actions: "editOps" },
    "api.restore_default": { actions: "editOps" },
    "api.retire_timeout": { guard: "isRetiringDrain", actions: "stopRetired" },
  },
  initial: "ready",
  states: {
    ready: {
      entry: "replayDeferred",
      on: {
        "api.bind": [
          {
            guard: "isCurrentStorage",
            actions: ["answerNoop", "replayDeferred"],
          },
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
          waiting: context.migration!.waiting,
          stallMs: Math.max(1, Math.floor(context.timeout / 2)),
        }),
      },
      on: {
        "api.call": { actions: "callMigrating" },
        "api.run": { guard: "canAnswer", actions: "callMigrating" },
        "api.bind": { actions: "defer" },
        "api.route_failed": {
          guard: "isThisMigration",
          target: "ready",
          actions: "abortBind",
        },
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
            input: (
              { context, self }: {
                context: RegistryContext;
                self: AnyActorRef;
              },
            ) => copierInput(context, self),
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
            "storage.result": {
              guard: "isCopierReply",
              actions: "forwardToCopier",
            },
            "storage.error": {
              guard: "isCopierReply",
              actions: "forwardToCopier",
            },
            "api.copy_progress": { actions: "emitProgress" },
            "api.copy_expiry": { actions: "emitExpiry" },
          },
        },
      },
    },
  },
});
