/**
 * TLS is required by default (issue 21, item 2) and options are checked at
 * `createClient()` (items 14, 17): written as a downgrading server, a
 * careless configuration and a bad option would meet the client.
 */
import { createClient } from "../mod.ts";
import { createClient as createBrowserClient } from "../mod_browser.ts";
import { DenoConnection } from "../actors/connection/deno.ts";
import type { Client } from "../actors/client/client.ts";
import { ConnectionError, TLSError } from "../src/errors.ts";
import { xml } from "../src/deps.ts";
import {
  hasProsody,
  type Prosody,
  requireServers,
  startProsody,
} from "./support/prosody.ts";
import { startProxy } from "./support/proxy.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  CLIENT_HEADER_END,
  SERVER_HEADER,
  startFakeServer,
} from "./_helpers.ts";

const ignore = !hasProsody() && !requireServers();
const dec = new TextDecoder();
const B64_PLAIN = btoa("\0alice\0pw");

/** What a server must never see in clear: any SASL step, the password. */
function assertNoSasl(received: string) {
  for (const bad of ["<auth", "<response", B64_PLAIN, "pw</"]) {
    assert(!received.includes(bad), `server received ${bad}: ${received}`);
  }
}

Deno.test({
  name: "TLS required: a server that offers no STARTTLS gets no SASL",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const server = await startProsody({ starttls: false });
    const proxy = startProxy(server.c2sPort);
    const service = `xmpp://127.0.0.1:${proxy.port}`;
    const clients: Client[] = [];
    const make = (opts: Record<string, unknown> = {}) => {
      const c = createClient({
        jid: "alice@localhost",
        password: "pw",
        service,
        reconnect: { initialDelay: 0 },
        ...opts,
      });
      clients.push(c);
      return c;
    };
    try {
      for (
        const mechanisms of [
          undefined,
          ["PLAIN"],
          ["SCRAM-SHA-1"],
        ]
      ) {
        await t.step(
          `default options, mechanisms ${
            mechanisms ?? "default"
          }: TLSError, no <auth>`,
          async () => {
            const before = proxy.clientBytes().length;
            const c = make(mechanisms ? { saslMechanisms: mechanisms } : {});
            const err = await assertRejects(() => c.start(), TLSError);
            assert(
              err.message.includes("the server offers no STARTTLS"),
              err.message,
            );
            assert(err.message.includes("allowUnencrypted"), err.message);
            const sent = dec.decode(proxy.clientBytes().slice(before));
            assert(sent.includes("<stream:stream"), sent);
            assertNoSasl(sent);
            // not retried: a TLS refusal is final
            assertEquals(c.connection.status, "failed");
            await c.stop();
          },
        );
      }

      await t.step("allowUnencrypted: true logs in with SCRAM", async () => {
        const before = proxy.clientBytes().length;
        const c = make({ allowUnencrypted: true });
        await c.start();
        assertEquals(
          c.connection.actor.getSnapshot().context.mechanism,
          "SCRAM-SHA-1",
        );
        const sent = dec.decode(proxy.clientBytes().slice(before));
        assert(/mechanism=["']SCRAM-SHA-1/.test(sent), sent);
        assert(!sent.includes(B64_PLAIN), "no PLAIN");
        await c.stop();
      });

      await t.step(
        "allowUnencrypted alone keeps PLAIN out of clear",
        async () => {
          const before = proxy.clientBytes().length;
          const c = make({
            allowUnencrypted: true,
            saslMechanisms: ["PLAIN"],
          });
          await assertRejects(() => c.start());
          assertNoSasl(dec.decode(proxy.clientBytes().slice(before)));
          await c.stop();
        },
      );

      await t.step(
        "allowPlainWithoutTls: true alone is the opt-out, PLAIN included",
        async () => {
          const c = make({
            allowPlainWithoutTls: true,
            saslMechanisms: ["PLAIN"],
          });
          await c.start();
          assertEquals(
            c.connection.actor.getSnapshot().context.mechanism,
            "PLAIN",
          );
          await c.stop();
        },
      );
    } finally {
      for (const c of clients) await c.stop().catch(() => {});
      await proxy.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "TLS required: a server offering STARTTLS, client opted out, uses TLS",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startProsody();
    const proxy = startProxy(server.c2sPort);
    const c = createClient({
      jid: "alice@localhost",
      password: "pw",
      service: `xmpp://127.0.0.1:${proxy.port}`,
      tls: { caCerts: [server.caPem] },
      allowUnencrypted: true,
    });
    try {
      await c.start();
      assertEquals(c.connection.actor.getSnapshot().context.secure, true);
      const sent = dec.decode(proxy.clientBytes());
      assert(sent.includes("<starttls"), "STARTTLS used");
      assertNoSasl(sent);
    } finally {
      await c.stop();
      await proxy.close();
      await server.stop();
    }
  },
});

Deno.test("TLS required: a fake server without <starttls/> never gets <auth>", async () => {
  const fake = startFakeServer(async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(
      SERVER_HEADER +
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>",
    );
    // the client closes its stream instead of authenticating
    await s.readUntil("</stream:stream>");
  });
  const c = new DenoConnection({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${fake.port}`,
  });
  try {
    await assertRejects(() => c.start(), TLSError);
    await fake.done;
    assertNoSasl(fake.received());
  } finally {
    await c.stop();
    c.actor.stop();
    await fake.close();
  }
});

Deno.test("ws:// only to loopback unless opted out, at createClient", async (t) => {
  for (const make of [createClient, createBrowserClient]) {
    await t.step(`${make === createClient ? "Deno" : "browser"}`, async () => {
      for (
        const service of [
          "ws://example.org/xmpp-websocket",
          "ws://10.0.0.1:5280/ws",
          "ws://127.0.0.1.example.org/ws",
          "ws://[::2]/ws",
        ]
      ) {
        const err = assertThrows(
          () => make({ jid: "alice@example.org", password: "pw", service }),
          TypeError,
        );
        assert(err.message.includes("ws://"), err.message);
        assert(err.message.includes("allowUnencrypted"), err.message);
        const ok = make({
          jid: "alice@example.org",
          password: "pw",
          service,
          allowUnencrypted: true,
        });
        await ok.stop();
      }
      for (
        const service of [
          "ws://127.0.0.1:5280/ws",
          "ws://127.9.8.7/ws",
          "ws://[::1]:5280/ws",
          "ws://localhost/ws",
          "wss://example.org/ws",
        ]
      ) {
        const ok = make({ jid: "alice@example.org", password: "pw", service });
        await ok.stop();
      }
    });
  }
});

Deno.test("options that send everything in clear need the opt-out", () => {
  const err = assertThrows(
    () =>
      createClient({
        jid: "alice@localhost",
        password: "pw",
        service: "xmpp://127.0.0.1:5222",
        tls: { starttls: false },
      }),
    TypeError,
  );
  assert(err.message.includes("tls.starttls"), err.message);
  assertThrows(
    () =>
      createClient({
        jid: "alice@localhost",
        password: "pw",
        allowUnencrypted: false,
        allowPlainWithoutTls: true,
      }),
    TypeError,
    /allowPlainWithoutTls/,
  );
  assertThrows(
    () =>
      createClient({
        jid: "alice@localhost",
        password: "pw",
        allowUnencrypted: "yes" as unknown as boolean,
      }),
    TypeError,
    /allowUnencrypted/,
  );
});

Deno.test("numeric options are refused at createClient, by name", async (t) => {
  const bad: [string, Record<string, unknown>][] = [
    ["queueLimit", { queueLimit: NaN }],
    ["queueLimit", { queueLimit: 0 }],
    ["maxStanzaSize", { maxStanzaSize: NaN }],
    ["maxStanzaSize", { maxStanzaSize: -1 }],
    ["maxOutgoingStanzaSize", { maxOutgoingStanzaSize: 1.5 }],
    ["maxStanzaDepth", { maxStanzaDepth: 0 }],
    ["iqTimeout", { iqTimeout: -1 }],
    ["iqTimeout", { iqTimeout: "10" }],
    ["negotiationTimeout", { negotiationTimeout: Infinity }],
    ["closeTimeout", { closeTimeout: NaN }],
    ["reconnect.initialDelay", { reconnect: { initialDelay: -5 } }],
    ["reconnect.factor", { reconnect: { factor: NaN } }],
    ["reconnect.jitter", { reconnect: { jitter: 2 } }],
    ["reconnect.maxAttempts", { reconnect: { maxAttempts: 1.5 } }],
    ["streamManagement.ackEvery", { streamManagement: { ackEvery: 0 } }],
    ["streamManagement.ackInterval", {
      streamManagement: { ackInterval: NaN },
    }],
    ["streamManagement.ackDelay", { streamManagement: { ackDelay: -1 } }],
    ["streamManagement.ackDelay", { streamManagement: { ackDelay: 10_001 } }],
    ["streamManagement.ackDelay", { streamManagement: { ackDelay: NaN } }],
    ["streamManagement.ackDelay", { streamManagement: { ackDelay: "5" } }],
  ];
  for (const make of [createClient, createBrowserClient]) {
    for (const [name, opts] of bad) {
      await t.step(`${name} ${JSON.stringify(opts)}`, () => {
        assertThrows(
          () =>
            make({
              jid: "alice@localhost",
              password: "pw",
              service: "wss://localhost/ws",
              ...opts,
            }),
          RangeError,
          new RegExp(`option ${name.replace(".", "\\.")}:`),
        );
      });
    }
  }
});

Deno.test("a bad service is refused at createClient, and on() never throws", async () => {
  for (
    const service of ["", "nope", "http://localhost/", "xmpp://", "wss://"]
  ) {
    assertThrows(
      () => createClient({ jid: "alice@localhost", password: "pw", service }),
      TypeError,
      /service/,
    );
  }
  // The browser client has no TCP transport: refused now, not at on().
  assertThrows(
    () =>
      createBrowserClient({
        jid: "alice@localhost",
        password: "pw",
        service: "xmpp://localhost:5222",
      }),
    TypeError,
    /no transport/,
  );
  // No service in the browser: local use works, on() does not throw, and
  // start() says why it cannot connect.
  const local = createBrowserClient({ jid: "alice@localhost", password: "pw" });
  local.on("status", () => {})();
  await assertRejects(() => local.start(), ConnectionError, /no transport/);
  await local.stop();
  // A good one: on() makes the connection and does not throw.
  const c = createClient({
    jid: "alice@localhost",
    password: "pw",
    service: "xmpps://localhost:5223",
  });
  const off = c.on("status", () => {});
  off();
  await c.stop();
});

Deno.test("wss:// with tls.caCerts: refused in the browser client", () => {
  const err = assertThrows(
    () =>
      createBrowserClient({
        jid: "alice@localhost",
        password: "pw",
        service: "wss://localhost:5281/xmpp-websocket",
        tls: { caCerts: ["-----BEGIN CERTIFICATE-----"] },
      }),
    TypeError,
    /tls\.caCerts/,
  );
  assert(err.message.includes("browser"), err.message);
});

Deno.test({
  name: "wss:// trusts tls.caCerts in Deno (Prosody HTTPS, test CA)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const server: Prosody = await startProsody();
    try {
      await t.step("with the test CA: online over wss://", async () => {
        const c = createClient({
          jid: "alice@localhost/wss",
          password: "pw",
          service: server.wssUrl,
          tls: { caCerts: [server.caPem] },
        });
        try {
          await c.start();
          assertEquals(c.jid, "alice@localhost/wss");
          const ctx = c.connection.actor.getSnapshot().context;
          assertEquals(ctx.secure, true);
          const pong = await c.iq(
            xml(
              "iq",
              { type: "get", to: "localhost" },
              xml("ping", { xmlns: "urn:xmpp:ping" }),
            ),
          );
          assertEquals(pong.attrs.type, "result");
        } finally {
          await c.stop();
        }
      });
      await t.step("without it: the certificate is refused", async () => {
        const c = createClient({
          jid: "alice@localhost/wss",
          password: "pw",
          service: server.wssUrl,
          reconnect: { enabled: false },
        });
        try {
          const err = await assertRejects(() => c.start(), ConnectionError);
          assert(/certificate|UnknownIssuer/i.test(err.message), err.message);
        } finally {
          await c.stop();
        }
      });
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "ws:// to loopback needs no opt-out (SCRAM over the local socket)",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startProsody();
    const c = createClient({
      jid: "alice@localhost/ws",
      password: "pw",
      service: server.wsUrl,
    });
    try {
      await c.start();
      assertEquals(
        c.connection.actor.getSnapshot().context.mechanism?.startsWith(
          "SCRAM",
        ),
        true,
      );
    } finally {
      await c.stop();
      await server.stop();
    }
  },
});
