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
import { encodeHex } from "./base64.ts";
import { sha1, sha224, sha256, sha384, sha512 } from "./deps.ts";

/**
 * The XEP-0231 cid form: `<hash name>+<hex digest>@bob.xmpp.org`. Without the
 * `u` flag, `i` only folds ASCII letters, so no non-ASCII character matches.
 */
const CID = /^[a-z0-9-]{1,32}\+[0-9a-f]{8,128}@bob\.xmpp\.org$/i;
// The canonical (lowercase) form: a case-sensitive test is the fast path.
const CANONICAL = /^[a-z0-9-]{1,32}\+[0-9a-f]{8,128}@bob\.xmpp\.org$/;

/** A digest as lowercase hex. */
type HexDigest = (data: Uint8Array) => string;

/**
 * The runtime's own one-shot digest (`node:crypto`'s `hash()`), when there is
 * one: Deno, and Node ≥ 21.7. It is reached through
 * `process.getBuiltinModule` rather than imported, so the browser build
 * (where there is no `process`) never pulls `node:crypto` in and hashes with
 * `@noble/hashes` instead. Why not always `@noble/hashes`: a cid is hashed
 * on every `setBob` and on every read of a record that left this process (a
 * file), and its per-call cost dominates on small data: SHA-1 of 16 B ~1.5 µs
 * with the runtime's hash here, ~4–5 µs with `@noble/hashes`.
 */
function runtimeHash():
  | ((algo: string, data: Uint8Array) => string)
  | undefined {
  const p = (globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  }).process;
  let mod: unknown;
  try {
    mod = p?.getBuiltinModule?.("node:crypto");
  } catch {
    return undefined;
  }
  const hash = (mod as {
    hash?: (algo: string, data: Uint8Array, encoding: "hex") => string;
  } | undefined)?.hash;
  return typeof hash === "function"
    ? (algo, data) => hash(algo, data, "hex")
    : undefined;
}

const RUNTIME_HASH = runtimeHash();

/** A hex digest: the runtime's (see {@linkcode runtimeHash}) or noble's. */
function hexDigest(
  name: string,
  noble: (data: Uint8Array) => Uint8Array,
): HexDigest {
  const hash = RUNTIME_HASH;
  return hash === undefined
    ? (data) => encodeHex(noble(data))
    : (data) => hash(name, data);
}

const SHA1_HEX = hexDigest("sha1", sha1);

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
  return `sha1+${SHA1_HEX(data)}@bob.xmpp.org`;
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

// The hash names a cid may carry that we can check, each with its function:
// XEP-0231's `sha1`, the IANA "Hash Function Textual Names" spellings
// (`sha-1`, `sha-224`, `sha-256`, `sha-384`, `sha-512`) and the same without
// the dash. md2/md5 are left out on purpose (collisions are cheap, so a
// match proves nothing), as are names we bundle no function for (XEP-0300's
// sha3-*/blake2b-*, IANA's shake128/shake256: a variable-length output
// could be cut to a few bytes) and unknown names.
const SHA224_HEX = hexDigest("sha224", sha224);
const SHA256_HEX = hexDigest("sha256", sha256);
const SHA384_HEX = hexDigest("sha384", sha384);
const SHA512_HEX = hexDigest("sha512", sha512);
const HASHES: ReadonlyMap<string, HexDigest> = new Map([
  ["sha1", SHA1_HEX],
  ["sha-1", SHA1_HEX],
  ["sha224", SHA224_HEX],
  ["sha-224", SHA224_HEX],
  ["sha256", SHA256_HEX],
  ["sha-256", SHA256_HEX],
  ["sha384", SHA384_HEX],
  ["sha-384", SHA384_HEX],
  ["sha512", SHA512_HEX],
  ["sha-512", SHA512_HEX],
]);

/**
 * The hash names whose cids are verified (lowercase): a cid under any other
 * name cannot be checked, so data from peers under it is refused.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { VERIFIED_CID_ALGORITHMS } from "./cid.ts";
 * ok(VERIFIED_CID_ALGORITHMS.includes("sha-256"));
 * ok(!VERIFIED_CID_ALGORITHMS.includes("md5"));
 * ```
 */
export const VERIFIED_CID_ALGORITHMS: readonly string[] = Object.freeze([
  ...HASHES.keys(),
]);

/**
 * The hash name of a well-formed cid, lowercase (`sha1`, `sha-256`, …).
 *
 * @param cid A well-formed cid.
 * @returns What comes before the `+`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { cidAlgorithm } from "./cid.ts";
 * strictEqual(cidAlgorithm("SHA-256+00112233@bob.xmpp.org"), "sha-256");
 * ```
 */
export function cidAlgorithm(cid: string): string {
  return cid.slice(0, cid.indexOf("+")).toLowerCase();
}

/**
 * Whether the hash of a cid is one we can check (see
 * {@linkcode VERIFIED_CID_ALGORITHMS}).
 *
 * @param cid A well-formed cid.
 * @returns `true` when {@linkcode cidMatches} really checks it.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isVerifiableCid } from "./cid.ts";
 * ok(isVerifiableCid("sha-512+00112233@bob.xmpp.org"));
 * ok(!isVerifiableCid("md5+00112233@bob.xmpp.org"));
 * ```
 */
export function isVerifiableCid(cid: string): boolean {
  return HASHES.has(cidAlgorithm(cid));
}

/**
 * Whether `data` matches a cid (in any case): its digest under the cid's
 * hash (any of {@linkcode VERIFIED_CID_ALGORITHMS}) equals the cid's hex.
 * A cid under a hash we cannot check is not checked and counts as matching:
 * use {@linkcode isVerifiableCid} (or {@linkcode cidVerifies}) for data that
 * must be believed.
 *
 * @param cid A well-formed cid.
 * @param data The bytes it should name.
 * @returns `false` only for a verifiable cid whose digest differs.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { cidMatches, cidOf } from "./cid.ts";
 * const data = new TextEncoder().encode("x");
 * ok(cidMatches(cidOf(data).toUpperCase(), data));
 * ok(!cidMatches(cidOf(data), new Uint8Array()));
 * ok(!cidMatches("sha-256+" + "0".repeat(64) + "@bob.xmpp.org", data));
 * ```
 */
export function cidMatches(cid: string, data: Uint8Array): boolean {
  const hash = HASHES.get(cidAlgorithm(cid));
  if (hash === undefined) return true;
  const at = cid.indexOf("@");
  return hash(data) === cid.slice(cid.indexOf("+") + 1, at)
    .toLowerCase();
}

/**
 * Whether `data` is proven to be what `cid` names: the cid's hash is one we
 * check and the digest matches. What a peer sends must pass this.
 *
 * @param cid A well-formed cid.
 * @param data The bytes.
 * @returns `true` only for a verifiable cid whose digest matches.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { cidOf, cidVerifies } from "./cid.ts";
 * const data = new TextEncoder().encode("x");
 * ok(cidVerifies(cidOf(data), data));
 * ok(!cidVerifies("md5+9dd4e461268c8034f5c8564e155c67a6@bob.xmpp.org", data));
 * ```
 */
export function cidVerifies(cid: string, data: Uint8Array): boolean {
  return isVerifiableCid(cid) && cidMatches(cid, data);
}
