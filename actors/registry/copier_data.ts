/**
 * What the background copy (`copier.ts`) is given, keeps and checks: its
 * input and context, the shape of the storage answers it accepts (batches,
 * key lists), its progress figures and its errors.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type {
  EntriesBatch,
  EntriesCursor,
  ReplyTarget,
  StorageEntry,
  StorageReply,
} from "../storage/protocol.ts";
import { StorageError } from "../../src/errors.ts";
import type { Pace, Pausing } from "./pacer.ts";
import type {
  KeyFilter,
  MigrationKeys,
  MigrationProgress,
} from "./protocol.ts";

/** What the copier is created with. */
export interface CopierInput {
  /** The namespace. */
  ns: string;
  /** The old storage (read). */
  from: AnyActorRef;
  /**
   * The `replyTo` of requests to the old storage; none (the default) for a
   * storage the registry spawned, which answers the registry by `sendBack`
   * (the registry forwards copier answers to the copier).
   */
  fromReplyTo?: ReplyTarget;
  /** The new storage (written). */
  to: AnyActorRef;
  /** The `replyTo` of requests to the new storage (as `fromReplyTo`). */
  toReplyTo?: ReplyTarget;
  /**
   * The migration's key sets: its `touched` keys are never copied nor
   * removed; a mirroring copy fills in `stale` and keeps it current; `calls`
   * (the calls the registry routed during the migration) tells the pacing
   * whether callers are active.
   */
  keys: Pick<MigrationKeys, "touched" | "stale" | "calls">;
  /**
   * Id of the copier's first request (then counting up): a range of its own,
   * so the registry knows which answers to forward.
   */
  firstId: number;
  /** Remove what only the new storage holds once the copy is done. */
  mirror: boolean;
  /** Which keys to copy. */
  isKey: KeyFilter;
  /** Timeout of each step in ms. */
  timeout: number;
  /** Upper bound of entries per batch. */
  maxBatch: number;
  /** Target duration of one batch in ms (the base: see `pacer.ts`). */
  budgetMs: number;
  /**
   * The copy's share of the time while callers are active, in (0, 1]
   * (`1`: not paced); see `pacer.ts`.
   */
  share: number;
}

/** What the copier keeps while it runs. */
export interface CopierContext extends CopierInput {
  cursor: EntriesCursor;
  limit: number;
  nextId: number;
  /** Id of the request in flight. */
  waiting: number;
  batch: StorageEntry[];
  more: boolean;
  batchStart: number;
  /** The registry's call count when the batch (or sweep chunk) began. */
  batchCalls: number;
  /** The pacing (see `pacer.ts`). */
  pace: Pace;
  /** The pause between batches in progress (see `pacer.ts`). */
  pausing: Pausing;
  /** The stale keys left after the copy, for the mirror's sweep. */
  sweep: string[];
  /** Where the sweep is in `sweep`. */
  sweepPos: number;
  /** First request id of the chunk of deletes in flight. */
  sweepFirst: number;
  /** Deletes of the chunk still unanswered. */
  sweepLeft: number;
  removed: number;
  started: number;
  lastReport: number;
  copied: number;
  skipped: number;
  superseded: number;
  total: number | undefined;
  error: Error | undefined;
}

/** What the copier receives: storage answers and its own resume. */
export type CopierEvent = StorageReply | { type: "copy.resume" };

/** Smallest batch the adaptive size goes down to. */
export const MIN_BATCH = 16;
/** Deletes of the mirror's sweep in flight at once. */
export const SWEEP_CHUNK = 256;
/** Size of the first batch (then it adapts). */
export const FIRST_BATCH = 64;
/** Progress goes to the registry at most this often (plus first and last). */
export const REPORT_MS = 100;

function isEntry(x: unknown): x is StorageEntry {
  return Array.isArray(x) && typeof x[0] === "string" &&
    (x.length === 2 ||
      (x.length === 3 &&
        (x[2] === undefined ||
          (Number.isSafeInteger(x[2]) && (x[2] as number) > 0))));
}

function isUnreadable(x: unknown): x is [string, string] {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === "string";
}

/**
 * Whether a `storage.keys` answer is a list of keys.
 *
 * @param x The answer's value.
 * @returns `true` for an array of strings.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isKeyList } from "./copier_data.ts";
 *
 * ok(isKeyList(["a", "b"]) && !isKeyList(["a", 1]));
 * ```
 */
export function isKeyList(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((k) => typeof k === "string");
}

/**
 * Whether a `storage.entries` answer is a well-formed batch: entries
 * `[key, value]` or `[key, value, expiresAt]` (a positive safe integer), a
 * string or `null` cursor, an optional total and unreadable keys.
 *
 * @param value The answer's value.
 * @returns `true` for a batch the copier can use.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isBatch } from "./copier_data.ts";
 *
 * ok(isBatch({ entries: [["k", "v"]], next: null }));
 * ok(!isBatch({ entries: [["k", "v", -1]], next: null }));
 * ```
 */
export function isBatch(value: unknown): value is EntriesBatch {
  const b = value as EntriesBatch;
  return typeof b === "object" && b !== null && Array.isArray(b.entries) &&
    b.entries.every(isEntry) &&
    (b.next === null || typeof b.next === "string") &&
    (b.total === undefined ||
      (Number.isInteger(b.total) && b.total >= 0)) &&
    (b.unreadable === undefined ||
      (Array.isArray(b.unreadable) && b.unreadable.every(isUnreadable)));
}

/**
 * The copy's progress figures, for the registry and the outcome.
 *
 * @param c The copier's context.
 * @returns Counts, elapsed time and rate (entries handled per second).
 */
export function progressOf(c: CopierContext): MigrationProgress {
  const elapsedMs = performance.now() - c.started;
  const handled = c.copied + c.skipped + c.superseded;
  return {
    copied: c.copied,
    skipped: c.skipped,
    superseded: c.superseded,
    removed: c.removed,
    ...(c.total === undefined ? {} : { total: c.total }),
    elapsedMs,
    rate: elapsedMs > 0 ? handled / (elapsedMs / 1000) : 0,
  };
}

/**
 * The error of a failed copy step.
 *
 * @param message What failed.
 * @param cause The storage's error, if any.
 * @returns A {@linkcode StorageError}.
 */
export function stepFailed(message: string, cause?: Error): StorageError {
  return new StorageError(message, { cause });
}
