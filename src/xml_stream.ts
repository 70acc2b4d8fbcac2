/**
 * The incoming XML stream of an XMPP session: wraps the `@xmpp/xml` parser
 * and enforces what it does not (RFC 6120 §11.1, "restricted XML").
 *
 * The `@xmpp/xml` parser silently swallows a DOCTYPE (and whatever follows
 * it), skips processing instructions and comments, and throws synchronously
 * on an unknown entity. So every chunk is screened before it reaches the
 * parser: `<!` that does not open a CDATA section, and `<?` other than the
 * XML declaration at the very start, end the stream with `restricted-xml`;
 * a stanza longer than `maxStanzaSize` or nested deeper than
 * `maxStanzaDepth` ends it with `policy-violation` (the depth check stops the
 * parser at the first element too deep, so no deep tree is ever built);
 * anything the parser rejects ends it with `not-well-formed`. After an error
 * the stream ignores further input.
 *
 * @module
 */
import { type Element, Parser } from "./deps.ts";
import { StreamError } from "./errors.ts";
import { checkCount } from "./options.ts";

/** Callbacks of an {@linkcode XmlStream}. */
export interface XmlStreamHandlers {
  /** The stream header (`<stream:stream …>`); not called in framed mode. */
  onStart?(header: Element): void;
  /** One complete top-level element (a stanza, features, …). */
  onElement(element: Element): void;
  /** The closing `</stream:stream>`; not called in framed mode. */
  onEnd?(): void;
  /** The stream broke the rules; the stream is dead after this. */
  onError(error: StreamError): void;
}

/** Options of an {@linkcode XmlStream}. */
export interface XmlStreamOptions {
  /**
   * Largest accepted stanza, in characters (UTF-16 code units). In stream
   * mode the check runs per chunk of at most 16 KiB, so a stanza is cut off
   * no later than 16 KiB past the limit.
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

const SLICE = 16 * 1024;
const CDATA_OPEN = "<![CDATA[";
const FRAME_ROOT = "xmpp-actors-frames";
/** Thrown inside the parser to stop it at once; never escapes `#feed`. */
const STOP = Symbol("stop");

/**
 * A screened, incremental XML stream parser.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { XmlStream } from "./xml_stream.ts";
 * const names: string[] = [];
 * const stream = new XmlStream({
 *   onElement: (el) => names.push(el.name),
 *   onError: (err) => names.push(err.condition),
 * });
 * stream.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><mess");
 * stream.write("age/><!DOCTYPE x>");
 * strictEqual(names.join(), "message,restricted-xml");
 * ```
 */
export class XmlStream {
  #handlers: XmlStreamHandlers;
  #max: number;
  #maxDepth: number;
  #depth = 0;
  #framed: boolean;
  #parser!: Parser;
  #failed = false;
  #sinceElement = 0;
  #sawElement = false;
  #measure = false;
  // screening state
  #tail = "";
  #inCdata = false;
  #badWhat = "";
  #prolog = "";
  #inProlog = true;

  /**
   * @param handlers Where parsed elements and errors go.
   * @param options Size and depth limits, and framing.
   * @throws {RangeError} A limit that is not a positive integer.
   */
  constructor(handlers: XmlStreamHandlers, options: XmlStreamOptions = {}) {
    this.#handlers = handlers;
    this.#max = checkCount(options.maxStanzaSize, "maxStanzaSize", 1 << 20);
    this.#maxDepth = checkCount(options.maxStanzaDepth, "maxStanzaDepth", 128);
    this.#framed = options.framed ?? false;
    this.reset();
  }

  /** Whether the stream has failed (then it ignores input). */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Start over with a fresh parser: for a stream restart after STARTTLS or
   * SASL (RFC 6120 §4.3.3).
   */
  reset(): void {
    const parser = new Parser();
    parser.on("start", (el: Element) => {
      if (this.#failed) return;
      this.#sinceElement = 0;
      if (!this.#framed) this.#handlers.onStart?.(el);
    });
    parser.on("element", (el: Element) => {
      this.#sawElement = true;
      const root = parser.root as Element | null;
      if (root && root.children.length) root.children.length = 0;
      if (this.#failed) return;
      // Only when this chunk could hold an oversize stanza: measure it.
      if (this.#measure && el.toString().length > this.#max) {
        this.#fail(
          "policy-violation",
          `Stanza exceeds ${this.#max} characters`,
        );
        return;
      }
      this.#handlers.onElement(el);
    });
    parser.on("end", () => {
      if (this.#framed) {
        this.#fail("not-well-formed", "Unexpected end of frame sequence");
      } else if (!this.#failed) this.#handlers.onEnd?.();
    });
    parser.on("error", (err: Error) => {
      this.#fail("not-well-formed", err.message, err);
    });
    // Depth: the stream (or frame) root is level 0, a stanza level 1. These
    // run after the parser's own handlers of the same events.
    const sax = (parser as unknown as { parser: Parser }).parser;
    sax.on("startElement", () => {
      if (++this.#depth > this.#maxDepth + 1) {
        this.#fail(
          "policy-violation",
          `Stanza exceeds the nesting depth of ${this.#maxDepth}`,
        );
        throw STOP;
      }
    });
    sax.on("endElement", () => {
      this.#depth--;
    });
    this.#depth = 0;
    this.#parser = parser;
    this.#tail = "";
    this.#inCdata = false;
    this.#prolog = "";
    this.#inProlog = true;
    this.#sinceElement = 0;
    this.#failed = false;
    if (this.#framed) parser.write(`<${FRAME_ROOT}>`);
  }

  /**
   * Feed a chunk of text (any split is fine in stream mode; one whole frame
   * in framed mode).
   *
   * @param chunk The text received.
   */
  write(chunk: string): void {
    if (this.#failed || chunk.length === 0) return;
    if (this.#framed) {
      if (chunk.length > this.#max) {
        this.#fail(
          "policy-violation",
          `Stanza exceeds ${this.#max} characters`,
        );
        return;
      }
      this.#tail = "";
      this.#inCdata = false;
      this.#prolog = "";
      this.#inProlog = true;
      const body = this.#skipProlog(chunk);
      if (body === undefined) {
        if (!this.#failed) this.#fail("not-well-formed", "Incomplete frame");
        return;
      }
      const bad = this.#screen(body);
      if (bad !== -1) return this.#fail("restricted-xml", this.#badWhat);
      this.#feed(body);
      return;
    }
    if (this.#inProlog) {
      const body = this.#skipProlog(chunk);
      if (body === undefined) return;
      chunk = body;
    }
    const bad = this.#screen(chunk);
    const ok = bad === -1 ? chunk : chunk.slice(0, bad);
    if (ok.length <= SLICE) {
      if (ok.length) this.#feedCounted(ok);
    } else {
      for (let i = 0; i < ok.length && !this.#failed; i += SLICE) {
        this.#feedCounted(ok.slice(i, i + SLICE));
      }
    }
    if (bad !== -1) this.#fail("restricted-xml", this.#badWhat);
  }

  /**
   * Holds back text until the optional XML declaration is complete (the
   * parser loses a declaration split across chunks) and drops it. Returns
   * the text after it, or `undefined` to wait for more.
   */
  #skipProlog(chunk: string): string | undefined {
    const buf = this.#prolog + chunk;
    const start = buf.search(/\S/);
    if (start === -1) {
      this.#prolog = buf;
      return undefined;
    }
    if (buf.length - start < 6) {
      if ("<?xml ".startsWith(buf.slice(start))) {
        this.#prolog = buf;
        return undefined;
      }
    } else if (buf.startsWith("<?xml", start) && /\s/.test(buf[start + 5])) {
      const end = buf.indexOf("?>", start);
      if (end === -1) {
        if (buf.length > 1024) {
          this.#fail("not-well-formed", "XML declaration too long");
        } else this.#prolog = buf;
        return undefined;
      }
      this.#prolog = "";
      this.#inProlog = false;
      return buf.slice(end + 2);
    }
    this.#prolog = "";
    this.#inProlog = false;
    return buf.slice(start);
  }

  #feedCounted(part: string): void {
    this.#sawElement = false;
    this.#sinceElement += part.length;
    this.#measure = this.#sinceElement > this.#max;
    this.#feed(part);
    this.#measure = false;
    if (this.#failed) return;
    if (this.#sawElement) this.#sinceElement = 0;
    else if (this.#sinceElement > this.#max) {
      this.#fail("policy-violation", `Stanza exceeds ${this.#max} characters`);
    }
  }

  #feed(part: string): void {
    try {
      this.#parser.write(part);
    } catch (cause) {
      if (cause === STOP) return;
      const msg = cause instanceof Error ? cause.message : String(cause);
      if (msg.startsWith("Illegal XML entity")) {
        this.#fail("restricted-xml", msg, cause);
      } else this.#fail("not-well-formed", msg, cause);
    }
  }

  /**
   * Returns the index in `chunk` where forbidden markup starts (0 when it
   * started in an earlier chunk), or -1 when the chunk is clean so far.
   */
  #screen(chunk: string): number {
    const carried = this.#tail.length;
    const s = carried ? this.#tail + chunk : chunk;
    this.#tail = "";
    let pos = 0;
    while (pos < s.length) {
      if (this.#inCdata) {
        const end = s.indexOf("]]>", pos);
        if (end === -1) {
          this.#tail = s.slice(Math.max(pos, s.length - 2));
          return -1;
        }
        this.#inCdata = false;
        pos = end + 3;
        continue;
      }
      const lt = s.indexOf("<", pos);
      if (lt === -1) return -1;
      if (lt + 1 >= s.length) {
        this.#tail = s.slice(lt);
        return -1;
      }
      const c = s.charCodeAt(lt + 1);
      if (c === 33 /* ! */) {
        if (s.length - lt < CDATA_OPEN.length) {
          if (CDATA_OPEN.startsWith(s.slice(lt))) {
            this.#tail = s.slice(lt);
            return -1;
          }
        } else if (s.startsWith(CDATA_OPEN, lt)) {
          this.#inCdata = true;
          pos = lt + CDATA_OPEN.length;
          continue;
        }
        this.#badWhat = "DOCTYPE or markup declaration is not allowed";
        if (s.startsWith("<!--", lt)) this.#badWhat = "Comment is not allowed";
        return Math.max(0, lt - carried);
      }
      if (c === 63 /* ? */) {
        this.#badWhat = "Processing instruction is not allowed";
        return Math.max(0, lt - carried);
      }
      pos = lt + 1;
    }
    return -1;
  }

  #fail(condition: string, text: string, cause?: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#handlers.onError(
      new StreamError(
        condition,
        text,
        undefined,
        cause ? { cause } : undefined,
      ),
    );
  }
}
