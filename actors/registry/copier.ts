/**
 * The background copy of a migrating bind: a child actor of the registry
 * that streams the old storage into the new one in bounded batches. It sends
 * its storage requests with `sendTo`; the storages answer the registry
 * (their parent, by `sendBack`; a running-ref storage by `replyTo`), which
 * forwards each answer to the copier with `sendTo` (ids from `firstId` up).
 *
 * ```
 * (mirror) surveying ──keys──┐
 * (merge)                     ▼
 * reading ──batch──► writing ──more──► pausing ──resume──► reading
 *    │                  └────last────► done (merge, or nothing stale)
 *    │                  └────last────► sweeping ⇄ sweepPausing ──► done
 *    └── error, malformed batch, no answer within `timeout` ──► failed
 * ```
 *
 * - `reading` asks the old storage for the next batch (`storage.entries`
 *   with a cursor and a limit);
 * - `writing` drops the keys the key filter rejects (counted as skipped) and
 *   the keys callers wrote or deleted since the migration began (counted as
 *   superseded), then sends the rest in one `storage.set_many`. The filter
 *   and the send happen in the same synchronous step, and a storage applies
 *   requests for a key in the order it accepts them, so a caller's write
 *   always lands after the copy of that key, never before;
 * - an entry listed with a deadline (`[key, value, expiresAt]`) is written
 *   with it (one that passed meanwhile is not copied), and the deadline is
 *   reported to the registry (`api.copy_expiry`), for a plugin that expires
 *   entries itself;
 * - `pausing` yields to the event loop between batches, so that callers run
 *   between batches even when both storages answer synchronously: one
 *   macrotask (~5 µs here) when no caller called since the batch before;
 *   while callers are active, as many one-macrotask yields as it takes to
 *   give them their part of the time (the bind's `share`, see `pacer.ts`),
 *   ending early once callers stop calling;
 * - a mirroring migration (the default; not with `merge`) makes the new
 *   storage hold exactly what the old one holds. First, `surveying` asks the
 *   new storage for its keys (`storage.keys`: its namespace only) and hands
 *   those the key filter accepts to the migration's `stale` set (keys only, and
 *   none for a new storage that starts empty). The copy takes each key it
 *   writes out of `stale`; once it is done, `sweeping` deletes what is left
 *   there, a bounded chunk at a time with a pause between chunks, except
 *   the keys callers touched. The filter and the deletes of a chunk happen
 *   in one synchronous step, as for the writes, so a key a caller writes
 *   during the migration is never removed, and a key a caller deletes stays
 *   deleted.
 *
 * The batch size adapts: it doubles while a batch (read + write) takes less
 * than half of its budget (`budgetMs`, or more, up to a cap, when callers'
 * turns keep the copy below its share: see `pacer.ts`) and halves when it
 * takes more than that, so a slow target (files) gets small batches that do
 * not stall callers and a fast one (memory) large batches that amortize the
 * per-batch cost. At most
 * one batch is held at a time, so memory stays flat however large the store.
 * Each state waits at most `timeout` ms for its answer: two timers per batch,
 * none per entry.
 *
 * @module
 */
import {
  and,
  assertEvent,
  assign,
  enqueueActions,
  sendTo,
  setup,
} from "../../src/deps.ts";
import type { AnyStateMachine } from "../../src/types.ts";
import type {
  EntriesBatch,
  ReplyTarget,
  StorageEntry,
} from "../storage/protocol.ts";
import type { CopyOutcome } from "./protocol.ts";
import {
  type CopierContext,
  type CopierEvent,
  type CopierInput,
  FIRST_BATCH,
  isBatch,
  isKeyList,
  MIN_BATCH,
  progressOf,
  REPORT_MS,
  stepFailed,
  SWEEP_CHUNK,
} from "./copier_data.ts";
import {
  afterYield,
  beginPause,
  endPause,
  paceAfter,
  pauseGoesOn,
  startPace,
  yielder,
} from "./pacer.ts";

export type { CopierInput } from "./copier_data.ts";

/** The `replyTo` field of a request: none for a storage of the registry's. */
function replyVia(to: ReplyTarget | undefined): { replyTo?: ReplyTarget } {
  return to === undefined ? {} : { replyTo: to };
}

/** The copier machine (see the module doc). */
export const copierMachine: AnyStateMachine = setup({
  types: {
    context: {} as CopierContext,
    events: {} as CopierEvent,
    input: {} as CopierInput,
    output: {} as CopyOutcome,
  },
  actors: { yielder },
  delays: {
    stepTimeout: ({ context }) => context.timeout,
  },
  guards: {
    isAnswer: ({ context, event }) =>
      (event.type === "storage.result" || event.type === "storage.error") &&
      event.id === context.waiting,
    isMalformed: ({ event }) =>
      event.type === "storage.result" && !isBatch(event.value),
    isNotKeyList: ({ event }) =>
      event.type === "storage.result" && !isKeyList(event.value),
    mirrors: ({ context }) => context.mirror,
    hasStale: ({ context }) => (context.keys.stale?.size ?? 0) > 0,
    isSweepAnswer: ({ context, event }) =>
      (event.type === "storage.result" || event.type === "storage.error") &&
      event.id >= context.sweepFirst &&
      event.id < context.sweepFirst + SWEEP_CHUNK,
    chunkDone: ({ context }) => context.sweepLeft === 0,
    sweepMore: ({ context }) => context.sweepPos < context.sweep.length,
    hasUnreadableKey: ({ context, event }) =>
      event.type === "storage.result" &&
      ((event.value as EntriesBatch).unreadable ?? []).some(([k]) =>
        context.isKey(k)
      ),
    hasMore: ({ context }) => context.more,
    pauseGoesOn: ({ context }) =>
      pauseGoesOn(
        afterYield(context.pausing, context.keys.calls),
        performance.now(),
      ),
  },
  actions: {
    requestBatch: enqueueActions(({ context, enqueue }) => {
      const id = context.nextId;
      enqueue.assign({
        nextId: id + 1,
        waiting: id,
        batchStart: performance.now(),
        batchCalls: context.keys.calls,
      });
      enqueue.sendTo(context.from, {
        type: "storage.entries",
        id,
        ns: context.ns,
        cursor: context.cursor,
        limit: context.limit,
        ...replyVia(context.fromReplyTo),
      });
    }),
    takeBatch: assign(({ context, event }) => {
      assertEvent(event, "storage.result");
      const batch = event.value as EntriesBatch;
      const skipped = (batch.unreadable?.length ?? 0) +
        batch.entries.filter(([k]) => !context.isKey(k)).length;
      return {
        batch: batch.entries,
        cursor: batch.next,
        more: batch.next !== null,
        skipped: context.skipped + skipped,
        total: context.total ?? batch.total,
      };
    }),
    /** Filter and send in one synchronous step (see the module doc). */
    writeBatch: enqueueActions(({ context, enqueue }) => {
      const { touched } = context.keys;
      // Mirror: what the copy writes is no longer stale.
      let stale = context.keys.stale;
      if (stale !== null && stale.size === 0) stale = null;
      const out: StorageEntry[] = [];
      let expiring: [string, number][] | undefined;
      let superseded = 0;
      const now = Date.now();
      for (const entry of context.batch) {
        const key = entry[0];
        if (!context.isKey(key)) continue;
        if (touched.has(key)) {
          superseded++;
          continue;
        }
        const at = entry[2];
        if (at !== undefined) {
          if (at <= now) continue; // expired since it was listed
          (expiring ??= []).push([key, at]);
        }
        out.push(entry);
        stale?.delete(key);
      }
      const id = context.nextId;
      enqueue.assign({
        nextId: id + 1,
        waiting: id,
        batch: [],
        copied: context.copied + out.length,
        superseded: context.superseded + superseded,
      });
      enqueue.sendTo(context.to, {
        type: "storage.set_many",
        id,
        ns: context.ns,
        entries: out,
        ...replyVia(context.toReplyTo),
      });
      if (expiring !== undefined) {
        enqueue.sendParent({ type: "api.copy_expiry", entries: expiring });
      }
    }),
    requestTargetKeys: enqueueActions(({ context, enqueue }) => {
      const id = context.nextId;
      enqueue.assign({ nextId: id + 1, waiting: id });
      enqueue.sendTo(context.to, {
        type: "storage.keys",
        id,
        ns: context.ns,
        ...replyVia(context.toReplyTo),
      });
    }),
    takeStale: ({ context, event }) => {
      assertEvent(event, "storage.result");
      const stale = new Set<string>();
      for (const key of event.value as string[]) {
        if (context.isKey(key)) stale.add(key);
      }
      context.keys.stale = stale;
    },
    startSweep: assign(({ context }) => ({
      sweep: [...context.keys.stale!],
      sweepPos: 0,
      sweepLeft: 0,
    })),
    /** Filter and delete in one synchronous step (see the module doc). */
    sendSweepChunk: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({
        batchStart: performance.now(),
        batchCalls: context.keys.calls,
      });
      const { touched } = context.keys;
      const stale = context.keys.stale!;
      const { sweep } = context;
      const first = context.nextId;
      let id = first;
      let pos = context.sweepPos;
      for (; pos < sweep.length && id - first < SWEEP_CHUNK; pos++) {
        const key = sweep[pos];
        if (!stale.has(key) || touched.has(key)) continue;
        enqueue.sendTo(context.to, {
          type: "storage.del",
          id: id++,
          ns: context.ns,
          key,
          ...replyVia(context.toReplyTo),
        });
      }
      enqueue.assign({
        nextId: id,
        sweepFirst: first,
        sweepLeft: id - first,
        sweepPos: pos,
        removed: context.removed + (id - first),
        // The listing is done with once swept.
        ...(pos >= sweep.length ? { sweep: [] } : {}),
      });
    }),
    countSweepAnswer: assign(({ context }) => ({
      sweepLeft: context.sweepLeft - 1,
    })),
    /** The pacing after a batch or sweep chunk (see `pacer.ts`). */
    pace: assign(({ context }) => ({
      pace: paceAfter(
        context.pace,
        { share: context.share, baseMs: context.budgetMs },
        context.batchStart,
        performance.now(),
        context.keys.calls,
        context.batchCalls,
      ),
    })),
    adaptBatch: assign(({ context }) => {
      const took = performance.now() - context.batchStart;
      const { limit, maxBatch } = context;
      const { budgetMs } = context.pace;
      if (took < budgetMs / 2) return { limit: Math.min(limit * 2, maxBatch) };
      if (took > budgetMs) {
        return { limit: Math.max(Math.floor(limit / 2), MIN_BATCH) };
      }
      return {};
    }),
    reportProgress: enqueueActions(({ context, enqueue }) => {
      const now = performance.now();
      if (context.lastReport !== 0 && now - context.lastReport < REPORT_MS) {
        return;
      }
      enqueue.assign({ lastReport: now });
      enqueue.sendParent({
        type: "api.copy_progress",
        progress: progressOf(context),
      });
    }),
    startPause: assign(({ context }) => ({
      pausing: beginPause(context.pace, performance.now(), context.keys.calls),
    })),
    seeCalls: assign(({ context }) => ({
      pausing: afterYield(context.pausing, context.keys.calls),
    })),
    endPause: assign(({ context }) => ({
      pace: endPause(context.pace, context.pausing, performance.now()),
    })),
    pause: sendTo("yielder", { type: "yield" }),
    failWithError: assign(({ event }) => {
      assertEvent(event, "storage.error");
      return { error: stepFailed(event.error.message, event.error) };
    }),
    failMalformed: assign({
      error: () =>
        stepFailed(
          "the old storage answered storage.entries with a malformed batch",
        ),
    }),
    failKeyList: assign({
      error: () =>
        stepFailed(
          "the new storage answered storage.keys with something other than a list of strings",
        ),
    }),
    failUnreadable: assign(({ context, event }) => {
      assertEvent(event, "storage.result");
      const [key, why] = (event.value as EntriesBatch).unreadable!.find((
        [k],
      ) => context.isKey(k))!;
      return { error: stepFailed(`cannot read ${key}: ${why}`) };
    }),
    failTimeout: assign({
      error: ({ context }) =>
        stepFailed(`a step got no answer within ${context.timeout} ms`),
    }),
  },
}).createMachine({
  id: "copier",
  context: ({ input }) => ({
    ...input,
    cursor: null,
    limit: Math.min(FIRST_BATCH, input.maxBatch),
    nextId: input.firstId,
    waiting: 0,
    batch: [],
    more: true,
    batchStart: 0,
    batchCalls: 0,
    sweep: [],
    sweepPos: 0,
    sweepFirst: 0,
    sweepLeft: 0,
    removed: 0,
    started: performance.now(),
    pace: startPace(performance.now(), input.keys.calls, input.budgetMs),
    pausing: { until: 0, seen: 0, quiet: 0 },
    lastReport: 0,
    copied: 0,
    skipped: 0,
    superseded: 0,
    total: undefined,
    error: undefined,
  }),
  invoke: { id: "yielder", src: "yielder" },
  initial: "starting",
  states: {
    starting: {
      always: [
        { guard: "mirrors", target: "surveying" },
        { target: "reading" },
      ],
    },
    reading: {
      entry: "requestBatch",
      after: { stepTimeout: { target: "failed", actions: "failTimeout" } },
      on: {
        "storage.result": [
          {
            guard: and(["isAnswer", "isMalformed"]),
            target: "failed",
            actions: "failMalformed",
          },
          {
            guard: and(["isAnswer", "hasUnreadableKey"]),
            target: "failed",
            actions: "failUnreadable",
          },
          { guard: "isAnswer", target: "writing", actions: "takeBatch" },
        ],
        "storage.error": {
          guard: "isAnswer",
          target: "failed",
          actions: "failWithError",
        },
      },
    },
    writing: {
      entry: "writeBatch",
      after: { stepTimeout: { target: "failed", actions: "failTimeout" } },
      on: {
        "storage.result": [
          {
            guard: and(["isAnswer", "hasMore"]),
            target: "pausing",
            actions: ["pace", "adaptBatch", "reportProgress"],
          },
          {
            guard: and(["isAnswer", "hasStale"]),
            target: "sweeping",
            actions: "startSweep",
          },
          { guard: "isAnswer", target: "done" },
        ],
        "storage.error": {
          guard: "isAnswer",
          target: "failed",
          actions: "failWithError",
        },
      },
    },
    pausing: {
      entry: ["startPause", "pause"],
      on: {
        "copy.resume": [
          { guard: "pauseGoesOn", actions: ["seeCalls", "pause"] },
          { target: "reading", actions: "endPause" },
        ],
      },
    },
    surveying: {
      entry: "requestTargetKeys",
      after: { stepTimeout: { target: "failed", actions: "failTimeout" } },
      on: {
        "storage.result": [
          {
            guard: and(["isAnswer", "isNotKeyList"]),
            target: "failed",
            actions: "failKeyList",
          },
          { guard: "isAnswer", target: "reading", actions: "takeStale" },
        ],
        "storage.error": {
          guard: "isAnswer",
          target: "failed",
          actions: "failWithError",
        },
      },
    },
    sweeping: {
      entry: "sendSweepChunk",
      always: [
        {
          guard: and(["chunkDone", "sweepMore"]),
          target: "sweepPausing",
          actions: "pace",
        },
        { guard: "chunkDone", target: "done" },
      ],
      after: { stepTimeout: { target: "failed", actions: "failTimeout" } },
      on: {
        "storage.result": {
          guard: "isSweepAnswer",
          actions: "countSweepAnswer",
        },
        "storage.error": {
          guard: "isSweepAnswer",
          target: "failed",
          actions: "failWithError",
        },
      },
    },
    sweepPausing: {
      entry: ["startPause", "pause"],
      on: {
        "copy.resume": [
          { guard: "pauseGoesOn", actions: ["seeCalls", "pause"] },
          { target: "sweeping", actions: "endPause" },
        ],
      },
    },
    done: { type: "final" },
    failed: { type: "final" },
  },
  output: ({ context }) =>
    context.error === undefined
      ? { ok: true, progress: progressOf(context) }
      : { ok: false, error: context.error },
});
