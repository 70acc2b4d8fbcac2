/**
 * The pending-request table behind the promise facade: it gives each request
 * an id, remembers how to settle it, and settles it exactly once, on the first
 * reply or on its deadline, whichever comes first. Late replies are dropped.
 *
 * Deadlines are kept by `src/deadlines.ts` (one sweeping timer, running only
 * while requests are pending).
 *
 * @module
 */
import { ClientStoppedError, TimeoutError } from "../../src/errors.ts";
import { Deadlines } from "../../src/deadlines.ts";
import type { StorageReply } from "../storage/protocol.ts";

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  finish: ((value: unknown) => unknown) | undefined;
  failure: ((error: Error) => Error) | undefined;
  timeoutMessage: string;
}

/** Hands out request ids and settles their promises from replies. */
export class RequestTable {
  #pending: Deadlines<Pending>;
  #closed = false;

  /**
   * @param sweepMs How often deadlines are checked while requests are pending.
   */
  constructor(sweepMs = 50) {
    this.#pending = new Deadlines(
      (p) => p.reject(new TimeoutError(p.timeoutMessage)),
      { sweepMs },
    );
  }

  /** Number of requests still waiting for a reply. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Open a request.
   *
   * @param timeoutMs How long to wait for the reply.
   * @param timeoutMessage The message of the `TimeoutError` if none comes.
   * @param finish Turns a successful reply's value into the promised result
   *   (may throw to reject).
   * @param failure Turns an error reply into the rejection.
   * @returns The request id and the promise settled by {@linkcode settle}.
   */
  open<T>(
    timeoutMs: number,
    timeoutMessage: string,
    finish?: (value: unknown) => T,
    failure?: (error: Error) => Error,
  ): { id: number; promise: Promise<T> } {
    if (this.#closed) {
      return {
        id: 0,
        promise: Promise.reject(
          new ClientStoppedError(`${timeoutMessage}: the client is stopped`),
        ),
      };
    }
    let resolve!: (value: unknown) => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res as (value: unknown) => void;
      reject = rej;
    });
    const id = this.#pending.add(
      { resolve, reject, finish, failure, timeoutMessage },
      timeoutMs,
    );
    return { id, promise };
  }

  /**
   * Settle the request a reply answers. Unknown or already settled ids are
   * ignored, so each request is answered once.
   *
   * @param reply A storage reply.
   */
  settle(reply: StorageReply): void {
    const p = this.#pending.take(reply.id);
    if (p === undefined) return;
    if (reply.type === "storage.error") {
      p.reject(p.failure === undefined ? reply.error : p.failure(reply.error));
    } else if (p.finish === undefined) {
      p.resolve(reply.value);
    } else {
      try {
        p.resolve(p.finish(reply.value));
      } catch (e) {
        p.reject(e as Error);
      }
    }
  }

  /**
   * Resolve one pending request now (as a successful reply would, without
   * its `finish` step).
   *
   * @param id The request id.
   * @param value The result.
   */
  resolve(id: number, value: unknown): void {
    this.#pending.take(id)?.resolve(value);
  }

  /**
   * Reject one pending request now.
   *
   * @param id The request id.
   * @param error The rejection.
   */
  fail(id: number, error: Error): void {
    this.#pending.take(id)?.reject(error);
  }

  /** Reject everything pending with `ClientStoppedError` and stop the timer. */
  close(): void {
    this.#closed = true;
    for (const p of this.#pending.clear()) {
      p.reject(
        new ClientStoppedError(`${p.timeoutMessage}: the client is stopped`),
      );
    }
  }
}
