/**
 * The reconnect policy: exponential backoff with jitter, and which failures
 * are worth another attempt. Pure functions; the connection machine's
 * `reconnecting` state uses them.
 *
 * @module
 */
import { ConnectionError, StreamError } from "../../src/errors.ts";

/** Reconnect policy: exponential backoff with jitter. */
export interface ReconnectOptions {
  /**
   * Reconnect after losing an established session.
   * @default {true}
   */
  enabled?: boolean;
  /**
   * Delay before the first attempt, in ms.
   * @default {1000}
   */
  initialDelay?: number;
  /**
   * Largest delay, in ms.
   * @default {30000}
   */
  maxDelay?: number;
  /**
   * Growth factor per attempt.
   * @default {2}
   */
  factor?: number;
  /**
   * Random spread, as a fraction of the delay (0.2 = ±20 %).
   * @default {0.2}
   */
  jitter?: number;
  /**
   * Attempts before giving up (then `failed`).
   * @default {Infinity}
   */
  maxAttempts?: number;
}

/**
 * The policy with every default filled in.
 *
 * @param options The options given, if any.
 * @returns The complete policy.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { reconnectPolicy } from "./reconnect.ts";
 * strictEqual(reconnectPolicy({ factor: 3 }).initialDelay, 1000);
 * ```
 */
export function reconnectPolicy(
  options: ReconnectOptions = {},
): Required<ReconnectOptions> {
  return {
    enabled: options.enabled ?? true,
    initialDelay: options.initialDelay ?? 1000,
    maxDelay: options.maxDelay ?? 30_000,
    factor: options.factor ?? 2,
    jitter: options.jitter ?? 0.2,
    maxAttempts: options.maxAttempts ?? Infinity,
  };
}

/**
 * The delay before attempt number `attempt` (0 for the first).
 *
 * @param policy The policy.
 * @param attempt Attempts made since the last time online.
 * @returns The delay in ms.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { backoffDelay, reconnectPolicy } from "./reconnect.ts";
 * const policy = reconnectPolicy({ initialDelay: 100, jitter: 0 });
 * strictEqual(backoffDelay(policy, 2), 400);
 * ```
 */
export function backoffDelay(
  policy: Required<ReconnectOptions>,
  attempt: number,
): number {
  const base = Math.min(
    policy.maxDelay,
    policy.initialDelay * Math.pow(policy.factor, attempt),
  );
  const spread = base * policy.jitter * (Math.random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

const RETRYABLE_STREAM_ERRORS = new Set([
  "connection-timeout",
  "internal-server-error",
  "remote-connection-failed",
  "reset",
  "resource-constraint",
  "system-shutdown",
  "undefined-condition",
]);

/**
 * Whether a session that ended with `error` is worth reconnecting: a lost
 * socket or a transient stream error is; bad credentials, TLS failures and
 * stream errors such as `conflict` are not.
 *
 * @param error Why the session ended (`undefined`: no known reason).
 * @returns `true` when another attempt may succeed.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isRetryable } from "./reconnect.ts";
 * import { StreamError } from "../../src/errors.ts";
 * ok(isRetryable(new StreamError("system-shutdown")));
 * ok(!isRetryable(new StreamError("conflict")));
 * ```
 */
export function isRetryable(error: Error | undefined): boolean {
  if (!error) return true;
  if (error instanceof StreamError) {
    return RETRYABLE_STREAM_ERRORS.has(error.condition);
  }
  if (error.name === "TLSError") return false;
  return error instanceof ConnectionError;
}
