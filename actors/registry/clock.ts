/**
 * Two small callback children of the registry machine, on the data path:
 *
 * - the request clock: reports each call whose deadline passed
 *   (`api.timeout`, by `sendBack`), and, when the registry stops, rejects
 *   every pending call and bind with `ClientStoppedError`;
 * - the awaiter: waits for the promise of an async function handler and
 *   reports how it settled (`api.settled`), so that the registry settles
 *   the call in a step of its own.
 *
 * @module
 */
import { fromCallback } from "../../src/deps.ts";
import type { AnyActorLogic } from "../../src/types.ts";
import type { Call, CallTable } from "./requests.ts";

/** The request clock (input: the registry's call table). */
export const clock: AnyActorLogic = fromCallback<{ type: "noop" }, CallTable>(
  ({ input, sendBack }) => {
    input.onExpire = (id: number, call: Call) =>
      sendBack({ type: "api.timeout", id, call });
    return () => {
      input.onExpire = undefined;
      input.close();
    };
  },
);

/** What the awaiter is sent: an async handler's promise, by call id. */
export interface AwaitEvent {
  /** Discriminant. */
  type: "await";
  /** The call id. */
  id: number;
  /** What the handler returned. */
  promise: PromiseLike<unknown>;
}

/** The awaiter. */
export const awaiter: AnyActorLogic = fromCallback<AwaitEvent>(
  ({ receive, sendBack }) => {
    let live = true;
    receive(({ id, promise }) => {
      Promise.resolve(promise).then(
        (value) =>
          live && sendBack({ type: "api.settled", id, ok: true, value }),
        (value) =>
          live && sendBack({ type: "api.settled", id, ok: false, value }),
      );
    });
    return () => {
      live = false;
    };
  },
);
