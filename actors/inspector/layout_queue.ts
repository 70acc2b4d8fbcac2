/**
 * Layout of the inspector's charts off its thread: {@linkcode LayoutQueue}
 * lays out machine graphs in a Deno worker (`layout_worker.ts`), one at a
 * time, each within a time budget (past it the
 * worker is terminated and the chart is drawn as nested boxes, "too large
 * to lay out"), taking the sources in turn so one sender's charts cannot
 * starve the others', with bounded queues and results cached by graph.
 *
 * Needs a module `Worker` that runs TypeScript (Deno, Bun); without one
 * (Node), this process's small machines are laid out on the spot (as
 * `chartOf` does) and other processes' are drawn as nested boxes.
 *
 * @module
 */
import type { MachineGraph } from "../../src/diagram/graph.ts";
import type { ChartLayout } from "../../src/diagram/layout.ts";
import { chartOf } from "./frames.ts";

/** The note shown for a chart past the budget or the size bounds. */
export const TOO_LARGE = "too large to lay out";
/** The note shown for a chart refused because the queue is full. */
export const QUEUE_FULL = "layout queue full";
/** The note shown for another process's chart where there is no worker. */
export const NO_WORKER = "no layout worker here";

/** Options of {@linkcode LayoutQueue}. */
export interface LayoutQueueOptions {
  /**
   * Milliseconds one chart may take in the worker (its start not counted).
   * @default {2000}
   */
  budget?: number;
  /**
   * Charts waiting, all sources together.
   * @default {64}
   */
  maxQueued?: number;
  /**
   * Charts waiting from one source.
   * @default {8}
   */
  maxPerSource?: number;
  /**
   * Results kept (layouts and "too large"), the oldest forgotten first.
   * @default {256}
   */
  cacheSize?: number;
  /**
   * Graphs with more states or transitions are not sent to the worker.
   * @default {{ states: 400, transitions: 2000 }}
   */
  maxSize?: { states: number; transitions: number };
  /**
   * Milliseconds the worker may take to load before it is given up (and
   * not started again).
   * @default {30000}
   */
  startBudget?: number;
  /** The worker module (tests). @default {`layout_worker.ts`} */
  worker?: URL;
}

/** What {@linkcode LayoutQueue.get} knows of a graph now. */
export type LayoutAnswer =
  | { layout: ChartLayout }
  | { note: string }
  | { pending: true };

interface Job {
  key: string;
  graph: MachineGraph;
  source: string;
}

/**
 * Lays out machine graphs in a worker, fairly across sources and within a
 * time budget per chart.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createMachine } from "npm:xstate@^5.33.0";
 * import { machineGraph } from "../../src/diagram.ts";
 * import { LayoutQueue } from "./layout_queue.ts";
 *
 * const queue = new LayoutQueue();
 * const g = machineGraph(createMachine({ id: "m", initial: "a", states: { a: { on: { GO: "b" } }, b: {} } }));
 * const done = Promise.withResolvers<void>();
 * ok("pending" in queue.get(g, "self", () => done.resolve()));
 * await done.promise;
 * const a = queue.get(g, "self", () => {});
 * ok("layout" in a && a.layout.edges.length === 1);
 * queue.close();
 * ```
 */
export class LayoutQueue {
  #budget: number;
  #maxQueued: number;
  #maxPerSource: number;
  #cacheSize: number;
  #maxSize: { states: number; transitions: number };
  #cache = new Map<string, ChartLayout | string>();
  #keys = new WeakMap<MachineGraph, string>();
  // Waiting jobs per source; the sources are served in turn.
  #queues = new Map<string, Job[]>();
  #queued = 0;
  #waiting = new Map<string, Array<() => void>>();
  #callbacks = 0;
  #worker?: Worker;
  #ready = false;
  #current?: { id: number; job: Job; timer?: ReturnType<typeof setTimeout> };
  #ids = 0;
  #closed = false;
  #timeouts = 0;
  #workerUrl: URL;
  #startBudget: number;
  #starting?: ReturnType<typeof setTimeout>;
  // The worker failed before it was ready: no more workers are started.
  #broken = false;

  /**
   * Create a queue (the worker starts with the first chart).
   * @param options See {@linkcode LayoutQueueOptions}.
   */
  constructor(options: LayoutQueueOptions = {}) {
    this.#budget = options.budget ?? 2000;
    this.#maxQueued = options.maxQueued ?? 64;
    this.#maxPerSource = options.maxPerSource ?? 8;
    this.#cacheSize = options.cacheSize ?? 256;
    this.#maxSize = options.maxSize ?? { states: 400, transitions: 2000 };
    this.#startBudget = options.startBudget ?? 30_000;
    this.#workerUrl = options.worker ??
      new URL("./layout_worker.ts", import.meta.url);
  }

  /** Charts given up past the budget (the worker was restarted each time). */
  get timeouts(): number {
    return this.#timeouts;
  }

  /** Results kept in the cache now (at most `cacheSize`). */
  get cached(): number {
    return this.#cache.size;
  }

  /** Charts waiting now, the one in the worker included. */
  get queued(): number {
    return this.#queued + (this.#current ? 1 : 0);
  }

  /**
   * What is known of a graph's layout; when it is not known yet, queue it
   * and call `ready` once it is (then `get` answers from the cache).
   *
   * @param graph A graph from `machineGraph()`.
   * @param source Who sent it (e.g. a `/source` connection), for fairness.
   * @param ready Called once the answer is known (not when refused).
   * @returns The layout, a note why there is none, or `pending`.
   */
  get(graph: MachineGraph, source: string, ready: () => void): LayoutAnswer {
    const key = this.#keyOf(graph);
    const known = this.#cache.get(key);
    // (A chart of this process's that waited when the worker broke is laid
    // out on the spot below, like any other then.)
    if (known !== undefined && !(known === NO_WORKER && source === "self")) {
      return typeof known === "string" ? { note: known } : { layout: known };
    }
    if (typeof Worker !== "function" || this.#broken) {
      // No module workers (e.g. Node): this process's small machines are
      // laid out here as before (`chartOf`), others' are not.
      const l = source === "self" ? chartOf(graph) : undefined;
      this.#remember(key, l ?? (source === "self" ? TOO_LARGE : NO_WORKER));
      return l ? { layout: l } : { note: this.#cache.get(key) as string };
    }
    if (this.#closed || !fits(graph, this.#maxSize)) {
      this.#remember(key, TOO_LARGE);
      return { note: TOO_LARGE };
    }
    const waiting = this.#waiting.get(key);
    if (waiting) {
      if (this.#callbacks >= 4 * this.#maxQueued * this.#maxPerSource) {
        return { note: QUEUE_FULL };
      }
      waiting.push(ready);
      this.#callbacks++;
      return { pending: true };
    }
    const q = this.#queues.get(source) ?? [];
    if (q.length >= this.#maxPerSource || this.#queued >= this.#maxQueued) {
      return { note: QUEUE_FULL };
    }
    q.push({ key, graph, source });
    this.#queues.set(source, q);
    this.#queued++;
    this.#waiting.set(key, [ready]);
    this.#callbacks++;
    this.#next();
    return { pending: true };
  }

  /** Stop the worker and refuse further charts (cached ones still answer). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#starting);
    if (this.#current?.timer !== undefined) clearTimeout(this.#current.timer);
    this.#current = undefined;
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#queues.clear();
    this.#queued = 0;
    this.#waiting.clear();
    this.#callbacks = 0;
  }

  #keyOf(graph: MachineGraph): string {
    let key = this.#keys.get(graph);
    if (key === undefined) {
      key = JSON.stringify(graph);
      this.#keys.set(graph, key);
    }
    return key;
  }

  #remember(key: string, value: ChartLayout | string): void {
    if (this.#cache.size >= this.#cacheSize) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(key, value);
  }

  #finish(key: string, value: ChartLayout | string): void {
    this.#remember(key, value);
    const cbs = this.#waiting.get(key) ?? [];
    this.#waiting.delete(key);
    this.#callbacks -= cbs.length;
    for (const cb of cbs) {
      try {
        cb();
      } catch { /* a listener's failure is its own */ }
    }
  }

  // The next job, taking the sources in turn: the first source's first
  // job, then that source goes to the back of the line.
  #take(): Job | undefined {
    for (const [source, q] of this.#queues) {
      this.#queues.delete(source);
      const job = q.shift();
      if (q.length > 0) this.#queues.set(source, q);
      if (job) {
        this.#queued--;
        return job;
      }
    }
    return undefined;
  }

  #start(): Worker {
    const w = new Worker(this.#workerUrl, {
      type: "module",
    });
    this.#ready = false;
    clearTimeout(this.#starting);
    this.#starting = setTimeout(() => this.#fail(w), this.#startBudget);
    w.onmessage = (e: MessageEvent) => this.#answer(w, e.data);
    w.onerror = (e) => {
      e.preventDefault();
      this.#fail(w);
    };
    return w;
  }

  #next(): void {
    if (this.#closed || this.#current) return;
    this.#worker ??= this.#start();
    if (!this.#ready) return; // `#answer` calls again on `ready`
    const job = this.#take();
    if (!job) return;
    const id = ++this.#ids;
    const current: {
      id: number;
      job: Job;
      timer?: ReturnType<typeof setTimeout>;
    } = { id, job };
    this.#current = current;
    current.timer = setTimeout(() => {
      if (this.#current !== current) return;
      this.#timeouts++;
      this.#fail(this.#worker);
    }, this.#budget);
    this.#worker.postMessage({ id, graph: job.graph });
  }

  #answer(w: Worker, m: unknown): void {
    if (w !== this.#worker) return;
    const msg = m as {
      ready?: boolean;
      id?: number;
      layout?: ChartLayout;
      error?: string;
    };
    if (msg.ready) {
      clearTimeout(this.#starting);
      this.#ready = true;
      this.#next();
      return;
    }
    const current = this.#current;
    if (!current || msg.id !== current.id) return;
    clearTimeout(current.timer);
    this.#current = undefined;
    this.#finish(current.job.key, msg.layout ?? TOO_LARGE);
    this.#next();
  }

  // The worker ran out of time or broke: drop it, give up the chart in it.
  #fail(w: Worker | undefined): void {
    if (w !== this.#worker) return;
    w?.terminate();
    this.#worker = undefined;
    clearTimeout(this.#starting);
    if (!this.#ready) {
      // It could not even load: do not start it again and again; what
      // waits, and what comes, is answered as with no worker.
      this.#broken = true;
      const keys = [...this.#waiting.keys()];
      this.#queues.clear();
      this.#queued = 0;
      this.#current = undefined;
      for (const key of keys) this.#finish(key, NO_WORKER);
      return;
    }
    this.#ready = false;
    const current = this.#current;
    this.#current = undefined;
    if (current) {
      clearTimeout(current.timer);
      this.#finish(current.job.key, TOO_LARGE);
    }
    this.#next();
  }
}

function fits(
  graph: MachineGraph,
  max: { states: number; transitions: number },
): boolean {
  let states = 0, transitions = 0;
  const stack = [graph.root];
  while (stack.length > 0) {
    const s = stack.pop()!;
    states++;
    transitions += s.transitions.length;
    if (states > max.states || transitions > max.transitions) return false;
    stack.push(...s.states);
  }
  return true;
}
