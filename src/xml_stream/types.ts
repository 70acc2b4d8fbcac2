/**
 * The shapes of `XmlStream`'s API: its callbacks, its options and
 * what it reports of a skipped stanza. Re-exported by `src/xml_stream.ts`.
 *
 * @module
 */
import type { Element } from "../deps.ts";
import type { StreamError } from "../errors.ts";

/** A stanza that `XmlStream` skipped because it broke a limit. */
export interface SkippedStanza {
  /** The limit it broke. */
  readonly limit: "size" | "depth";
  /**
   * Its opening tag: name and attributes, no children. `undefined` when the
   * opening tag itself did not fit in the size limit.
   */
  readonly head?: Element;
  /** Why, e.g. `Stanza exceeds 1048576 characters`. */
  readonly reason: string;
}

/** Callbacks of an `XmlStream`. */
export interface XmlStreamHandlers {
  /** The stream header (`<stream:stream …>`); not called in framed mode. */
  onStart?(header: Element): void;
  /** One complete top-level element (a stanza, features, …). */
  onElement(element: Element): void;
  /**
   * A top-level element over `maxStanzaSize` or `maxStanzaDepth` was skipped
   * (called after its end tag, in stream order); the stream goes on.
   * Without this handler such an element ends the stream with
   * `policy-violation`.
   */
  onSkipped?(skipped: SkippedStanza): void;
  /** The closing `</stream:stream>`; not called in framed mode. */
  onEnd?(): void;
  /** The stream broke the rules; the stream is dead after this. */
  onError(error: StreamError): void;
}

/** Options of an `XmlStream`. */
export interface XmlStreamOptions {
  /**
   * Largest accepted stanza, in characters (UTF-16 code units) as received,
   * from its `<` to the `>` of its end tag. Text between stanzas is held to
   * the same bound (beyond it the stream fails with `policy-violation`).
   * @default {1048576}
   */
  maxStanzaSize?: number;
  /**
   * Deepest element nesting of a stanza (the stanza itself is depth 1).
   * @default {128}
   */
  maxStanzaDepth?: number;
  /**
   * Framed mode (RFC 7395, WebSocket): each `write()` is one complete
   * top-level element and there is no enclosing stream element.
   * @default {false}
   */
  framed?: boolean;
}
