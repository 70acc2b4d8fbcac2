/**
 * What `XmlStream` reads and sets inside the `@xmpp/xml` (ltx) tree parser
 * (it has no public API for these): resuming inside an open stream root
 * after a skipped stanza, and the opening tag of the stanza it was cut off
 * in.
 *
 * @module
 */
import { Element, type Parser } from "../deps.ts";

/** The parts of the `@xmpp/xml` parser that `XmlStream` reads and sets. */
export interface TreeParser {
  /** The root element (stream header), once read. */
  root: Element | null;
  /** The element being built. */
  cursor: Element | null;
}

/**
 * Make a fresh parser resume inside an open stream root: the next element
 * it reads is a top-level one.
 *
 * @param parser A fresh parser.
 * @param root The open stream root.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import * as ltx from "../deps.ts";
 * import { resumeIn } from "./tree.ts";
 *
 * const parser = new ltx.Parser();
 * const names: string[] = [];
 * parser.on("element", (el: ltx.Element) => names.push(el.name));
 * resumeIn(parser, new ltx.Element("stream:stream"));
 * parser.write("<message/>");
 * strictEqual(names.join(), "message");
 * ```
 */
export function resumeIn(parser: Parser, root: Element): void {
  const tree = parser as unknown as TreeParser;
  tree.root = root;
  tree.cursor = root;
}

/**
 * The opening tag (name and attributes, no children) of the top-level
 * element the parser is inside, if any.
 *
 * @param parser The parser.
 * @returns A copy of the element's opening tag, or `undefined` when the
 *   parser is not inside a top-level element.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import * as ltx from "../deps.ts";
 * import { openingTag } from "./tree.ts";
 *
 * const parser = new ltx.Parser();
 * parser.write("<s><message id='m1'><body>");
 * strictEqual(openingTag(parser)?.attrs.id, "m1");
 * ```
 */
export function openingTag(parser: Parser): Element | undefined {
  const tree = parser as unknown as TreeParser;
  let el = tree.cursor;
  if (!el || el === tree.root) return undefined;
  while (el.parent) el = el.parent as Element;
  return new Element(el.name, { ...el.attrs });
}
