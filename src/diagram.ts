/**
 * State-machine diagrams computed from a machine's own definition: a plain
 * graph ({@linkcode machineGraph}), Mermaid `stateDiagram-v2`
 * ({@linkcode toMermaid}) and Graphviz DOT ({@linkcode toDot}).
 *
 * They walk `machine.root` (XState's resolved state nodes), so they work on
 * any XState v5 machine, and also on a machine config as JSON (what
 * `@statelyai/inspect` sends as `definition`), which is first resolved with
 * `createMachine`. Everything the definition says is drawn: every state,
 * nested and parallel regions, initial and final states, history states,
 * every transition with its event and guard, delayed (`after`) and eventless
 * (`always`) transitions, `onDone` / `onError` of invoked actors, and the
 * invoked and spawned actors as notes. (What only runs at run time, such as a
 * `spawnChild` inside `enqueueActions`, cannot be seen in a definition.)
 *
 * Pure functions, browser-safe.
 *
 * @module
 */
export {
  type DiagramActor,
  type DiagramState,
  type DiagramStateType,
  type DiagramTransition,
  type DiagramTransitionKind,
  type MachineGraph,
  machineGraph,
} from "./diagram/graph.ts";
export { toMermaid } from "./diagram/mermaid.ts";
export { toDot } from "./diagram/dot.ts";
