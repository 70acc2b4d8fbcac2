/**
 * Pacing of a migration's background copy (`copier.ts`): how the copy and
 * the callers share the event loop while both want it.
 *
 * A migrating bind has a `share` (0 < share ≤ 1, default
 * {@linkcode DEFAULT_SHARE}): the fraction of the time the copy may take
 * while callers are active. The time of the copy is the time its batches take
 * (from the request of a batch to the answer of its write); the rest, between
 * batches, is the callers'. After each batch:
 *
 * - no caller called since the batch before (the registry counts the calls
 *   it routes during the migration): the copy is not paced. It yields one
 *   macrotask, as a copy alone always did, and its time account is reset;
 * - callers are active: the copy pauses until the callers have had their
 *   part of the time, `busy / share - wall` over the account's window (what
 *   it is owed, not just this batch: a pause that ran long is made up by a
 *   shorter one). A pause is a chain of one-macrotask yields, so callers run
 *   at once, and it ends early once {@linkcode QUIET_YIELDS} yields in a row
 *   come back with no new call (callers have nothing to do: the copy is not
 *   paced for nothing);
 * - the callers' own turns already took more than their part (each caller
 *   runs a whole call per turn, so 64 callers may hold the loop longer than a
 *   batch): the copy is behind its share, and its batches grow, up to
 *   {@linkcode MAX_BUDGET_MS}, towards what the last gap calls for
 *   (`gap * share / (1 - share)`); once it has caught up they shrink back to
 *   the base budget.
 *
 * A batch during which callers called (an asynchronous storage: they ran
 * while the copy waited for its answer) counts as time shared at the share.
 *
 * `share: 1` turns pacing off (one macrotask between batches, whatever the
 * callers do). The account is halved once it spans more than
 * {@linkcode WINDOW_MS}, so old history weighs little.
 *
 * Everything here but the {@linkcode yielder} is a pure function of the
 * times and counts it is given, so the tests check the policy on a
 * simulated event loop. The same pacing runs between the chunks of a
 * mirror's sweep.
 *
 * @module
 */
import { fromCallback } from "../../src/deps.ts";

/** The copy's share of the time while callers are active, by default. */
export const DEFAULT_SHARE = 0.5;
/** Longest batch (ms) the pacing asks for when the copy is behind. */
export const MAX_BUDGET_MS = 16;
/** The time account is halved once it spans more than this (ms). */
export const WINDOW_MS = 200;

/**
 * Check a bind's `share`.
 *
 * @param share The option's value.
 * @returns `share`, or the default when it is `undefined`.
 * @throws {RangeError} Not a number in (0, 1].
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { checkShare } from "./pacer.ts";
 *
 * strictEqual(checkShare(undefined), 0.5);
 * strictEqual(checkShare(0.25), 0.25);
 * throws(() => checkShare(0), RangeError);
 * ```
 */
export function checkShare(share: unknown): number {
  if (share === undefined) return DEFAULT_SHARE;
  if (typeof share !== "number" || !(share > 0 && share <= 1)) {
    throw new RangeError(
      `Cannot bind storage: share must be a number in (0, 1], got ${
        String(share)
      }`,
    );
  }
  return share;
}

/** What the pacing keeps between batches. */
export interface Pace {
  /** Copy time (ms) in the account. */
  busyMs: number;
  /** Wall time (ms) in the account. */
  wallMs: number;
  /** When the last batch ended (`performance.now()` ms). */
  lastEnd: number;
  /** The registry's call count when the last batch ended. */
  calls: number;
  /** Target duration of the next batch (ms). */
  budgetMs: number;
  /** The pause asked for after the last batch (ms; 0: one yield). */
  pauseMs: number;
  /** Pauses taken so far (beyond the one yield every batch takes). */
  pauses: number;
}

/** The fixed figures of a copy's pacing. */
export interface PaceLimits {
  /** The copy's share of the time while callers are active, in (0, 1]. */
  share: number;
  /** Batch budget (ms) when the copy is not behind. */
  baseMs: number;
}

/**
 * The pacing of a copy that starts now.
 *
 * @param now The time (ms).
 * @param calls The registry's call count.
 * @param baseMs The base batch budget (ms).
 * @returns A fresh account.
 */
export function startPace(now: number, calls: number, baseMs: number): Pace {
  return {
    busyMs: 0,
    wallMs: 0,
    lastEnd: now,
    calls,
    budgetMs: baseMs,
    pauseMs: 0,
    pauses: 0,
  };
}

/**
 * The pacing after a batch (see the module doc).
 *
 * @param p The pacing before the batch.
 * @param limits The share and base budget.
 * @param batchStart When the batch started (ms).
 * @param now When it ended (ms).
 * @param calls The registry's call count now.
 * @param startCalls The registry's call count when the batch started
 *   (default: `calls`). Callers that called during the batch ran while the
 *   copy waited for an asynchronous storage: that time counts as shared at
 *   the share, and adds no pause.
 * @returns The pacing to apply: its `pauseMs` (0: one yield) and
 *   `budgetMs` for the next batch.
 *
 * @example Callers active, share 0.5: pause as long as the batch took
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { paceAfter, startPace } from "./pacer.ts";
 *
 * const p = paceAfter(startPace(0, 0, 2), { share: 0.5, baseMs: 2 }, 0, 3, 5);
 * strictEqual(p.pauseMs, 3);
 * ```
 */
export function paceAfter(
  p: Pace,
  limits: PaceLimits,
  batchStart: number,
  now: number,
  calls: number,
  startCalls: number = calls,
): Pace {
  const { share, baseMs } = limits;
  if (share >= 1 || calls === p.calls) {
    return { ...startPace(now, calls, baseMs), pauses: p.pauses };
  }
  const gap = Math.max(0, batchStart - p.lastEnd);
  const took = now - batchStart;
  let busyMs = p.busyMs + (startCalls === calls ? took : took * share);
  let wallMs = p.wallMs + (now - p.lastEnd);
  if (wallMs > WINDOW_MS) {
    busyMs /= 2;
    wallMs /= 2;
  }
  const owed = busyMs / share - wallMs;
  let budgetMs: number;
  if (owed > 0) budgetMs = Math.max(baseMs, p.budgetMs * 0.9);
  else {
    // Behind: the callers' turns alone took more than their part.
    const wanted = gap * share / (1 - share);
    budgetMs = Math.min(
      MAX_BUDGET_MS,
      Math.max(baseMs, (p.budgetMs + wanted) / 2),
    );
  }
  return {
    busyMs,
    wallMs,
    lastEnd: now,
    calls,
    budgetMs,
    pauseMs: Math.max(0, owed),
    pauses: p.pauses + (owed > 0 ? 1 : 0),
  };
}

/**
 * Consecutive quiet yields (no new call) that end a pause early. Two, not
 * one: a caller woken by a fresh `MessageChannel` (or whose answer needs a
 * hop more) may take two event-loop turns to call, and Deno delivers the
 * messages of ports that are ready in the same turn in no fixed order.
 */
export const QUIET_YIELDS = 2;

/** A pause in progress (between two batches). */
export interface Pausing {
  /** When the pause ends at the latest (`performance.now()` ms). */
  until: number;
  /** The registry's call count when the last yield began. */
  seen: number;
  /** Consecutive yields that saw no new call. */
  quiet: number;
}

/**
 * The pause after a batch, as {@linkcode paceAfter} asked for.
 *
 * @param p The pacing.
 * @param now The time (ms).
 * @param calls The registry's call count.
 * @returns The pause, before its first yield.
 */
export function beginPause(p: Pace, now: number, calls: number): Pausing {
  return { until: now + p.pauseMs, seen: calls, quiet: 0 };
}

/**
 * The pause after one of its yields.
 *
 * @param z The pause.
 * @param calls The registry's call count now.
 * @returns It, with one more quiet yield when no call came, else none.
 */
export function afterYield(z: Pausing, calls: number): Pausing {
  return { ...z, seen: calls, quiet: calls === z.seen ? z.quiet + 1 : 0 };
}

/**
 * Whether a pause goes on after one of its yields: its time is not over and
 * callers called during the last {@linkcode QUIET_YIELDS} yields.
 *
 * @param z The pause, after the yield ({@linkcode afterYield}).
 * @param now The time (ms).
 * @returns `true` to yield once more.
 */
export function pauseGoesOn(z: Pausing, now: number): boolean {
  return now < z.until && z.quiet < QUIET_YIELDS;
}

/**
 * The pacing once a pause is over. A pause cut short because callers had
 * nothing more to do empties the account: they did not want their part, so
 * it is not owed to them later.
 *
 * @param p The pacing.
 * @param z The pause.
 * @param now The time (ms).
 * @returns The pacing for the next batch.
 */
export function endPause(p: Pace, z: Pausing, now: number): Pace {
  return now < z.until ? { ...p, busyMs: 0, wallMs: 0, lastEnd: now } : p;
}

/**
 * One macrotask yield per request, over a MessageChannel (a `setTimeout(0)`
 * chain is clamped to ~2 ms a step here, and a timer of 1 ms takes ~2 ms; a
 * message costs ~5 µs). Answers `copy.resume` by `sendBack`.
 */
export const yielder = fromCallback<{ type: "yield" }>(
  ({ sendBack, receive }) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => sendBack({ type: "copy.resume" });
    receive(() => channel.port2.postMessage(null));
    return () => {
      channel.port1.close();
      channel.port2.close();
    };
  },
);
