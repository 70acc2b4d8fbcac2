/**
 * The data path during a migrating bind. Callers keep calling without a
 * registry hop: the facade hands each storage request to the
 * {@linkcode MigrationRouter} found in the registry's snapshot, which serves
 * it from the two storages at once:
 *
 * - `storage.get` goes to the new storage and, on a miss, to the old one
 *   (after the switch, a late miss asks the new storage again: it then holds
 *   everything). During a mirroring migration (the default) the new storage
 *   may still hold stale entries (keys it held before, which the copy has
 *   not rewritten and which are removed at the end): a get of one of them
 *   (or of any key, until the new storage's keys are known) goes to the old
 *   storage, which holds everything until the switch, unless a caller wrote
 *   or deleted the key meanwhile;
 * - `storage.set` and `storage.del` go to both storages (write-through), and
 *   the key is marked touched, so the background copy never writes it: a
 *   newer value is never replaced by an older one and a deleted key is never
 *   brought back. The caller gets the old storage's answer: the old storage
 *   stays complete, so a failed migration loses nothing;
 * - a failure of the new storage is reported to the registry (which aborts
 *   the migration) and the caller is served by the old storage.
 *
 * Each call costs one extra storage hop at most (the second write, or the
 * read of the old storage on a miss).
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type {
  ReplyTarget,
  StorageReply,
  StorageRequest,
} from "../storage/protocol.ts";
import type { MigrationRoute } from "./protocol.ts";
import { deliver } from "./routes.ts";
import { fromCallback } from "../../src/deps.ts";
import type { AnyActorLogic } from "../../src/types.ts";
import { StorageError } from "../../src/errors.ts";

/** Where a migration stands: copying, then committed or aborted. */
export type MigrationPhase = "copying" | "committed" | "aborted";

function answer(target: ReplyTarget, reply: StorageReply): void {
  try {
    target.send(reply);
  } catch {
    // The requester is gone; nothing to answer.
  }
}

/** A get in flight on the new storage (then maybe on the old one). */
class ReadCall implements ReplyTarget {
  #router: MigrationRouter;
  #request: StorageRequest;
  #done = false;

  constructor(router: MigrationRouter, request: StorageRequest) {
    this.#router = router;
    this.#request = request;
  }

  start(): void {
    this.#router.calls.set(this, performance.now());
    deliver(this.#router.to, { ...this.#request, id: 1, replyTo: this });
  }

  /** The new storage answered. */
  send(reply: StorageReply): void {
    if (this.#done) return;
    this.#done = true;
    const r = this.#router;
    r.calls.delete(this);
    const request = this.#request;
    if (reply.type === "storage.result" && reply.value !== undefined) {
      answer(request.replyTo, { ...reply, id: request.id });
    } else if (r.phase === "committed") {
      // The new storage holds everything now: its error is the answer, and
      // a miss that raced with the copy is asked again.
      if (reply.type === "storage.error") {
        answer(request.replyTo, { ...reply, id: request.id });
      } else deliver(r.to, request);
    } else {
      if (reply.type === "storage.error") r.fail(reply.error);
      deliver(r.from, request);
    }
  }

  /** The migration failed: ask the old storage instead. */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    deliver(this.#router.from, this.#request);
  }
}

/** A set or del sent to both storages. */
class WriteCall implements ReplyTarget {
  #router: MigrationRouter;
  #request: StorageRequest;
  #new: StorageReply | null | undefined; // null: no longer awaited
  #old: StorageReply | undefined;
  #done = false;

  constructor(router: MigrationRouter, request: StorageRequest) {
    this.#router = router;
    this.#request = request;
  }

  start(): void {
    const r = this.#router;
    r.calls.set(this, performance.now());
    deliver(r.to, { ...this.#request, id: 1, replyTo: this });
    deliver(r.from, { ...this.#request, id: 2, replyTo: this });
  }

  send(reply: StorageReply): void {
    const r = this.#router;
    if (reply.id === 1) {
      if (this.#new !== undefined) return;
      this.#new = reply;
      r.calls.delete(this);
      if (reply.type === "storage.error" && r.phase === "copying") {
        r.fail(reply.error);
      }
    } else if (reply.id === 2) {
      this.#old = reply;
    }
    this.#finish();
  }

  abort(): void {
    if (this.#new !== undefined) return;
    this.#new = null;
    this.#finish();
  }

  #finish(): void {
    const n = this.#new;
    const o = this.#old;
    if (this.#done || n === undefined || o === undefined) return;
    this.#done = true;
    const { id, replyTo } = this.#request;
    // Once the new storage has taken over, its failure is the caller's.
    const out =
      this.#router.phase === "committed" && n?.type === "storage.error" ? n : o;
    answer(replyTo, { ...out, id });
  }
}

/**
 * Routes storage requests during one migration (see the module doc) and
 * records which keys callers touched, for the background copy to skip.
 *
 * @example Reads fall back to the old storage; writes reach both
 * ```ts
 * import { deepStrictEqual, ok } from "node:assert/strict";
 * import { createActor } from "npm:xstate@^5.33.0";
 * import { memoryStorage } from "../storage/memory.ts";
 * import { MigrationRouter } from "./router.ts";
 * const from = createActor(memoryStorage()).start();
 * const to = createActor(memoryStorage()).start();
 * from.send({ type: "storage.set", id: 0, ns: "t", key: "a", value: 1, replyTo: { send() {} } });
 * const router = new MigrationRouter(from, to, () => {});
 * const replies: unknown[] = [];
 * const replyTo = { send: (r: unknown) => void replies.push(r) };
 * router.route({ type: "storage.get", id: 7, ns: "t", key: "a", replyTo });
 * router.route({ type: "storage.set", id: 8, ns: "t", key: "b", value: 2, replyTo });
 * deepStrictEqual(replies, [
 *   { type: "storage.result", id: 7, value: 1 },
 *   { type: "storage.result", id: 8, value: undefined },
 * ]);
 * ok(router.touched.has("b"));
 * from.stop();
 * to.stop();
 * ```
 */
export class MigrationRouter implements MigrationRoute {
  /** The storage bound before the migration (complete until it ends). */
  readonly from: AnyActorRef;
  /** The storage being migrated to. */
  readonly to: AnyActorRef;
  /** Keys written or deleted by callers since the migration began. */
  readonly touched: Set<string> = new Set();
  /**
   * Mirror only: keys the new storage held at the start that the copy has
   * not rewritten yet (`null` until listed; see `MigrationRoute.stale`).
   */
  stale: Set<string> | null;
  /** Whether the migration mirrors the old storage (else it merges). */
  readonly mirror: boolean;
  /**
   * Calls waiting for the new storage's answer, with when they were sent
   * (internal; insertion order, so the first is the oldest).
   */
  readonly calls: Map<{ abort(): void }, number> = new Map();
  #phase: MigrationPhase = "copying";
  #onFailure: (error: Error) => void;
  #failed = false;

  /**
   * Create the router of one migration.
   *
   * @param from The old storage.
   * @param to The new storage.
   * @param onFailure Told (once) when the new storage fails a caller's
   *   request while the copy runs; the registry then aborts the migration.
   * @param mirror Whether the new storage is to mirror the old one (then a
   *   get of a key the new storage was not given goes to the old one).
   */
  constructor(
    from: AnyActorRef,
    to: AnyActorRef,
    onFailure: (error: Error) => void,
    mirror = false,
  ) {
    this.from = from;
    this.to = to;
    this.#onFailure = onFailure;
    this.mirror = mirror;
    this.stale = mirror ? null : new Set();
  }

  /** `copying` until the registry commits or aborts the migration. */
  get phase(): MigrationPhase {
    return this.#phase;
  }

  /**
   * Serve one storage request during the migration.
   *
   * @param request The request; its reply goes to `request.replyTo`.
   */
  route(request: StorageRequest): void {
    if (this.#phase === "aborted") return deliver(this.from, request);
    if (this.#phase === "committed") return deliver(this.to, request);
    switch (request.type) {
      case "storage.get":
        // Mirror: a key still stale (any key, until they are listed) is
        // read from the old storage. Decided now, at send time: a copy of
        // the key sent later lands after this read on the new storage.
        if (
          this.mirror && !this.touched.has(request.key) &&
          (this.stale === null || this.stale.has(request.key))
        ) return deliver(this.from, request);
        return new ReadCall(this, request).start();
      case "storage.set":
      case "storage.del":
        this.touched.add(request.key);
        return new WriteCall(this, request).start();
      default:
        // Listings and barriers: the old storage is the complete one.
        return deliver(this.from, request);
    }
  }

  /**
   * Report a failure of the new storage (once; ignored after the switch).
   *
   * @param error What failed.
   */
  fail(error: Error): void {
    if (this.#failed || this.#phase !== "copying") return;
    this.#failed = true;
    this.#onFailure(error);
  }

  /**
   * How long the oldest call still waiting for the new storage has waited,
   * in ms (0 when none waits).
   *
   * @returns The wait in ms.
   */
  oldestWait(): number {
    const first = this.calls.values().next();
    return first.done ? 0 : performance.now() - first.value;
  }

  /** The new storage has taken over: misses and writes stay on it. */
  commit(): void {
    this.#phase = "committed";
  }

  /**
   * The migration failed: calls still waiting for the new storage are
   * served by the old one, and later calls go to the old one only.
   */
  abort(): void {
    this.#phase = "aborted";
    const waiting = [...this.calls.keys()];
    this.calls.clear();
    for (const call of waiting) call.abort();
  }
}

/** What {@linkcode stallWatch} is created with. */
export interface StallWatchInput {
  /** The migration's router. */
  router: MigrationRouter;
  /** How long a caller may wait for the new storage, in ms. */
  stallMs: number;
}

/**
 * Watches a migration's router: when a caller has waited `stallMs` for the
 * new storage (a storage that stopped answering), it reports
 * `api.route_failed` to the registry, which aborts the migration and has the
 * old storage serve the waiting calls, well before their own deadline. Runs
 * only while the registry is migrating (one timer, every `stallMs / 4`).
 */
export const stallWatch: AnyActorLogic = fromCallback<
  { type: "noop" },
  StallWatchInput
>(({ input, sendBack }) => {
  const { router, stallMs } = input;
  const timer = setInterval(() => {
    const waited = router.oldestWait();
    if (waited >= stallMs) {
      sendBack({
        type: "api.route_failed",
        error: new StorageError(
          `no answer within ${stallMs} ms`,
        ),
      });
    }
  }, Math.max(1, Math.floor(stallMs / 4)));
  return () => clearInterval(timer);
});
