/**
 * A hostile server before login: whatever it sends in any negotiation phase
 * (after the stream header, after `<starttls/>`, during SASL, in the features
 * after SASL, while binding) that is malformed, too deep, too large, binary
 * garbage, a second stream header or an element the phase does not expect
 * ends the stream at once with the matching stream error, sent to the server,
 * and `start()` rejects with a typed `StreamError` — not a `TimeoutError`
 * after `negotiationTimeout` (set to 60 s here: the test would time out if it
 * waited). With reconnect on, a reconnect that meets bad input is retried
 * like one ended by any other stream error.
 *
 * Scripted in-process servers (`startFakeServers` in `./_helpers.ts`).
 *
 * @module
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import type { ConnectionOptions } from "../actors/connection/connection.ts";
import { StreamError } from "../src/errors.ts";
import { XmlStream } from "../src/xml_stream.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  CLIENT_HEADER_END,
  fakeLogin,
  type FakeSession,
  SERVER_HEADER,
  startFakeServers,
} from "./_helpers.ts";

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const PLAIN_FEATURES =
  `<stream:features><mechanisms xmlns='${SASL}'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`;

/** Script steps up to the phase; then the payload is written. */
const phases: Record<string, (s: FakeSession) => Promise<void>> = {
  "after the stream header": async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(SERVER_HEADER);
  },
  "after <starttls/>": async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(
      SERVER_HEADER +
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
    );
    await s.readUntil("/>");
  },
  "during SASL": async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(SERVER_HEADER + PLAIN_FEATURES);
    await s.readUntil("</auth>");
  },
  "after SASL, before the features": async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(SERVER_HEADER + PLAIN_FEATURES);
    await s.readUntil("</auth>");
    await s.write(`<success xmlns='${SASL}'/>`);
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(SERVER_HEADER);
  },
  "while binding": async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(SERVER_HEADER + PLAIN_FEATURES);
    await s.readUntil("</auth>");
    await s.write(`<success xmlns='${SASL}'/>`);
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(
      SERVER_HEADER +
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
    );
    await s.readUntil("</iq>");
  },
};

/** What the server sends, and the stream error it must cause. */
const payloads: [string, string, string][] = [
  ["malformed XML", "<stream:features></iq>", "not-well-formed"],
  [
    "a stanza too deep",
    `<message>${"<x>".repeat(200)}${"</x>".repeat(200)}</message>`,
    "policy-violation",
  ],
  [
    "an oversized element",
    `<message><body>${"x".repeat(5000)}</body></message>`,
    "policy-violation",
  ],
  [
    "a stanza too deep that never ends",
    `<message>${"<x>".repeat(200)}`,
    "policy-violation",
  ],
  [
    "an oversized element that never ends",
    `<message><body>${"x".repeat(5000)}`,
    "policy-violation",
  ],
  [
    "binary garbage",
    "\u0000\u0001\u00ff\ufffd\u0002garbage",
    "not-well-formed",
  ],
  // with its XML declaration: a processing instruction inside the stream
  ["a second stream header", SERVER_HEADER, "restricted-xml"],
  [
    "a second stream header (no XML declaration) and features",
    SERVER_HEADER.replace("<?xml version='1.0'?>", "") + PLAIN_FEATURES,
    "unsupported-stanza-type",
  ],
  [
    "an unexpected top-level element",
    "<message from='mallory@evil'><body>hi</body></message>",
    "unsupported-stanza-type",
  ],
  [
    "an unknown top-level element",
    "<secret-of-the-server xmlns='urn:evil'/>",
    "unsupported-stanza-type",
  ],
];

function client(port: number, extra: Partial<ConnectionOptions> = {}) {
  return new DenoConnection({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    allowPlainWithoutTls: true,
    allowUnencrypted: true,
    maxStanzaSize: 1000,
    negotiationTimeout: 60_000,
    reconnect: { enabled: false },
    ...extra,
  });
}

for (const [phase, reach] of Object.entries(phases)) {
  for (const [what, payload, condition] of payloads) {
    Deno.test(`start() rejects at once with ${condition} on ${what} ${phase}`, async () => {
      const server = startFakeServers(async (s) => {
        await reach(s);
        await s.write(payload);
        await s.readUntil("</stream:stream>");
      });
      const c = client(server.port);
      const statuses: string[] = [];
      c.on("status", (st) => statuses.push(st));
      try {
        const err = await assertRejects(() => c.start(), StreamError);
        assertEquals((err as StreamError).condition, condition);
        // no server-chosen text in what the user sees
        assert(!/mallory|secret-of-the-server/.test(err.message), err.message);
        assert(
          server.received().includes(
            `<${condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>`,
          ),
          `stream error sent to the server: ${server.received().slice(-300)}`,
        );
        assert(!statuses.includes("online"), statuses.join());
        assertEquals(c.status, "failed");
        await server.done;
      } finally {
        await c.stop();
        await server.close();
      }
    });
  }
}

Deno.test("A reconnect ended by bad input before login is retried as after any stream error", async () => {
  const server = startFakeServers(async (s) => {
    await fakeLogin(s);
    await s.write("</stream:stream>");
  }, async (s) => {
    await phases["during SASL"](s);
    await s.write("<message/>");
    await s.readUntil("</stream:stream>");
  }, async (s) => {
    await fakeLogin(s);
    await s.readUntil("</stream:stream>");
  });
  const c = client(server.port, { reconnect: { initialDelay: 1 } });
  const errors: Error[] = [];
  c.on("error", (e) => errors.push(e));
  const statuses: string[] = [];
  let back!: () => void;
  const backOnline = new Promise<void>((r) => back = r);
  let onlines = 0;
  c.on("status", (st) => {
    statuses.push(st);
    if (st === "online" && ++onlines === 2) back();
  });
  try {
    await c.start();
    await backOnline;
    const stream = errors.filter((e) => e instanceof StreamError);
    assertEquals(
      stream.map((e) => (e as StreamError).condition),
      ["unsupported-stanza-type"],
    );
    assertEquals(statuses.filter((s) => s === "reconnecting").length, 2);
    await c.stop();
    await server.done;
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XmlStream ends the stream on a character XML 1.0 forbids, in any chunk, and on a nested stream header", () => {
  const header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  const run = (...chunks: string[]) => {
    const seen: string[] = [];
    const stream = new XmlStream({
      onElement: (el) => seen.push(el.name),
      onError: (err) => seen.push(err.condition),
    });
    for (const c of chunks) stream.write(c);
    return seen.join();
  };
  assertEquals(
    run(header, "<message><body>a\u0000b</body></message>"),
    "not-well-formed",
  );
  assertEquals(
    run(header + "<message><bo", "dy>\u001b</body></message>"),
    "not-well-formed",
  );
  assertEquals(run(header, "<message a='\uFFFF'/>"), "not-well-formed");
  // tab, line feed, carriage return and everything else are fine
  assertEquals(
    run(header, "<message><body>\t\r\n\u00e9\uFFFD\u{1F600}</body></message>"),
    "message",
  );
  assertEquals(
    run(header, "<message/>", "<stream:stream>", "<presence/>"),
    "message,unsupported-stanza-type",
  );
  assertEquals(
    run(
      header,
      "<message/><x:",
      "stream xmlns:x='http://etherx.jabber.org/streams'>",
    ),
    "message,unsupported-stanza-type",
  );
  // an element named stream below the top level is content
  assertEquals(run(header, "<message><stream/></message>"), "message");
});

Deno.test("Online, a forbidden character from the server ends the stream (it reached listeners before)", async () => {
  const server = startFakeServers(async (s) => {
    await fakeLogin(s);
    await s.write(
      "<message from='bob@localhost/r' id='nul'><body>a\u0000b</body></message>",
    );
    await s.readUntil("</stream:stream>");
  });
  const c = client(server.port);
  const seen: string[] = [];
  c.on("stanza", (st) => seen.push(st.attrs.id));
  const failed = new Promise<Error>((r) => c.on("error", r));
  try {
    await c.start();
    const err = await failed;
    assert(err instanceof StreamError, String(err));
    assertEquals(err.condition, "not-well-formed");
    assertEquals(seen, []);
    await server.done;
  } finally {
    await c.stop();
    await server.close();
  }
});
