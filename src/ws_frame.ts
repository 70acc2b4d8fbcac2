/**
 * The client side of RFC 6455 (WebSocket) framing as pure functions over
 * bytes: masked client frames out, a bounded incremental reader for server
 * frames (the opening handshake is `./ws_handshake.ts`). No
 * I/O: `actors/transport/websocket_socket.ts` drives it over a Deno socket.
 *
 * Written here rather than taken from npm `ws` because that one, run through
 * Deno's `node:net`, measured 23–84 % of STARTTLS's rate one at a time at
 * 16 B and 4 KiB here, three of the four cells under 50 % (this client on
 * `Deno.connect`: 81–93 %; `bench/ws_transport.ts`), and only the client
 * subset RFC 7395 needs (text frames, no extensions) is wanted.
 *
 * @module
 */
import { concatBytes } from "./_util.ts";

/** Frame opcodes (RFC 6455 §5.2). */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/**
 * The server broke RFC 6455 (or the handshake): `code` is the close code a
 * client answers with (1002 protocol error, 1007 bad data, 1009 too big).
 */
export class WebSocketProtocolError extends Error {
  /** The close status code to send. */
  readonly code: number;
  /**
   * Create the error.
   * @param message What was wrong.
   * @param code Close status code (default 1002).
   */
  constructor(message: string, code = 1002) {
    super(message);
    this.name = "WebSocketProtocolError";
    this.code = code;
  }
}

/**
 * One masked client frame (FIN set): header and masked payload in one
 * array, so a frame is one write.
 *
 * @param opcode The opcode.
 * @param payload The payload.
 * @param mask Four mask bytes (by default fresh ones from a pool of
 *   `crypto.getRandomValues` bytes, never reused).
 * @returns The frame.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { encodeFrame, Opcode } from "./ws_frame.ts";
 * const f = encodeFrame(Opcode.TEXT, new Uint8Array([1, 2]), new Uint8Array([0, 1, 0, 0]));
 * deepStrictEqual([...f], [0x81, 0x82, 0, 1, 0, 0, 1, 3]);
 * ```
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  mask: Uint8Array = freshMask(),
): Uint8Array {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(head + 4 + n);
  out[0] = 0x80 | opcode;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 0x80 | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  out.set(mask, head);
  const body = head + 4;
  const m0 = mask[0], m1 = mask[1], m2 = mask[2], m3 = mask[3];
  const whole = n & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    out[body + i] = payload[i] ^ m0;
    out[body + i + 1] = payload[i + 1] ^ m1;
    out[body + i + 2] = payload[i + 2] ^ m2;
    out[body + i + 3] = payload[i + 3] ^ m3;
  }
  for (; i < n; i++) out[body + i] = payload[i] ^ mask[i & 3];
  return out;
}

/** Random bytes for masks, drawn 4 KiB at a time (one call per 1024 frames). */
let pool = new Uint8Array(0);
let poolAt = 0;
function freshMask(): Uint8Array {
  if (poolAt + 4 > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(4096));
    poolAt = 0;
  }
  return pool.subarray(poolAt, poolAt += 4);
}

/** What {@linkcode FrameReader} hands on. */
export interface FrameHandlers {
  /** A whole text message, UTF-8 checked. */
  onText(text: string): void;
  /** A ping: answer with a pong of the same payload. */
  onPing(payload: Uint8Array): void;
  /** A close frame: status code (1005 when none) and reason. */
  onClose(code: number, reason: string): void;
  /**
   * A text message over the limit was skipped, after its last frame: its
   * first bytes (at most {@linkcode SKIPPED_PREFIX}, not UTF-8 checked, may
   * end inside a character) and its size. Without this handler such a
   * message is a {@linkcode WebSocketProtocolError} (1009).
   */
  onSkipped?(prefix: Uint8Array, bytes: number): void;
}

/**
 * How many bytes of a skipped message are kept: enough for the opening tag
 * of a stanza (its name, id, addresses), so that it can be answered.
 */
export const SKIPPED_PREFIX = 4096;

const fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads server frames from chunks split anywhere, reassembling fragmented
 * text messages. Bounded: a message over `maxMessage` bytes is refused when
 * its frame header is read, before any more of it is kept: with an
 * `onSkipped` handler its payload is then read past (only its first
 * {@linkcode SKIPPED_PREFIX} bytes kept) and reported when it ends, as a
 * stream skips a stanza over its size limit; without one it is an error.
 * Anything RFC 6455
 * forbids a server (a masked frame, reserved bits, unknown opcodes, a
 * non-minimal or 2^63 length, a fragmented or over-125-byte control frame, a
 * continuation with no message, a binary message) throws
 * {@linkcode WebSocketProtocolError} from `push`; after that the reader
 * takes nothing more.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { FrameReader } from "./ws_frame.ts";
 * const got: string[] = [];
 * const r = new FrameReader({ onText: (t) => got.push(t), onPing() {}, onClose() {} }, 1024);
 * r.push(new Uint8Array([0x81, 2, 0x3c, 0x61]));
 * deepStrictEqual(got, ["<a"]);
 * ```
 */
export class FrameReader {
  #handlers: FrameHandlers;
  #max: number;
  /** Header bytes gathered so far (at most 14). */
  #head = new Uint8Array(14);
  #headLen = 0;
  /** The frame whose payload is being read. */
  #frame: { opcode: number; fin: boolean; left: number } | undefined;
  /** Control frame payload, or the parts of the message being read. */
  #parts: Uint8Array[] = [];
  #control: Uint8Array[] = [];
  /** Bytes of the message so far, and whether one is open (fragmented). */
  #messageBytes = 0;
  #inMessage = false;
  /** The open message is over the limit: its payload is read past. */
  #skipping = false;
  /** Bytes of it kept so far (at most SKIPPED_PREFIX). */
  #kept = 0;
  #failed = false;

  /**
   * Create a reader.
   * @param handlers Where messages go.
   * @param maxMessage Largest message accepted, in bytes.
   */
  constructor(handlers: FrameHandlers, maxMessage: number) {
    this.#handlers = handlers;
    this.#max = maxMessage;
  }

  /** Whether a frame is partly read (a close now cuts it). */
  get midFrame(): boolean {
    return this.#headLen > 0 || this.#frame !== undefined || this.#inMessage;
  }

  /**
   * Feed bytes read from the socket; the reader copies what it keeps.
   * @param chunk The bytes.
   * @throws {WebSocketProtocolError} On a frame RFC 6455 forbids.
   */
  push(chunk: Uint8Array): void {
    if (this.#failed) return;
    try {
      this.#push(chunk);
    } catch (err) {
      this.#failed = true;
      throw err;
    }
  }

  #push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#frame === undefined) {
        const need = this.#headNeeded();
        const take = Math.min(need - this.#headLen, chunk.length - at);
        this.#head.set(chunk.subarray(at, at + take), this.#headLen);
        this.#headLen += take;
        at += take;
        if (this.#headLen < this.#headNeeded()) continue;
        this.#startFrame();
        if (this.#frame!.left > 0) continue;
      } else {
        const f = this.#frame;
        const take = Math.min(f.left, chunk.length - at);
        if (f.opcode >= 0x8) this.#control.push(chunk.slice(at, at + take));
        else if (!this.#skipping) this.#parts.push(chunk.slice(at, at + take));
        else if (this.#kept < SKIPPED_PREFIX) {
          const keep = Math.min(take, SKIPPED_PREFIX - this.#kept);
          this.#parts.push(chunk.slice(at, at + keep));
          this.#kept += keep;
        }
        f.left -= take;
        at += take;
        if (f.left > 0) continue;
      }
      this.#endFrame();
    }
  }

  /** Header length: 2, then as the length byte says. */
  #headNeeded(): number {
    if (this.#headLen < 2) return 2;
    const len = this.#head[1] & 0x7f;
    return len === 126 ? 4 : len === 127 ? 10 : 2;
  }

  #startFrame(): void {
    const b0 = this.#head[0], b1 = this.#head[1];
    this.#headLen = 0;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (b0 & 0x70) throw new WebSocketProtocolError("reserved bits set");
    if (b1 & 0x80) throw new WebSocketProtocolError("masked server frame");
    let len = b1 & 0x7f;
    if (len === 126) {
      len = (this.#head[2] << 8) | this.#head[3];
      if (len < 126) throw new WebSocketProtocolError("non-minimal length");
    } else if (len === 127) {
      const big = new DataView(this.#head.buffer).getBigUint64(2);
      if (big >> 63n) {
        throw new WebSocketProtocolError("length of 2^63 or more");
      }
      if (big < 65536n) throw new WebSocketProtocolError("non-minimal length");
      len = big > BigInt(Number.MAX_SAFE_INTEGER)
        ? Number.MAX_SAFE_INTEGER
        : Number(big);
    }
    if (opcode >= 0x8) {
      if (opcode > Opcode.PONG) {
        throw new WebSocketProtocolError(`unknown opcode ${opcode}`);
      }
      if (!fin) throw new WebSocketProtocolError("fragmented control frame");
      if (len > 125) {
        throw new WebSocketProtocolError("control frame over 125 bytes");
      }
    } else if (opcode === Opcode.CONTINUATION) {
      if (!this.#inMessage) {
        throw new WebSocketProtocolError("continuation frame with no message");
      }
    } else if (opcode === Opcode.TEXT) {
      if (this.#inMessage) {
        throw new WebSocketProtocolError("new message inside a fragmented one");
      }
      this.#inMessage = true;
      this.#messageBytes = 0;
    } else if (opcode === Opcode.BINARY) {
      throw new WebSocketProtocolError(
        "binary frame (RFC 7395 uses text frames)",
        1003,
      );
    } else throw new WebSocketProtocolError(`unknown opcode ${opcode}`);
    if (opcode < 0x8) {
      this.#messageBytes += len;
      if (this.#messageBytes > this.#max && !this.#skipping) {
        if (this.#handlers.onSkipped) this.#skip();
        else {
          throw new WebSocketProtocolError(
            `message over the limit of ${this.#max} bytes`,
            1009,
          );
        }
      }
    }
    this.#frame = { opcode, fin, left: len };
  }

  /** From now on the open message is read past; its first bytes stay. */
  #skip(): void {
    this.#skipping = true;
    const prefix = concatBytes(this.#parts);
    this.#kept = Math.min(prefix.length, SKIPPED_PREFIX);
    this.#parts = this.#kept ? [prefix.slice(0, this.#kept)] : [];
  }

  #endFrame(): void {
    const f = this.#frame!;
    this.#frame = undefined;
    if (f.opcode >= 0x8) {
      const payload = concatBytes(this.#control);
      this.#control = [];
      if (f.opcode === Opcode.PING) this.#handlers.onPing(payload);
      else if (f.opcode === Opcode.CLOSE) this.#close(payload);
      return;
    }
    if (!f.fin) return;
    const bytes = concatBytes(this.#parts);
    this.#parts = [];
    this.#inMessage = false;
    if (this.#skipping) {
      this.#skipping = false;
      this.#kept = 0;
      return this.#handlers.onSkipped!(bytes, this.#messageBytes);
    }
    let text: string;
    try {
      text = fatal.decode(bytes);
    } catch {
      throw new WebSocketProtocolError("text message is not UTF-8", 1007);
    }
    this.#handlers.onText(text);
  }

  #close(payload: Uint8Array): void {
    if (payload.length === 1) {
      throw new WebSocketProtocolError("close frame of one byte");
    }
    if (payload.length === 0) return this.#handlers.onClose(1005, "");
    const code = (payload[0] << 8) | payload[1];
    let reason: string;
    try {
      reason = fatal.decode(payload.subarray(2));
    } catch {
      throw new WebSocketProtocolError("close reason is not UTF-8", 1007);
    }
    this.#handlers.onClose(code, reason);
  }
}
