/**
 * The optional XML declaration at the start of a stream: where it ends, so
 * that the stream can drop it (the parser loses a declaration split across
 * chunks), and {@linkcode Prolog}, which holds back text until it is known.
 *
 * @module
 */

/** {@linkcode prologEnd}: the declaration is not complete yet. */
export const PROLOG_WAIT = -1;
/** {@linkcode prologEnd}: the declaration is over 1024 characters. */
export const PROLOG_TOO_LONG = -2;

/**
 * Where the body starts after the leading white space and the optional
 * `<?xml …?>` declaration of `buf` (the text received so far).
 *
 * @param buf The start of the stream, as received so far.
 * @returns The index of the body, {@linkcode PROLOG_WAIT} to wait for more
 *   text, or {@linkcode PROLOG_TOO_LONG}.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { PROLOG_WAIT, prologEnd } from "./prolog.ts";
 *
 * strictEqual(prologEnd("<?xml version='1.0'?><a/>"), 21);
 * strictEqual(prologEnd(" <?xm"), PROLOG_WAIT);
 * strictEqual(prologEnd(" <a/>"), 1);
 * ```
 */
export function prologEnd(buf: string): number {
  const start = buf.search(/\S/);
  if (start === -1) return PROLOG_WAIT;
  if (buf.length - start < 6) {
    if ("<?xml ".startsWith(buf.slice(start))) return PROLOG_WAIT;
  } else if (buf.startsWith("<?xml", start) && /\s/.test(buf[start + 5])) {
    const end = buf.indexOf("?>", start);
    if (end === -1) return buf.length > 1024 ? PROLOG_TOO_LONG : PROLOG_WAIT;
    return end + 2;
  }
  return start;
}

/**
 * Holds back the start of a stream until the optional XML declaration is
 * complete, and drops it.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Prolog } from "./prolog.ts";
 *
 * const prolog = new Prolog();
 * strictEqual(prolog.take("<?xml vers"), undefined);
 * strictEqual(prolog.take("ion='1.0'?><a/>"), "<a/>");
 * strictEqual(prolog.done, true);
 * ```
 */
export class Prolog {
  #buf = "";
  #done = false;

  /** Whether the declaration (or its absence) is behind. */
  get done(): boolean {
    return this.#done;
  }

  /** Start over, as at the start of a stream (or of a frame). */
  reset(): void {
    this.#buf = "";
    this.#done = false;
  }

  /**
   * Take a chunk of the stream's start.
   *
   * @param chunk The text received.
   * @returns The text after the declaration, `undefined` to wait for more,
   *   or `null` when the declaration is too long.
   */
  take(chunk: string): string | undefined | null {
    const buf = this.#buf + chunk;
    const end = prologEnd(buf);
    if (end === PROLOG_WAIT) {
      this.#buf = buf;
      return undefined;
    }
    if (end === PROLOG_TOO_LONG) return null;
    this.#buf = "";
    this.#done = true;
    return buf.slice(end);
  }
}
