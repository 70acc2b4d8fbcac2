/**
 * The reconnect policy: exponential backoff with jitter, and which failures
 * are worth another attempt. Pure functions; the connection machine's
 * `reconnecting` state uses them.
 *
 * A session that has been online and dies for any reason is reconnected:
 * a lost socket, a stalled negotiation, a stream error from the server or
 * one we sent (e.g. `policy-violation` for XML that broke the rules). Not
 * retried: authentication failures (`SASLError`, stream error
 * `not-authorized`), an untrusted certificate (`TLSError`), `conflict`
 * (another session took this resource: reconnecting would take it back and
 * the two would evict each other for ever), and a stop the user asked for.
 * After `system-shutdown` the first attempt waits `shutdownDelay` (5 s by
 * default, with jitter) instead of resuming at once: the server is going
 * down and may still accept a login for a moment.
 *
 * @module
 */
import { SASLError, StreamError } from "../../src/errors.ts";
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
  /**
   * Least delay before the first attempt after the server ended the stream
   * with `system-shutdown`, in ms (jitter applies; later attempts back off
   * as usual).
   * @default {5000}
   */
  shutdownDelay?: number;
}

/**
 * The policy with every default filled in.
 *
 * @param options The options given, if any.
 * @returns The complete policy.
 * @throws {RangeError} A value out of range, naming the option
 *   (`reconnect.initialDelay` 0…2³¹−1 ms, `reconnect.maxDelay` 1…2³¹−1 ms,
 *   `reconnect.factor` 1…1000, `reconnect.jitter` 0…1,
 *   `reconnect.maxAttempts` a whole number or `Infinity`,
 *   `reconnect.shutdownDelay` 0…2³¹−1 ms).
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
    shutdownDelay: delay(options.shutdownDelay, "shutdownDelay", 5000, 0),
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
  return jittered(base, policy.jitter);
}

function jittered(base: number, jitter: number): number {
  const spread = base * jitter * (Math.random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

/**
 * The delay before the next attempt, given why the last session ended:
 * after `system-shutdown` at least `shutdownDelay` (with jitter); else 0 for
 * the first attempt to resume a stream-managed session; else the backoff.
 *
 * @param policy The policy.
 * @param attempt Attempts made since the last time online.
 * @param why Why the last session ended, and whether it can be resumed.
 * @returns The delay in ms.
 *
 * @example Usage
 * ```ts
 * import { ok, strictEqual } from "node:assert/strict";
 * import { reconnectDelay, reconnectPolicy } from "./reconnect.ts";
 * import { StreamError } from "../../src/errors.ts";
 * const policy = reconnectPolicy({ jitter: 0 });
 * strictEqual(reconnectDelay(policy, 0, { resumable: true }), 0);
 * const error = new StreamError("system-shutdown");
 * strictEqual(reconnectDelay(policy, 0, { resumable: true, error }), 5000);
 * ```
 */
export function reconnectDelay(
  policy: Required<ReconnectOptions>,
  attempt: number,
  why: { resumable: boolean; error?: Error },
): number {
  const backoff = backoffDelay(policy, attempt);
  if (
    why.error instanceof StreamError &&
    why.error.condition === "system-shutdown"
  ) {
    return Math.max(jittered(policy.shutdownDelay, policy.jitter), backoff);
  }
  return why.resumable && attempt === 0 ? 0 : backoff;
}

/** Stream errors that another attempt would only repeat or make worse. */
const FINAL_STREAM_ERRORS = new Set(["not-authorized", "conflict"]);

/**
 * Whether a session that ended with `error` is worth reconnecting: anything
 * but bad credentials ({@linkcode SASLError}, stream error
 * `not-authorized`), an untrusted certificate (`TLSError`) and `conflict`
 * (another session took the resource).
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
 * ok(isRetryable(new StreamError("policy-violation")));
 * ok(!isRetryable(new StreamError("conflict")));
 * ```
 */
export function isRetryable(error: Error | undefined): boolean {
  if (!error) return true;
  if (error instanceof SASLError) return false;
  if (error instanceof StreamError) {
    return !FINAL_STREAM_ERRORS.has(error.condition);
  }
  return error.name !== "TLSError";
}
