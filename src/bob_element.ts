/**
 * The XEP-0231 `<data/>` element: building it from a BoB entry, and reading
 * and verifying one that came from the network.
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { xml } from "./xml.ts";
import type { Element } from "./deps.ts";
import {
  cidAlgorithm,
  cidMatches,
  isCid,
  isVerifiableCid,
  normalizeCid,
} from "./cid.ts";
import { type BobData, isMimeType } from "./bob_data.ts";
import { StanzaError, VerificationError } from "./errors.ts";

/** Namespace of XEP-0231 Bits of Binary. */
export const NS_BOB = "urn:xmpp:bob";

/** Default largest BoB payload, in bytes of binary (64 KiB). */
export const DEFAULT_MAX_BOB_SIZE = 64 * 1024;

/**
 * The full `<data/>` element of an entry.
 *
 * @param bob The entry.
 * @returns `<data xmlns='urn:xmpp:bob' cid type max-age?>BASE64</data>`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { bobElement } from "./bob_element.ts";
 * import { cidOf } from "./cid.ts";
 * const data = new TextEncoder().encode("coucou");
 * const el = bobElement({ cid: cidOf(data), type: "text/plain", data, maxAge: 60 });
 * strictEqual(el.getText(), "Y291Y291");
 * strictEqual(el.attrs["max-age"], "60");
 * ```
 */
export function bobElement(bob: BobData): Element {
  const attrs: Record<string, string> = { xmlns: NS_BOB, cid: bob.cid };
  attrs.type = bob.type;
  if (bob.maxAge !== undefined) attrs["max-age"] = String(bob.maxAge);
  return xml("data", attrs, encodeBase64(bob.data));
}

/**
 * The cid a `<data cid='…'/>` request asks for, normalised.
 *
 * @param el The `<data/>` element of an IQ get.
 * @returns The canonical cid.
 * @throws {StanzaError} `bad-request` for a missing or malformed cid.
 */
export function requestedCid(el: Element | undefined): string {
  const cid = el?.attrs.cid;
  if (!isCid(cid)) {
    throw new StanzaError("bad-request", "cid is not of the XEP-0231 form");
  }
  return normalizeCid(cid);
}

/**
 * Read and verify a `<data/>` element received from a peer: a well-formed
 * cid (and the one asked for, if given), a MIME type, a non-negative integer
 * max-age when present, base64 content no larger than `maxSize` bytes, and
 * bytes whose digest is the cid under a hash we can check (`sha1`, `sha-1`,
 * `sha-256`, … see `VERIFIED_CID_ALGORITHMS`) — so a forged or tampered BoB
 * is refused, and so is one under a hash we cannot check (`md5`, unknown
 * names).
 *
 * @param el The `<data/>` element.
 * @param options `maxSize` in bytes; `cid` the cid that was asked for.
 * @returns The verified entry (canonical cid).
 * @throws {VerificationError} For anything a peer must not be believed on.
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { bobElement, readBobElement } from "./bob_element.ts";
 * import { cidOf } from "./cid.ts";
 * const data = new TextEncoder().encode("coucou");
 * const cid = cidOf(data);
 * strictEqual(readBobElement(bobElement({ cid, type: "text/plain", data })).cid, cid);
 * const forged = bobElement({ cid, type: "text/plain", data: new TextEncoder().encode("forged") });
 * throws(() => readBobElement(forged), /does not match/);
 * ```
 */
export function readBobElement(
  el: Element,
  options: { maxSize?: number; cid?: string } = {},
): BobData {
  const maxSize = options.maxSize ?? DEFAULT_MAX_BOB_SIZE;
  const { cid, type } = el.attrs;
  const fail = (why: string): never => {
    throw new VerificationError(
      `Cannot accept bob ${typeof cid === "string" ? cid : ""}: ${why}`,
    );
  };
  if (el.name !== "data" || el.attrs.xmlns !== NS_BOB) fail("not a <data/>");
  if (!isCid(cid)) fail("cid is not of the XEP-0231 form");
  const canonical = normalizeCid(cid);
  if (options.cid !== undefined && canonical !== normalizeCid(options.cid)) {
    fail(`asked for ${options.cid}`);
  }
  if (!isVerifiableCid(canonical)) {
    fail(`${cidAlgorithm(canonical)} cids cannot be verified`);
  }
  if (!isMimeType(type)) fail("type is not a MIME type");
  const rawAge = el.attrs["max-age"];
  let maxAge: number | undefined;
  if (rawAge !== undefined) {
    maxAge = /^[0-9]{1,10}$/.test(rawAge) ? Number(rawAge) : NaN;
    if (!Number.isSafeInteger(maxAge)) fail("max-age is not an integer");
  }
  const text = el.getText().replace(/\s+/g, "");
  // Base64 of n bytes is 4*ceil(n/3) characters: refuse before decoding.
  if (text.length > Math.ceil(maxSize / 3) * 4) {
    fail(`data is over the ${maxSize}-byte limit`);
  }
  let data: Uint8Array;
  try {
    data = decodeBase64(text);
  } catch {
    return fail("data is not base64");
  }
  if (data.length > maxSize) fail(`data is over the ${maxSize}-byte limit`);
  if (!cidMatches(canonical, data)) fail("data does not match its cid");
  const out: BobData = { cid: canonical, type, data };
  if (maxAge !== undefined) out.maxAge = maxAge;
  return out;
}
