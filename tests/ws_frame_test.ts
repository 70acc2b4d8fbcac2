/**
 * The RFC 6455 codec of `src/ws_frame.ts` by itself: the RFC's own examples,
 * and properties over random messages, fragmentations and read splits.
 *
 * @module
 */
import { pure } from "./support/property.ts";
import { assertEquals, assertThrows, fc } from "./deps.ts";
import { acceptFor } from "../src/ws_handshake.ts";
import {
  encodeFrame,
  FrameReader,
  Opcode,
  WebSocketProtocolError,
} from "../src/ws_frame.ts";

const te = new TextEncoder();

/** An unmasked server frame. */
function serverFrame(opcode: number, p: Uint8Array, fin = true): Uint8Array {
  const n = p.length;
  const head = [(fin ? 0x80 : 0) | opcode];
  if (n < 126) head.push(n);
  else if (n < 65536) head.push(126, n >> 8, n & 255);
  else {head.push(
      127,
      0,
      0,
      0,
      0,
      n >>> 24,
      (n >> 16) & 255,
      (n >> 8) & 255,
      n & 255,
    );}
  return new Uint8Array([...head, ...p]);
}

function read(max: number) {
  const got: {
    texts: string[];
    pings: number[][];
    closes: [number, string][];
  } = { texts: [], pings: [], closes: [] };
  const reader = new FrameReader({
    onText: (t) => got.texts.push(t),
    onPing: (p) => got.pings.push([...p]),
    onClose: (code, reason) => got.closes.push([code, reason]),
  }, max);
  return { reader, got };
}

Deno.test("RFC 6455 §1.3: the accept value of the sample key", () => {
  assertEquals(
    acceptFor("dGhlIHNhbXBsZSBub25jZQ=="),
    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
  );
});

Deno.test("RFC 6455 §5.7: the unmasked and fragmented 'Hello' examples", () => {
  const { reader, got } = read(100);
  reader.push(new Uint8Array([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]));
  reader.push(new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c]));
  reader.push(new Uint8Array([0x80, 0x02, 0x6c, 0x6f]));
  reader.push(new Uint8Array([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]));
  assertEquals(got.texts, ["Hello", "Hello"]);
  assertEquals(got.pings, [[0x48, 0x65, 0x6c, 0x6c, 0x6f]]);
});

Deno.test("RFC 6455 §5.7: the masked 'Hello' example is what encodeFrame makes", () => {
  const f = encodeFrame(
    Opcode.TEXT,
    te.encode("Hello"),
    new Uint8Array([0x37, 0xfa, 0x21, 0x3d]),
  );
  assertEquals([...f], [
    0x81,
    0x85,
    0x37,
    0xfa,
    0x21,
    0x3d,
    0x7f,
    0x9f,
    0x4d,
    0x51,
    0x58,
  ]);
});

Deno.test("encodeFrame: every client frame is masked, with a fresh key, and the length minimal", () => {
  const a = encodeFrame(Opcode.TEXT, new Uint8Array(200));
  const b = encodeFrame(Opcode.TEXT, new Uint8Array(200));
  assertEquals([a[1], a[2], a[3]], [0x80 | 126, 0, 200]);
  // zeros masked are the mask: two frames with one key are 2^-32 likely
  assertEquals(a.subarray(4, 8).join() === b.subarray(4, 8).join(), false);
  assertEquals(encodeFrame(Opcode.TEXT, new Uint8Array(125))[1], 0x80 | 125);
  const big = encodeFrame(Opcode.TEXT, new Uint8Array(65536));
  assertEquals([...big.subarray(1, 10)], [0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0]);
});

Deno.test("FrameReader: any messages, fragmented any way, read in chunks split anywhere", () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: "binary", maxLength: 300 }), { maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }),
      (texts, fragSizes, splits) => {
        const bytes: number[] = [];
        let k = 0;
        for (const t of texts) {
          const p = te.encode(t);
          let at = 0, first = true;
          do {
            const n = fragSizes[k++ % fragSizes.length];
            const part = p.subarray(at, at + n);
            at += part.length;
            bytes.push(...serverFrame(first ? 1 : 0, part, at >= p.length));
            if (k % 3 === 0) {
              bytes.push(...serverFrame(9, new Uint8Array([k & 255])));
            }
            first = false;
          } while (at < p.length);
        }
        const { reader, got } = read(4096);
        const all = new Uint8Array(bytes);
        let at = 0, s = 0;
        while (at < all.length) {
          const n = splits[s++ % splits.length];
          reader.push(all.slice(at, at + n));
          at += n;
        }
        assertEquals(
          got.texts,
          texts.map((t) => new TextDecoder().decode(te.encode(t))),
        );
        assertEquals(reader.midFrame, false);
      },
    ),
    pure,
  );
});

Deno.test("FrameReader: a message over the limit is refused at the header that crosses it", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2000 }),
      fc.integer({ min: 1, max: 900 }),
      (max, frag) => {
        const { reader, got } = read(max);
        let sent = 0;
        const err = assertThrows(() => {
          for (let first = true;; first = false) {
            reader.push(
              serverFrame(first ? 1 : 0, new Uint8Array(frag).fill(0x61), false)
                .subarray(0, frag < 126 ? 2 : 4),
            );
            reader.push(new Uint8Array(frag).fill(0x61));
            sent += frag;
          }
        }, WebSocketProtocolError);
        assertEquals((err as WebSocketProtocolError).code, 1009);
        // refused on the first header whose frame would pass the limit
        assertEquals(sent <= max && sent + frag > max, true);
        assertEquals(got.texts, []);
        reader.push(serverFrame(1, te.encode("<a/>"))); // and nothing after
        assertEquals(got.texts, []);
      },
    ),
    pure,
  );
});

Deno.test("FrameReader: close frames give code and reason; none is 1005", () => {
  const { reader, got } = read(100);
  reader.push(serverFrame(8, new Uint8Array([0x03, 0xe8, 0x62, 0x79, 0x65])));
  reader.push(serverFrame(8, new Uint8Array()));
  assertEquals(got.closes, [[1000, "bye"], [1005, ""]]);
});
