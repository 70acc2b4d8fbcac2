/**
 * The one error family of the library. Every error a caller can catch is an
 * {@linkcode XMPPError} with a `condition` (an RFC 6120 condition where one
 * fits, so a plugin can answer a peer with it) and an optional `text`:
 *
 * - from the wire: {@linkcode StanzaError} (and its {@linkcode ItemNotFound}),
 *   {@linkcode StreamError}, {@linkcode SASLError};
 * - from the runtime: {@linkcode TimeoutError}, {@linkcode ConnectionError}
 *   (and {@linkcode TLSError}), {@linkcode QueueOverflowError},
 *   {@linkcode ClientStoppedError}, {@linkcode ApiError},
 *   {@linkcode StorageError}.
 *
 * Bad arguments are the built-in `TypeError` / `RangeError`.
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
 * Base of every error of the library.
 *
 * The message is `condition: text` for errors that come from the wire (the
 * peer's text is only a detail) and the text alone for runtime errors, whose
 * text is a full sentence.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { XMPPError } from "./errors.ts";
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
   * import { xml } from "./deps.ts";
   * import { StanzaError } from "./errors.ts";
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
 * import { RuntimeError, StorageError, XMPPError } from "./errors.ts";
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

/**
 * An `<iq type="error"/>` (or message/presence error) answer (RFC 6120 §8.3).
 * `type` is the error type: `auth`, `cancel`, `continue`, `modify`, `wait`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { StanzaError } from "./errors.ts";
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
   * import { xml } from "./deps.ts";
   * import { StanzaError } from "./errors.ts";
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
 * import { ItemNotFound, StanzaError } from "./errors.ts";
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
 * import { StreamError } from "./errors.ts";
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
 * import { SASLError } from "./errors.ts";
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

/**
 * A request got no answer in time: a storage actor that hangs, an IQ nobody
 * answered, a negotiation step the server never finished. Condition
 * `remote-server-timeout`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { TimeoutError } from "./errors.ts";
 * const err = new TimeoutError("Cannot run get_bob: storage did not answer within 5000 ms");
 * strictEqual(err.name, "TimeoutError");
 * strictEqual(err.condition, "remote-server-timeout");
 * ```
 */
export class TimeoutError extends RuntimeError {
  /**
   * Create the error.
   * @param message What timed out and after how long.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("TimeoutError", "remote-server-timeout", message, options);
  }
}

/**
 * The client (or the actor a call went to) was stopped: calls pending at
 * `stop()` and calls made after it reject with this. Condition
 * `service-unavailable`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ClientStoppedError } from "./errors.ts";
 * const err = new ClientStoppedError("Cannot run get_bob: the client is stopped");
 * strictEqual(err.name, "ClientStoppedError");
 * ```
 */
export class ClientStoppedError extends RuntimeError {
  /**
   * Create the error.
   * @param message Which call was cut short.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ClientStoppedError", "service-unavailable", message, options);
  }
}

/**
 * An internal API call failed: unknown op, no handler, or a handler that
 * threw or rejected. `op` names the operation; `cause` keeps the handler's
 * error. Condition `internal-server-error` (`feature-not-implemented` for an
 * unknown op).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ApiError } from "./errors.ts";
 * const err = new ApiError("set_bob", "Cannot run set_bob: handler threw", { cause: new Error("disk full") });
 * strictEqual(err.op, "set_bob");
 * strictEqual(err.condition, "internal-server-error");
 * ```
 */
export class ApiError extends RuntimeError {
  /** The operation that failed, e.g. `set_bob`. */
  readonly op: string;
  /**
   * Create the error.
   * @param op The operation that failed.
   * @param message What went wrong.
   * @param options The underlying cause, and the condition when it is not
   *   `internal-server-error`.
   */
  constructor(
    op: string,
    message: string,
    options?: ErrorOptions & { condition?: string },
  ) {
    super(
      "ApiError",
      options?.condition ?? "internal-server-error",
      message,
      options,
    );
    this.op = op;
  }
}

/**
 * A storage backend failed to read or write an entry (I/O error, corrupt
 * file, entry that does not match its key, a backend that cannot start, a
 * migration that failed). Condition `internal-server-error`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { StorageError } from "./errors.ts";
 * const err = new StorageError("Cannot read bob: corrupt JSON in file x");
 * strictEqual(err.name, "StorageError");
 * ```
 */
export class StorageError extends RuntimeError {
  /**
   * Create the error.
   * @param message What failed, and on which key.
   * @param options The underlying cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("StorageError", "internal-server-error", message, options);
  }
}

/**
 * Data from a peer failed verification and was not believed (nor stored):
 * a BoB whose bytes do not hash to its cid, over the size limit, or
 * malformed. Condition `not-acceptable`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { VerificationError } from "./errors.ts";
 * const err = new VerificationError("Cannot accept bob: data does not match its cid");
 * strictEqual(err.condition, "not-acceptable");
 * ```
 */
export class VerificationError extends RuntimeError {
  /**
   * Create the error.
   * @param message What did not verify.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("VerificationError", "not-acceptable", message, options);
  }
}

/**
 * The transport failed: connection refused, TLS failure (e.g. an untrusted
 * certificate), socket closed, or the session ended while a request waited.
 * Condition `remote-connection-failed`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { ConnectionError } from "./errors.ts";
 * const err = new ConnectionError("Cannot connect: connection refused");
 * strictEqual(err.name, "ConnectionError");
 * ```
 */
export class ConnectionError extends RuntimeError {
  /**
   * Create the error.
   * @param message What failed.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("ConnectionError", "remote-connection-failed", message, options);
  }
}

/**
 * TLS failed: the certificate did not verify (unknown issuer, wrong name,
 * expired) or the handshake broke. A {@linkcode ConnectionError}.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { ConnectionError, TLSError } from "./errors.ts";
 * const err = new TLSError("Cannot start TLS: invalid peer certificate: UnknownIssuer");
 * ok(err instanceof ConnectionError && err.name === "TLSError");
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

/**
 * The outbound queue (stanzas sent while not online) is full; the stanza was
 * not queued. Condition `resource-constraint`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { QueueOverflowError } from "./errors.ts";
 * const err = new QueueOverflowError(1000);
 * strictEqual(err.limit, 1000);
 * ```
 */
export class QueueOverflowError extends RuntimeError {
  /** The queue's limit. */
  readonly limit: number;
  /**
   * Create the error.
   * @param limit The queue's limit.
   * @param options The underlying cause, if any.
   */
  constructor(limit: number, options?: ErrorOptions, message?: string) {
    super(
      "QueueOverflowError",
      "resource-constraint",
      message ?? `Cannot queue stanza: queue is full (${limit} stanzas)`,
      options,
    );
    this.limit = limit;
  }
}

/**
 * The stream management (XEP-0198) queue of sent, unacknowledged stanzas
 * is at its bound (`streamManagement.maxUnacked` stanzas or
 * `maxUnackedSize` characters): the server has not acknowledged enough of
 * what was sent. Nothing was sent; try again once it acks. A
 * {@linkcode QueueOverflowError}, so one `catch` covers both queues.
 *
 * @example Usage
 * ```ts
 * import { ok, strictEqual } from "node:assert/strict";
 * import { QueueOverflowError, UnackedOverflowError } from "./errors.ts";
 * const err = new UnackedOverflowError(5000, 5000, 120000);
 * ok(err instanceof QueueOverflowError);
 * strictEqual(err.unacked, 5000);
 * ```
 */
export class UnackedOverflowError extends QueueOverflowError {
  /** Stanzas sent and not acknowledged. */
  readonly unacked: number;
  /** Their approximate serialized size, in characters. */
  readonly size: number;
  /**
   * Create the error.
   * @param limit The bound in stanzas (`maxUnacked`).
   * @param unacked Stanzas unacknowledged now.
   * @param size Their size now, in characters.
   * @param options The underlying cause, if any.
   */
  constructor(
    limit: number,
    unacked: number,
    size: number,
    options?: ErrorOptions,
  ) {
    super(
      limit,
      options,
      `Cannot send stanza: the server has not acknowledged ${unacked} stanzas (${size} characters), the stream management bound`,
    );
    this.name = "UnackedOverflowError";
    this.unacked = unacked;
    this.size = size;
  }
}
