/**
 * The check of outgoing stanzas: {@linkcode checkStanza} refuses, before it
 * is written, what a server would end the session for (characters XML 1.0
 * forbids, bad names, undeclared prefixes, too large, too deep), so one
 * careless `send()` costs an exception, not the session.
 *
 * @module
 */
import { Element } from "./deps.ts";

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

// Printable ASCII that serializes as itself: no character to escape, none
// XML 1.0 forbids, one byte each. A base64 payload is all of this kind, and
// V8's regex engine tells so ~2.5× faster than the loop below (82 KB of
// base64: ~50 µs against ~125 µs).
const PLAIN_TEXT = /^[\t\n\r\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*$/;
const PLAIN_ATTR = /^[\t\n\r\x20\x21\x23-\x25\x28-\x3b\x3d\x3f-\x7e]*$/;

/**
 * The UTF-8 size of `s` as `ltx` serializes it (attribute values also escape
 * quotes), or `-1 - i` when the character at `i` is one XML 1.0 forbids.
 */
function escapedBytes(s: string, attr: boolean): number {
  if ((attr ? PLAIN_ATTR : PLAIN_TEXT).test(s)) return s.length;
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
 * import { checkStanza } from "./stanza_check.ts";
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
