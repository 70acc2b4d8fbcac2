/**
 * The listeners of `Connection.on()`: each event's arguments, taken from
 * what the connection machine emits, and a guard so that a listener that
 * throws cannot disturb the connection (XState would rethrow its error
 * outside any caller, ending the process).
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import type { AnyActorRef } from "../../src/types.ts";
import type { ConnectionEmitted, ConnectionStatus } from "./protocol.ts";

/** What each event's listeners receive, taken from the emitted event. */
const LISTENER_ARGS: Record<string, (e: ConnectionEmitted) => unknown[]> = {
  stanza: (e) => [(e as { stanza: Element }).stanza],
  online: (e) => [(e as { jid: string }).jid],
  offline: () => [],
  error: (e) => [(e as { error: Error }).error],
  status: (e) => [(e as { status: ConnectionStatus }).status],
  resumed: (e) => [(e as { jid: string }).jid],
  reconnecting: (e) => {
    const { delay, attempt, error } = e as {
      delay: number;
      attempt: number;
      error?: Error;
    };
    return [delay, attempt, error];
  },
  acked: (e) => [(e as { stanzas: Element[] }).stanzas],
  failedStanzas: (e) => {
    const { stanzas, error } = e as { stanzas: Element[]; error: Error };
    return [stanzas, error];
  },
};

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Subscribe `listener` to the connection machine's `event`. What a listener
 * throws is sent to the machine as `connection.handlerError` (so `error`
 * listeners see it); what an `error` listener throws is logged with
 * `console.error`, since it cannot be reported to itself.
 *
 * @param actor The connection machine's actor.
 * @param event `stanza`, `online`, `offline`, `error`, `status`, `resumed`,
 *   `acked` or `failedStanzas`.
 * @param listener The listener.
 * @returns A function that removes the listener.
 * @throws {TypeError} An unknown event name.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createActor, emit, setup } from "../../src/deps.ts";
 * import { listen } from "./listeners.ts";
 * type Emitted = { type: "status"; status: string } | { type: "error"; error: Error };
 * type In = { type: "ping" } | { type: "connection.handlerError"; error: Error };
 * const machine = setup({ types: { events: {} as In, emitted: {} as Emitted } })
 *   .createMachine({
 *     on: {
 *       ping: { actions: emit({ type: "status", status: "online" }) },
 *       "connection.handlerError": {
 *         actions: emit(({ event }) => ({ type: "error", error: (event as { error: Error }).error })),
 *       },
 *     },
 *   });
 * const actor = createActor(machine).start();
 * const seen: string[] = [];
 * listen(actor, "error", (e: Error) => seen.push(e.message));
 * listen(actor, "status", () => { throw new Error("listener bug"); });
 * actor.send({ type: "ping" });
 * strictEqual(seen.join(), "listener bug");
 * ```
 */
export function listen(
  actor: AnyActorRef,
  event: string,
  listener: (...args: never[]) => void,
): () => void {
  const args = Object.hasOwn(LISTENER_ARGS, event)
    ? LISTENER_ARGS[event]
    : undefined;
  if (args === undefined) {
    throw new TypeError(`Cannot listen: unknown event ${event}`);
  }
  const fn = listener as (...a: unknown[]) => void;
  const sub = actor.on(event, (e: ConnectionEmitted) => {
    try {
      fn(...args(e));
    } catch (err) {
      if (event === "error") {
        console.error("xmpp-actors: an error listener threw:", err);
      } else {
        actor.send({ type: "connection.handlerError", error: asError(err) });
      }
    }
  });
  return () => sub.unsubscribe();
}
