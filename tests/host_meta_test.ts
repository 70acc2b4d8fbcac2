import { Connection } from "../actors/connection/connection.ts";
import { discoverWebSocket, REL_WEBSOCKET } from "../src/host_meta.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { assertEquals } from "./_helpers.ts";

/** A tiny HTTP server serving `files` by path. */
function serve(files: Record<string, string>) {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    (req) => {
      const body = files[new URL(req.url).pathname];
      return body === undefined
        ? new Response("not found", { status: 404 })
        : new Response(body);
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

const xrd = (href: string) =>
  `<?xml version='1.0' encoding='utf-8'?>
<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
  <Link rel="urn:xmpp:alt-connections:xbosh" href="https://example.org/bosh"/>
  <Link rel="${REL_WEBSOCKET}" href="${href}"/>
</XRD>`;

Deno.test("discoverWebSocket() reads host-meta.json, then host-meta (XRD)", async (t) => {
  await t.step("JSON first", async () => {
    const http = serve({
      "/.well-known/host-meta.json": JSON.stringify({
        links: [
          { rel: "urn:xmpp:alt-connections:xbosh", href: "https://x/bosh" },
          { rel: REL_WEBSOCKET, href: "wss://x.example/ws" },
        ],
      }),
      "/.well-known/host-meta": xrd("wss://y.example/ws"),
    });
    try {
      assertEquals(
        await discoverWebSocket("x.example", { origin: http.origin }),
        "wss://x.example/ws",
      );
    } finally {
      await http.close();
    }
  });
  await t.step("XRD when there is no JSON; ws: only when allowed", async () => {
    const http = serve({ "/.well-known/host-meta": xrd("ws://y.example/ws") });
    try {
      assertEquals(
        await discoverWebSocket("y.example", { origin: http.origin }),
        undefined,
      );
      assertEquals(
        await discoverWebSocket("y.example", {
          origin: http.origin,
          allowInsecure: true,
        }),
        "ws://y.example/ws",
      );
    } finally {
      await http.close();
    }
  });
  await t.step("nothing served, nothing found", async () => {
    const http = serve({});
    try {
      assertEquals(
        await discoverWebSocket("z.example", { origin: http.origin }),
        undefined,
      );
    } finally {
      await http.close();
    }
  });
});

Deno.test({
  name:
    "discoverWebSocket() finds Prosody's WebSocket endpoint and a Connection uses it",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const server = await startProsody();
    const http = serve({ "/.well-known/host-meta": xrd(server.wsUrl) });
    try {
      const service = await discoverWebSocket("localhost", {
        origin: http.origin,
        allowInsecure: true,
      });
      assertEquals(service, server.wsUrl);
      const c = new Connection({
        jid: "alice@localhost/hm",
        password: "pw",
        service,
      });
      try {
        await c.start();
        assertEquals(c.jid, "alice@localhost/hm");
      } finally {
        await c.stop();
      }
    } finally {
      await http.close();
      await server.stop();
    }
  },
});
