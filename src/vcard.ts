/**
 * vcard-temp (XEP-0054) and vCard-based avatars (XEP-0153): the element
 * names, the photo inside a vCard, its avatar hash (SHA-1 of the decoded
 * BINVAL, lowercase hex), a vCard as storage text and back, and the storage
 * key of a JID.
 *
 * @module
 */
import { type Element, sha1, sha256 } from "./deps.ts";
import { xml } from "./xml.ts";
import { XmlStream } from "./xml_stream.ts";
import { cloneElement } from "./xml_clone.ts";
import { bareJid, normalizeJid } from "./jid.ts";
import { decodeBase64, encodeBase64, encodeHex } from "./base64.ts";

/** Namespace of vcard-temp (`<vCard xmlns="vcard-temp"/>`). */
export const NS_VCARD = "vcard-temp";
/** Namespace of the avatar hash in presence (XEP-0153). */
export const NS_VCARD_UPDATE = "vcard-temp:x:update";

/**
 * Largest vCard kept or served, in bytes of its XML text (a photo of
 * ~190 KiB in base64).
 */
export const DEFAULT_MAX_VCARD_SIZE = 262144;

/** The photo of a vCard: its MIME type (if given) and its bytes. */
export interface VcardPhoto {
  /** `PHOTO/TYPE`, e.g. `image/png`. */
  type?: string;
  /** The decoded `PHOTO/BINVAL`. */
  data: Uint8Array;
}

/**
 * An empty vCard.
 * @returns `<vCard xmlns="vcard-temp"/>`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { emptyVcard } from "./vcard.ts";
 * strictEqual(emptyVcard().toString(), '<vCard xmlns="vcard-temp"/>');
 * ```
 */
export function emptyVcard(): Element {
  return xml("vCard", { xmlns: NS_VCARD });
}

/**
 * Whether `el` is a vcard-temp element.
 * @param el Anything.
 * @returns `true` for `<vCard xmlns="vcard-temp">`.
 */
export function isVcard(el: unknown): el is Element {
  return typeof el === "object" && el !== null &&
    typeof (el as Element).getName === "function" &&
    (el as Element).getName() === "vCard" &&
    (el as Element).getNS() === NS_VCARD;
}

/**
 * The photo of a vCard, if it has a `BINVAL`.
 *
 * @param vcard The vCard.
 * @returns The photo, or `undefined` when there is none (or it is empty).
 * @throws {TypeError} A `BINVAL` that is not base64.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { photoOf, vcardWithPhoto, emptyVcard } from "./vcard.ts";
 * const v = vcardWithPhoto(emptyVcard(), { type: "image/png", data: new Uint8Array([1, 2]) });
 * strictEqual(photoOf(v)?.data.length, 2);
 * ```
 */
export function photoOf(vcard: Element): VcardPhoto | undefined {
  const photo = vcard.getChild("PHOTO");
  const binval = photo?.getChildText("BINVAL")?.trim();
  if (photo === undefined || !binval) return undefined;
  let data: Uint8Array;
  try {
    data = decodeBase64(binval);
  } catch (cause) {
    throw new TypeError("Cannot read vCard photo: BINVAL is not base64", {
      cause,
    });
  }
  const type = photo.getChildText("TYPE")?.trim();
  return type ? { type, data } : { data };
}

/**
 * A copy of `vcard` whose `PHOTO` is `photo` (or has none, for `undefined`).
 *
 * @param vcard The vCard (left unchanged).
 * @param photo The photo.
 * @returns The new vCard.
 */
export function vcardWithPhoto(
  vcard: Element,
  photo: VcardPhoto | undefined,
): Element {
  const out = cloneElement(vcard);
  out.children = out.children.filter((c: Element | string) =>
    typeof c === "string" || c.getName() !== "PHOTO"
  );
  if (photo !== undefined) {
    out.append(
      xml(
        "PHOTO",
        {},
        photo.type ? xml("TYPE", {}, photo.type) : undefined,
        xml("BINVAL", {}, encodeBase64(photo.data)),
      ),
    );
  }
  return out;
}

/**
 * The XEP-0153 hash of avatar bytes: SHA-1, lowercase hex.
 *
 * @param data The image bytes.
 * @returns 40 hex digits.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { avatarHash } from "./vcard.ts";
 * strictEqual(avatarHash(new Uint8Array()), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
 * ```
 */
export function avatarHash(data: Uint8Array): string {
  return encodeHex(sha1(data));
}

/**
 * The hash a vCard's photo announces: `""` for a vCard with no photo.
 *
 * @param vcard The vCard.
 * @returns The hash, or `""`.
 * @throws {TypeError} A `BINVAL` that is not base64.
 */
export function vcardHash(vcard: Element): string {
  const photo = photoOf(vcard);
  return photo === undefined ? "" : avatarHash(photo.data);
}

/**
 * Whether `text` is a well-formed avatar hash (40 lowercase hex digits).
 * @param text Anything.
 * @returns `true` for a SHA-1 hex digest.
 */
export function isAvatarHash(text: unknown): text is string {
  return typeof text === "string" && /^[0-9a-f]{40}$/.test(text);
}

/**
 * A vCard as storage text (its XML).
 * @param vcard The vCard.
 * @returns Its XML text.
 * @throws {TypeError} Not a vcard-temp element.
 */
export function vcardToText(vcard: Element): string {
  if (!isVcard(vcard)) {
    throw new TypeError(
      "Cannot store vCard: expected <vCard xmlns='vcard-temp'>",
    );
  }
  return vcard.toString();
}

/**
 * A vCard read back from storage text, through the same screening parser
 * as the stream (no DOCTYPE, entities or processing instructions).
 *
 * @param text What {@linkcode vcardToText} wrote.
 * @param maxSize Largest text accepted, in bytes.
 * @returns The vCard.
 * @throws {TypeError} Text that is not one vCard element, or too large.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { emptyVcard, vcardFromText, vcardToText } from "./vcard.ts";
 * strictEqual(vcardFromText(vcardToText(emptyVcard())).getName(), "vCard");
 * ```
 */
export function vcardFromText(
  text: unknown,
  maxSize: number = DEFAULT_MAX_VCARD_SIZE,
): Element {
  if (typeof text !== "string") {
    throw new TypeError("Cannot read vCard: stored value is not text");
  }
  const out: Element[] = [];
  let error: Error | undefined;
  const stream = new XmlStream({
    onElement: (el) => out.push(el),
    onError: (e) => error ??= e,
  }, { framed: true, maxStanzaSize: maxSize });
  stream.write(text);
  if (error !== undefined || out.length !== 1 || !isVcard(out[0])) {
    throw new TypeError(
      `Cannot read vCard: stored value is not one vCard element${
        error ? `: ${error.message}` : ""
      }`,
    );
  }
  return out[0];
}

const utf8 = new TextEncoder();
/** The longest file name (bytes) of Linux and macOS. */
const MAX_KEY_BYTES = 255;

/**
 * The storage key of a JID's entry: the JID normalized (or its bare JID),
 * made safe as a file name and still one key per JID (`%` → `%25`,
 * `\` → `%5C`, `/` → `%2F`, a leading `.` → `%2E`; over 255 bytes, `%23`
 * and the SHA-256 of that, in hex).
 *
 * @param jid Any JID.
 * @param bare Key the bare JID (vCards, avatar hashes) rather than the full one.
 * @returns The key.
 * @throws {TypeError} Not a JID.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { jidKey } from "./vcard.ts";
 * strictEqual(jidKey("Alice@Localhost/phone", true), "alice@localhost");
 * strictEqual(jidKey("alice@localhost/a/b"), "alice@localhost%2Fa%2Fb");
 * strictEqual(jidKey(".x@localhost"), "%2Ex@localhost");
 * ```
 */
export function jidKey(jid: string, bare = false): string {
  const escaped = (bare ? bareJid(jid) : normalizeJid(jid))
    .replaceAll("%", "%25").replaceAll("\\", "%5C").replaceAll("/", "%2F");
  const key = escaped.startsWith(".") ? `%2E${escaped.slice(1)}` : escaped;
  const bytes = utf8.encode(key);
  // A JID may be 3 × 1023 bytes, a file name 255: a longer key is the
  // SHA-256 of the escaped JID after `%23`, which no escaped JID starts
  // with (its `%` are `%25`).
  return bytes.length <= MAX_KEY_BYTES ? key : `%23${encodeHex(sha256(bytes))}`;
}
