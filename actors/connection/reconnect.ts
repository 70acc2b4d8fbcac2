/**
 * The reconnect policy: exponential backoff with jitter, and which failures
 * are worth another attempt. Pure functions; the connection machine's
 * `reconnecting` state uses them.
 *
 * @module
 */
import {
  ConnectionError,
  StreamError,
  TimeoutError,
} from "../../src/errors.ts";
import { checkNumber, MAX_TIMEOUT_MS } from "../../src/options.ts";

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
 * @throws {RangeError} A value out of range, naming the option
 *   (`reconnect.initialDelay` 0…2³¹−1 ms, `reconnect.maxDelay` 1…2³¹−1 ms,
 *   `reconnect.factor` 1…1000, `reconnect.jitter` 0…1,
 *   `reconnect.maxAttempts` a whole number or `Infinity`).
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
  const delay = (v: unknown, name: string, fallback: number, min: number) =>
    checkNumber(v, `reconnect.${name}`, fallback, { min, max: MAX_TIMEOUT_MS });
  return {
    enabled: options.enabled ?? true,
    initialDelay: delay(options.initialDelay, "initialDelay", 1000, 0),
    maxDelay: delay(options.maxDelay, "maxDelay", 30_000, 1),
    factor: checkNumber(options.factor, "reconnect.factor", 2, {
      min: 1,
      max: 1000,
    }),
    jitter: checkNumber(options.jitter, "reconnect.jitter", 0.2, {
      min: 0,
      max: 1,
    }),
    maxAttempts: checkNumber(
      options.maxAttempts,
      "reconnect.maxAttempts",
      Infinity,
      { min: 0, max: Infinity, integer: true },
    ),
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
 * socket, a stalled negotiation ({@linkcode TimeoutError}) or a transient
 * stream error is; bad credentials, TLS failures and stream errors such as
 * `conflict` are not.
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
  return error instanceof ConnectionError || error instanceof TimeoutError;
}
