/**
 * Base64 and hex for every runtime: the ES2026 `Uint8Array` methods
 * (`toBase64`, `fromBase64`, `toHex`) where the runtime has them (Deno 2,
 * Chromium ≥ 140, Firefox ≥ 133, Safari ≥ 18.2, Node ≥ 25), and a fallback
 * over `btoa`/`atob` elsewhere (Node 20–24, Bun, older browsers). The choice
 * is made once, when this module loads.
 *
 * The fallback is written here rather than taken from a library because it
 * is a few lines over `btoa`/`atob`, which every supported runtime has, and
 * `atob` decodes the same "forgiving" base64 as `fromBase64` does by default
 * (ASCII whitespace skipped, padding optional, anything else refused).
 * Native: ~310k encode+decode/s of 4 KiB here. Without them, the Node/Bun
 * entries install `Buffer`'s codec instead of `btoa`/`atob`
 * (`src/base64_node.ts`, through {@linkcode useBase64Codec}; measured on
 * Node 22, 4 KiB: `Buffer` ~1.6M encodes/s, `btoa` ~6.8k/s, `atob` ~5k/s),
 * kept out of the browser build.
 *
 * @module
 */

type Native = {
  toBase64?: (this: Uint8Array, o?: object) => string;
  toHex?: (this: Uint8Array) => string;
};
type NativeStatic = {
  fromBase64?: (text: string) => Uint8Array;
};

const proto = Uint8Array.prototype as unknown as Native;
const statics = Uint8Array as unknown as NativeStatic;

/**
 * Base64 of `bytes` with `btoa` (the fallback; exported for tests).
 *
 * @param bytes The bytes.
 * @returns Standard base64, padded.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { _encodeBase64Fallback } from "./base64.ts";
 * strictEqual(_encodeBase64Fallback(new Uint8Array([104, 105])), "aGk=");
 * ```
 */
export function _encodeBase64Fallback(bytes: Uint8Array): string {
  return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
}

/**
 * Bytes of base64 `text` with `atob` (the fallback; exported for tests).
 *
 * @param text Standard base64 (ASCII whitespace is skipped, padding optional).
 * @returns The bytes.
 * @throws {DOMException} `text` is not base64 (`InvalidCharacterError`;
 *   the native `fromBase64` throws a `SyntaxError`: every caller turns
 *   either into its own typed error).
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { _decodeBase64Fallback } from "./base64.ts";
 * deepStrictEqual(_decodeBase64Fallback("aGk="), new Uint8Array([104, 105]));
 * ```
 */
export function _decodeBase64Fallback(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * Lowercase hex of `bytes` (the fallback; exported for tests).
 *
 * @param bytes The bytes.
 * @returns Lowercase hex, two digits a byte.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { _encodeHexFallback } from "./base64.ts";
 * strictEqual(_encodeHexFallback(new Uint8Array([0, 255])), "00ff");
 * ```
 */
export function _encodeHexFallback(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An encoder/decoder pair for when the native methods are missing. */
export interface Base64Codec {
  /** Standard padded base64 of the bytes. */
  encode: (bytes: Uint8Array) => string;
  /** The bytes of forgiving base64; throws on anything else. */
  decode: (text: string) => Uint8Array;
}

let fallback: Base64Codec = {
  encode: _encodeBase64Fallback,
  decode: _decodeBase64Fallback,
};

/**
 * Use `codec` where the native methods are missing (`src/base64_node.ts`
 * installs `Buffer`'s in Node and Bun; the browser build keeps `btoa`/`atob`).
 *
 * @param codec The encoder and decoder.
 *
 * @example Usage
 * ```ts
 * import { _decodeBase64Fallback, _encodeBase64Fallback, useBase64Codec } from "./base64.ts";
 * useBase64Codec({ encode: _encodeBase64Fallback, decode: _decodeBase64Fallback });
 * ```
 */
export function useBase64Codec(codec: Base64Codec): void {
  fallback = codec;
}

/** Whether this runtime has the native ES2026 base64 methods. */
const nativeBase64 = proto.toBase64 && statics.fromBase64;

/**
 * Standard, padded base64 of `bytes`.
 *
 * @param bytes The bytes.
 * @returns Their base64.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { encodeBase64 } from "./base64.ts";
 * strictEqual(encodeBase64(new TextEncoder().encode("coucou")), "Y291Y291");
 * ```
 */
export const encodeBase64: (bytes: Uint8Array) => string = nativeBase64
  ? (bytes) => proto.toBase64!.call(bytes)
  : (bytes) => fallback.encode(bytes);

/**
 * The bytes of standard base64 `text` (ASCII whitespace skipped, padding
 * optional).
 *
 * @param text The base64.
 * @returns The bytes.
 * @throws {SyntaxError} `text` is not base64 (a `DOMException` from the
 *   fallback).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { decodeBase64 } from "./base64.ts";
 * strictEqual(new TextDecoder().decode(decodeBase64("Y291Y291")), "coucou");
 * ```
 */
export const decodeBase64: (text: string) => Uint8Array = nativeBase64
  ? (text) => statics.fromBase64!(text)
  : (text) => fallback.decode(text);

/**
 * Lowercase hex of `bytes`.
 *
 * @param bytes The bytes.
 * @returns Two lowercase hex digits a byte.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { encodeHex } from "./base64.ts";
 * strictEqual(encodeHex(new Uint8Array([1, 171])), "01ab");
 * ```
 */
export const encodeHex: (bytes: Uint8Array) => string = proto.toHex
  ? (bytes) => proto.toHex!.call(bytes)
  : _encodeHexFallback;
