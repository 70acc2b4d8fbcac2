/**
 * A stream header inside the stream. The `@xmpp/xml` parser takes a second
 * `<stream:stream>` after the first as an ordinary top-level element that
 * stays open: everything after it (features, answers, stanzas) becomes its
 * child and no event comes until it closes or outgrows `maxStanzaSize`, so a
 * session still negotiating would wait out its timeout. `XmlStream` ends the
 * stream when such an element opens instead.
 *
 * Like `./tree.ts`, this reads a part of the parser that has no public API:
 * the inner ltx parser's `startElement` event.
 *
 * @module
 */
import type { Parser } from "../deps.ts";
import type { TreeParser } from "./tree.ts";

/** The inner ltx parser of an `@xmpp/xml` parser. */
interface Inner {
  parser: {
    on(event: "startElement", fn: (name: string) => void): void;
  };
}

/**
 * Call `fail` when a top-level element named like a stream header
 * (`stream:stream`, or `stream` under any prefix) opens inside the stream,
 * with the stream error's condition (`unsupported-stanza-type`) and text.
 *
 * @param parser A fresh `@xmpp/xml` parser.
 * @param fail Ends the stream with that error.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import * as ltx from "../deps.ts";
 * import { onNestedHeader } from "./nested.ts";
 * const parser = new ltx.Parser();
 * let seen = 0;
 * onNestedHeader(parser, () => seen++);
 * parser.write("<stream:stream><message/><stream:stream><x:stream>");
 * strictEqual(seen, 1);
 * ```
 */
export function onNestedHeader(
  parser: Parser,
  fail: (condition: string, text: string) => void,
): void {
  const tree = parser as unknown as TreeParser;
  (parser as unknown as Inner).parser.on("startElement", (name) => {
    // After the parser's own handler: the cursor is the new element, a
    // top-level one has no parent yet.
    const el = tree.cursor;
    if (!el || el === tree.root || el.parent) return;
    if (name !== "stream" && !name.endsWith(":stream")) return;
    fail("unsupported-stanza-type", "Stream header inside the stream");
  });
}
