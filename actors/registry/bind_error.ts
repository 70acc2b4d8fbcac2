/**
 * The `StorageError` a failed bind rejects with, built from what ended it.
 *
 * @module
 */
import { StorageError } from "../../src/errors.ts";
import type { RegistryEvent } from "./protocol.ts";

/** The step of a bind that can time out. */
export type BindStep = "ready" | "drain";

/**
 * Why a bind failed, as a `StorageError` (with the cause when there is one).
 *
 * @param event The event that ended the bind (a storage error, the
 *   router's or copier's failure report, or a step timeout).
 * @param migrate Whether the bind was a migration.
 * @param timeout The step timeout in ms (for the timeout message).
 * @param step The step that timed out, for a timeout.
 * @returns The error.
 */
export function bindError(
  event: RegistryEvent | { type: string },
  migrate: boolean,
  timeout: number,
  step?: BindStep,
): StorageError {
  const e = event as RegistryEvent;
  const prefix = migrate
    ? "Cannot bind storage: migration failed"
    : "Cannot bind storage";
  let detail: string;
  let cause: Error | undefined;
  switch (e.type) {
    case "storage.error":
      cause = e.error;
      detail = step === "drain"
        ? `the old storage failed storage.drain: ${e.error.message}`
        : `the new storage cannot start: ${e.error.message}`;
      break;
    case "api.route_failed":
      cause = e.error;
      detail = `the new storage failed a call: ${e.error.message}`;
      break;
    case "xstate.done.actor.copier":
      cause = e.output.ok ? undefined : e.output.error;
      detail = cause?.message ?? "the copy ended without a result";
      break;
    default:
      detail = step === "drain"
        ? `the old storage did not answer storage.drain within ${timeout} ms`
        : `the new storage did not answer storage.ready within ${timeout} ms`;
  }
  return new StorageError(`${prefix}: ${detail}`, { cause });
}
