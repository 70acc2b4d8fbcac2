/**
 * Classify what the server sends: each top-level element of the stream
 * becomes one typed event, once, where it is parsed (the transports call
 * {@linkcode classify}). The connection machine's transitions then name these
 * events; no guard reads XML.
 *
 * @module
 */
import { type Element, xml } from "./deps.ts";
import {
  NS_SASL,
  NS_STANZAS,
  NS_STREAMS,
  SASLError,
  StanzaError,
  StreamError,
} from "./errors.ts";

/** Namespace of the stream element (RFC 6120). */
export const NS_STREAM = "http://etherx.jabber.org/streams";
/** Namespace of STARTTLS. */
export const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
/** Namespace of resource binding. */
export const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
/** Namespace of stream limits advertisement (XEP-0478). */
export const NS_STREAM_LIMITS = "urn:xmpp:stream-limits:0";
/** Namespace of stream management (XEP-0198). */
export const NS_SM = "urn:xmpp:sm:3";

/** Stanza kinds. */
export type StanzaKind = "iq" | "message" | "presence";

/** What `<stream:features/>` offers, as far as the connection cares. */
export interface StreamFeatures {
  /** STARTTLS is offered; `required` when the server insists. */
  starttls?: { required: boolean };
  /** SASL mechanism names offered (empty when none). */
  mechanisms: string[];
  /** Resource binding is offered. */
  bind: boolean;
  /** The largest stanza the server accepts, in bytes (XEP-0478), if advertised. */
  maxBytes?: number;
  /** Stream management (XEP-0198) is offered. */
  sm?: boolean;
}

/** One classified top-level element from the server. */
export type IncomingEvent =
  | { type: "stream.features"; features: StreamFeatures }
  | {
    type: "stream.error";
    error: StreamError;
    /** For `see-other-host`: the host (and port) named, if any. */
    seeOtherHost?: string;
  }
  | {
    /** XEP-0198 `<enabled/>`: stream management is on. */
    type: "sm.enabled";
    /** The session id to resume with (present when resumption is allowed). */
    id?: string;
    /** Whether the server allows resumption. */
    resume: boolean;
    /** Longest the server keeps the session after a drop, in seconds. */
    max?: number;
  }
  | {
    /** XEP-0198 `<resumed/>`; `h` counts our stanzas the server handled. */
    type: "sm.resumed";
    h: number;
    previd: string;
  }
  | {
    /** XEP-0198 `<failed/>` (to enable or resume); `h` when the server says. */
    type: "sm.failed";
    h?: number;
    condition: string;
  }
  | {
    /** XEP-0198 `<r/>`: the server asks how many stanzas we handled. */
    type: "sm.r";
  }
  | {
    /** XEP-0198 `<a/>`: the server handled `h` of our stanzas. */
    type: "sm.a";
    h: number;
  }
  | { type: "tls.proceed" }
  | { type: "tls.failure" }
  | {
    /** A SASL challenge; `payload` is the base64 text. */
    type: "sasl.challenge";
    payload: string;
  }
  | {
    /** SASL success; `payload` is the base64 additional data ("" if none). */
    type: "sasl.success";
    payload: string;
  }
  | { type: "sasl.failure"; error: SASLError }
  | {
    /** An IQ result carrying `<bind/>`; `jid` is the bound JID it names. */
    type: "bind.result";
    id: string;
    jid?: string;
  }
  | {
    /** An IQ answer of type `result`. */
    type: "iq.result";
    id: string;
    from?: string;
    stanza: Element;
  }
  | {
    /** An IQ answer of type `error`, with its error already built. */
    type: "iq.error";
    id: string;
    from?: string;
    stanza: Element;
    error: StanzaError;
  }
  | {
    /** Any other stanza: a message, a presence or an IQ get/set. */
    type: "stanza";
    kind: StanzaKind;
    stanza: Element;
  }
  | {
    /** A top-level element the connection does not know. */
    type: "stream.unknown";
    element: Element;
  };

function isStream(el: Element, name: string): boolean {
  return el.name === `stream:${name}` ||
    (el.getName() === name && el.getNS() === NS_STREAM);
}

function featuresOf(el: Element): StreamFeatures {
  const starttls = el.getChild("starttls", NS_TLS);
  const mechs = el.getChild("mechanisms", NS_SASL);
  const maxBytes = Number(
    el.getChild("limits", NS_STREAM_LIMITS)?.getChildText("max-bytes")
      ?.trim() ||
      NaN,
  );
  return {
    ...(Number.isSafeInteger(maxBytes) && maxBytes > 0 ? { maxBytes } : {}),
    ...(starttls
      ? { starttls: { required: starttls.getChild("required") !== undefined } }
      : {}),
    mechanisms: mechs
      ? mechs.getChildren("mechanism").map((m: Element) => m.getText().trim())
      : [],
    bind: el.getChild("bind", NS_BIND) !== undefined,
    ...(el.getChild("sm", NS_SM) !== undefined ? { sm: true } : {}),
  };
}

/** A counter attribute (`h`): an unsigned 32-bit integer, else `undefined`. */
function counter(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 0xffffffff ? n : undefined;
}

function classifySm(el: Element): IncomingEvent {
  const { attrs } = el;
  switch (el.name) {
    case "r":
      return { type: "sm.r" };
    case "a": {
      const h = counter(attrs.h);
      if (h !== undefined) return { type: "sm.a", h };
      break;
    }
    case "enabled": {
      const max = counter(attrs.max);
      return {
        type: "sm.enabled",
        resume: attrs.resume === "true" || attrs.resume === "1",
        ...(attrs.id ? { id: String(attrs.id) } : {}),
        ...(max !== undefined ? { max } : {}),
      };
    }
    case "resumed": {
      const h = counter(attrs.h);
      if (h !== undefined) {
        return { type: "sm.resumed", h, previd: String(attrs.previd ?? "") };
      }
      break;
    }
    case "failed": {
      const h = counter(attrs.h);
      const condition = el.getChildElements()[0]?.name ?? "undefined-condition";
      return {
        type: "sm.failed",
        condition,
        ...(h !== undefined ? { h } : {}),
      };
    }
  }
  return { type: "stream.unknown", element: el };
}

function classifyIq(el: Element): IncomingEvent {
  const { type, id, from } = el.attrs;
  if (type === "result") {
    const bind = el.getChild("bind", NS_BIND);
    if (bind) {
      const jid = bind.getChildText("jid") ?? undefined;
      return { type: "bind.result", id, ...(jid ? { jid } : {}) };
    }
    return { type: "iq.result", id, from, stanza: el };
  }
  if (type === "error") {
    return {
      type: "iq.error",
      id,
      from,
      stanza: el,
      error: StanzaError.fromStanza(el),
    };
  }
  return { type: "stanza", kind: "iq", stanza: el };
}

/**
 * Turn one top-level element from the server into its typed event.
 *
 * @param el The element, as the stream parser produced it.
 * @returns The event; `stream.unknown` for anything unrecognized.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "./deps.ts";
 * import { classify } from "./stanza.ts";
 * strictEqual(classify(xml("message", { from: "a@b" })).type, "stanza");
 * strictEqual(classify(xml("iq", { type: "result", id: "1" })).type, "iq.result");
 * strictEqual(classify(xml("proceed", { xmlns: "urn:ietf:params:xml:ns:xmpp-tls" })).type, "tls.proceed");
 * strictEqual(classify(xml("r", { xmlns: "urn:xmpp:sm:3" })).type, "sm.r");
 * ```
 */
export function classify(el: Element): IncomingEvent {
  switch (el.name) {
    case "iq":
      return classifyIq(el);
    case "message":
    case "presence":
      return { type: "stanza", kind: el.name, stanza: el };
  }
  const ns = el.attrs.xmlns;
  if (ns === NS_SASL) {
    switch (el.name) {
      case "challenge":
        return { type: "sasl.challenge", payload: el.getText() };
      case "success":
        return { type: "sasl.success", payload: el.getText() };
      case "failure":
        return {
          type: "sasl.failure",
          error: SASLError.fromElement(el, NS_SASL),
        };
    }
  } else if (ns === NS_TLS) {
    if (el.name === "proceed") return { type: "tls.proceed" };
    if (el.name === "failure") return { type: "tls.failure" };
  } else if (isStream(el, "features")) {
    return { type: "stream.features", features: featuresOf(el) };
  } else if (ns === NS_SM) {
    return classifySm(el);
  } else if (isStream(el, "error")) {
    const error = StreamError.fromElement(el, NS_STREAMS);
    const other = error.condition === "see-other-host"
      ? el.getChild("see-other-host")?.getText().trim()
      : undefined;
    return {
      type: "stream.error",
      error,
      ...(other ? { seeOtherHost: other } : {}),
    };
  }
  return { type: "stream.unknown", element: el };
}

/**
 * The `<stream:error/>` element that reports `error` to the server.
 *
 * @param error The condition and optional text.
 * @returns The element.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { StreamError } from "./errors.ts";
 * import { streamErrorElement } from "./stanza.ts";
 * const el = streamErrorElement(new StreamError("restricted-xml"));
 * strictEqual(el.getChild("restricted-xml")?.attrs.xmlns, "urn:ietf:params:xml:ns:xmpp-streams");
 * ```
 */
export function streamErrorElement(
  error: { condition: string; text?: string },
): Element {
  return xml(
    "stream:error",
    {},
    xml(error.condition, { xmlns: NS_STREAMS }),
    ...(error.text ? [xml("text", { xmlns: NS_STREAMS }, error.text)] : []),
  );
}

/**
 * An error reply to a stanza (RFC 6120 §8.3): same kind and id, addressed
 * back to the sender.
 *
 * @param stanza The stanza answered.
 * @param condition The defined condition, e.g. `service-unavailable`.
 * @param type The error type.
 * @param text Descriptive text, if any.
 * @returns The reply.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "./deps.ts";
 * import { errorReply } from "./stanza.ts";
 * const reply = errorReply(xml("iq", { type: "get", id: "7", from: "a@b/c" }), "item-not-found");
 * strictEqual(reply.attrs.to, "a@b/c");
 * strictEqual(reply.attrs.type, "error");
 * ```
 */
export function errorReply(
  stanza: Element,
  condition: string,
  type = "cancel",
  text?: string,
): Element {
  const error = xml("error", { type }, xml(condition, { xmlns: NS_STANZAS }));
  if (text) error.append(xml("text", { xmlns: NS_STANZAS }, text));
  return xml(stanza.name, replyAttrs(stanza, "error"), error);
}

/**
 * A `result` IQ answering `request`: `payload` is its child, or, when it is
 * an `<iq/>` itself, the whole reply (missing `id`, `to` and `type` filled in).
 *
 * @param request The IQ get/set answered.
 * @param payload The result's child, a whole `<iq/>`, or nothing.
 * @returns The reply.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "./deps.ts";
 * import { resultReply } from "./stanza.ts";
 * const reply = resultReply(xml("iq", { type: "get", id: "7", from: "a@b/c" }));
 * strictEqual(reply.toString(), '<iq type="result" id="7" to="a@b/c"/>');
 * ```
 */
export function resultReply(request: Element, payload?: Element): Element {
  if (payload && payload.name === "iq") {
    if (payload.attrs.id === undefined) payload.attrs.id = request.attrs.id;
    if (payload.attrs.to === undefined && request.attrs.from) {
      payload.attrs.to = request.attrs.from;
    }
    if (payload.attrs.type === undefined) payload.attrs.type = "result";
    return payload;
  }
  const iq = xml("iq", replyAttrs(request, "result"));
  if (payload) iq.append(payload);
  return iq;
}

function replyAttrs(stanza: Element, type: string): Record<string, string> {
  const attrs: Record<string, string> = { type, id: stanza.attrs.id };
  if (stanza.attrs.from) attrs.to = stanza.attrs.from;
  return attrs;
}
