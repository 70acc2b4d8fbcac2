/**
 * What the connection does with an incoming stanza that the transport
 * skipped because it was over `maxStanzaSize` or `maxStanzaDepth`
 * (`src/xml_stream.ts`): the session stays up; an IQ request is answered
 * with a `policy-violation` error (condition only) when its opening tag
 * could be read; an answer to one of our IQs rejects that call; every
 * skipped stanza is reported locally as a {@linkcode StanzaError}.
 *
 * @module
 */
import { type Element, xml } from "../../src/deps.ts";
import { NS_STANZAS, StanzaError, StreamError } from "../../src/errors.ts";
import type { IqCallerEvent } from "./protocol.ts";

/** What the transport reports about a skipped stanza. */
export interface Skipped {
  /** The limit it broke. */
  limit: "size" | "depth";
  /** Its opening tag (no children), when it was read. */
  head?: Element;
  /** Why, e.g. `Stanza exceeds the nesting depth of 128`. */
  reason: string;
}

const STANZAS = new Set(["message", "presence", "iq"]);

/**
 * The local error for a skipped stanza: condition `policy-violation`, type
 * `modify`, `stanza` set to its opening tag when known.
 *
 * @param skipped What the transport reported.
 * @returns The error.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "../../src/deps.ts";
 * import { skippedError } from "./skipped.ts";
 * const err = skippedError({
 *   limit: "depth",
 *   head: xml("message", { from: "bob@localhost/r" }),
 *   reason: "Stanza exceeds the nesting depth of 128",
 * });
 * strictEqual(err.condition, "policy-violation");
 * strictEqual(err.text, "Skipped incoming message from bob@localhost/r: stanza exceeds the nesting depth of 128");
 * ```
 */
export function skippedError(skipped: Skipped): StanzaError {
  const { head } = skipped;
  const what = head === undefined
    ? "stanza"
    : `${head.name}${head.attrs.from ? ` from ${head.attrs.from}` : ""}`;
  const reason = skipped.reason.charAt(0).toLowerCase() +
    skipped.reason.slice(1);
  const error = new StanzaError(
    "policy-violation",
    `Skipped incoming ${what}: ${reason}`,
  );
  error.type = "modify";
  if (head !== undefined) error.stanza = head;
  return error;
}

/**
 * The error answer to a skipped IQ request (`get`/`set` with an `id`):
 * `policy-violation`, condition only, to its sender. `undefined` for
 * anything else (answers, messages, presences, an unread opening tag).
 *
 * @param head The skipped stanza's opening tag, if read.
 * @returns The answer to send, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "../../src/deps.ts";
 * import { skippedReply } from "./skipped.ts";
 * const reply = skippedReply(xml("iq", { type: "set", id: "q1", from: "bob@localhost/r" }))!;
 * strictEqual(reply.attrs.to, "bob@localhost/r");
 * strictEqual(reply.getChild("error")?.getChild("policy-violation")?.name, "policy-violation");
 * strictEqual(skippedReply(xml("message", { id: "m1" })), undefined);
 * ```
 */
export function skippedReply(head: Element | undefined): Element | undefined {
  if (head?.name !== "iq") return undefined;
  const { type, id, from } = head.attrs;
  if ((type !== "get" && type !== "set") || !id) return undefined;
  return xml(
    "iq",
    { type: "error", id, ...(from ? { to: from } : {}) },
    xml(
      "error",
      { type: "modify" },
      xml("policy-violation", { xmlns: NS_STANZAS }),
    ),
  );
}

/**
 * Whether a skipped element counts as a received stanza for stream
 * management (XEP-0198 counts `message`, `presence` and `iq`): yes for those
 * names, and when the opening tag could not be read (only stanzas come from
 * peers).
 *
 * @param head The skipped element's opening tag, if read.
 * @returns `true` to count it as handled.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { xml } from "../../src/deps.ts";
 * import { countsAsStanza } from "./skipped.ts";
 * ok(countsAsStanza(xml("message")));
 * ok(!countsAsStanza(xml("r", { xmlns: "urn:xmpp:sm:3" })));
 * ```
 */
export function countsAsStanza(head: Element | undefined): boolean {
  return head === undefined || STANZAS.has(head.name);
}

/**
 * When a skipped element is the head of an answer to one of our IQs: the
 * `iq.error` that rejects that call with the skip's error.
 *
 * @param head The opening tag of what was skipped.
 * @param error The skip's error.
 * @returns The event for the IQ caller, or `undefined`.
 */
export function skippedAnswer(
  head: Element | undefined,
  error: Error,
): Extract<IqCallerEvent, { type: "iq.error" }> | undefined {
  const { type, id, from } = head?.attrs ?? {};
  if (head?.name !== "iq" || (type !== "result" && type !== "error") || !id) {
    return undefined;
  }
  return {
    type: "iq.error",
    id,
    ...(from ? { from } : {}),
    stanza: head,
    error,
    skipped: true,
  };
}

/**
 * Before online only the server speaks: an element over a limit then ends
 * the stream (`policy-violation`).
 * @param skipped The skip.
 * @returns The event the machine raises.
 */
export function skippedFatal(
  skipped: { reason: string },
): { type: "transport.xmlError"; error: StreamError } {
  return {
    type: "transport.xmlError",
    error: new StreamError("policy-violation", skipped.reason),
  };
}
