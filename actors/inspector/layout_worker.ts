/**
 * The inspector's layout worker (started by `layout_queue.ts`): lays out one
 * machine graph per message with `layoutChart()`, off the inspector's
 * thread. It gives up every permission before it takes any message (a
 * worker inherits its parent's, and `Worker`'s own `deno.permissions`
 * option still needs `--unstable-worker-options`), so a crafted chart can
 * cost it time, which its parent bounds by terminating it, and nothing
 * else.
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

const NAMES = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "ffi",
  "sys",
  "import",
] as const;
for (const name of NAMES) {
  await Deno.permissions.revoke({ name } as Deno.PermissionDescriptor);
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
