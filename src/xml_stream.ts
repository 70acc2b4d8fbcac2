/**
 * The incoming XML stream of an XMPP session: wraps the `@xmpp/xml` parser and enforces
 * what it does not (RFC 6120 §11.1, "restricted XML").
 *
 * The `@xmpp/xml` parser silently swallows a DOCTYPE (and whatever follows it), skips
 * processing instructions and comments, throws synchronously on an unknown entity and
 * passes characters XML 1.0 forbids. So every chunk is scanned before it reaches the
 * parser: `<!` that does not open a CDATA section, and `<?` other than the XML declaration
 * at the very start, end the stream with `restricted-xml`; a forbidden character
 * (`./xml_stream/chars.ts`) and anything the parser rejects end it with `not-well-formed`;
 * a stream header inside the stream (`./xml_stream/nested.ts`) ends it with
 * `unsupported-stanza-type`. After an error the stream ignores further input.
 *
 * The same scan follows the element structure (tags, quoted attribute values, CDATA
 * sections), so it knows where each stanza starts and ends before the parser sees it. A
 * stanza longer than `maxStanzaSize` or nested deeper than `maxStanzaDepth` is skipped:
 * the parser is given its opening tag at most (never the element that is too deep, and
 * nothing past the size limit), the partial tree is dropped, the rest of the stanza is
 * only scanned for its end (no memory for its content), and parsing resumes with a fresh
 * parser after its end tag; `onSkipped` reports it as soon as it breaks the limit, with its
 * opening tag when that was read. Without an `onSkipped` handler such a stanza ends the stream with
 * `policy-violation`.
 *
 * The parser (ltx) is only ever given text up to the end of a complete tag or CDATA
 * section: text still open at the end of a chunk waits for the next one. ltx looks for the
 * end of text and of attribute values with `indexOf` and scans again from every position
 * when none is in the chunk, so this keeps it linear in the chunk size.
 *
 * @module
 */
import { type Element, Parser } from "./deps.ts";
import { StreamError } from "./errors.ts";
import { checkCount } from "./options.ts";
import { Prolog } from "./xml_stream/prolog.ts";
import { hasForbiddenChar } from "./xml_stream/chars.ts";
import { onNestedHeader } from "./xml_stream/nested.ts";
import { openingTag, resumeIn, type TreeParser } from "./xml_stream/tree.ts";
import type {
  SkippedStanza,
  XmlStreamHandlers,
  XmlStreamOptions,
} from "./xml_stream/types.ts";

export type {
  SkippedStanza,
  XmlStreamHandlers,
  XmlStreamOptions,
} from "./xml_stream/types.ts";

const FRAME_ROOT = "xmpp-actors-frames";
const BAD_CHAR = "Character not allowed in XML 1.0";
const CDATA_REST = "[CDATA[";
/** What ends a run inside a tag: its end, or an attribute value's quote. */
const TAG_STOP = /[>"']/g;

// Scanner modes.
const TEXT = 0;
/** Just after `<`. */
const LT = 1;
/** Inside a start or end tag, outside attribute values. */
const TAG = 2;
/** Inside a quoted attribute value. */
const QUOTE = 3;
/** After `<!`, matching `[CDATA[`. */
const BANG = 4;
const CDATA = 5;

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
 *   onSkipped: (s) => names.push(`skipped ${s.head?.attrs.id}`),
 *   onError: (err) => names.push(err.condition),
 * }, { maxStanzaDepth: 3 });
 * stream.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><mess");
 * stream.write("age/><message id='deep'><a><b><c><d/></c></b></a></message><presence/><!DOCTYPE x>");
 * strictEqual(names.join(), "message,skipped deep,presence,restricted-xml");
 * ```
 */
export class XmlStream {
  #handlers: XmlStreamHandlers;
  #max: number;
  #maxDepth: number;
  #framed: boolean;
  /** The parser; `undefined` while a stanza is skipped. */
  #parser: Parser | undefined;
  /** The stream (or frame) root element, once the parser has seen it. */
  #root: Element | undefined;
  /** Bumped by `reset()`: callbacks of an older parser are ignored. */
  #gen = 0;
  #failed = false;
  #prolog = new Prolog();
  // scanner state
  #mode = TEXT;
  #quote = 0;
  #endTag = false;
  #slash = false;
  #bang = 0;
  #brackets = 0;
  /** Element level: the stream (or frame) root is 1, a stanza 2. */
  #level = 0;
  /** Offset (since the stream start) of the current chunk. */
  #offset = 0;
  /** Offset of the last `<`. */
  #lt = 0;
  /** Offset of the current stanza's `<`. */
  #stanzaStart = 0;
  /** Offset just past the current stanza's opening tag; -1 until read. */
  #headEnd = -1;
  /** Offset where the text since the last stanza began. */
  #outsideStart = 0;
  /** Scanned text not yet given to the parser (an open text run or tag). */
  #held: string[] = [];
  /** In the current chunk: given to the parser up to here. */
  #from = 0;
  /** In the current chunk: just past the last complete tag or CDATA. */
  #cut = 0;
  /** The stanza being skipped. */
  #skip: SkippedStanza | undefined;

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
   * Start over with a fresh parser: for a stream restart after STARTTLS or SASL (RFC 6120
   * §4.3.3). What is left of a chunk being parsed when this is called is dropped.
   */
  reset(): void {
    this.#gen++;
    this.#root = undefined;
    this.#failed = false;
    this.#prolog.reset();
    this.#mode = TEXT;
    this.#level = 0;
    this.#offset = 0;
    this.#stanzaStart = 0;
    this.#headEnd = -1;
    this.#outsideStart = 0;
    this.#held = [];
    this.#skip = undefined;
    this.#newParser();
    if (this.#framed) {
      this.#parser!.write(`<${FRAME_ROOT}>`);
      this.#level = 1;
    }
  }

  /**
   * Feed a chunk of text (any split is fine in stream mode; one whole frame in framed mode).
   *
   * @param chunk The text received.
   */
  write(chunk: string): void {
    if (this.#failed || chunk.length === 0) return;
    if (hasForbiddenChar(chunk)) return this.#fail("not-well-formed", BAD_CHAR);
    if (this.#framed) {
      this.#prolog.reset();
      const body = this.#skipProlog(chunk);
      if (body === undefined) {
        if (!this.#failed) this.#fail("not-well-formed", "Incomplete frame");
        return;
      }
      const gen = this.#gen;
      this.#scan(body);
      if (
        !this.#failed && gen === this.#gen &&
        (this.#mode !== TEXT || this.#level !== 1)
      ) this.#fail("not-well-formed", "Incomplete frame");
      return;
    }
    if (!this.#prolog.done) {
      const body = this.#skipProlog(chunk);
      if (body === undefined) return;
      chunk = body;
    }
    this.#scan(chunk);
  }

  #newParser(): void {
    const gen = this.#gen;
    const parser = new Parser();
    const live = () => gen === this.#gen && !this.#failed;
    parser.on("start", (el: Element) => {
      if (!live()) return;
      this.#root = el;
      if (!this.#framed) this.#handlers.onStart?.(el);
    });
    parser.on("element", (el: Element) => {
      const root = (parser as unknown as TreeParser).root;
      if (root && root.children.length) root.children.length = 0;
      if (live()) this.#handlers.onElement(el);
    });
    parser.on("end", () => {
      if (!live()) return;
      if (this.#framed) {
        this.#fail("not-well-formed", "Unexpected end of frame sequence");
      } else this.#handlers.onEnd?.();
    });
    parser.on("error", (err: Error) => {
      if (live()) this.#fail("not-well-formed", err.message, err);
    });
    onNestedHeader(parser, (c, t) => live() && this.#fail(c, t));
    if (this.#root !== undefined) resumeIn(parser, this.#root);
    this.#parser = parser;
  }

  /** The text after the XML declaration (see `Prolog.take`). */
  #skipProlog(chunk: string): string | undefined {
    const body = this.#prolog.take(chunk);
    if (body !== null) return body;
    this.#fail("not-well-formed", "XML declaration too long");
    return undefined;
  }

  /** Scan one chunk, giving the parser what is complete and not skipped. */
  #scan(s: string): void {
    const gen = this.#gen;
    const stale = () => this.#failed || gen !== this.#gen;
    const base = this.#offset;
    const n = s.length;
    this.#offset += n;
    this.#from = 0;
    this.#cut = 0;
    let i = 0;
    while (i < n) {
      switch (this.#mode) {
        case TEXT: {
          const lt = s.indexOf("<", i);
          if (lt === -1) {
            i = n;
            break;
          }
          this.#lt = base + lt;
          this.#mode = LT;
          i = lt + 1;
          break;
        }
        case LT: {
          const c = s.charCodeAt(i);
          this.#slash = false;
          if (c === 47 /* / */) {
            this.#mode = TAG;
            this.#endTag = true;
            i++;
          } else if (c === 33 /* ! */) {
            this.#mode = BANG;
            this.#bang = 0;
            i++;
          } else if (c === 63 /* ? */) {
            return this.#restricted(s, "Processing instruction is not allowed");
          } else {
            // a start tag; this character is the first of its name
            this.#mode = TAG;
            this.#endTag = false;
            const level = ++this.#level;
            if (level === 2) {
              this.#stanzaStart = this.#lt;
              this.#headEnd = -1;
            } else if (
              level > this.#maxDepth + 1 && this.#skip === undefined &&
              this.#parser !== undefined
            ) {
              this.#decide("depth", s, base);
              if (stale()) return;
            }
          }
          break;
        }
        case TAG: {
          TAG_STOP.lastIndex = i;
          const m = TAG_STOP.exec(s);
          if (m === null) {
            if (i < n) this.#slash = s.charCodeAt(n - 1) === 47 /* / */;
            i = n;
            break;
          }
          const k = m.index;
          const c = s.charCodeAt(k);
          if (c !== 62 /* > */) {
            this.#quote = c;
            this.#mode = QUOTE;
            i = k + 1;
            break;
          }
          const selfClosing = k > i
            ? s.charCodeAt(k - 1) === 47 /* / */
            : this.#slash;
          i = k + 1;
          this.#mode = TEXT;
          const level = this.#level;
          if (!this.#endTag && level === 2) this.#headEnd = base + i;
          if (this.#endTag || selfClosing) {
            this.#level--;
            if (level === 2) {
              this.#stanzaEnd(s, base, i);
              if (stale()) return;
              break;
            }
          }
          this.#cut = i;
          break;
        }
        case QUOTE: {
          const q = s.indexOf(this.#quote === 34 ? '"' : "'", i);
          if (q === -1) {
            i = n;
            break;
          }
          this.#mode = TAG;
          this.#slash = false;
          i = q + 1;
          break;
        }
        case BANG: {
          const c = s.charCodeAt(i);
          if (c !== CDATA_REST.charCodeAt(this.#bang)) {
            return this.#restricted(
              s,
              this.#bang === 0 && c === 45 /* - */
                ? "Comment is not allowed"
                : "DOCTYPE or markup declaration is not allowed",
            );
          }
          i++;
          if (++this.#bang === CDATA_REST.length) {
            this.#mode = CDATA;
            this.#brackets = 0;
          }
          break;
        }
        case CDATA: {
          let end = -1;
          // the previous chunk may have ended in "]" or "]]"
          const carried = this.#brackets;
          if (carried > 0) {
            const k = ("]".repeat(carried) + s.slice(i, i + 2)).indexOf("]]>");
            if (k !== -1) end = i + k + 3 - carried;
          }
          if (end === -1) {
            const e = s.indexOf("]]>", i);
            if (e === -1) {
              let b = 0;
              while (
                b < 2 && n - 1 - b >= i && s.charCodeAt(n - 1 - b) === 93
              ) {
                b++;
              }
              // a chunk of brackets only adds to those carried
              this.#brackets = b === n - i ? Math.min(2, carried + b) : b;
              i = n;
              break;
            }
            end = e + 3;
          }
          this.#brackets = 0;
          this.#mode = TEXT;
          i = end;
          this.#cut = i;
          break;
        }
      }
    }
    // End of the chunk.
    if (this.#parser === undefined) {
      this.#held = [];
      return;
    }
    if (this.#level >= 2 && this.#offset - this.#stanzaStart > this.#max) {
      this.#decide("size", s, base);
      this.#held = [];
      return;
    }
    this.#flush(s, this.#cut);
    if (stale()) return;
    if (this.#level <= 1 && this.#offset - this.#outsideStart > this.#max) {
      return this.#fail(
        "policy-violation",
        `Text between stanzas exceeds ${this.#max} characters`,
      );
    }
    if (this.#cut < n) this.#held.push(this.#cut ? s.slice(this.#cut) : s);
  }

  /** The `>` ending a stanza is at `end - 1` in `s`. */
  #stanzaEnd(s: string, base: number, end: number): void {
    const gen = this.#gen;
    if (
      this.#skip === undefined && base + end - this.#stanzaStart > this.#max
    ) {
      this.#decide("size", s, base);
      if (this.#failed || gen !== this.#gen) return;
    }
    this.#outsideStart = base + end;
    if (this.#skip === undefined) {
      this.#cut = end;
      return;
    }
    // Resynchronise after the skipped stanza (reported when found).
    this.#skip = undefined;
    this.#held = [];
    this.#from = this.#cut = end;
    this.#newParser();
  }

  /**
   * The current stanza broke `limit`: give the parser what precedes it and its opening tag
   * (when read), take that, and drop the parser; or, without `onSkipped`, fail the stream.
   */
  #decide(limit: "size" | "depth", s: string, base: number): void {
    const reason = limit === "size"
      ? `Stanza exceeds ${this.#max} characters`
      : `Stanza exceeds the nesting depth of ${this.#maxDepth}`;
    // Up to the end of its opening tag when read and within the size limit,
    // else up to its "<" (the parser is dropped right after).
    const head = this.#headEnd >= this.#stanzaStart &&
      this.#headEnd - this.#stanzaStart <= this.#max;
    const upto = Math.max(
      this.#from,
      head ? this.#headEnd - base : this.#stanzaStart - base + 1,
    );
    const gen = this.#gen;
    this.#flush(s, upto);
    if (this.#failed || gen !== this.#gen) return;
    if (this.#handlers.onSkipped === undefined) {
      return this.#fail("policy-violation", reason);
    }
    const opening = head ? openingTag(this.#parser!) : undefined;
    this.#parser = undefined;
    this.#held = [];
    this.#skip = opening ? { limit, head: opening, reason } : { limit, reason };
    // Reported now, not at its end: one that never ends must not stall a session.
    this.#handlers.onSkipped(this.#skip);
  }

  /** Give the parser what is held and `s` up to `upto` (when past `#from`). */
  #flush(s: string, upto: number): void {
    if (this.#parser === undefined || upto <= this.#from) return;
    upto = Math.min(upto, s.length);
    let text = this.#from || upto < s.length ? s.slice(this.#from, upto) : s;
    if (this.#held.length) {
      this.#held.push(text);
      text = this.#held.join("");
      this.#held = [];
    }
    this.#from = upto;
    this.#feed(text);
  }

  /** Forbidden markup starts at `#lt`: parse what precedes it, then fail. */
  #restricted(s: string, what: string): void {
    const gen = this.#gen;
    if (this.#skip === undefined) this.#flush(s, this.#cut);
    if (!this.#failed && gen === this.#gen) this.#fail("restricted-xml", what);
  }

  #feed(part: string): void {
    try {
      this.#parser!.write(part);
    } catch (cause) {
      const msg = cause instanceof Error ? cause.message : String(cause);
      if (msg.startsWith("Illegal XML entity")) {
        this.#fail("restricted-xml", msg, cause);
      } else this.#fail("not-well-formed", msg, cause);
    }
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
