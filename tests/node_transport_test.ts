/**
 * The Node/Bun transports (`actors/transport/tcp_node.ts`, over `node:net`
 * and `node:tls`), run here in Deno (which has both) against a real
 * Prosody: STARTTLS, direct TLS, ws:// and wss:// with the test CA, no-delay
 * on; a wrong CA or a closed port is a typed error from start(). The same
 * transports on Node 22 and Bun: tests/npm_package_test.ts.
 */
import { assertMatch, assertRejects, assertStrictEquals } from "./deps.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import {
  ConnectionError,
  createClient,
  StreamError,
  TLSError,
  xml,
} from "../mod.ts";
import { nodeTransports } from "../actors/connection/runtime.ts";
import { makeNodeSockets } from "../actors/transport/sockets_node.ts";
import { socketTransport } from "../actors/transport/tcp.ts";
import { makeSocketWebsocketTransport } from "../actors/transport/websocket_socket.ts";

const ignore = !hasProsody() && !requireServers();

Deno.test({
  name: "nodeTransports: STARTTLS, direct TLS, ws and wss reach Prosody",
  ignore,
  async fn(t) {
    const server = await startProsody();
    try {
      const tls = { caCerts: [server.caPem] };
      const services = {
        starttls: `xmpp://127.0.0.1:${server.c2sPort}`,
        "direct TLS": `xmpps://localhost:${server.directTlsPort}`,
        ws: server.wsUrl,
        wss: server.wssUrl,
      };
      for (const [name, service] of Object.entries(services)) {
        await t.step(name, async () => {
          const xmpp = createClient({
            jid: "alice@localhost",
            password: "pw",
            service,
            tls,
            transports: nodeTransports,
          });
          try {
            await xmpp.start();
            const pong = await xmpp.iq(
              xml(
                "iq",
                { type: "get", to: "localhost" },
                xml("ping", { xmlns: "urn:xmpp:ping" }),
              ),
            );
            assertStrictEquals(pong.attrs.type, "result");
          } finally {
            await xmpp.stop();
          }
        });
      }
      await t.step(
        "a server certificate no CA vouches for: TLSError",
        async () => {
          for (
            const service of [services.starttls, services["direct TLS"]]
          ) {
            const xmpp = createClient({
              jid: "alice@localhost",
              password: "pw",
              service,
              transports: nodeTransports,
            });
            await assertRejects(() => xmpp.start(), TLSError);
            await xmpp.stop();
          }
        },
      );
    } finally {
      await server.stop();
    }
  },
});

Deno.test("nodeTransports: a closed port is a ConnectionError from start()", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = l.addr.port;
  l.close();
  for (
    const service of [`xmpp://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`]
  ) {
    const xmpp = createClient({
      jid: "alice@localhost",
      password: "pw",
      service,
      transports: nodeTransports,
    });
    await assertRejects(() => xmpp.start(), ConnectionError);
    await xmpp.stop();
  }
});

Deno.test("node sockets in a runtime without node:net: start() rejects with a ConnectionError", async () => {
  // A runtime that has no node:net (an edge worker, say), simulated: the
  // modules fail to load on the first dial, as a missing module does.
  const sockets = makeNodeSockets(() =>
    Promise.reject(new TypeError("Cannot find module 'node:net'"))
  );
  const transports = {
    xmpp: socketTransport(false, sockets),
    xmpps: socketTransport(true, sockets),
    ws: makeSocketWebsocketTransport({ sockets }),
  };
  for (
    const service of [
      "xmpp://127.0.0.1:5222",
      "xmpps://localhost:5223",
      "ws://127.0.0.1:5280/xmpp-websocket",
    ]
  ) {
    const xmpp = createClient({
      jid: "alice@localhost",
      password: "pw",
      service,
      transports,
    });
    const err = await assertRejects(() => xmpp.start(), ConnectionError);
    assertMatch(err.message, /node:net/);
    await xmpp.stop();
  }
});

/**
 * A hostile server on a loopback socket: after the client's stream header
 * it writes `answer` (then closes when `close`).
 */
function hostileServer(answer: string, close: boolean) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    for await (const conn of listener) {
      try {
        await conn.read(new Uint8Array(4096));
        const bytes = new TextEncoder().encode(answer);
        for (let n = 0; n < bytes.length;) {
          n += await conn.write(bytes.subarray(n));
        }
        if (close) conn.close();
        else await conn.read(new Uint8Array(4096)).catch(() => null);
      } catch { /* the client went away */ }
      try {
        conn.close();
      } catch { /* closed */ }
    }
  })();
  return {
    port: listener.addr.port,
    async stop() {
      listener.close();
      await done;
    },
  };
}

Deno.test("nodeTransports: what a hostile server writes is a typed error from start(), never a crash", async (t) => {
  const header =
    "<?xml version='1.0'?><stream:stream from='localhost' id='x' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  // deno-lint-ignore no-explicit-any
  const cases: [string, string, boolean, new (...a: any[]) => Error][] = [
    [
      "an oversized stanza",
      `${header}<message>${"A".repeat(200_000)}</message>`,
      false,
      StreamError,
    ],
    ["malformed XML", `${header}<<message/>`, false, StreamError],
    [
      "a stanza nested too deep",
      `${header}${"<x>".repeat(500)}`,
      false,
      StreamError,
    ],
    [
      "a socket closed in the middle of a stanza",
      `${header}<message><bo`,
      true,
      ConnectionError,
    ],
  ];
  for (const [name, answer, close, errorClass] of cases) {
    await t.step(name, async () => {
      const server = hostileServer(answer, close);
      const xmpp = createClient({
        jid: "alice@localhost",
        password: "pw",
        service: `xmpp://127.0.0.1:${server.port}`,
        transports: nodeTransports,
        maxStanzaSize: 65536,
        // bad input before the first login ends the stream with a stream
        // error and start() rejects with it at once (as with Deno's
        // transports), long before negotiation would run out of time
        negotiationTimeout: 60_000,
      });
      try {
        await assertRejects(() => xmpp.start(), errorClass);
      } finally {
        await xmpp.stop();
        await server.stop();
      }
    });
  }
});
