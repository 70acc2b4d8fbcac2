/**
 * Before login only the negotiation elements of the current phase may come
 * from the server (RFC 6120 §4.3: features right after the header, then the
 * STARTTLS, SASL and bind answers in turn). Anything else — a stanza before
 * the resource is bound, a SASL answer while waiting for `<proceed/>`, an
 * element the connection does not know — ends the stream with
 * `unsupported-stanza-type` at once, instead of being dropped while
 * `start()` waits out `negotiationTimeout`.
 *
 * The error names the kind of element, never server-chosen text (an
 * unknown element's name is not repeated).
 *
 * @module
 */
import { StreamError } from "../../src/errors.ts";
import type { IncomingEvent } from "../../src/stanza.ts";

/** The type of an event the transport makes of a server's element. */
export type ServerEventType = IncomingEvent["type"];

/** Every element event except `stream.error` (always handled by the session). */
const SERVER_EVENTS: readonly ServerEventType[] = [
  "stream.features",
  "sm.enabled",
  "sm.resumed",
  "sm.failed",
  "sm.r",
  "sm.a",
  "tls.proceed",
  "tls.failure",
  "sasl.challenge",
  "sasl.success",
  "sasl.failure",
  "bind.result",
  "iq.result",
  "iq.error",
  "stanza",
  "stream.unknown",
];

/** The transition every unexpected element takes. */
const FAIL = { actions: "failUnexpected" } as const;

/**
 * The `on` entries of a negotiation state for the server elements it does
 * not expect: each raises a fatal `transport.xmlError`.
 *
 * @param expected The event types the state handles itself.
 * @returns The transitions, to spread into the state's `on`.
 *
 * @example Usage
 * ```ts
 * import { ok, strictEqual } from "node:assert/strict";
 * import { unexpectedIn } from "./unexpected.ts";
 * const on = unexpectedIn("stream.features");
 * strictEqual(on["stanza"]?.actions, "failUnexpected");
 * ok(!("stream.features" in on));
 * ```
 */
export function unexpectedIn(
  ...expected: ServerEventType[]
): Partial<Record<ServerEventType, typeof FAIL>> {
  const on: Partial<Record<ServerEventType, typeof FAIL>> = {};
  for (const type of SERVER_EVENTS) {
    if (!expected.includes(type)) on[type] = FAIL;
  }
  return on;
}

/**
 * The fatal event for an element the current negotiation phase does not
 * expect: a `unsupported-stanza-type` stream error naming the kind of
 * element and the phase.
 *
 * @param event The element's event.
 * @param value The machine's state value (names the phase, e.g.
 *   `{ session: "negotiating" }`).
 * @returns The event the machine raises.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { unexpectedFatal } from "./unexpected.ts";
 * const { error } = unexpectedFatal(
 *   { type: "stanza", kind: "message" },
 *   { session: "negotiating" },
 * );
 * strictEqual(error.condition, "unsupported-stanza-type");
 * strictEqual(error.text, "Unexpected <message/> from the server while negotiating");
 * ```
 */
export function unexpectedFatal(
  event: { type: string; kind?: string },
  value: unknown,
): { type: "transport.xmlError"; error: StreamError } {
  const session = (value as { session?: unknown }).session;
  const phase = typeof session === "string" ? session : "negotiating";
  const what = event.type === "stanza"
    ? `<${event.kind}/>`
    : event.type === "stream.unknown"
    ? "an unknown element"
    : event.type;
  return {
    type: "transport.xmlError",
    error: new StreamError(
      "unsupported-stanza-type",
      `Unexpected ${what} from the server while ${phase}`,
    ),
  };
}
