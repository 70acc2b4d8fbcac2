/**
 * The inspector's layout worker (started by `layout_queue.ts`): lays out one
 * machine graph per message with `layoutChart()`, off the inspector's
 * thread, so a crafted chart costs this worker's time, which its parent
 * bounds by terminating it, and never the inspector's. It runs only our
 * own pure layout code on parsed JSON (no eval, no I/O). It keeps its
 * parent's permissions: measured on Deno 2.9, `Worker`'s
 * `deno.permissions` option ends the process unless it runs with
 * `--unstable-worker-options` (not catchable), and
 * `Deno.permissions.revoke()` in a worker revokes the parent's too.
 *
 * Protocol: it posts `{ ready: true }` once loaded; then for each
 * `{ id, graph }` it posts `{ id, layout }` or `{ id, error }`.
 *
 * @module
 */
import { layoutChart } from "../../src/diagram/layout.ts";
import type { MachineGraph } from "../../src/diagram/graph.ts";

/** A job for the worker. */
export interface LayoutJob {
  /** Echoed in the answer. */
  id: number;
  /** The graph to lay out. */
  graph: MachineGraph;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<LayoutJob>) => void) | null;
  postMessage(m: unknown): void;
};
scope.onmessage = (e) => {
  const { id, graph } = e.data;
  try {
    scope.postMessage({ id, layout: layoutChart(graph) });
  } catch (err) {
    scope.postMessage({ id, error: String(err).slice(0, 200) });
  }
};
scope.postMessage({ ready: true });
