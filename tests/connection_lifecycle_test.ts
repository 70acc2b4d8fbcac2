/**
 * Hardening of the connection's life cycle: listeners that throw, calls
 * after `stop()`, servers that stall during negotiation, and the checks of
 * numeric options. Scripted fake servers stand in for misbehaving peers.
 *
 * @module
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import type { ConnectionOptions } from "../actors/connection/connection.ts";
import { createClient, xml } from "../mod.ts";
import { ClientStoppedError, TimeoutError } from "../src/errors.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  CLIENT_HEADER_END,
  fakeLogin,
  type FakeSession,
  SERVER_HEADER,
  startFakeServer,
} from "./_helpers.ts";

function fakeClient(port: number, extra: Partial<ConnectionOptions> = {}) {
  return new DenoConnection({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    allowPlainWithoutTls: true,
    reconnect: { enabled: false },
    closeTimeout: 50,
    ...extra,
  });
}

const ping = () =>
  xml("iq", { type: "get" }, xml("ping", { xmlns: "urn:xmpp:ping" }));

Deno.test("Connection.on() reports a throwing listener as an error event and stays online", async () => {
  const server = startFakeServer(async (s) => {
    await fakeLogin(s);
    await s.write("<message from='bob@localhost/b'><body>1</body></message>");
    await s.write("<message from='bob@localhost/b'><body>2</body></message>");
    await s.readUntil("</stream:stream>");
  });
  const c = fakeClient(server.port);
  const errors: Error[] = [];
  const bodies: string[] = [];
  let statusThrows = true;
  c.on("error", (e) => errors.push(e));
  c.on("stanza", (s) => {
    bodies.push(s.getChildText("body") ?? "");
    throw new RangeError(`listener bug ${bodies.length}`);
  });
  c.on("status", () => {
    if (statusThrows) throw new Error("status listener bug");
  });
  c.on("online", () => {
    throw new Error("online listener bug");
  });
  try {
    await c.start();
    statusThrows = false;
    for (let i = 0; i < 100 && bodies.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 10));
    assertEquals(bodies, ["1", "2"]);
    assertEquals(c.status, "online");
    const messages = errors.map((e) => e.message);
    assert(messages.includes("listener bug 1"), String(messages));
    assert(messages.includes("listener bug 2"), String(messages));
    assert(messages.includes("online listener bug"), String(messages));
    assert(messages.includes("status listener bug"), String(messages));
    // an error listener that throws is not fed back to itself
    c.on("error", () => {
      throw new Error("error listener bug");
    });
    c.actor.send({
      type: "connection.handlerError",
      error: new Error("once"),
    });
    await new Promise((r) => setTimeout(r, 10));
    assertEquals(errors.filter((e) => e.message === "once").length, 1);
  } finally {
    await c.stop();
    await server.close();
  }
});

for (
  const [phase, script] of [
    ["opening (silent after accept)", async (s: FakeSession) => {
      await s.readUntil(CLIENT_HEADER_END);
      await s.readUntil("</stream:stream>");
    }],
    ["negotiating (no features)", async (s: FakeSession) => {
      await s.readUntil(CLIENT_HEADER_END);
      await s.write(SERVER_HEADER);
      await s.readUntil("</stream:stream>");
    }],
    ["authenticating (silent in SASL)", async (s: FakeSession) => {
      await s.readUntil(CLIENT_HEADER_END);
      await s.write(
        SERVER_HEADER +
          "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
      );
      await s.readUntil("</auth>");
      await s.readUntil("</stream:stream>");
    }],
    ["binding (no bind answer)", async (s: FakeSession) => {
      await s.readUntil(CLIENT_HEADER_END);
      await s.write(
        SERVER_HEADER +
          "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
      );
      await s.readUntil("</auth>");
      await s.write("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
      await s.readUntil(CLIENT_HEADER_END);
      await s.write(
        SERVER_HEADER +
          "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
      );
      await s.readUntil("</stream:stream>");
    }],
  ] as const
) {
  Deno.test(`Connection.start() rejects with TimeoutError when the server stalls in ${phase}`, async () => {
    const server = startFakeServer(script);
    const c = fakeClient(server.port, { negotiationTimeout: 150 });
    const t0 = performance.now();
    try {
      const err = await assertRejects(c.start(), TimeoutError);
      assert(/within 150 ms/.test(err.message), err.message);
      assert(performance.now() - t0 < 2000, "rejected promptly");
      assertEquals(c.status, "failed");
    } finally {
      await c.stop();
      await server.close();
    }
  });
}

Deno.test("Connection.start() rejects with TimeoutError when TCP connects and nothing more happens", async () => {
  // a listener that never accepts: the kernel completes the handshake
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const c = fakeClient(port, { negotiationTimeout: 100 });
  try {
    await assertRejects(c.start(), TimeoutError);
  } finally {
    await c.stop();
    listener.close();
  }
});

Deno.test("Client after stop(): start, iq and send fail at once with ClientStoppedError", async () => {
  for (const touched of [false, true]) {
    const xmpp = createClient({
      jid: "alice@localhost",
      password: "pw",
      service: "xmpp://127.0.0.1:1",
    });
    if (touched) xmpp.connection; // the connection exists before stop()
    await xmpp.stop();
    await assertRejects(xmpp.start(), ClientStoppedError);
    await assertRejects(
      xmpp.iq(ping(), { timeout: 60_000 }),
      ClientStoppedError,
    );
    assertThrows(() => xmpp.send(xml("message")), ClientStoppedError);
    assertThrows(
      () => xmpp.handle("message", {}, () => {}),
      ClientStoppedError,
    );
    xmpp.on("stanza", () => {})(); // a no-op, makes no connection
  }
});

Deno.test("Connection after stop(): send and iq fail with ClientStoppedError until start()", async () => {
  let accepted = 0;
  const server = startFakeServer(async (s) => {
    accepted++;
    await fakeLogin(s);
    await s.readUntil("</stream:stream>");
    await s.write("</stream:stream>");
  });
  const c = fakeClient(server.port);
  try {
    await c.stop();
    assertThrows(() => c.send(xml("message")), ClientStoppedError);
    await assertRejects(c.iq(ping(), { timeout: 60_000 }), ClientStoppedError);
    // a stopped connection can be started again
    await c.start();
    assertEquals(c.status, "online");
    assertEquals(accepted, 1);
    c.send(xml("presence"));
    await c.stop();
    assertThrows(() => c.send(xml("message")), ClientStoppedError);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("Connection whose actor is stopped: start, iq and send fail with ClientStoppedError", async () => {
  const c = fakeClient(1);
  c.actor.stop();
  await assertRejects(c.start(), ClientStoppedError);
  await assertRejects(c.iq(ping()), ClientStoppedError);
  assertThrows(() => c.send(xml("message")), ClientStoppedError);
  await c.stop();
});

Deno.test("Connection checks every numeric option at construction with a RangeError naming it", () => {
  const base = { jid: "alice@localhost", password: "pw" };
  const bad = [NaN, Infinity, -1, 0, 1.5, "5" as unknown as number];
  const options: [string, (v: number) => Partial<ConnectionOptions>][] = [
    ["iqTimeout", (v) => ({ iqTimeout: v })],
    ["maxStanzaSize", (v) => ({ maxStanzaSize: v })],
    ["maxOutgoingStanzaSize", (v) => ({ maxOutgoingStanzaSize: v })],
    ["maxStanzaDepth", (v) => ({ maxStanzaDepth: v })],
    ["queueLimit", (v) => ({ queueLimit: v })],
    ["closeTimeout", (v) => ({ closeTimeout: v })],
    ["negotiationTimeout", (v) => ({ negotiationTimeout: v })],
    ["reconnect.initialDelay", (v) => ({ reconnect: { initialDelay: v } })],
    ["reconnect.maxDelay", (v) => ({ reconnect: { maxDelay: v } })],
    ["reconnect.factor", (v) => ({ reconnect: { factor: v } })],
    ["reconnect.jitter", (v) => ({ reconnect: { jitter: v } })],
    ["reconnect.maxAttempts", (v) => ({ reconnect: { maxAttempts: v } })],
  ];
  for (const [name, make] of options) {
    for (const v of bad) {
      // 0 is a valid delay, jitter or attempt count; 1.5 a valid factor,
      // jitter or delay
      if (v === 0 && /initialDelay|jitter|maxAttempts/.test(name)) continue;
      if (v === 1.5 && /Delay|factor|Timeout|jitter/.test(name)) continue;
      if (v === Infinity && name === "reconnect.maxAttempts") continue;
      assertThrows(
        () => new DenoConnection({ ...base, ...make(v) }),
        RangeError,
        new RegExp(`Invalid option ${name.replace(".", "\\.")}`),
      );
    }
  }
  assertThrows(
    () => new DenoConnection({ ...base, reconnect: { jitter: 2 } }),
    RangeError,
    /reconnect\.jitter/,
  );
  assertThrows(
    () => new DenoConnection({ ...base, maxStanzaDepth: 5000 }),
    RangeError,
    /maxStanzaDepth/,
  );
  assertThrows(
    () => createClient({ ...base, queueLimit: NaN }).connection,
    RangeError,
    /queueLimit/,
  );
  // valid values pass
  new DenoConnection({
    ...base,
    reconnect: { initialDelay: 0, jitter: 0, maxAttempts: 0, factor: 1 },
  }).actor.stop();
});

Deno.test("Connection.iq() rejects a NaN, infinite or negative per-call timeout with a RangeError", async () => {
  const c = fakeClient(1);
  try {
    for (const timeout of [NaN, Infinity, -1, 0, 2 ** 31]) {
      await assertRejects(
        c.iq(ping(), { timeout }),
        RangeError,
        /Invalid option timeout/,
      );
    }
    assertEquals(c.actor.getSnapshot().context.queue.length, 0);
  } finally {
    await c.stop();
  }
});
