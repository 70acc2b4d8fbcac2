/**
 * A parent machine for testing one child actor: it invokes the child as
 * `child` and records every event the child sends back (`sendBack`,
 * `sendParent`) and the child's output when it finishes.
 *
 * @module
 */
import {
  type AnyActorLogic,
  type AnyActorRef,
  createActor,
  setup,
} from "../../src/deps.ts";

/** A running parent, the child it invoked, and what the child sent back. */
export interface Harness {
  /** The child actor. */
  child: AnyActorRef;
  /** Events the child sent to its parent, in order. */
  seen: { type: string; [key: string]: unknown }[];
  /** The child's output, once it is done. */
  output: () => unknown;
  /** Stop the parent (and so the child). */
  stop(): void;
}

/** Start `logic` as the child of a recording parent. */
export function harness(logic: AnyActorLogic, input?: unknown): Harness {
  const seen: Harness["seen"] = [];
  let output: unknown;
  const parent = setup({ actors: { child: logic } }).createMachine({
    invoke: {
      id: "child",
      src: "child",
      input: () => input,
      onDone: { actions: ({ event }) => (output = event.output) },
    },
    on: { "*": { actions: ({ event }) => seen.push(event) } },
  });
  const actor = createActor(parent).start();
  return {
    child: actor.getSnapshot().children.child!,
    seen,
    output: () => output,
    stop: () => actor.stop(),
  };
}
