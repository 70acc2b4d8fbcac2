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
