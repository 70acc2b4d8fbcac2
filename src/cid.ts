/**
 * Content-IDs of XEP-0231 Bits of Binary: `algo+hex@bob.xmpp.org`.
 *
 * A cid is case-insensitive (the hash name, the hex digest and the domain
 * all are), so the same bytes could be named `sha1+ABC…` and `sha1+abc…`.
 * {@linkcode normalizeCid} gives the one canonical form, all lowercase (what
 * {@linkcode cidOf} and slixmpp produce): every path that takes a cid from
 * outside goes through it before using it as a key.
 *
 * @module
 */
import { sha1 } from "./deps.ts";

/**
 * The XEP-0231 cid form: `<hash name>+<hex digest>@bob.xmpp.org`. Without the
 * `u` flag, `i` only folds ASCII letters, so no non-ASCII character matches.
 */
const CID = /^[a-z0-9-]{1,32}\+[0-9a-f]{8,128}@bob\.xmpp\.org$/i;
// The canonical (lowercase) form: a case-sensitive test is the fast path.
const CANONICAL = /^[a-z0-9-]{1,32}\+[0-9a-f]{8,128}@bob\.xmpp\.org$/;

/**
 * The cid of `data`: `sha1+<40 lowercase hex of SHA-1(data)>@bob.xmpp.org`,
 * already canonical.
 *
 * @param data The bytes.
 * @returns The cid.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { cidOf } from "./cid.ts";
 * strictEqual(cidOf(new Uint8Array()), "sha1+da39a3ee5e6b4b0d3255bfef95601890afd80709@bob.xmpp.org");
 * ```
 */
export function cidOf(data: Uint8Array): string {
  return `sha1+${sha1(data).toHex()}@bob.xmpp.org`;
}

/**
 * Whether `cid` has the XEP-0231 form, in any case (which also rules out
 * path separators, NUL and dots-only names).
 *
 * @param cid The candidate.
 * @returns `true` for a well-formed cid.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isCid } from "./cid.ts";
 * ok(isCid("sha1+DA39A3EE5E6B4B0D3255BFEF95601890AFD80709@bob.xmpp.org"));
 * ok(!isCid("../x"));
 * ```
 */
export function isCid(cid: unknown): cid is string {
  return typeof cid === "string" && CID.test(cid);
}

/**
 * Throw a `TypeError` unless `cid` has the XEP-0231 form.
 *
 * @param cid The candidate.
 * @param what What the caller was doing, for the message.
 * @throws {TypeError} For anything but a well-formed cid.
 *
 * @example Usage
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { assertCid } from "./cid.ts";
 * throws(() => assertCid("../x", "get bob"), TypeError);
 * ```
 */
export function assertCid(
  cid: unknown,
  what = "use cid",
): asserts cid is string {
  if (!isCid(cid)) {
    throw new TypeError(
      `Cannot ${what}: cid must look like sha1+<hex>@bob.xmpp.org, got ${
        JSON.stringify(String(cid)).slice(0, 120)
      }`,
    );
  }
}

/**
 * The canonical form of a cid: checked, then lowercased (hash name, hex
 * digest and domain). Two cids name the same entry exactly when their
 * canonical forms are equal.
 *
 * @param cid The candidate.
 * @param what What the caller was doing, for the message.
 * @returns The canonical cid.
 * @throws {TypeError} For anything but a well-formed cid.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { normalizeCid } from "./cid.ts";
 * strictEqual(
 *   normalizeCid("SHA1+DA39A3EE5E6B4B0D3255BFEF95601890AFD80709@bob.xmpp.org"),
 *   "sha1+da39a3ee5e6b4b0d3255bfef95601890afd80709@bob.xmpp.org",
 * );
 * ```
 */
export function normalizeCid(cid: unknown, what = "use cid"): string {
  if (typeof cid === "string" && CANONICAL.test(cid)) return cid;
  assertCid(cid, what);
  return cid.toLowerCase();
}

/**
 * Whether `data` matches a `sha1+` cid (in any case). Cids of other hash
 * names are not checked and count as matching.
 *
 * @param cid A well-formed cid.
 * @param data The bytes it should name.
 * @returns `false` only for a sha1 cid whose digest differs.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { cidMatches, cidOf } from "./cid.ts";
 * const data = new TextEncoder().encode("x");
 * ok(cidMatches(cidOf(data).toUpperCase(), data));
 * ok(!cidMatches(cidOf(data), new Uint8Array()));
 * ```
 */
export function cidMatches(cid: string, data: Uint8Array): boolean {
  const lower = cid.toLowerCase();
  return !lower.startsWith("sha1+") || cidOf(data) === lower;
}
