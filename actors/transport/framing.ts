/**
 * RFC 7395 framing, shared by the WebSocket transports (the browser's own
 * `WebSocket` and our RFC 6455 client in Deno): the `<open/>` and `<close/>`
 * that stand for the stream element, stanzas serialized with their
 * namespace, and what an incoming framed element means.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { classify } from "../../src/stanza.ts";
import { NS_FRAMING, type TransportEvent } from "./protocol.ts";

const STANZAS = new Set(["iq", "message", "presence"]);

/**
 * The `<open/>` that starts a framed stream to `domain`.
 *
 * @param domain The server's domain.
 * @returns Its text.
 */
export function openText(domain: string): string {
  return `<open xmlns='${NS_FRAMING}' to='${domain}' version='1.0' xml:lang='en'/>`;
}

/** The `<close/>` that ends a framed stream. */
export const CLOSE_TEXT = `<close xmlns='${NS_FRAMING}'/>`;

/**
 * An element as one message: a stanza carries its namespace itself (RFC
 * 7395 §3.3.3), set here when it has none.
 *
 * @param el The element.
 * @returns Its text.
 */
export function framedText(el: Element): string {
  if (STANZAS.has(el.name) && el.attrs.xmlns === undefined) {
    el.attrs.xmlns = "jabber:client";
  }
  return el.toString();
}

/**
 * What an incoming message's element means: the stream's start or end for
 * `<open/>` and `<close/>`, else what it is as a stanza or nonza.
 *
 * @param element The element.
 * @returns The transport event.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "../../src/deps.ts";
 * import { framedEvent } from "./framing.ts";
 * strictEqual(framedEvent(xml("close", { xmlns: "urn:ietf:params:xml:ns:xmpp-framing" })).type, "transport.streamEnd");
 * ```
 */
export function framedEvent(element: Element): TransportEvent {
  if (element.attrs.xmlns === NS_FRAMING) {
    if (element.name === "open") {
      return { type: "transport.streamStart", header: element };
    }
    if (element.name === "close") return { type: "transport.streamEnd" };
  }
  return classify(element);
}
