/**
 * The client side of the RFC 6455 opening handshake as pure functions: a
 * fresh key, the upgrade request's text, and the check of the server's
 * answer (status 101, `Upgrade`, `Connection`, `Sec-WebSocket-Accept`, the
 * `xmpp` subprotocol, no extension not asked for). The frames that follow
 * are `./ws_frame.ts`.
 *
 * @module
 */
import { encodeBase64 } from "./base64.ts";
import { sha1 } from "./deps.ts";
import { WebSocketProtocolError } from "./ws_frame.ts";

/** The GUID of RFC 6455 §1.3 that `Sec-WebSocket-Accept` hashes with. */
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Largest HTTP answer head read before the frames start. */
const MAX_HEAD = 16 * 1024;
const latin1 = new TextDecoder("latin1");
const ascii = new TextEncoder();

/**
 * A fresh `Sec-WebSocket-Key`: 16 random bytes, base64.
 *
 * @returns The key.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { newKey } from "./ws_handshake.ts";
 * strictEqual(newKey().length, 24);
 * ```
 */
export function newKey(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * The `Sec-WebSocket-Accept` a server must answer `key` with.
 *
 * @param key The `Sec-WebSocket-Key` sent.
 * @returns base64(SHA-1(key + GUID)).
 *
 * @example Usage (the example of RFC 6455 §1.3)
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { acceptFor } from "./ws_handshake.ts";
 * strictEqual(acceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 */
export function acceptFor(key: string): string {
  return encodeBase64(sha1(ascii.encode(key + WS_GUID)));
}

/**
 * The HTTP/1.1 Upgrade request for `url` (path and query, `Host` with a
 * non-default port), asking for `protocol`. User info in the URL is not sent.
 *
 * @param url A `ws:` or `wss:` URL.
 * @param key The `Sec-WebSocket-Key`.
 * @param protocol The subprotocol to ask for.
 * @returns The request, as bytes.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { handshakeRequest } from "./ws_handshake.ts";
 * const text = new TextDecoder().decode(handshakeRequest(new URL("ws://h:5280/ws"), "k", "xmpp"));
 * ok(text.startsWith("GET /ws HTTP/1.1\r\nHost: h:5280\r\n"));
 * ```
 */
export function handshakeRequest(
  url: URL,
  key: string,
  protocol: string,
): Uint8Array {
  const path = (url.pathname || "/") + url.search;
  return ascii.encode(
    `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
  );
}

/**
 * Check the server's answer head. Returns `undefined` while the head is not
 * complete, else the bytes after it (the first frames).
 *
 * @param head What was read so far.
 * @param key The key sent.
 * @param protocol The subprotocol the answer must name.
 * @returns `undefined` (need more) or the bytes following the head.
 * @throws {WebSocketProtocolError} A status other than 101 (a redirect is
 *   not followed), a missing or wrong `Upgrade`, `Connection`,
 *   `Sec-WebSocket-Accept` or `Sec-WebSocket-Protocol`, an extension we
 *   did not offer, or a head over 16 KiB.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { acceptFor, checkHandshake } from "./ws_handshake.ts";
 * const answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
 *   `Connection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor("k")}\r\n` +
 *   "Sec-WebSocket-Protocol: xmpp\r\n\r\n";
 * strictEqual(checkHandshake(new TextEncoder().encode(answer), "k", "xmpp")?.length, 0);
 * ```
 */
export function checkHandshake(
  head: Uint8Array,
  key: string,
  protocol: string,
): Uint8Array | undefined {
  let end = -1;
  for (let i = 3; i < head.length; i++) {
    if (
      head[i] === 10 && head[i - 1] === 13 && head[i - 2] === 10 &&
      head[i - 3] === 13
    ) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    if (head.length > MAX_HEAD) {
      throw new WebSocketProtocolError("HTTP answer head over 16 KiB");
    }
    return undefined;
  }
  const lines = latin1.decode(head.subarray(0, end - 4)).split("\r\n");
  const status = /^HTTP\/1\.1 (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!status) {
    throw new WebSocketProtocolError(
      `not an HTTP/1.1 answer: ${JSON.stringify(lines[0].slice(0, 80))}`,
    );
  }
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) {
      throw new WebSocketProtocolError("malformed HTTP header line");
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(name, values);
  }
  const one = (name: string) => {
    const v = headers.get(name);
    return v?.length === 1 ? v[0] : undefined;
  };
  if (status[1] !== "101") {
    const location = one("location");
    throw new WebSocketProtocolError(
      `server answered HTTP ${status[1]}${status[2] ? ` ${status[2]}` : ""}${
        location !== undefined ? " (a redirect, not followed)" : ""
      }`,
    );
  }
  if (one("upgrade")?.toLowerCase() !== "websocket") {
    throw new WebSocketProtocolError("101 answer without Upgrade: websocket");
  }
  const connection = (headers.get("connection") ?? []).join(",").toLowerCase();
  if (!connection.split(",").some((t) => t.trim() === "upgrade")) {
    throw new WebSocketProtocolError("101 answer without Connection: Upgrade");
  }
  if (one("sec-websocket-accept") !== acceptFor(key)) {
    throw new WebSocketProtocolError(
      "101 answer with a missing or wrong Sec-WebSocket-Accept",
    );
  }
  if (one("sec-websocket-protocol") !== protocol) {
    throw new WebSocketProtocolError(
      `server did not accept subprotocol ${protocol}`,
    );
  }
  if (headers.has("sec-websocket-extensions")) {
    throw new WebSocketProtocolError(
      "server chose an extension that was not offered",
    );
  }
  return head.subarray(end);
}
