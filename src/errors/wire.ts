/**
 * Errors from the wire: a stanza error ({@linkcode StanzaError},
 * {@linkcode ItemNotFound}), a stream error ({@linkcode StreamError}), a SASL
 * failure ({@linkcode SASLError}). Re-exported by `src/errors.ts`.
 *
 * @module
 */
import type { Element } from "../deps.ts";
import { NS_STANZAS, XMPPError } from "./base.ts";

/**
 * An `<iq type="error"/>` (or message/presence error) answer (RFC 6120 §8.3).
 * `type` is the error type: `auth`, `cancel`, `continue`, `modify`, `wait`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { StanzaError } from "../errors.ts";
 * const err = new StanzaError("service-unavailable");
 * strictEqual(err.name, "StanzaError");
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
   * Build the error carried by an error stanza. An `item-not-found` answer
   * becomes an {@linkcode ItemNotFound}.
   *
   * @param stanza A stanza with `type="error"`.
   * @returns The error; condition `undefined-condition` when there is no `<error/>`.
   *
   * @example Usage
   * ```ts
   * import { strictEqual } from "node:assert/strict";
   * import { xml } from "../deps.ts";
   * import { StanzaError } from "../errors.ts";
   * const iq = xml("iq", { type: "error", id: "1" }, xml("error", { type: "cancel" },
   *   xml("service-unavailable", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" })));
   * strictEqual(StanzaError.fromStanza(iq).type, "cancel");
   * ```
   */
  static fromStanza(stanza: Element): StanzaError {
    const el = stanza.getChild("error");
    let err = el
      ? StanzaError.fromElement(el, NS_STANZAS)
      : new StanzaError("undefined-condition");
    if (err.condition === "item-not-found") {
      const nf = new ItemNotFound(err.text ?? "item-not-found");
      nf.element = err.element;
      err = nf;
    }
    if (el?.attrs.type) err.type = el.attrs.type;
    err.stanza = stanza;
    return err;
  }
}

/**
 * No entry under the asked key: the stanza error `item-not-found`
 * (XEP-0231 answers it for an unknown cid). Its message is its text.
 *
 * @example Usage
 * ```ts
 * import { ok, strictEqual } from "node:assert/strict";
 * import { ItemNotFound, StanzaError } from "../errors.ts";
 * const err = new ItemNotFound("Cannot get bob: no data for cid sha1+00@bob.xmpp.org");
 * strictEqual(err.condition, "item-not-found");
 * ok(err instanceof StanzaError);
 * ```
 */
export class ItemNotFound extends StanzaError {
  /**
   * Create the error.
   * @param message Which key was missing.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("item-not-found", message, undefined, options);
    this.name = "ItemNotFound";
    this.message = message;
    this.type = "cancel";
  }
}

/**
 * A stream error (RFC 6120 §4.9): sent by the server, or raised by us when the
 * server broke the rules (`restricted-xml`, `policy-violation`,
 * `not-well-formed`).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { StreamError } from "../errors.ts";
 * const err = new StreamError("restricted-xml", "DOCTYPE is not allowed");
 * strictEqual(err.name, "StreamError");
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
 * import { strictEqual } from "node:assert/strict";
 * import { SASLError } from "../errors.ts";
 * const err = new SASLError("not-authorized");
 * strictEqual(err.name, "SASLError");
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
