/**
 * SASLprep (RFC 4013) for builds that cannot carry the full tables.
 *
 * The library we use in Deno, `@mongodb-js/saslprep`, weighs ~550 KB
 * minified (its Unicode 3.2 tables) and needs Node's `Buffer`, so it stays out
 * of the browser entry: `src/saslprep_deno.ts` installs it with
 * {@linkcode useSaslPrep} when `mod.ts` or the Deno transports are loaded.
 * Without it, {@linkcode builtinSaslPrep} applies RFC 4013 with the small
 * tables written out below (RFC 3454 B.1, C.1.2–C.9) and `String.normalize`
 * for NFKC; what it does not have is the unassigned-code-point table (SASLprep
 * as a "query" allows them anyway) and the exact bidirectional categories
 * (RandALCat is approximated by the letters and punctuation of the
 * right-to-left scripts, LCat by any other letter). A property test checks it against the library on text of Latin,
 * Hebrew, Arabic, space, control and mapped characters.
 *
 * @module
 */

// RFC 3454 C.1.2: non-ASCII spaces, mapped to U+0020 (RFC 4013 §2.1).
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;
// RFC 3454 B.1: commonly mapped to nothing.
const MAPPED_TO_NOTHING =
  /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;
// RFC 3454 C.1.2 and C.2.1–C.9: prohibited after mapping and NFKC.
const PROHIBITED = new RegExp(
  [
    "[\\u00A0\\u1680\\u2000-\\u200B\\u202F\\u205F\\u3000]", // C.1.2
    "[\\u0000-\\u001F\\u007F]", // C.2.1
    "[\\u0080-\\u009F\\u06DD\\u070F\\u180E\\u200C\\u200D\\u2028\\u2029\\u2060-\\u2063\\u206A-\\u206F\\uFEFF\\uFFF9-\\uFFFC\\u{1D173}-\\u{1D17A}]", // C.2.2
    "[\\uE000-\\uF8FF\\u{F0000}-\\u{FFFFD}\\u{100000}-\\u{10FFFD}]", // C.3
    "[\\uFDD0-\\uFDEF\\uFFFE\\uFFFF\\u{1FFFE}\\u{1FFFF}\\u{2FFFE}\\u{2FFFF}\\u{3FFFE}\\u{3FFFF}\\u{4FFFE}\\u{4FFFF}\\u{5FFFE}\\u{5FFFF}\\u{6FFFE}\\u{6FFFF}\\u{7FFFE}\\u{7FFFF}\\u{8FFFE}\\u{8FFFF}\\u{9FFFE}\\u{9FFFF}\\u{AFFFE}\\u{AFFFF}\\u{BFFFE}\\u{BFFFF}\\u{CFFFE}\\u{CFFFF}\\u{DFFFE}\\u{DFFFF}\\u{EFFFE}\\u{EFFFF}\\u{FFFFE}\\u{FFFFF}\\u{10FFFE}\\u{10FFFF}]", // C.4
    "\\p{Cs}", // C.5 (lone surrogates)
    "[\\uFFF9-\\uFFFD]", // C.6
    "[\\u2FF0-\\u2FFB]", // C.7
    "[\\u0340\\u0341\\u200E\\u200F\\u202A-\\u202E\\u206A-\\u206F]", // C.8
    "[\\u{E0001}\\u{E0020}-\\u{E007F}]", // C.9
  ].join("|"),
  "u",
);
// Approximations of RFC 3454 D.1 (RandALCat) and D.2 (LCat).
const RAND_AL =
  /(?=[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}])[\p{L}\p{P}]/u;
const L_CAT =
  /(?![\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}])\p{L}/u;

/**
 * RFC 4013 with the small tables (see the module doc).
 *
 * @param text The username or password as typed.
 * @returns The prepared string.
 * @throws {TypeError} On a prohibited character or a bidi violation.
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { builtinSaslPrep } from "./saslprep.ts";
 * strictEqual(builtinSaslPrep("I\u00ADX"), "IX");
 * strictEqual(builtinSaslPrep("\u2168"), "IX");
 * throws(() => builtinSaslPrep("a\u0007b"), TypeError);
 * ```
 */
export function builtinSaslPrep(text: string): string {
  const mapped = text.replace(NON_ASCII_SPACE, " ").replace(
    MAPPED_TO_NOTHING,
    "",
  );
  const out = mapped.normalize("NFKC");
  const bad = PROHIBITED.exec(out);
  if (bad !== null) {
    throw new TypeError(
      `Prohibited character U+${
        bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")
      }`,
    );
  }
  if (RAND_AL.test(out)) {
    const chars = [...out];
    if (
      L_CAT.test(out) || !RAND_AL.test(chars[0]) ||
      !RAND_AL.test(chars[chars.length - 1])
    ) {
      throw new TypeError("Bidirectional text violates RFC 3454 §6");
    }
  }
  return out;
}

let full: ((text: string) => string) | undefined;

/**
 * Install the full SASLprep (done by `src/saslprep_deno.ts`).
 *
 * @param prep The full implementation, as a query (unassigned allowed).
 */
export function useSaslPrep(prep: (text: string) => string): void {
  full = prep;
}

/**
 * SASLprep as a query: the full implementation when installed, else
 * {@linkcode builtinSaslPrep}.
 *
 * @param text The username or password as typed.
 * @returns The prepared string.
 * @throws {TypeError} On a prohibited character or a bidi violation.
 */
export function prepare(text: string): string {
  return (full ?? builtinSaslPrep)(text);
}
