/**
 * The registry protocol: the events an internal API registry accepts, and
 * the shapes of its handlers, routes and context.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type {
  JsonValue,
  ReplyTarget,
  StorageReply,
  StorageRequest,
} from "../storage/protocol.ts";
import type { StorageLogic } from "../storage/define.ts";

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
 * The data path during a migrating bind, as the facade sees it: it routes
 * each storage request (get: new storage, then old on a miss; set/del: both)
 * and records the keys callers wrote or deleted.
 */
export interface MigrationRoute {
  /** Keys written or deleted by callers since the migration began. */
  readonly touched: ReadonlySet<string>;
  /**
   * Mirror only: the keys (accepted by the key filter) the new storage
   * held when the migration began that the copy has not rewritten yet: a
   * get of one of them (untouched) goes to the old storage, and what is left
   * of them at the end is removed. `null` until they are known (then no key
   * of the new storage is trusted); always empty when merging.
   */
  stale: Set<string> | null;
  /** Whether the migration mirrors (the default) rather than merges. */
  readonly mirror: boolean;
  /**
   * Serve one storage request during the migration.
   * @param request The request; its reply goes to `request.replyTo`.
   */
  route(request: StorageRequest): void;
}

/** The registry's context. */
export interface RegistryContext {
  /** API name, also the storage namespace (e.g. `xep_0231`). */
  ns: string;
  /** Handlers per op. */
  ops: Record<string, OpTable>;
  /** The storage actor bound now (the old one during a migration). */
  storage: AnyActorRef;
  /** Whether the registry spawned `storage` (and so stops it when retired). */
  owned: boolean;
  /** Timeout of each step of a bind or migration, in ms. */
  timeout: number;
  /** The default key filter of migrations (accepts every key unless given). */
  isKey: KeyFilter;
  /** Id of the registry's own next storage request. */
  nextId: number;
  /**
   * Set during a migrating bind: callers route storage requests through it
   * (no registry hop), instead of straight to `storage`.
   */
  router: MigrationRoute | undefined;
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

/** Bind a storage: actor logic (spawned and owned) or a running ref (kept). */
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
  /** Request id of the answer (a storage reply). */
  id: number;
  /** Who gets the answer. */
  replyTo: ReplyTarget;
}

/** What the copier child reports when it ends. */
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
  | { type: "api.run"; request: StorageRequest }
  | { type: "api.retire_timeout"; id: number }
  /** From the copier: progress of the background copy. */
  | { type: "api.copy_progress"; progress: MigrationProgress }
  /** From the copier: deadlines of copied entries that expire. */
  | { type: "api.copy_expiry"; entries: [string, number][] }
  /** From the migration router: the new storage failed a caller's request. */
  | { type: "api.route_failed"; error: Error }
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
   * Which keys a migration copies (the plugin's own key check, e.g. BoB's
   * `isCid`); the others are skipped and counted.
   * @default {() => true}
   */
  isKey?: KeyFilter;
}
