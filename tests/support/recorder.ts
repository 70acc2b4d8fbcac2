/**
 * Records the `@xstate.event`s of an actor system between `start()` and
 * `stop()`: which event, to which actor, from which (`undefined`: sent with
 * no source actor). Pass `inspect` to `createClient({ inspect })`.
 *
 * @module
 */
import type { AnyActorRef, InspectionEvent } from "../../src/deps.ts";

/** One recorded event. */
export interface Seen {
  type: string;
  to: string;
  from: string | undefined;
}

/** A recorder, off until `start()`. */
export function recorder() {
  const events: Seen[] = [];
  let on = false;
  return {
    events,
    start: () => void (on = true),
    stop: () => void (on = false),
    inspect(e: InspectionEvent) {
      if (!on || e.type !== "@xstate.event") return;
      events.push({
        type: e.event.type,
        to: (e.actorRef as AnyActorRef).id,
        from: (e.sourceRef as AnyActorRef | undefined)?.id,
      });
    },
  };
}
