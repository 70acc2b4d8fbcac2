/**
 * Classify what the server sends: each top-level element of the stream
 * becomes one typed event, once, where it is parsed (the transports call
 * {@linkcode classify}). The connection machine's transitions then name these
 * events; no guard reads XML.
 *
 * @module
 */
import { Element, xml } from "./deps.ts";
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
}

/** One classified top-level element from the server. */
export type IncomingEvent =
  | { type: "stream.features"; features: StreamFeatures }
  | { type: "stream.error"; error: StreamError }
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
  };
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
  } else if (isStream(el, "error")) {
    return {
      type: "stream.error",
      error: StreamError.fromElement(el, NS_STREAMS),
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

/** Limits of {@linkcode checkStanza}. */
export interface StanzaLimits {
  /** Largest serialized size, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting (the stanza itself is depth 1). */
  maxDepth: number;
}

// XML 1.0 Name (§2.3), as a QName: at most one colon, not first or last.
const NAME_START =
  "A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F\\u2040`;
const NCNAME = `[${NAME_START}][${NAME_CHAR}]*`;
const QNAME = new RegExp(`^(?:${NCNAME}:)?${NCNAME}$`, "u");
const SIMPLE_NAME = /^[A-Za-z_][-A-Za-z0-9._]*$/;

function isQName(name: string): boolean {
  return SIMPLE_NAME.test(name) || QNAME.test(name);
}

/**
 * The UTF-8 size of `s` as `ltx` serializes it (attribute values also escape
 * quotes), or `-1 - i` when the character at `i` is one XML 1.0 forbids.
 */
function escapedBytes(s: string, attr: boolean): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c < 0x20) {
        if (c !== 9 && c !== 10 && c !== 13) return -1 - i;
      } else if (c === 38) n += 4; // &amp;
      else if (c === 60 || c === 62) n += 3; // &lt; &gt;
      else if (attr && (c === 34 || c === 39)) n += 5; // &quot; &apos;
    } else if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1 - i;
      i++; // a pair: 4 bytes for 2 code units
      n += 2;
    } else if ((c >= 0xdc00 && c <= 0xdfff) || c >= 0xfffe) return -1 - i;
    else n += 2;
  }
  return n;
}

function refuse(where: string, what: string): never {
  throw new TypeError(`Cannot send stanza: ${what} at ${where}`);
}

function checkedText(value: string, attr: boolean, where: string): number {
  const n = escapedBytes(value, attr);
  if (n < 0) {
    const code = value.charCodeAt(-1 - n).toString(16).toUpperCase();
    refuse(
      where,
      `U+${code.padStart(4, "0")} is a character XML 1.0 forbids`,
    );
  }
  return n;
}

type Scope = ReadonlySet<string>;

/** Whether `name`'s prefix (if any) is declared; `xml` and `xmlns` always are. */
function bound(name: string, scope: Scope): boolean {
  const colon = name.indexOf(":");
  if (colon === -1) return true;
  const prefix = name.slice(0, colon);
  return prefix === "xml" || prefix === "xmlns" || scope.has(prefix);
}

/**
 * Check an outgoing stanza before it is written, so a careless one is
 * refused here instead of ending the session at the server: it must be an
 * `@xmpp/xml` element tree whose names are XML names with declared
 * prefixes, whose text and attribute values hold only characters XML 1.0
 * allows (no NUL or other C0 controls but tab, LF and CR, no lone
 * surrogates, no U+FFFE/U+FFFF), no deeper than `maxDepth` and no larger
 * than `maxBytes` serialized. One pass, no recursion.
 *
 * @param stanza The element to send.
 * @param limits Size and depth limits.
 * @returns Its serialized size in UTF-8 bytes.
 * @throws {TypeError} Not an element (e.g. a string), a bad name or an
 *   undeclared prefix, or a forbidden character.
 * @throws {RangeError} Larger than `maxBytes` or deeper than `maxDepth`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { xml } from "./deps.ts";
 * import { checkStanza } from "./stanza.ts";
 * const limits = { maxBytes: 10_000, maxDepth: 16 };
 * strictEqual(checkStanza(xml("presence"), limits), 11);
 * throws(() => checkStanza(xml("message", {}, "nul\u0000"), limits), TypeError);
 * throws(() => checkStanza(xml("message", {}, "x".repeat(10_000)), limits), RangeError);
 * ```
 */
export function checkStanza(stanza: unknown, limits: StanzaLimits): number {
  if (!(stanza instanceof Element)) {
    throw new TypeError(
      `Cannot send stanza: expected an element built with xml(), got ${
        typeof stanza === "string" ? "a string" : String(stanza)
      }`,
    );
  }
  let bytes = 0;
  const stack: [Element, number, Scope][] = [[stanza, 1, new Set()]];
  while (stack.length) {
    const [el, depth, parentScope] = stack.pop()!;
    const name = el.name;
    if (typeof name !== "string" || !isQName(name)) {
      refuse(String(name), "invalid element name");
    }
    if (depth > limits.maxDepth) {
      throw new RangeError(
        `Cannot send stanza: it exceeds the nesting depth of ${limits.maxDepth}`,
      );
    }
    let scope = parentScope;
    const attrs = el.attrs;
    for (const k in attrs) {
      if (k.startsWith("xmlns:") && attrs[k] != null) {
        if (attrs[k] === "") refuse(`${name}@${k}`, "empty prefix namespace");
        if (scope === parentScope) scope = new Set(parentScope);
        (scope as Set<string>).add(k.slice(6));
      }
    }
    if (!bound(name, scope)) refuse(name, "undeclared namespace prefix");
    // "<name" + ("/>" | "></name>")
    bytes += el.children.length ? 2 * name.length + 5 : name.length + 3;
    for (const k in attrs) {
      const v = attrs[k];
      if (v == null) continue;
      if (!isQName(k) || !bound(k, scope)) {
        refuse(`${name}@${k}`, "invalid attribute name");
      }
      const t = typeof v;
      if (t !== "string" && t !== "number" && t !== "boolean") {
        refuse(`${name}@${k}`, `attribute value of type ${t}`);
      }
      // ' k="v"'
      bytes += k.length + 4 + checkedText(String(v), true, `${name}@${k}`);
    }
    const children = el.children as unknown[];
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i];
      if (typeof c === "string") bytes += checkedText(c, false, name);
      else if (c instanceof Element) stack.push([c, depth + 1, scope]);
      else if (typeof c === "number") bytes += String(c).length;
      else if (c != null) {
        refuse(name, "a child that is not an element or text");
      }
    }
    if (bytes > limits.maxBytes) {
      throw new RangeError(
        `Cannot send stanza: it exceeds ${limits.maxBytes} bytes`,
      );
    }
  }
  return bytes;
}
