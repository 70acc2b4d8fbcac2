/**
 * The registry's table of pending calls and binds. It lives in the registry
 * machine's context and is read and written only by the registry's own
 * actions (and by its request clock, a child, at stop).
 *
 * A call (a storage op, or an async function handler) gets an id and a
 * deadline; it is settled exactly once: on its answer, or when its deadline
 * passes (the clock child reports `api.timeout` to the registry, which
 * settles it), whichever comes first. Late answers find nothing and are
 * dropped. Deadlines are kept by `src/deadlines.ts` (one sweeping timer,
 * running only while calls are pending).
 *
 * Ids of storage requests the registry sends fall in three ranges, so that
 * one `storage.result` handler knows whose answer it is:
 * - call ids (1 … {@linkcode CONTROL_BASE}): the request of a call, or
 *   during a migration its leg on the old storage; the negated id is its
 *   leg on the new storage;
 * - control ids (from {@linkcode CONTROL_BASE}): the registry's own
 *   `storage.ready` and `storage.drain`;
 * - copier ids (from {@linkcode COPIER_BASE}): the background copy's
 *   requests, whose answers the registry forwards to the copier.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import { ClientStoppedError } from "../../src/errors.ts";
import { Deadlines } from "../../src/deadlines.ts";
import type { StorageReply } from "../storage/protocol.ts";
import type {
  BindEvent,
  MigrationKeys,
  StorageCall,
  StorageOp,
} from "./protocol.ts";

/** First id of the registry's own control requests (ready, drain). */
export const CONTROL_BASE = 2 ** 40;
/** First id of the copier's requests. */
export const COPIER_BASE = 2 ** 41;

/**
 * A call routed during a migrating bind: its request went to the new
 * storage (a read, maybe then the old one) or to both (a write).
 */
export interface MigrationLeg {
  /** The old storage. */
  from: AnyActorRef;
  /** Whether the registry spawned the old storage. */
  fromOwned: boolean;
  /** The new storage. */
  to: AnyActorRef;
  /** Whether the registry spawned the new storage. */
  toOwned: boolean;
  /** The migration's key sets. */
  keys: MigrationKeys;
  /** A set or del (sent to both), rather than a get. */
  write: boolean;
  /** The new storage's answer; `null` once no longer awaited. */
  newReply: StorageReply | null | undefined;
  /** The old storage's answer (writes). */
  oldReply: StorageReply | undefined;
  /** The new storage took over while the call waited for it. */
  committed: boolean;
}

/** A pending call: how to settle it, and what it asked. */
export interface Call {
  /** The op name. */
  op: string;
  /** The op's arguments (for the storage op's `result`). */
  args: unknown;
  /** Its timeout in ms (for the timeout message). */
  timeout: number;
  /** A storage op, or an async function handler. */
  kind: "storage" | "function";
  /** The promise's exit (`api.call`). */
  resolve?: (value: unknown) => void;
  /** The promise's exit (`api.call`). */
  reject?: (error: Error) => void;
  /** The actor's exit (`api.run`). */
  replyTo?: AnyActorRef;
  /** The actor's id of the call (`api.run`). */
  callerId?: number | string;
  /** Turns the storage's answer into the op's result. */
  finish?: StorageOp["result"];
  /** The storage request (sent again during a migration). */
  request?: StorageCall;
  /** Set when the call was routed by a migration. */
  leg?: MigrationLeg;
}

/** Pending calls (with deadlines) and binds (without: their steps time out). */
export class CallTable {
  #calls: Deadlines<Call>;
  #binds = new Map<number, BindEvent>();
  /**
   * Told of each call whose deadline passed (already removed); set by the
   * registry's request clock.
   */
  onExpire: ((id: number, call: Call) => void) | undefined;

  /**
   * Create an empty table.
   * @param sweepMs How often deadlines are checked while calls are pending.
   */
  constructor(sweepMs = 50) {
    this.#calls = new Deadlines(
      (call, id) => this.onExpire?.(id, call),
      { sweepMs },
    );
  }

  /** Number of calls waiting for an answer. */
  get size(): number {
    return this.#calls.size;
  }

  /**
   * Open a call.
   *
   * @param call The call.
   * @param timeoutMs Its deadline, from now.
   * @returns Its id (1 or more, below {@linkcode CONTROL_BASE}).
   */
  open(call: Call, timeoutMs: number): number {
    return this.#calls.add(call, timeoutMs);
  }

  /**
   * A pending call, left pending.
   * @param id The call id.
   * @returns The call, or `undefined` once settled.
   */
  get(id: number): Call | undefined {
    return this.#calls.get(id);
  }

  /**
   * Remove a pending call (to settle it).
   * @param id The call id.
   * @returns The call, or `undefined` once settled.
   */
  take(id: number): Call | undefined {
    return this.#calls.take(id);
  }

  /**
   * Keep a bind until it is settled (a stop rejects it).
   * @param bind The bind.
   */
  holdBind(bind: BindEvent): void {
    this.#binds.set(bind.id, bind);
  }

  /**
   * Forget a settled bind.
   * @param id The bind id.
   */
  releaseBind(id: number): void {
    this.#binds.delete(id);
  }

  /**
   * The registry stopped: reject every pending call and bind with
   * `ClientStoppedError` (an actor caller gets nothing: it is stopping too)
   * and stop the timer.
   */
  close(): void {
    for (const call of this.#calls.clear()) {
      call.reject?.(
        new ClientStoppedError(`Cannot run ${call.op}: the client is stopped`),
      );
    }
    const binds = [...this.#binds.values()];
    this.#binds.clear();
    for (const bind of binds) {
      bind.reject(
        new ClientStoppedError("Cannot bind storage: the client is stopped"),
      );
    }
  }
}
