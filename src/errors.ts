/**
 * Typed errors of the actor core. Callers catch these by class; each sets
 * `name` and keeps the underlying `cause`.
 *
 * @module
 */

/**
 * A request got no answer in time: a storage actor that stopped or hangs, an
 * IQ nobody answered.
 *
 * @example Usage
 * ```ts
 * import { TimeoutError } from "./errors.ts";
 * const err = new TimeoutError("Cannot run get_bob: storage did not answer within 5000 ms");
 * console.assert(err.name === "TimeoutError");
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Create the error.
   * @param message What timed out and after how long.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * No entry under the asked key (XEP-0231: `item-not-found`).
 *
 * @example Usage
 * ```ts
 * import { ItemNotFound } from "./errors.ts";
 * const err = new ItemNotFound("Cannot get bob: no data for cid sha1+00@bob.xmpp.org");
 * console.assert(err.condition === "item-not-found");
 * ```
 */
export class ItemNotFound extends Error {
  /** The XMPP stanza error condition this maps to. */
  readonly condition = "item-not-found";
  /**
   * Create the error.
   * @param message Which key was missing.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ItemNotFound";
  }
}

/**
 * An internal API call failed: unknown op, or a handler that threw or
 * rejected. `op` names the operation; `cause` keeps the handler's error.
 *
 * @example Usage
 * ```ts
 * import { ApiError } from "./errors.ts";
 * const err = new ApiError("set_bob", "Cannot run set_bob: handler threw", { cause: new Error("disk full") });
 * console.assert(err.op === "set_bob");
 * ```
 */
export class ApiError extends Error {
  /** The operation that failed, e.g. `set_bob`. */
  readonly op: string;
  /**
   * Create the error.
   * @param op The operation that failed.
   * @param message What went wrong.
   * @param options The underlying cause (the handler's error).
   */
  constructor(op: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ApiError";
    this.op = op;
  }
}

/**
 * A storage backend failed to read or write an entry (I/O error, corrupt
 * file, entry that does not match its key).
 *
 * @example Usage
 * ```ts
 * import { StorageError } from "./errors.ts";
 * const err = new StorageError("Cannot read bob: corrupt JSON in file x");
 * console.assert(err.name === "StorageError");
 * ```
 */
export class StorageError extends Error {
  /**
   * Create the error.
   * @param message What failed, and on which key.
   * @param options The underlying cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageError";
  }
}
