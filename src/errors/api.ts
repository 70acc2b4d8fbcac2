/**
 * Errors of the internal API and its storage backends: a failed call
 * ({@linkcode ApiError}), a storage failure ({@linkcode StorageError}), data
 * that does not match its content id ({@linkcode VerificationError}).
 * Re-exported by `src/errors.ts`.
 *
 * @module
 */
import { RuntimeError } from "./base.ts";

/**
 * An internal API call failed: unknown op, no handler, or a handler that
 * threw or rejected. `op` names the operation; `cause` keeps the handler's
 * error. Condition `internal-server-error` (`feature-not-implemented` for an
 * unknown op).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ApiError } from "../errors.ts";
 * const err = new ApiError("set_bob", "Cannot run set_bob: handler threw", { cause: new Error("disk full") });
 * strictEqual(err.op, "set_bob");
 * strictEqual(err.condition, "internal-server-error");
 * ```
 */
export class ApiError extends RuntimeError {
  /** The operation that failed, e.g. `set_bob`. */
  readonly op: string;
  /**
   * Create the error.
   * @param op The operation that failed.
   * @param message What went wrong.
   * @param options The underlying cause, and the condition when it is not
   *   `internal-server-error`.
   */
  constructor(
    op: string,
    message: string,
    options?: ErrorOptions & { condition?: string },
  ) {
    super(
      "ApiError",
      options?.condition ?? "internal-server-error",
      message,
      options,
    );
    this.op = op;
  }
}

/**
 * A storage backend failed to read or write an entry (I/O error, corrupt
 * file, entry that does not match its key, a backend that cannot start, a
 * migration that failed). Condition `internal-server-error`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { StorageError } from "../errors.ts";
 * const err = new StorageError("Cannot read bob: corrupt JSON in file x");
 * strictEqual(err.name, "StorageError");
 * ```
 */
export class StorageError extends RuntimeError {
  /**
   * Create the error.
   * @param message What failed, and on which key.
   * @param options The underlying cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("StorageError", "internal-server-error", message, options);
  }
}

/**
 * Data from a peer failed verification and was not believed (nor stored):
 * a BoB whose bytes do not hash to its cid, over the size limit, or
 * malformed. Condition `not-acceptable`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { VerificationError } from "../errors.ts";
 * const err = new VerificationError("Cannot accept bob: data does not match its cid");
 * strictEqual(err.condition, "not-acceptable");
 * ```
 */
export class VerificationError extends RuntimeError {
  /**
   * Create the error.
   * @param message What did not verify.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("VerificationError", "not-acceptable", message, options);
  }
}
