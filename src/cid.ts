/**
 * Content-IDs of XEP-0231 Bits of Binary: `algo+hex@bob.xmpp.org`.
 *
 * @module
 */
import { sha1 } from "./deps.ts";

/** The XEP-0231 cid form: `<hash name>+<hex digest>@bob.xmpp.org`. */
const CID = /^[a-z0-9-]{1,32}\+[0-9a-f]{8,128}@bob\.xmpp\.org$/i;

/**
 * The cid of `data`: `sha1+<40 lowercase hex of SHA-1(data)>@bob.xmpp.org`.
 *
 * @param data The bytes.
 * @returns The cid.
 *
 * @example Usage
 * ```ts
 * import { cidOf } from "./cid.ts";
 * console.assert(cidOf(new Uint8Array()) === "sha1+da39a3ee5e6b4b0d3255bfef95601890afd80709@bob.xmpp.org");
 * ```
 */
export function cidOf(data: Uint8Array): string {
  return `sha1+${sha1(data).toHex()}@bob.xmpp.org`;
}

/**
 * Whether `cid` has the XEP-0231 form (which also rules out path separators,
 * NUL and dots-only names).
 *
 * @param cid The candidate.
 * @returns `true` for a well-formed cid.
 *
 * @example Usage
 * ```ts
 * import { isCid } from "./cid.ts";
 * console.assert(!isCid("../x"));
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
 * Whether `data` matches a `sha1+` cid. Cids of other hash names are not
 * checked and count as matching.
 *
 * @param cid A well-formed cid.
 * @param data The bytes it should name.
 * @returns `false` only for a sha1 cid whose digest differs.
 */
export function cidMatches(cid: string, data: Uint8Array): boolean {
  const lower = cid.toLowerCase();
  return !lower.startsWith("sha1+") || cidOf(data) === lower;
}
