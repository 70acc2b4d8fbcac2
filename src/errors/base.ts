/**
 * The base of the error family ({@linkcode XMPPError}, and
 * {@linkcode RuntimeError} for the errors the runtime raises itself) and the
 * namespaces of the defined conditions. Re-exported by `src/errors.ts`.
 *
 * @module
 */
import type { Element } from "../deps.ts";

/** Namespace of stanza error conditions (RFC 6120 §8.3). */
export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
/** Namespace of stream error conditions (RFC 6120 §4.9). */
export const NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
/** Namespace of SASL (RFC 6120 §6). */
export const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

/**
 * Base of every error of the library.
 *
 * The message is `condition: text` for errors that come from the wire (the
 * peer's text is only a detail) and the text alone for runtime errors, whose
 * text is a full sentence.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { XMPPError } from "../errors.ts";
 * const err = new XMPPError("not-authorized", "wrong password");
 * strictEqual(err.condition, "not-authorized");
 * strictEqual(err.text, "wrong password");
 * ```
 */
export class XMPPError extends Error {
  /** The defined condition, e.g. `item-not-found`. */
  readonly condition: string;
  /** The optional descriptive text. */
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
   * import { ok } from "node:assert/strict";
   * import { xml } from "../deps.ts";
   * import { StanzaError } from "../errors.ts";
   * const el = xml("error", { type: "cancel" },
   *   xml("item-not-found", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }));
   * const err = StanzaError.fromElement(el);
   * ok(err instanceof StanzaError && err.condition === "item-not-found");
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
 * Base of the errors the runtime raises itself (timeouts, storage, API,
 * connection): its message is its text, a full sentence.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { RuntimeError, StorageError, XMPPError } from "../errors.ts";
 * const err = new StorageError("Cannot read bob: corrupt JSON in file x");
 * ok(err instanceof RuntimeError && err instanceof XMPPError);
 * ```
 */
export class RuntimeError extends XMPPError {
  /**
   * Create the error.
   * @param name The error class name.
   * @param condition The condition it maps to.
   * @param message The full message.
   * @param options The underlying cause, if any.
   */
  constructor(
    name: string,
    condition: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(condition, message, undefined, options);
    this.name = name;
    this.message = message;
  }
}
