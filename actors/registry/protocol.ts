/**
 * The registry protocol: the events an internal API registry accepts, and
 * the shapes of its handlers, routes and context.
 *
 * Calls: user code's `Api.run` enters with one `api.call` (carrying the
 * promise's `resolve`/`reject`); an actor sends `api.run` with an id and a
 * `replyTo` and gets `api.result` or `api.error` back. Either way the
 * registry machine resolves the route, sends the storage request (`sendTo`),
 * takes the storage's answer and settles the call: every message after the
 * entry event has a source actor.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type { JsonValue, StorageReply } from "../storage/protocol.ts";
import type { StorageLogic } from "../storage/define.ts";
import type { Call, CallTable } from "./requests.ts";

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

/**
 * Whether a key belongs in the namespace (BoB: a valid cid). A migration
 * copies only such keys; others (a stray `README.txt` in a file storage
 * directory) are skipped and counted, not fatal.
 */
export type KeyFilter = (key: string) => boolean;

/** How far a migrating bind has got; see `api.progress`. */
export interface MigrationProgress {
  /** Entries written to the new storage by the background copy. */
  copied: number;
  /** Keys left behind because the key filter rejected them. */
  skipped: number;
  /**
   * Entries not copied because a caller wrote or deleted the key during the
   * migration (the caller's write already reached the new storage).
   */
  superseded: number;
  /**
   * Keys removed from the new storage because the old one does not hold
   * them (a mirroring migration; always 0 with `merge`).
   */
  removed: number;
  /** Keys in the old storage when the copy began, when the storage knows. */
  total?: number;
  /** Time since the copy began, in ms. */
  elapsedMs: number;
  /** Entries handled per second so far (copied + skipped + superseded). */
  rate: number;
}

/** What `api.bind` resolves with. */
export interface BindReport extends MigrationProgress {
  /** Whether entries were migrated (`migrate: true`) or the bind was plain. */
  migrated: boolean;
}

/** Emitted by the registry (read with `registry.on("api.progress", …)`). */
export interface ProgressEvent extends MigrationProgress {
  /** Discriminant. */
  type: "api.progress";
  /** The request id of the bind this reports on. */
  bind: number;
  /** `true` on the last event of a migration that succeeded. */
  done: boolean;
}

/**
 * Emitted by the registry while a migration copies entries that expire: their
 * keys and deadlines (ms since the epoch, `Date.now()` clock), so that a
 * plugin that expires entries itself (BoB's scheduler) keeps expiring them
 * in a new storage that has no expiry of its own (files, IndexedDB).
 */
export interface ExpiryEvent {
  /** Discriminant. */
  type: "api.expiry";
  /** The request id of the bind this reports on. */
  bind: number;
  /** `[key, deadline]` of each entry copied with a remaining time. */
  entries: [string, number][];
}

/** Everything the registry emits. */
export type RegistryEmitted = ProgressEvent | ExpiryEvent;

/**
 * The key sets a migrating bind keeps, shared by the registry (which routes
 * callers' requests) and the copier (which must not overwrite or remove what
 * callers wrote). Data only: which requests go where is decided by the
 * registry machine's state (`migrating`).
 */
export interface MigrationKeys {
  /** Keys written or deleted by callers since the migration began. */
  readonly touched: Set<string>;
  /**
   * Mirror only: the keys (accepted by the key filter) the new storage held
   * when the migration began that the copy has not rewritten yet: a get of
   * one of them (untouched) goes to the old storage, and what is left of them
   * at the end is removed. `null` until the copier has listed them (then no
   * key of the new storage is trusted); always empty when merging.
   */
  stale: Set<string> | null;
  /** Whether the migration mirrors (the default) rather than merges. */
  readonly mirror: boolean;
  /**
   * Calls waiting for the new storage's answer, by call id, with when they
   * were sent (`performance.now()`; insertion order, so the first is the
   * oldest): what the stall watch looks at.
   */
  readonly waiting: Map<number, number>;
  /**
   * Calls routed during the migration (a count): the copier's pacing reads
   * it to know whether callers are active (`pacer.ts`).
   */
  calls: number;
}

/** The registry's context. */
export interface RegistryContext {
  /** API name, also the storage namespace (e.g. `xep_0231`). */
  ns: string;
  /** The JID a call is for when it names none (the client's). */
  jid: string | undefined;
  /** Handlers per op. */
  ops: Record<string, OpTable>;
  /** The storage actor bound now (the old one during a migration). */
  storage: AnyActorRef;
  /** Whether the registry spawned `storage` (and so stops it when retired). */
  owned: boolean;
  /** Timeout of each step of a bind or migration, in ms. */
  timeout: number;
  /** Default timeout of a call (storage or async handler), in ms. */
  callTimeout: number;
  /** The default key filter of migrations (accepts every key unless given). */
  isKey: KeyFilter;
  /** Id of the registry's own next control request (ready, drain). */
  nextId: number;
  /** The calls and binds waiting for an answer (see `requests.ts`). */
  calls: CallTable;
  /** Set during a migrating bind: the keys it keeps (see `MigrationKeys`). */
  migration: MigrationKeys | undefined;
  /** Binds that arrived during a bind or migration. */
  deferred: BindEvent[];
  /** Old storages waiting for their drain answer, by drain request id. */
  retiring: Record<number, { ref: AnyActorRef; owned: boolean }>;
  /** The bind in progress (start handshake, then migration if asked). */
  pending: PendingBind | undefined;
}

/** A bind in progress: the new storage proves it started, then (maybe) copy. */
export interface PendingBind {
  /** The new storage. */
  to: AnyActorRef;
  /** Whether the registry spawned it. */
  owned: boolean;
  /** The bind request. */
  bind: BindEvent;
  /** Id of the `storage.ready` request sent to the new storage. */
  readyId: number;
  /** Id of the `storage.drain` request sent to the old storage (migration). */
  drainId: number;
}

/**
 * Bind a storage: actor logic (spawned and owned) or a running ref (kept).
 * The registry settles the promise behind `resolve`/`reject` itself.
 */
export interface BindEvent {
  /** Discriminant. */
  type: "api.bind";
  /** Storage actor logic (spawned, owned) or a running storage actor (kept). */
  storage: StorageLogic | AnyActorRef;
  /** Copy every entry into the new storage before it takes over. */
  migrate: boolean;
  /**
   * Keep the keys only the new storage holds (a migration otherwise removes
   * them, so the new storage mirrors the old one).
   */
  merge?: boolean;
  /** The key filter of this migration (default: the registry's). */
  isKey?: KeyFilter;
  /** Upper bound of entries per copy batch. */
  batchSize?: number;
  /** The copy's share of the time while callers are active (`pacer.ts`). */
  share?: number;
  /**
   * The bind's id, chosen by the sender (the facade: unique in the process),
   * found again in `api.progress` and `api.expiry`.
   */
  id: number;
  /** Settles the bind with its report. */
  resolve: (report: BindReport) => void;
  /** Rejects the bind. */
  reject: (error: Error) => void;
}

/** What a call names, as in slixmpp's `api.run(op, jid, node, ifrom, args)`. */
export interface CallFields {
  /** The op name, e.g. `get_bob`. */
  op: string;
  /** The JID the call is for; defaults to the registry's `jid`. */
  jid?: string;
  /** The node the call is for. */
  node?: string;
  /** The JID the call comes from. */
  ifrom?: string;
  /** The op's own arguments. */
  args?: unknown;
  /** Timeout in ms (a storage or async handler answer); default: the registry's. */
  timeout?: number;
}

/**
 * A call from user code (the `Api.run` facade). The registry routes it
 * (JID+node, JID, global), runs it and settles the promise itself: no reply
 * event. A storage op outside a migration does not enter as this event: the
 * facade takes the direct path (`callDirect` in `calls.ts`: the call opened
 * in the registry's table, its storage request sent to the bound storage,
 * whose answer the registry settles); this event is the entry of every
 * other call (function handlers, unknown ops, calls during a migration).
 */
export interface ApiCallEvent extends CallFields {
  /** Discriminant. */
  type: "api.call";
  /** Settles the call with the op's result. */
  resolve: (value: unknown) => void;
  /** Rejects the call. */
  reject: (error: Error) => void;
}

/**
 * A call from an actor (a plugin machine): routed and run as `api.call`; the
 * registry answers `replyTo` with {@linkcode ApiResultEvent} or
 * {@linkcode ApiErrorEvent} (sent from a machine action, so with a source).
 */
export interface ApiRunEvent extends CallFields {
  /** Discriminant. */
  type: "api.run";
  /** The caller's id for this call, echoed in the answer. */
  id: number | string;
  /** Who gets the answer. */
  replyTo: AnyActorRef;
}

/** The answer to a successful {@linkcode ApiRunEvent}. */
export interface ApiResultEvent {
  /** Discriminant. */
  type: "api.result";
  /** The id of the `api.run` this answers. */
  id: number | string;
  /** What the op returned. */
  value: unknown;
}

/** The answer to a failed {@linkcode ApiRunEvent}. */
export interface ApiErrorEvent {
  /** Discriminant. */
  type: "api.error";
  /** The id of the `api.run` this answers. */
  id: number | string;
  /** Why it failed (`ApiError`, `StorageError`, `TimeoutError`, …). */
  error: Error;
}

/** What the copier reports when it ends. */
export type CopyOutcome =
  | { ok: true; progress: MigrationProgress }
  | { ok: false; error: Error };

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
  | ApiCallEvent
  | ApiRunEvent
  /** The JID calls are for when they name none (sent when the client goes online). */
  | { type: "api.jid"; jid: string }
  | { type: "api.retire_timeout"; id: number }
  /** From the request clock: a call's deadline passed. */
  | { type: "api.timeout"; id: number; call: Call }
  /** From the awaiter: an async function handler settled. */
  | { type: "api.settled"; id: number; ok: boolean; value: unknown }
  /** From the copier: progress of the background copy. */
  | { type: "api.copy_progress"; progress: MigrationProgress }
  /** From the copier: deadlines of copied entries that expire. */
  | { type: "api.copy_expiry"; entries: [string, number][] }
  /** The new storage failed a caller's request (or stalled) during a migration. */
  | { type: "api.route_failed"; error: Error; to?: AnyActorRef }
  | { type: "xstate.done.actor.copier"; output: CopyOutcome }
  | StorageReply;

/** What the registry is created with. */
export interface RegistryInput {
  /** API name and storage namespace. */
  ns: string;
  /** The storage bound at start (spawned and owned by the registry). */
  storage: StorageLogic;
  /** Timeout of each bind and migration step in ms. */
  timeout: number;
  /**
   * Default timeout of a call in ms.
   * @default {timeout}
   */
  callTimeout?: number;
  /** The JID calls are for when they name none (updated by `api.jid`). */
  jid?: string;
  /**
   * Which keys a migration copies (the plugin's own key check, e.g. BoB's
   * `isCid`); the others are skipped and counted.
   * @default {() => true}
   */
  isKey?: KeyFilter;
}
