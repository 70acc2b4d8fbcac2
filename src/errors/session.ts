/**
 * Errors of the session and its connection: timeouts, a stopped client, a
 * connection or TLS failure, a full outbound or unacknowledged queue.
 * Re-exported by `src/errors.ts`.
 *
 * @module
 */
import { RuntimeError } from "./base.ts";

/**
 * A request got no answer in time: a storage actor that hangs, an IQ nobody
 * answered, a negotiation step the server never finished. Condition
 * `remote-server-timeout`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { TimeoutError } from "../errors.ts";
 * const err = new TimeoutError("Cannot run get_bob: storage did not answer within 5000 ms");
 * strictEqual(err.name, "TimeoutError");
 * strictEqual(err.condition, "remote-server-timeout");
 * ```
 */
export class TimeoutError extends RuntimeError {
  /**
   * Create the error.
   * @param message What timed out and after how long.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("TimeoutError", "remote-server-timeout", message, options);
  }
}

/**
 * The client (or the actor a call went to) was stopped: calls pending at
 * `stop()` and calls made after it reject with this. Condition
 * `service-unavailable`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ClientStoppedError } from "../errors.ts";
 * const err = new ClientStoppedError("Cannot run get_bob: the client is stopped");
 * strictEqual(err.name, "ClientStoppedError");
 * ```
 */
export class ClientStoppedError extends RuntimeError {
  /**
   * Create the error.
   * @param message Which call was cut short.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ClientStoppedError", "service-unavailable", message, options);
  }
}

/**
 * The transport failed: connection refused, TLS failure (e.g. an untrusted
 * certificate), socket closed, or the session ended while a request waited.
 * Condition `remote-connection-failed`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ConnectionError } from "../errors.ts";
 * const err = new ConnectionError("Cannot connect: connection refused");
 * strictEqual(err.name, "ConnectionError");
 * ```
 */
export class ConnectionError extends RuntimeError {
  /**
   * Create the error.
   * @param message What failed.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ConnectionError", "remote-connection-failed", message, options);
  }
}

/**
 * TLS failed: the certificate did not verify (unknown issuer, wrong name,
 * expired) or the handshake broke. A {@linkcode ConnectionError}.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { ConnectionError, TLSError } from "../errors.ts";
 * const err = new TLSError("Cannot start TLS: invalid peer certificate: UnknownIssuer");
 * ok(err instanceof ConnectionError && err.name === "TLSError");
 * ```
 */
export class TLSError extends ConnectionError {
  /**
   * Create the error.
   * @param message What failed.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TLSError";
  }
}

/**
 * The outbound queue (stanzas sent while not online) is full; the stanza was
 * not queued. Condition `resource-constraint`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { QueueOverflowError } from "../errors.ts";
 * const err = new QueueOverflowError(1000);
 * strictEqual(err.limit, 1000);
 * ```
 */
export class QueueOverflowError extends RuntimeError {
  /** The queue's limit. */
  readonly limit: number;
  /**
   * Create the error.
   * @param limit The queue's limit.
   * @param options The underlying cause, if any.
   */
  constructor(limit: number, options?: ErrorOptions, message?: string) {
    super(
      "QueueOverflowError",
      "resource-constraint",
      message ?? `Cannot queue stanza: queue is full (${limit} stanzas)`,
      options,
    );
    this.limit = limit;
  }
}

/**
 * The stream management (XEP-0198) queue of sent, unacknowledged stanzas
 * is at its bound (`streamManagement.maxUnacked` stanzas or
 * `maxUnackedSize` characters): the server has not acknowledged enough of
 * what was sent. Nothing was sent; try again once it acks. A
 * {@linkcode QueueOverflowError}, so one `catch` covers both queues.
 *
 * @example Usage
 * ```ts
 * import { ok, strictEqual } from "node:assert/strict";
 * import { QueueOverflowError, UnackedOverflowError } from "../errors.ts";
 * const err = new UnackedOverflowError(5000, 5000, 120000);
 * ok(err instanceof QueueOverflowError);
 * strictEqual(err.unacked, 5000);
 * ```
 */
export class UnackedOverflowError extends QueueOverflowError {
  /** Stanzas sent and not acknowledged. */
  readonly unacked: number;
  /** Their approximate serialized size, in characters. */
  readonly size: number;
  /**
   * Create the error.
   * @param limit The bound in stanzas (`maxUnacked`).
   * @param unacked Stanzas unacknowledged now.
   * @param size Their size now, in characters.
   * @param options The underlying cause, if any.
   */
  constructor(
    limit: number,
    unacked: number,
    size: number,
    options?: ErrorOptions,
  ) {
    super(
      limit,
      options,
      `Cannot send stanza: the server has not acknowledged ${unacked} stanzas (${size} characters), the stream management bound`,
    );
    this.name = "UnackedOverflowError";
    this.unacked = unacked;
    this.size = size;
  }
}
