/**
 * The opening tag of an element from the first bytes of its text: what a
 * transport reports of a message it skipped without reading it whole (a
 * WebSocket message over the size limit), so the stanza can still be
 * answered by its id.
 *
 * @module
 */
import { Element, Parser } from "../deps.ts";

/**
 * The name and attributes of the element `text` begins with (after
 * whitespace), or `undefined` when its opening tag is not all there or is
 * not well-formed. `text` is the start of an untrusted message: only its
 * first tag is handed to the parser, and nothing the parser throws escapes.
 *
 * @param text The first characters of the element.
 * @returns Its opening tag, with no children.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { openingTagOf } from "./head.ts";
 * strictEqual(openingTagOf("<iq type='get' id='a1'><query>…")?.attrs.id, "a1");
 * strictEqual(openingTagOf("<iq type='get' id='a1"), undefined);
 * ```
 */
export function openingTagOf(text: string): Element | undefined {
  const start = text.length - text.trimStart().length;
  if (text[start] !== "<" || !/[A-Za-z_:]/.test(text[start + 1] ?? "")) {
    return undefined;
  }
  // The end of the tag: the first `>` outside a quoted attribute value.
  let quote = "";
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "<") return undefined;
    else if (c === ">") {
      let tag = text.slice(start, i + 1);
      if (tag.endsWith("/>")) tag = `${tag.slice(0, -2)}>`;
      let head: Element | undefined;
      const parser = new Parser();
      parser.on("start", (el: Element) => head = el);
      parser.on("error", () => head = undefined);
      try {
        parser.write(tag);
      } catch {
        return undefined;
      }
      return head && new Element(head.name, { ...head.attrs });
    }
  }
  return undefined;
}
