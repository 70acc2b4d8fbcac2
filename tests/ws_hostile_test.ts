/**
 * The Deno WebSocket transport (`actors/transport/websocket_socket.ts`)
 * against in-process servers that speak raw bytes: a correct exchange
 * (fragments, ping, close, masking, one write per turn, no-delay) and every
 * way a hostile or broken server can answer, each ending in one typed
 * `transport.closed`, never an exception or a hang.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "./deps.ts";
import { type Harness, harness } from "./support/harness.ts";
import { makeSocketWebsocketTransport } from "../actors/transport/websocket_socket.ts";
import { parseService } from "../actors/transport/protocol.ts";
import { acceptFor } from "../src/ws_handshake.ts";
import { ConnectionError } from "../src/errors.ts";
import { type Element, xml } from "../src/deps.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const MAX = 1000;
const OPEN =
  "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='localhost' id='x' version='1.0'/>";

/** A raw server frame; `len` forces a length encoding (16 or 64 bits). */
function frame(
  opcode: number,
  payload: Uint8Array | string,
  o: { fin?: boolean; rsv?: number; mask?: boolean; len?: 16 | 64 } = {},
): Uint8Array {
  const p = typeof payload === "string" ? te.encode(payload) : payload;
  const n = p.length;
  const head: number[] = [(o.fin === false ? 0 : 0x80) | (o.rsv ?? 0) | opcode];
  const m = o.mask ? 0x80 : 0;
  if (o.len === 64 || (!o.len && n >= 65536)) {
    head.push(
      m | 127,
      0,
      0,
      0,
      0,
      n >>> 24,
      (n >>> 16) & 255,
      (n >>> 8) & 255,
      n & 255,
    );
  } else if (o.len === 16 || n >= 126) head.push(m | 126, n >>> 8, n & 255);
  else head.push(m | n);
  const key = [1, 2, 3, 4];
  const body = o.mask ? p.map((b, i) => b ^ key[i & 3]) : p;
  return new Uint8Array([...head, ...(o.mask ? key : []), ...body]);
}

function answer(key: string, extra = "", protocol = "xmpp"): string {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
    `Connection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n` +
    (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : "") + extra +
    "\r\n";
}

/** A client frame as the server reads it: opcode, masked?, payload. */
interface ClientFrame {
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** One server-side connection: raw writes, frame reads. */
class Peer {
  #buf = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}
  write(data: Uint8Array | string): Promise<number> {
    return this.conn.write(typeof data === "string" ? te.encode(data) : data);
  }
  async #more(): Promise<void> {
    const b = new Uint8Array(65536);
    const n = await this.conn.read(b);
    if (n === null) throw new Error("client closed");
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(b.subarray(0, n), this.#buf.length);
    this.#buf = next;
  }
  /** The upgrade request's text (up to the blank line). */
  async request(): Promise<string> {
    while (!td.decode(this.#buf).includes("\r\n\r\n")) await this.#more();
    const text = td.decode(this.#buf);
    const end = text.indexOf("\r\n\r\n") + 4;
    this.#buf = this.#buf.slice(end);
    return text.slice(0, end);
  }
  async frame(): Promise<ClientFrame> {
    while (true) {
      const b = this.#buf;
      if (b.length >= 2) {
        let n = b[1] & 127, at = 2;
        if (n === 126 && b.length >= 4) [n, at] = [(b[2] << 8) | b[3], 4];
        else if (n === 127 && b.length >= 10) {
          [n, at] = [Number(new DataView(b.buffer).getBigUint64(2)), 10];
        }
        const masked = (b[1] & 128) !== 0;
        const total = at + (masked ? 4 : 0) + n;
        if ((b[1] & 127) < 126 || at > 2) {
          if (b.length >= total) {
            const key = b.subarray(at, at + (masked ? 4 : 0));
            const payload = b.slice(total - n, total).map((x, i) =>
              masked ? x ^ key[i & 3] : x
            );
            this.#buf = b.slice(total);
            return { opcode: b[0] & 15, masked, payload };
          }
        }
      }
      await this.#more();
    }
  }
  async text(): Promise<string> {
    const f = await this.frame();
    assertEquals(f.opcode, 1);
    return td.decode(f.payload);
  }
}

/** A one-connection server on 127.0.0.1 running `script`. */
function server(script: (peer: Peer, key: string) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let peer: Peer | undefined;
  const done = (async () => {
    const conn = await listener.accept();
    peer = new Peer(conn);
    const req = await peer.request();
    const key = /Sec-WebSocket-Key: (\S+)/i.exec(req)?.[1] ?? "";
    await script(peer, key);
  })();
  return {
    url: `ws://127.0.0.1:${port}/xmpp-websocket`,
    done,
    close() {
      try {
        listener.close();
      } catch { /* closed */ }
      try {
        peer?.conn.close();
      } catch { /* closed */ }
    },
  };
}

function start(url: string, handshakeTimeout = 10_000): Harness {
  return harness(makeSocketWebsocketTransport({ handshakeTimeout }), {
    service: parseService(url, "localhost"),
    domain: "localhost",
    maxStanzaSize: MAX,
  });
}

async function until(h: Harness, type: string) {
  for (let i = 0; i < 2000; i++) {
    const ev = h.seen.find((e) => e.type === type);
    if (ev) return ev;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no ${type}; seen ${h.seen.map((e) => e.type)}`);
}

/** Connect, let `script` misbehave, expect one closed with `pattern`. */
async function refused(
  script: (peer: Peer, key: string) => Promise<void>,
  pattern: RegExp,
  { url, timeout }: { url?: (u: string) => string; timeout?: number } = {},
) {
  const s = server(script);
  const h = start(url ? url(s.url) : s.url, timeout);
  try {
    const closed = await until(h, "transport.closed");
    const err = closed.error as Error;
    assert(err instanceof ConnectionError, String(err));
    assertMatch(err.message, pattern);
    assertEquals(h.seen.filter((e) => e.type === "transport.closed").length, 1);
    return { h, err };
  } finally {
    h.stop();
    s.close();
    await s.done.catch(() => {});
  }
}

/** Answer the handshake, run `f`, then read frames until the client closes. */
const opened =
  (f: (peer: Peer) => Promise<unknown>, got: ClientFrame[] = []) =>
  async (peer: Peer, key: string) => {
    await peer.write(answer(key));
    await f(peer);
    try {
      while (true) got.push(await peer.frame());
    } catch { /* the client closed */ }
  };

const T = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "ws: handshake, masked frames, fragments split anywhere, ping, close",
  T,
  async () => {
    const s = server(async (peer, key) => {
      await peer.write(answer(key));
      const open = await peer.frame();
      assert(open.masked, "client frames are masked");
      assertMatch(
        td.decode(open.payload),
        /^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost'/,
      );
      // the header in three fragments, the bytes one write each
      const bytes = [
        ...frame(1, OPEN.slice(0, 10), { fin: false }),
        ...frame(9, "hi"), // a ping between fragments
        ...frame(0, OPEN.slice(10, 50), { fin: false }),
        ...frame(0, OPEN.slice(50)),
      ];
      for (const b of bytes) await peer.write(new Uint8Array([b]));
      const pong = await peer.frame();
      assertEquals([pong.opcode, td.decode(pong.payload), pong.masked], [
        10,
        "hi",
        true,
      ]);
      await peer.write(
        frame(
          1,
          "<message xmlns='jabber:client' from='a@localhost'><body>é</body></message>",
        ),
      );
      await peer.write(frame(8, new Uint8Array([0x03, 0xe8])));
      const close = await peer.frame();
      assertEquals([close.opcode, ...close.payload], [8, 0x03, 0xe8]);
    });
    const h = start(s.url);
    try {
      await until(h, "transport.connected");
      h.child.send({ type: "transport.open" });
      await until(h, "transport.streamStart");
      const closed = await until(h, "transport.closed");
      assertEquals(closed.error, undefined);
      const msg = h.seen.find((e) => e.type === "stanza") as unknown as {
        stanza: { getChildText(n: string): string };
      };
      assertEquals(msg.stanza.getChildText("body"), "é");
      await s.done;
    } finally {
      h.stop();
      s.close();
    }
  },
);

Deno.test(
  "ws: the upgrade request names the path, host, key, version and protocol",
  T,
  async () => {
    let req = "";
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const got = (async () => {
      const conn = await listener.accept();
      const peer = new Peer(conn);
      req = await peer.request();
      conn.close();
    })();
    const h = start(`ws://127.0.0.1:${port}/a/b?c=d`);
    try {
      await got;
      await until(h, "transport.closed");
    } finally {
      h.stop();
      listener.close();
    }
    assertMatch(req, /^GET \/a\/b\?c=d HTTP\/1\.1\r\n/);
    assertMatch(req, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${port}\r\n`));
    assertMatch(req, /\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n/);
    assertMatch(req, /\r\nSec-WebSocket-Key: [A-Za-z0-9+/]{22}==\r\n/);
    assertMatch(
      req,
      /\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n/,
    );
  },
);

Deno.test("ws: hostile handshake answers are refused", T, async (t) => {
  const cases: [string, (p: Peer, key: string) => Promise<void>, RegExp][] = [
    [
      "wrong accept",
      async (p) => void await p.write(answer("not-the-key")),
      /Sec-WebSocket-Accept/,
    ],
    [
      "no accept",
      async (p) =>
        void await p.write(
          "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
        ),
      /Sec-WebSocket-Accept/,
    ],
    [
      "no protocol",
      async (p, k) => void await p.write(answer(k, "", "")),
      /subprotocol xmpp/,
    ],
    [
      "another protocol",
      async (p, k) => void await p.write(answer(k, "", "mqtt")),
      /subprotocol xmpp/,
    ],
    [
      "an extension not offered",
      async (p, k) =>
        void await p.write(
          answer(k, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
        ),
      /extension/,
    ],
    [
      "no Upgrade header",
      async (p, k) =>
        void await p.write(answer(k).replace("Upgrade: websocket\r\n", "")),
      /Upgrade/,
    ],
    [
      "a redirect",
      async (p) =>
        void await p.write(
          "HTTP/1.1 302 Found\r\nLocation: ws://evil.example/\r\n\r\n",
        ),
      /HTTP 302 Found \(a redirect, not followed\)/,
    ],
    [
      "an error status",
      async (p) => void await p.write("HTTP/1.1 500 Oops\r\n\r\n"),
      /HTTP 500/,
    ],
    [
      "not HTTP",
      async (p) => void await p.write("SSH-2.0-x\r\n\r\n"),
      /not an HTTP/,
    ],
    ["an endless head", async (p) => {
      await p.write("HTTP/1.1 101 OK\r\n");
      for (let i = 0; i < 40; i++) {
        await p.write(`X-Pad: ${"a".repeat(1000)}\r\n`);
      }
    }, /over 16 KiB/],
    [
      "a close before the answer",
      (p) => Promise.resolve(p.conn.close()),
      /closed before the handshake/,
    ],
  ];
  for (const [name, script, pattern] of cases) {
    await t.step(name, async () => void await refused(script, pattern));
  }
  await t.step("no answer at all: the handshake timeout", async () => {
    await refused(
      (p) => p.frame().then(() => {}, () => {}),
      /no WebSocket handshake within 100 ms/,
      { timeout: 100 },
    );
  });
  await t.step("the URL in errors is redacted", async () => {
    const { err } = await refused(
      async (p) => void await p.write("HTTP/1.1 403 No\r\n\r\n"),
      /HTTP 403/,
      {
        url: (u) => u.replace("//", "//alice:s3cret@") + "?access_token=t0ken",
      },
    );
    assert(!/s3cret|t0ken/.test(err.message), err.message);
  });
});

Deno.test(
  "ws: hostile frames end the transport with a typed error",
  T,
  async (t) => {
    const big = new Uint8Array(10);
    big.set([0x81, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]); // length 2^63
    const cases: [string, (p: Peer) => Promise<unknown>, RegExp][] = [
      [
        "a masked frame",
        (p) => p.write(frame(1, OPEN, { mask: true })),
        /masked server frame/,
      ],
      [
        "reserved bits",
        (p) => p.write(frame(1, OPEN, { rsv: 0x40 })),
        /reserved bits/,
      ],
      ["opcode 3", (p) => p.write(frame(3, "x")), /unknown opcode 3/],
      ["opcode 11", (p) => p.write(frame(11, "x")), /unknown opcode 11/],
      [
        "a ping over 125 bytes",
        (p) => p.write(frame(9, "x".repeat(126))),
        /control frame over 125/,
      ],
      [
        "a fragmented ping",
        (p) => p.write(frame(9, "x", { fin: false })),
        /fragmented control/,
      ],
      ["a length of 2^63", (p) => p.write(big), /2\^63/],
      [
        "a 16-bit length for 5 bytes",
        (p) => p.write(frame(1, "<a/>x", { len: 16 })),
        /non-minimal/,
      ],
      [
        "a 64-bit length for 200 bytes",
        (p) => p.write(frame(1, "x".repeat(200), { len: 64 })),
        /non-minimal/,
      ],
      [
        "a continuation with no message",
        (p) => p.write(frame(0, "<a/>")),
        /continuation frame with no message/,
      ],
      ["a new message inside a fragmented one", (p) =>
        p.write(
          new Uint8Array([
            ...frame(1, "<a", { fin: false }),
            ...frame(1, "<b/>"),
          ]),
        ), /inside a fragmented/],
      ["a binary frame", (p) => p.write(frame(2, "<a/>")), /binary frame/],
      [
        "text that is not UTF-8",
        (p) => p.write(frame(1, new Uint8Array([0x3c, 0xff, 0x3e]))),
        /not UTF-8/,
      ],
      [
        "a one-byte close",
        (p) => p.write(frame(8, new Uint8Array([3]))),
        /close frame of one byte/,
      ],
      ["a close in the middle of a frame", async (p) => {
        await p.write(frame(1, OPEN).subarray(0, 20));
        p.conn.close();
      }, /in the middle of a frame/],
      [
        "a close between frames with no close frame",
        (p) => Promise.resolve(p.conn.close()),
        /^Connection closed by server$/,
      ],
      [
        "a close frame with code 1002",
        (p) =>
          p.write(frame(8, new Uint8Array([0x03, 0xea, 0x62, 0x61, 0x64]))),
        /code 1002: bad/,
      ],
    ];
    for (const [name, script, pattern] of cases) {
      await t.step(name, async () => {
        const got: ClientFrame[] = [];
        await refused(opened(script, got), pattern);
        if (!/middle|\^/.test(pattern.source)) {
          assertEquals(
            got.map((f) => f.opcode),
            [8],
            "a close frame answers",
          );
        }
      });
    }
  },
);

/** Records what the transport's socket was told: no-delay, each write. */
function spyConnect() {
  const real = Deno.connect;
  const spy = {
    noDelay: [] as boolean[],
    writes: [] as Uint8Array[],
    failNextWrite: false,
  };
  // deno-lint-ignore no-explicit-any
  (Deno as any).connect = async (o: Deno.ConnectOptions) => {
    const conn = await real(o);
    const setNoDelay = conn.setNoDelay.bind(conn);
    const write = conn.write.bind(conn);
    conn.setNoDelay = (on?: boolean) => {
      spy.noDelay.push(on ?? true);
      setNoDelay(on);
    };
    conn.write = async (p: Uint8Array) => {
      if (spy.failNextWrite) {
        spy.failNextWrite = false;
        await write(p.subarray(0, Math.floor(p.length / 2)));
        return Math.floor(p.length / 2);
      }
      if (spy.writes.length && spy.writes.at(-1)!.length === 0) {
        throw new Deno.errors.BrokenPipe("cut");
      }
      spy.writes.push(p.slice());
      return await write(p);
    };
    return conn;
  };
  return { spy, restore: () => (Deno.connect = real) };
}

Deno.test(
  "ws: no-delay on; several elements in one turn go out as one write of whole frames",
  T,
  async () => {
    const { spy, restore } = spyConnect();
    const s = server(opened(async () => {}));
    const h = start(s.url);
    try {
      await until(h, "transport.connected");
      assertEquals(spy.noDelay, [true]);
      const before = spy.writes.length;
      h.child.send({
        type: "transport.send",
        elements: [1, 2, 3].map((i) =>
          xml("message", { id: `m${i}` }, xml("body", {}, "x".repeat(100 * i)))
        ),
      });
      while (spy.writes.length === before) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 50));
      const sent = spy.writes.slice(before);
      assertEquals(sent.length, 1, "one write");
      // that write is three whole frames: 2+2+4 header bytes with masks
      assertEquals(
        sent[0].length,
        3 * (4 + 4) + [1, 2, 3].reduce((n, i) =>
          n +
          `<message id='m${i}' xmlns='jabber:client'><body>${
            "x".repeat(100 * i)
          }</body></message>`.length, 0),
      );
    } finally {
      restore();
      h.stop();
      s.close();
    }
  },
);

Deno.test(
  "ws: a socket that dies mid-write gives back the stanzas not wholly written",
  T,
  async () => {
    const { spy, restore } = spyConnect();
    const s = server(opened(async () => {}));
    const h = start(s.url);
    try {
      await until(h, "transport.connected");
      spy.failNextWrite = true;
      spy.writes.push(new Uint8Array(0)); // and then the pipe breaks
      const els = ["a", "b", "c"].map((id) =>
        xml("iq", { id, type: "get" }, xml("x", { xmlns: "y" }))
      );
      h.child.send({ type: "transport.send", elements: els });
      const closed = await until(h, "transport.closed");
      assert(closed.error instanceof ConnectionError);
      // half of three equal frames was written: the second and third are unsent
      assertEquals((closed.unsent as typeof els).map((e) => e.attrs.id), [
        "b",
        "c",
      ]);
    } finally {
      restore();
      h.stop();
      s.close();
    }
  },
);

Deno.test(
  "ws: an XEP-0198 <a/> is followed by an empty unsolicited pong (the TCP ACK leaves at once)",
  T,
  async () => {
    const got: ClientFrame[] = [];
    const s = server(opened(async (p) => {
      await p.write(frame(1, "<a xmlns='urn:xmpp:sm:3' h='0'/>"));
      got.push(await p.frame());
      p.conn.close();
    }));
    const h = start(s.url);
    try {
      await until(h, "sm.a");
      await until(h, "transport.closed");
      assertEquals(got.map((f) => [f.opcode, f.payload.length, f.masked]), [[
        10,
        0,
        true,
      ]]);
    } finally {
      h.stop();
      s.close();
    }
  },
);

Deno.test(
  "ws: XEP-0198 hostile server: 2000 <a/> in a row get a few pongs, not 2000; <a/> sent in one turn leave as the latest one",
  T,
  async () => {
    const got: ClientFrame[] = [];
    const flood = new Uint8Array(
      Array.from(
        { length: 2000 },
        (_, i) => [...frame(1, `<a xmlns='urn:xmpp:sm:3' h='${i}'/>`)],
      ).flat(),
    );
    let sent!: () => void;
    const flooded = new Promise<void>((r) => sent = r);
    const s = server(opened(async (p) => {
      await p.write(flood);
      sent();
      // read what the client writes until it has been quiet for a while:
      // 300 ms once a pong and the text frame are in (a loaded machine may
      // take longer than that to parse the flood), 5 s before
      let timer: ReturnType<typeof setTimeout> | undefined;
      while (true) {
        const done = got.some((f) => f.opcode === 10) &&
          got.some((f) => f.opcode === 1);
        const next = await Promise.race([
          p.frame(),
          new Promise<undefined>((r) =>
            timer = setTimeout(() => r(undefined), done ? 300 : 5000)
          ),
        ]);
        clearTimeout(timer);
        if (next === undefined) break;
        got.push(next);
      }
      p.conn.close();
    }));
    const h = start(s.url);
    try {
      await until(h, "transport.connected");
      await flooded;
      const acks = [1, 2, 3].map((n) =>
        xml("a", { xmlns: "urn:xmpp:sm:3", h: String(n) })
      );
      h.child.send({ type: "transport.send", elements: acks });
      await until(h, "transport.closed");
      const pongs = got.filter((f) => f.opcode === 10).length;
      assert(pongs >= 1 && pongs <= 10, `${pongs} pongs`);
      const texts = got.filter((f) => f.opcode === 1).map((f) =>
        new TextDecoder().decode(f.payload)
      );
      assertEquals(texts.length, 1, texts.join());
      assertMatch(texts[0], /h=.3./);
    } finally {
      h.stop();
      s.close();
    }
  },
);

Deno.test("ws: stopped during the handshake, its timer is cleared and the socket closed", async () => {
  // Deno's sanitizer does not report timers: watch the handshake timer
  const realSet = globalThis.setTimeout, realClear = globalThis.clearTimeout;
  let handshakeTimer: unknown, cleared = false;
  // deno-lint-ignore no-explicit-any
  (globalThis as any).setTimeout = (f: () => void, ms?: number) => {
    const id = realSet(f, ms);
    if (ms === 60_000) handshakeTimer = id;
    return id;
  };
  // deno-lint-ignore no-explicit-any
  (globalThis as any).clearTimeout = (id?: number) => {
    if (id !== undefined && id === handshakeTimer) cleared = true;
    realClear(id);
  };
  let asked!: () => void;
  const requested = new Promise<void>((r) => asked = r);
  const s = server(async (p) => {
    asked();
    await p.frame().catch(() => {}); // until the client closes
  });
  try {
    const h = start(s.url, 60_000);
    await requested;
    h.stop();
    await s.done; // the server saw the socket close
    assert(handshakeTimer !== undefined && cleared, "timer cleared");
    assertEquals(h.seen.filter((e) => e.type === "transport.closed").length, 0);
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
    s.close();
  }
});

Deno.test("ws: abort closes at once with one transport.closed", T, async () => {
  const s = server(opened(async () => {}));
  const h = start(s.url);
  try {
    await until(h, "transport.connected");
    h.child.send({ type: "transport.abort" });
    const closed = await until(h, "transport.closed");
    assertEquals(closed.error, undefined);
    h.child.send({ type: "transport.send", elements: [xml("message")] });
    assertEquals(h.seen.filter((e) => e.type === "transport.closed").length, 1);
  } finally {
    h.stop();
    s.close();
  }
});

Deno.test(
  "ws: a message over the limit is skipped, reported with its opening tag, and the stream goes on",
  T,
  async (t) => {
    // More bytes than any message of MAX characters can take (3 × MAX).
    const huge = "x".repeat(3 * MAX + 1);
    const iq =
      `<iq type='get' id='big1' from='eve@localhost/x' xmlns='jabber:client'><query xmlns='q'>${huge}</query></iq>`;
    const after =
      "<message id='after' xmlns='jabber:client'><body>hi</body></message>";
    const cases: [string, (p: Peer) => Promise<unknown>][] = [
      ["in one frame", (p) => p.write(frame(1, iq))],
      ["in fragments, the limit crossed by a continuation", async (p) => {
        await p.write(frame(1, iq.slice(0, 500), { fin: false }));
        await p.write(frame(0, iq.slice(500, 2000), { fin: false }));
        await p.write(frame(0, iq.slice(2000)));
      }],
      ["its opening tag split over reads", async (p) => {
        const bytes = frame(1, iq);
        await p.write(bytes.subarray(0, 30));
        await new Promise((r) => setTimeout(r, 20));
        await p.write(bytes.subarray(30));
      }],
    ];
    for (const [name, send] of cases) {
      await t.step(name, async () => {
        const s = server(opened(async (p) => {
          await p.write(frame(1, OPEN));
          await send(p);
          await p.write(frame(1, after));
        }));
        const h = start(s.url);
        try {
          await until(h, "transport.connected");
          h.child.send({ type: "transport.open" });
          const stanza = await until(h, "stanza");
          const skipped = h.seen.filter((e) => e.type === "stanza.skipped");
          assertEquals(skipped.length, 1);
          const ev = skipped[0] as unknown as { head?: Element; limit: string };
          assertEquals(ev.limit, "size");
          assertEquals(ev.head?.name, "iq");
          assertEquals(ev.head?.attrs.id, "big1");
          assertEquals(ev.head?.children.length, 0);
          assertEquals(
            (stanza as unknown as { stanza: Element }).stanza.attrs.id,
            "after",
          );
          // the skipped one came first, and nothing closed
          assert(h.seen.indexOf(skipped[0]) < h.seen.indexOf(stanza));
          assertEquals(h.seen.filter((e) => e.type === "transport.closed"), []);
        } finally {
          h.stop();
          s.close();
          await s.done.catch(() => {});
        }
      });
    }
  },
);
