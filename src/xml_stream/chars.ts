/**
 * The characters XML 1.0 forbids everywhere (§2.2 `Char`): C0 controls
 * other than tab, line feed and carriage return, and U+FFFE/U+FFFF. A
 * stream that carries one is not well-formed (RFC 6120 §11.1); the
 * `@xmpp/xml` parser would pass them into text and attributes. (Lone
 * surrogates cannot occur: the transports decode UTF-8 into the chunks.)
 *
 * @module
 */

// Matching control characters is the point of this expression.
// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;

/**
 * Whether `chunk` holds a character XML 1.0 forbids.
 *
 * @param chunk Decoded stream text.
 * @returns `true` when one is there.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { hasForbiddenChar } from "./chars.ts";
 * ok(hasForbiddenChar("<body>a\u0000b</body>"));
 * ok(!hasForbiddenChar("<body>tab\there</body>"));
 * ```
 */
export function hasForbiddenChar(chunk: string): boolean {
  return FORBIDDEN.test(chunk);
}
