/**
 * A deadline scheduler: many keyed deadlines, one timer (for the nearest).
 *
 * It is a callback actor owned by the actor whose deadlines it keeps (the
 * BoB plugin schedules max-age expiry with it). Deadlines live in a binary
 * min-heap with lazy deletion, so scheduling, moving or cancelling one is
 * O(log n) and a store of 100k expiring entries holds one timer, not 100k.
 * Stopping the actor clears its timer.
 *
 * No library in our dependency set offers a keyed timer wheel/heap that runs
 * in Deno and browsers alike; the heap below is ~40 lines.
 *
 * @module
 */
import { fromCallback } from "../../src/deps.ts";
import type { AnyActorLogic } from "../../src/types.ts";
import type { SchedulerEvent, SchedulerOutput } from "./protocol.ts";

// setTimeout's largest delay; a later deadline is reached in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry {
  at: number;
  key: string;
}

/** A binary min-heap of deadlines, ordered by `at`. */
class DeadlineHeap {
  #items: Entry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Entry | undefined {
    return this.#items[0];
  }

  push(entry: Entry): void {
    const a = this.#items;
    a.push(entry);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].at <= a[i].at) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }

  pop(): Entry | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && a[l].at < a[m].at) m = l;
        if (r < a.length && a[r].at < a[m].at) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.#items = [];
  }

  /** Rebuild from the live deadlines only (drops stale entries). */
  rebuild(deadlines: Map<string, number>): void {
    this.#items = [];
    for (const [key, at] of deadlines) this.push({ key, at });
  }
}

/**
 * Scheduler logic: send it {@linkcode SchedulerEvent}s; it sends its parent
 * `scheduler.due` with the keys whose deadline passed, and
 * `scheduler.busy` when it goes from idle to busy or back.
 *
 * @returns Callback actor logic, to invoke or spawn as a child.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createActor, createMachine, sendTo } from "npm:xstate@^5.33.0";
 * import { deadlineScheduler } from "./scheduler.ts";
 * let due: string[] = [];
 * const parent = createActor(createMachine({
 *   invoke: { id: "s", src: deadlineScheduler() },
 *   on: {
 *     go: { actions: sendTo("s", { type: "scheduler.schedule", key: "k", at: Date.now() }) },
 *     "scheduler.due": { actions: ({ event }) => { due = event.keys; } },
 *   },
 * })).start();
 * parent.send({ type: "go" });
 * await new Promise((r) => setTimeout(r, 20));
 * strictEqual(due[0], "k");
 * parent.stop();
 * ```
 */
export function deadlineScheduler(): AnyActorLogic {
  return fromCallback<SchedulerEvent>(({ receive, sendBack }) => {
    const deadlines = new Map<string, number>();
    const heap = new DeadlineHeap();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let armedFor = Infinity;
    let stopped = false;

    function report(out: SchedulerOutput) {
      if (!stopped) sendBack(out);
    }

    // Drop heap entries that were cancelled or moved (lazy deletion).
    function top(): Entry | undefined {
      for (;;) {
        const e = heap.peek();
        if (e === undefined || deadlines.get(e.key) === e.at) return e;
        heap.pop();
      }
    }

    function arm() {
      const next = top();
      if (next === undefined) {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        armedFor = Infinity;
        return;
      }
      if (timer !== undefined && armedFor <= next.at) return;
      if (timer !== undefined) clearTimeout(timer);
      armedFor = next.at;
      timer = setTimeout(
        fire,
        Math.min(Math.max(0, next.at - Date.now()), MAX_TIMER_MS),
      );
    }

    function fire() {
      timer = undefined;
      armedFor = Infinity;
      const now = Date.now();
      const keys: string[] = [];
      for (let e = top(); e !== undefined && e.at <= now; e = top()) {
        heap.pop();
        deadlines.delete(e.key);
        keys.push(e.key);
      }
      if (deadlines.size === 0) heap.clear();
      arm();
      if (keys.length > 0) report({ type: "scheduler.due", keys });
      if (keys.length > 0 && deadlines.size === 0) {
        report({ type: "scheduler.busy", busy: false });
      }
    }

    receive((event) => {
      const wasBusy = deadlines.size > 0;
      if (event.type === "scheduler.schedule") {
        if (!Number.isFinite(event.at)) return;
        deadlines.set(event.key, event.at);
        heap.push({ key: event.key, at: event.at });
        // Moved deadlines leave stale entries; keep the heap O(live).
        if (heap.size > 2 * deadlines.size + 64) heap.rebuild(deadlines);
      } else if (event.type === "scheduler.cancel") {
        if (!deadlines.delete(event.key)) return;
        if (deadlines.size === 0) heap.clear();
      }
      arm();
      const busy = deadlines.size > 0;
      if (busy !== wasBusy) report({ type: "scheduler.busy", busy });
    });

    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      deadlines.clear();
      heap.clear();
    };
  });
}
