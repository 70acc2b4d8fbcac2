/**
 * The Deno WebSocket transport against a real Prosody: `ws://` and `wss://`
 * (the test CA through `tls.caCerts`) with stream management on, BoB fetches
 * both ways between a WebSocket client and a TCP (STARTTLS) client, sizes
 * that need the 16- and 64-bit frame lengths, and many fetches in flight.
 *
 * @module
 */
import { createClient, xml } from "../mod.ts";
import type { Client } from "../actors/client/client.ts";
import { denoTransports } from "../actors/connection/deno.ts";
import { socketWebsocketTransport } from "../actors/transport/websocket_socket.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { assert, assertEquals } from "./_helpers.ts";

const ignore = !hasProsody() && !requireServers();

function blob(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) % 256);
}

function smOn(c: Client): boolean {
  return c.connection.actor.getSnapshot().context.smEnabled;
}

for (const scheme of ["ws", "wss"] as const) {
  Deno.test({
    name:
      `${scheme}:// with stream management: BoB both ways with a STARTTLS peer, 16 B to 64 KiB (64-bit frame lengths), 32 in flight`,
    ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const server = await startProsody();
      const tls = { caCerts: [server.caPem] };
      const streamManagement = { enabled: true };
      const alice = createClient({
        jid: `alice@localhost/${scheme}`,
        password: "pw",
        service: scheme === "ws" ? server.wsUrl : server.wssUrl,
        tls,
        streamManagement,
      });
      const bob = createClient({
        jid: "bob@localhost/tcp",
        password: "pw",
        service: `xmpp://127.0.0.1:${server.c2sPort}`,
        tls,
        streamManagement,
      });
      try {
        // the Deno client serves ws:// and wss:// with this transport
        assertEquals(denoTransports[scheme], socketWebsocketTransport);
        await Promise.all([alice.start(), bob.start()]);
        assert(smOn(alice) && smOn(bob), "stream management is on");
        assertEquals(
          alice.connection.actor.getSnapshot().context.secure,
          scheme === "wss",
        );
        const mine = alice.registerPlugin("xep_0231");
        const theirs = bob.registerPlugin("xep_0231");
        for (const size of [16, 4096, 61_440, 65_536]) {
          const a = blob(size, 1), b = blob(size, 2);
          const fromBob = await theirs.setBob(b, "image/png");
          const fromAlice = await mine.setBob(a, "image/png");
          const got = await mine.getBob({
            cid: fromBob,
            jid: bob.jid!,
            cached: false,
          });
          assertEquals(got.data, b);
          const back = await theirs.getBob({
            cid: fromAlice,
            jid: alice.jid!,
            cached: false,
          });
          assertEquals(back.data, a);
        }
        const cids = await Promise.all(
          Array.from(
            { length: 32 },
            (_, k) => theirs.setBob(blob(4096, k + 10), "image/png"),
          ),
        );
        const all = await Promise.all(
          cids.map((cid) => mine.getBob({ cid, jid: bob.jid!, cached: false })),
        );
        all.forEach((g, k) => assertEquals(g.data, blob(4096, k + 10)));
        assert(smOn(alice), "still stream-managed");
      } finally {
        await Promise.all([alice.stop(), bob.stop()]);
        await server.stop();
      }
    },
  });
}

Deno.test({
  name:
    "ws:// a peer's IQ over maxStanzaSize is skipped and answered policy-violation; the session stays up",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startProsody();
    const alice = createClient({
      jid: "alice@localhost/ws",
      password: "pw",
      service: server.wsUrl,
      allowPlainWithoutTls: true,
      maxStanzaSize: 2000,
    });
    const eve = createClient({
      jid: "bob@localhost/tcp",
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    });
    try {
      await Promise.all([alice.start(), eve.start()]);
      // Over 3 × 2000 bytes: the transport reads past it without keeping it.
      const big = xml(
        "iq",
        { type: "get", to: alice.jid! },
        xml("query", { xmlns: "urn:example:big" }, "x".repeat(10_000)),
      );
      const err = await eve.iq(big).then(() => undefined, (e) => e);
      assertEquals(err?.condition, "policy-violation");
      // still online: an ordinary IQ after it is answered by alice
      alice.registerPlugin("xep_0030");
      const info = await eve.iq(
        xml(
          "iq",
          { type: "get", to: alice.jid! },
          xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
        ),
      );
      assertEquals(info.attrs.type, "result");
      assertEquals(alice.connection.actor.getSnapshot().value, {
        session: "online",
      });
    } finally {
      await Promise.all([alice.stop(), eve.stop()]);
      await server.stop();
    }
  },
});
