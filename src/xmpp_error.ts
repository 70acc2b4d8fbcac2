/**
 * Typed XMPP errors: stanza errors, stream errors, SASL failures, connection
 * failures and queue overflow. All share {@linkcode XMPPError}, which carries
 * the defined `condition`, the optional human `text` and the optional
 * application-specific element.
 *
 * Timeouts reuse {@linkcode TimeoutError} from `errors.ts`.
 *
 * @module
 */
import type { Element } from "./deps.ts";

/** Namespace of stanza error conditions (RFC 6120 §8.3). */
export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
/** Namespace of stream error conditions (RFC 6120 §4.9). */
export const NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
/** Namespace of SASL (RFC 6120 §6). */
export const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

/**
 * Base of every XMPP protocol error.
 *
 * @example Usage
 * ```ts
 * import { XMPPError } from "./xmpp_error.ts";
 * const err = new XMPPError("not-authorized", "wrong password");
 * console.assert(err.condition === "not-authorized" && err.text === "wrong password");
 * ```
 */
export class XMPPError extends Error {
  /** The defined condition, e.g. `item-not-found`. */
  readonly condition: string;
  /** The optional descriptive text sent by the peer. */
  readonly text?: string;
  /** The optional application-specific condition element. */
  readonly application?: Element;
  /** The error element this was built from, when any. */
  element?: Element;

  /**
   * Create the error.
   * @param condition The defined condition.
   * @param text Descriptive text, if any.
   * @param application Application-specific condition element, if any.
   * @param options The underlying cause, if any.
   */
  constructor(
    condition: string,
    text?: string,
    application?: Element,
    options?: ErrorOptions,
  ) {
    super(text ? `${condition}: ${text}` : condition, options);
    this.name = "XMPPError";
    this.condition = condition;
    if (text !== undefined) this.text = text;
    if (application !== undefined) this.application = application;
  }

  /**
   * Build an error from an `<error/>`, `<stream:error/>` or SASL
   * `<failure/>` element: the first child in `ns` is the condition, `<text/>`
   * the text, the first child in another namespace the application element.
   *
   * @param element The error element.
   * @param ns The namespace of the defined conditions.
   * @returns The error, of the class `fromElement` is called on.
   *
   * @example Usage
   * ```ts
   * import { xml } from "./deps.ts";
   * import { StanzaError } from "./xmpp_error.ts";
   * const el = xml("error", { type: "cancel" },
   *   xml("item-not-found", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }));
   * const err = StanzaError.fromElement(el);
   * console.assert(err instanceof StanzaError && err.condition === "item-not-found");
   * ```
   */
  static fromElement<T extends XMPPError>(
    this: new (
      condition: string,
      text?: string,
      application?: Element,
    ) => T,
    element: Element,
    ns: string = NS_STANZAS,
  ): T {
    let condition = "undefined-condition";
    let text: string | undefined;
    let application: Element | undefined;
    for (const child of element.getChildElements()) {
      const childNs = child.attrs.xmlns ?? ns;
      if (childNs === ns || childNs === undefined) {
        if (child.name === "text") text = child.getText();
        else if (condition === "undefined-condition") condition = child.name;
      } else if (!application) {
        application = child;
      }
    }
    const err = new this(condition, text, application);
    err.element = element;
    return err;
  }
}

/**
 * An `<iq type="error"/>` (or message/presence error) answer (RFC 6120 §8.3).
 * `type` is the error type: `auth`, `cancel`, `continue`, `modify`, `wait`.
 *
 * @example Usage
 * ```ts
 * import { StanzaError } from "./xmpp_error.ts";
 * const err = new StanzaError("service-unavailable");
 * console.assert(err.name === "StanzaError");
 * ```
 */
export class StanzaError extends XMPPError {
  /** The error type attribute, when known. */
  type?: string;
  /** The stanza that carried the error, when known. */
  stanza?: Element;
  /**
   * Create the error.
   * @param condition The defined condition.
   * @param text Descriptive text, if any.
   * @param application Application-specific condition element, if any.
   * @param options The underlying cause, if any.
   */
  constructor(
    condition: string,
    text?: string,
    application?: Element,
    options?: ErrorOptions,
  ) {
    super(condition, text, application, options);
    this.name = "StanzaError";
  }

  /**
   * Build the error carried by an error stanza.
   *
   * @param stanza A stanza with `type="error"`.
   * @returns The error; condition `undefined-condition` when there is no `<error/>`.
   *
   * @example Usage
   * ```ts
   * import { xml } from "./deps.ts";
   * import { StanzaError } from "./xmpp_error.ts";
   * const iq = xml("iq", { type: "error", id: "1" }, xml("error", { type: "cancel" },
   *   xml("service-unavailable", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" })));
   * console.assert(StanzaError.fromStanza(iq).type === "cancel");
   * ```
   */
  static fromStanza(stanza: Element): StanzaError {
    const el = stanza.getChild("error");
    const err = el
      ? StanzaError.fromElement(el, NS_STANZAS)
      : new StanzaError("undefined-condition");
    if (el?.attrs.type) err.type = el.attrs.type;
    err.stanza = stanza;
    return err;
  }
}

/**
 * A stream error (RFC 6120 §4.9): sent by the server, or raised by us when the
 * server broke the rules (`restricted-xml`, `policy-violation`,
 * `not-well-formed`).
 *
 * @example Usage
 * ```ts
 * import { StreamError } from "./xmpp_error.ts";
 * const err = new StreamError("restricted-xml", "DOCTYPE is not allowed");
 * console.assert(err.name === "StreamError");
 * ```
 */
export class StreamError extends XMPPError {
  /**
   * Create the error.
   * @param condition The defined condition.
   * @param text Descriptive text, if any.
   * @param application Application-specific condition element, if any.
   * @param options The underlying cause, if any.
   */
  constructor(
    condition: string,
    text?: string,
    application?: Element,
    options?: ErrorOptions,
  ) {
    super(condition, text, application, options);
    this.name = "StreamError";
  }
}

/**
 * Authentication failed: a SASL `<failure/>` from the server (e.g.
 * `not-authorized` for a wrong password), no usable mechanism, or a server
 * whose SCRAM signature does not verify.
 *
 * @example Usage
 * ```ts
 * import { SASLError } from "./xmpp_error.ts";
 * const err = new SASLError("not-authorized");
 * console.assert(err.name === "SASLError");
 * ```
 */
export class SASLError extends XMPPError {
  /**
   * Create the error.
   * @param condition The defined condition.
   * @param text Descriptive text, if any.
   * @param application Application-specific condition element, if any.
   * @param options The underlying cause, if any.
   */
  constructor(
    condition: string,
    text?: string,
    application?: Element,
    options?: ErrorOptions,
  ) {
    super(condition, text, application, options);
    this.name = "SASLError";
  }
}

/**
 * The transport failed: connection refused, TLS failure (e.g. an untrusted
 * certificate), socket closed, or the session ended while a request waited.
 *
 * @example Usage
 * ```ts
 * import { ConnectionError } from "./xmpp_error.ts";
 * const err = new ConnectionError("Cannot connect: connection refused");
 * console.assert(err.name === "ConnectionError");
 * ```
 */
export class ConnectionError extends Error {
  /**
   * Create the error.
   * @param message What failed.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

/**
 * The outbound queue (stanzas sent while not online) is full; the stanza was
 * not queued.
 *
 * @example Usage
 * ```ts
 * import { QueueOverflowError } from "./xmpp_error.ts";
 * const err = new QueueOverflowError(1000);
 * console.assert(err.limit === 1000);
 * ```
 */
export class QueueOverflowError extends Error {
  /** The queue's limit. */
  readonly limit: number;
  /**
   * Create the error.
   * @param limit The queue's limit.
   * @param options The underlying cause, if any.
   */
  constructor(limit: number, options?: ErrorOptions) {
    super(`Cannot queue stanza: queue is full (${limit} stanzas)`, options);
    this.name = "QueueOverflowError";
    this.limit = limit;
  }
}

/**
 * TLS failed: the certificate did not verify (unknown issuer, wrong name,
 * expired) or the handshake broke. A {@linkcode ConnectionError}.
 *
 * @example Usage
 * ```ts
 * import { ConnectionError, TLSError } from "./xmpp_error.ts";
 * const err = new TLSError("Cannot start TLS: invalid peer certificate: UnknownIssuer");
 * console.assert(err instanceof ConnectionError && err.name === "TLSError");
 * ```
 */
export class TLSError extends ConnectionError {
  /**
   * Create the error.
   * @param message What failed.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TLSError";
  }
}
