/**
 * The pending-request table behind the promise facade: it gives each request
 * an id, remembers how to settle it, and settles it exactly once, on the first
 * reply or on its deadline, whichever comes first. Late replies are dropped.
 *
 * Deadlines are checked by one sweeping timer rather than a timer per call
 * (a setTimeout/clearTimeout pair costs about as much as a whole storage hop
 * here). The timer runs only while requests are pending.
 *
 * @module
 */
import { ClientStoppedError, TimeoutError } from "../../src/errors.ts";
import type { StorageReply } from "../storage/protocol.ts";

interface Pending {
  deadline: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
  finish: ((value: unknown) => unknown) | undefined;
  failure: ((error: Error) => Error) | undefined;
  timeoutMessage: string;
}

/** Hands out request ids and settles their promises from replies. */
export class RequestTable {
  #next = 1;
  #pending = new Map<number, Pending>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sweepMs: number;
  #closed = false;

  /**
   * @param sweepMs How often deadlines are checked while requests are pending.
   */
  constructor(sweepMs = 50) {
    this.#sweepMs = sweepMs;
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
    const id = this.#next++;
    if (this.#closed) {
      return {
        id,
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
    this.#pending.set(id, {
      deadline: Date.now() + timeoutMs,
      resolve,
      reject,
      finish,
      failure,
      timeoutMessage,
    });
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = setTimeout(() => this.#sweep(), this.#sweepMs);
    }
    return { id, promise };
  }

  /**
   * Settle the request a reply answers. Unknown or already settled ids are
   * ignored, so each request is answered once.
   *
   * @param reply A storage reply.
   */
  settle(reply: StorageReply): void {
    const p = this.#pending.get(reply.id);
    if (p === undefined) return;
    this.#pending.delete(reply.id);
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
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    p.resolve(value);
  }

  /**
   * Reject one pending request now.
   *
   * @param id The request id.
   * @param error The rejection.
   */
  fail(id: number, error: Error): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    p.reject(error);
  }

  /** Reject everything pending with `ClientStoppedError` and stop the timer. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      p.reject(
        new ClientStoppedError(`${p.timeoutMessage}: the client is stopped`),
      );
    }
  }

  #sweep(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [id, p] of this.#pending) {
      if (p.deadline <= now) {
        this.#pending.delete(id);
        p.reject(new TimeoutError(p.timeoutMessage));
      }
    }
    if (this.#pending.size > 0 && !this.#closed) {
      this.#timer = setTimeout(() => this.#sweep(), this.#sweepMs);
    }
  }
}
