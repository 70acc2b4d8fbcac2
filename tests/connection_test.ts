import { DenoConnection } from "../actors/connection/deno.ts";
import {
  Connection,
  type ConnectionOptions,
} from "../actors/connection/connection.ts";
import { type Element, xml } from "../src/deps.ts";
import {
  ClientStoppedError,
  ConnectionError,
  ItemNotFound,
  QueueOverflowError,
  SASLError,
  StanzaError,
  StreamError,
  TimeoutError,
  TLSError,
} from "../src/errors.ts";
import type { ConnectionStatus } from "../actors/connection/machine.ts";
import {
  hasProsody,
  type Prosody,
  requireServers,
  startProsody,
} from "./support/prosody.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  CLIENT_HEADER_END,
  fakeLogin,
  SERVER_HEADER,
  startFakeServer,
  startFakeServers,
} from "./_helpers.ts";

const ignore = !hasProsody() && !requireServers();
const PING_NS = "urn:xmpp:ping";

function ping(to?: string): Element {
  return xml(
    "iq",
    { type: "get", ...(to ? { to } : {}) },
    xml("ping", { xmlns: PING_NS }),
  );
}

/** Records statuses; `reach(s)` resolves when status `s` is (or was) reached. */
function track(conn: Connection) {
  const seen: ConnectionStatus[] = [];
  const waiters: [ConnectionStatus, () => void][] = [];
  conn.on("status", (s) => {
    seen.push(s);
    for (const [w, r] of waiters) if (w === s) r();
  });
  return {
    seen,
    reach(s: ConnectionStatus): Promise<void> {
      if (conn.status === s) return Promise.resolve();
      return new Promise((r) => waiters.push([s, r]));
    },
  };
}

function nextStanza(
  conn: Connection,
  pred: (s: Element) => boolean,
): Promise<Element> {
  return new Promise((resolve) => {
    const off = conn.on("stanza", (s) => {
      if (pred(s)) {
        off();
        resolve(s);
      }
    });
  });
}

Deno.test({
  name: "Connection against a real Prosody",
  ignore,
  async fn(t) {
    const server = await startProsody();
    const plain = `xmpp://127.0.0.1:${server.c2sPort}`;
    const open: Connection[] = [];
    const make = (opts: Partial<ConnectionOptions> & { jid?: string }) => {
      const c = new DenoConnection({
        jid: "alice@localhost",
        password: "pw",
        service: plain,
        tls: { caCerts: [server.caPem] },
        ...opts,
      });
      open.push(c);
      return c;
    };
    try {
      await t.step(
        "logs in over plain TCP with SCRAM-SHA-1 and pings the server",
        async () => {
          const c = make({ tls: { starttls: false }, allowUnencrypted: true });
          const st = track(c);
          await c.start();
          assert(c.jid?.startsWith("alice@localhost/"), `bound ${c.jid}`);
          assert(
            c.jid!.length > "alice@localhost/".length,
            "server-assigned resource",
          );
          const ctx = c.actor.getSnapshot().context;
          assertEquals(ctx.secure, false);
          assertEquals(ctx.mechanism, "SCRAM-SHA-1");
          assert(!st.seen.includes("starttls"));
          const pong = await c.iq(ping("localhost"));
          assertEquals(pong.attrs.type, "result");
          assertEquals(pong.attrs.from, "localhost");
          // an IQ with no 'to' is answered by the server for the account
          assertEquals((await c.iq(ping())).attrs.type, "result");
          await c.stop();
          assertEquals(c.status, "disconnected");
          assertEquals(st.seen.slice(-2), ["closing", "disconnected"]);
        },
      );

      await t.step(
        "upgrades with STARTTLS when the test CA is trusted",
        async () => {
          const c = make({ jid: "alice@localhost/laptop" });
          const st = track(c);
          await c.start();
          assertEquals(c.jid, "alice@localhost/laptop");
          assertEquals(c.actor.getSnapshot().context.secure, true);
          assert(st.seen.includes("starttls"));
          assertEquals((await c.iq(ping("localhost"))).attrs.type, "result");
          await c.stop();
        },
      );

      await t.step(
        "STARTTLS without trusting the CA fails with a TLSError and no reconnect",
        async () => {
          const c = make({ tls: {}, reconnect: { initialDelay: 1 } });
          const st = track(c);
          const err = await assertRejects(c.start(), TLSError);
          assert(/UnknownIssuer|certificate/i.test(err.message), err.message);
          assertEquals(c.status, "failed");
          assert(!st.seen.includes("reconnecting"));
          assert(
            !st.seen.includes("authenticating"),
            "no credentials sent in clear",
          );
        },
      );

      await t.step("connects with direct TLS (xmpps://)", async () => {
        const c = make({
          service: `xmpps://localhost:${server.directTlsPort}`,
        });
        const st = track(c);
        await c.start();
        assertEquals(c.actor.getSnapshot().context.secure, true);
        assert(!st.seen.includes("starttls"));
        assertEquals((await c.iq(ping("localhost"))).attrs.type, "result");
        await c.stop();
      });

      await t.step(
        "direct TLS without trusting the CA fails with a TLSError",
        async () => {
          const c = make({
            service: `xmpps://localhost:${server.directTlsPort}`,
            tls: {},
          });
          await assertRejects(c.start(), TLSError);
        },
      );

      await t.step("connects over WebSocket (RFC 7395)", async () => {
        const c = make({ service: server.wsUrl, jid: "bob@localhost/ws" });
        await c.start();
        assertEquals(c.jid, "bob@localhost/ws");
        assertEquals((await c.iq(ping("localhost"))).attrs.type, "result");
        await c.stop();
      });

      await t.step(
        "uses PLAIN over TLS, refuses it in clear unless allowed",
        async () => {
          const tls = make({ saslMechanisms: ["PLAIN"] });
          await tls.start();
          assertEquals(tls.actor.getSnapshot().context.mechanism, "PLAIN");
          assertEquals(tls.actor.getSnapshot().context.secure, true);
          await tls.stop();

          const clear = make({
            saslMechanisms: ["PLAIN"],
            tls: { starttls: false },
            allowUnencrypted: true,
          });
          const err = await assertRejects(clear.start(), SASLError);
          assertEquals(err.condition, "invalid-mechanism");

          const allowed = make({
            saslMechanisms: ["PLAIN"],
            tls: { starttls: false },
            allowPlainWithoutTls: true,
          });
          await allowed.start();
          assertEquals(allowed.actor.getSnapshot().context.mechanism, "PLAIN");
          await allowed.stop();
        },
      );

      await t.step(
        "a wrong password gives a SASLError and no reconnect loop",
        async () => {
          for (const saslMechanisms of [["SCRAM-SHA-1"], ["PLAIN"]] as const) {
            const c = make({
              password: "wrong",
              saslMechanisms: [...saslMechanisms],
              reconnect: { initialDelay: 1 },
            });
            const st = track(c);
            const err = await assertRejects(c.start(), SASLError);
            assertEquals(err.condition, "not-authorized");
            assertEquals(c.status, "failed");
            assert(!st.seen.includes("reconnecting"));
            assertEquals(st.seen.filter((s) => s === "connecting").length, 1);
          }
        },
      );

      await t.step(
        "IQs, handlers and messages between two of our clients",
        async (t) => {
          const alice = make({ jid: "alice@localhost/a" });
          const bob = make({ jid: "bob@localhost/b" });
          await Promise.all([alice.start(), bob.start()]);
          const seenByHandler: Element[] = [];
          const offData = bob.handle("iq", {
            type: "get",
            name: "data",
            xmlns: "urn:xmpp:bob",
          }, (iq) => {
            seenByHandler.push(iq);
            const cid = iq.getChild("data")!.attrs.cid;
            if (cid === "missing") throw new ItemNotFound("no such cid");
            if (cid === "boom") throw new Error("handler bug");
            if (cid === "async") {
              return Promise.resolve(
                xml("data", { xmlns: "urn:xmpp:bob", cid }, "AA=="),
              );
            }
            return xml("data", { xmlns: "urn:xmpp:bob", cid }, "AQID");
          });
          const get = (cid: string) =>
            xml(
              "iq",
              { type: "get", to: "bob@localhost/b" },
              xml("data", { xmlns: "urn:xmpp:bob", cid }),
            );

          await t.step("the handler's payload is the result", async () => {
            const res = await alice.iq(get("x"));
            assertEquals(res.attrs.from, "bob@localhost/b");
            assertEquals(
              res.getChild("data", "urn:xmpp:bob")?.getText(),
              "AQID",
            );
            assertEquals(seenByHandler[0].attrs.from, "alice@localhost/a");
            assertEquals(
              (await alice.iq(get("async"))).getChild("data")?.getText(),
              "AA==",
            );
          });

          await t.step(
            "a thrown condition becomes that stanza error",
            async () => {
              const err = await assertRejects(
                alice.iq(get("missing")),
                StanzaError,
              );
              assertEquals(err.condition, "item-not-found");
              assertEquals(err.type, "cancel");
            },
          );

          await t.step(
            "any other throw becomes internal-server-error",
            async () => {
              const err = await assertRejects(
                alice.iq(get("boom")),
                StanzaError,
              );
              assertEquals(err.condition, "internal-server-error");
            },
          );

          await t.step(
            "an IQ nobody handles is answered service-unavailable",
            async () => {
              const err = await assertRejects(
                alice.iq(
                  xml(
                    "iq",
                    { type: "set", to: "bob@localhost/b" },
                    xml("q", { xmlns: "urn:example:none" }),
                  ),
                ),
                StanzaError,
              );
              assertEquals(err.condition, "service-unavailable");
              offData();
              const after = await assertRejects(
                alice.iq(get("x")),
                StanzaError,
              );
              assertEquals(
                after.condition,
                "service-unavailable",
                "unregistered handler",
              );
            },
          );

          await t.step("a message arrives", async () => {
            const got = nextStanza(bob, (s) => s.name === "message");
            const messages: Element[] = [];
            const off = bob.handle(
              "message",
              { type: "chat", name: "body" },
              (m) => {
                messages.push(m);
              },
            );
            alice.send(
              xml(
                "message",
                { to: "bob@localhost/b", type: "chat" },
                xml("body", {}, "hi"),
              ),
            );
            const m = await got;
            assertEquals(m.getChildText("body"), "hi");
            assertEquals(m.attrs.from, "alice@localhost/a");
            assertEquals(messages.length, 1);
            off();
          });

          await t.step(
            "a spoofed result from a third client does not resolve a pending IQ",
            async () => {
              const carol = make({ jid: "carol@localhost/c" });
              await carol.start();
              let release!: () => void;
              const held = new Promise<void>((r) => (release = r));
              const off = bob.handle("iq", {
                type: "get",
                name: "slow",
                xmlns: "urn:example",
              }, async () => {
                await held;
                return xml("slow", { xmlns: "urn:example" }, "from bob");
              });
              let settled = false;
              const pending = alice.iq(
                xml("iq", {
                  type: "get",
                  to: "bob@localhost/b",
                  id: "spoof-me",
                }, xml("slow", { xmlns: "urn:example" })),
              ).finally(() => (settled = true));
              const spoofSeen = nextStanza(
                alice,
                (s) => s.attrs.from === "carol@localhost/c",
              );
              carol.send(
                xml("iq", {
                  type: "result",
                  id: "spoof-me",
                  to: "alice@localhost/a",
                }, xml("slow", { xmlns: "urn:example" }, "forged")),
              );
              await spoofSeen;
              assertEquals(settled, false);
              release();
              const res = await pending;
              assertEquals(res.attrs.from, "bob@localhost/b");
              assertEquals(res.getChildText("slow"), "from bob");
              off();
              await carol.stop();
            },
          );

          await t.step(
            "an IQ to a JID that never answers times out",
            async () => {
              const off = bob.handle("iq", {
                type: "get",
                name: "never",
                xmlns: "urn:example",
              }, () => new Promise(() => {}));
              const err = await assertRejects(
                alice.iq(
                  xml(
                    "iq",
                    { type: "get", to: "bob@localhost/b" },
                    xml("never", { xmlns: "urn:example" }),
                  ),
                  { timeout: 100 },
                ),
                TimeoutError,
              );
              assert(err.message.includes("no reply"));
              off();
            },
          );

          await t.step(
            "an IQ to an absent resource is answered with an error by the server",
            async () => {
              const err = await assertRejects(
                alice.iq(ping("bob@localhost/nobody")),
                StanzaError,
              );
              assertEquals(err.condition, "service-unavailable");
            },
          );

          await Promise.all([alice.stop(), bob.stop()]);
        },
      );

      await t.step(
        "stanzas sent before start are queued and flushed in order",
        async () => {
          const bob = make({ jid: "bob@localhost/q" });
          await bob.start();
          const bodies: string[] = [];
          const all = new Promise<void>((resolve) => {
            bob.on("stanza", (s) => {
              if (s.name !== "message") return;
              bodies.push(s.getChildText("body")!);
              if (bodies.length === 3) resolve();
            });
          });
          const alice = make({ jid: "alice@localhost/q" });
          for (const b of ["1", "2", "3"]) {
            alice.send(
              xml("message", { to: "bob@localhost/q" }, xml("body", {}, b)),
            );
          }
          const pong = alice.iq(ping("localhost"));
          await alice.start();
          await all;
          assertEquals(bodies, ["1", "2", "3"]);
          assertEquals((await pong).attrs.type, "result");
          await Promise.all([alice.stop(), bob.stop()]);
        },
      );

      await t.step(
        "a full queue is a typed error, not silent loss",
        async () => {
          const c = make({ queueLimit: 2 });
          c.send(xml("presence"));
          c.send(xml("presence"));
          const err = assertThrows(
            () => c.send(xml("presence")),
            QueueOverflowError,
          );
          assertEquals(err.limit, 2);
          await assertRejects(c.iq(ping("localhost")), QueueOverflowError);
          await c.stop(); // stopped before start: queue dropped, nothing to close
        },
      );

      await t.step(
        "stop() rejects queued IQs with ClientStoppedError",
        async () => {
          const c = make({});
          const queued = assertRejects(
            c.iq(ping("localhost")),
            ClientStoppedError,
          );
          await c.stop();
          await queued;
        },
      );

      await t.step(
        "stop() rejects IQs in flight with ClientStoppedError",
        async () => {
          const alice = make({ jid: "alice@localhost/f" });
          const bob = make({ jid: "bob@localhost/f" });
          await Promise.all([alice.start(), bob.start()]);
          bob.handle(
            "iq",
            { name: "hold", xmlns: "urn:example" },
            () => new Promise(() => {}),
          );
          const held = assertRejects(
            alice.iq(
              xml(
                "iq",
                { type: "get", to: "bob@localhost/f" },
                xml("hold", { xmlns: "urn:example" }),
              ),
            ),
            ClientStoppedError,
          );
          await nextStanza(bob, (s) => s.getChild("hold") !== undefined);
          await alice.stop();
          await held;
          await bob.stop();
        },
      );

      await t.step(
        "stopping the actor rejects pending IQs with ClientStoppedError",
        async () => {
          const c = make({});
          const queued = assertRejects(
            c.iq(ping("localhost")),
            ClientStoppedError,
          );
          c.actor.stop();
          await queued;
          await assertRejects(c.iq(ping("localhost")), ClientStoppedError);
          await c.stop(); // a no-op on a stopped actor
        },
      );

      await t.step(
        "a resource conflict ends the old session with a StreamError, no reconnect",
        async () => {
          const first = make({
            jid: "alice@localhost/same",
            reconnect: { initialDelay: 1 },
          });
          const st = track(first);
          const errors: Error[] = [];
          first.on("error", (e) => errors.push(e));
          await first.start();
          const failed = st.reach("failed");
          const second = make({ jid: "alice@localhost/same" });
          await second.start();
          await failed;
          assert(errors[0] instanceof StreamError, String(errors[0]));
          assertEquals((errors[0] as StreamError).condition, "conflict");
          assert(!st.seen.includes("reconnecting"));
          await second.stop();
        },
      );

      await t.step(
        "connection refused before ever online fails start()",
        async () => {
          const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
          const port = (l.addr as Deno.NetAddr).port;
          l.close();
          const c = make({ service: `xmpp://127.0.0.1:${port}` });
          const err = await assertRejects(c.start(), ConnectionError);
          assert(!(err instanceof TLSError));
          assertEquals(c.status, "failed");
        },
      );
    } finally {
      await Promise.all(open.map((c) => c.stop()));
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "Connection reconnects after the server dies and flushes what was queued",
  ignore,
  async fn(t) {
    const server: Prosody = await startProsody();
    const open: Connection[] = [];
    const make = (jid: string, extra: Partial<ConnectionOptions> = {}) => {
      const c = new DenoConnection({
        jid,
        password: "pw",
        service: `xmpp://127.0.0.1:${server.c2sPort}`,
        tls: { caCerts: [server.caPem] },
        reconnect: { initialDelay: 20, maxDelay: 200, factor: 1.5 },
        ...extra,
      });
      open.push(c);
      return c;
    };
    try {
      await t.step(
        "kill → reconnecting → restart → online; queued stanzas arrive",
        async () => {
          const alice = make("alice@localhost/r");
          const st = track(alice);
          await alice.start();
          const reconnecting = st.reach("reconnecting");
          await server.kill();
          await reconnecting;
          alice.send(
            xml(
              "message",
              { to: "alice@localhost/r" },
              xml("body", {}, "queued"),
            ),
          );
          const queuedPing = alice.iq(ping("localhost"));
          const back = new Promise<string>((r) => alice.on("online", r));
          const echoed = nextStanza(alice, (s) => s.name === "message");
          await server.restart();
          assertEquals(await back, "alice@localhost/r");
          assertEquals((await echoed).getChildText("body"), "queued");
          assertEquals((await queuedPing).attrs.type, "result");
          assertEquals(alice.status, "online");
          assert(st.seen.filter((s) => s === "online").length === 2);
          await alice.stop();
        },
      );

      await t.step("stop() during reconnecting ends cleanly", async () => {
        const alice = make("alice@localhost/s");
        const st = track(alice);
        await alice.start();
        const reconnecting = st.reach("reconnecting");
        await server.kill();
        await reconnecting;
        const pending = assertRejects(
          alice.iq(ping("localhost")),
          ClientStoppedError,
        );
        await alice.stop();
        assertEquals(alice.status, "disconnected");
        await pending;
        await server.restart();
      });

      await t.step(
        "without stream management, a session lost mid-IQ rejects the IQ with ConnectionError",
        async () => {
          const alice = make("alice@localhost/m", {
            streamManagement: { enabled: false },
          });
          const bob = make("bob@localhost/m");
          await Promise.all([alice.start(), bob.start()]);
          bob.handle(
            "iq",
            { name: "hold", xmlns: "urn:example" },
            () => new Promise(() => {}),
          );
          const held = assertRejects(
            alice.iq(
              xml(
                "iq",
                { type: "get", to: "bob@localhost/m" },
                xml("hold", { xmlns: "urn:example" }),
              ),
            ),
            ConnectionError,
          );
          const reached = nextStanza(
            bob,
            (s) => s.getChild("hold") !== undefined,
          );
          await reached;
          await server.kill();
          const err = await held;
          assert(err.message.includes("session ended"), err.message);
          await Promise.all([alice.stop(), bob.stop()]);
        },
      );
    } finally {
      await Promise.all(open.map((c) => c.stop()));
      await server.stop();
    }
  },
});

// --- Cases a real server cannot produce: a scripted fake server. ---

function fakeClient(port: number, extra: Partial<ConnectionOptions> = {}) {
  return new DenoConnection({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    allowPlainWithoutTls: true,
    reconnect: { initialDelay: 1 },
    ...extra,
  });
}

for (
  const [name, payload, condition] of [
    ["DOCTYPE", "<!DOCTYPE x [<!ENTITY a 'b'>]><message/>", "restricted-xml"],
    ["entity declaration", "<!ENTITY lol 'lol'>", "restricted-xml"],
    ["processing instruction", "<?evil x?>", "restricted-xml"],
    [
      "unknown entity",
      "<message><body>&lol;</body></message>",
      "restricted-xml",
    ],
    ["malformed XML", "<message></iq>", "not-well-formed"],
  ] as const
) {
  Deno.test(`Connection answers a server's ${name} with a ${condition} stream error, then reconnects`, async () => {
    const server = startFakeServers(async (s) => {
      await fakeLogin(s);
      await s.write(payload);
      await s.readUntil("</stream:stream>");
    }, async (s) => {
      await fakeLogin(s);
      await s.readUntil("</stream:stream>");
    });
    const c = fakeClient(server.port, { maxStanzaSize: 1000 });
    const st = track(c);
    const errors: Error[] = [];
    c.on("error", (e) => errors.push(e));
    try {
      await c.start();
      await st.reach("reconnecting");
      await st.reach("online");
      assert(errors[0] instanceof StreamError, String(errors[0]));
      assertEquals((errors[0] as StreamError).condition, condition);
      assert(
        server.received().includes(
          `<${condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>`,
        ),
        "stream error sent to the server",
      );
      assert(!st.seen.includes("failed"));
      await c.stop();
      await server.done;
    } finally {
      await c.stop();
      await server.close();
    }
  });
}

Deno.test("Connection skips an oversize or too deep stanza from the server, answers an IQ request with policy-violation, and stays online", async () => {
  const server = startFakeServer(async (s) => {
    await fakeLogin(s);
    await s.write(
      `<message from='bob@localhost/r' id='big'><body>${
        "x".repeat(5000)
      }</body></message>`,
    );
    await s.write(
      `<iq type='get' id='q1' from='bob@localhost/r'><query xmlns='urn:x'>${
        "<x>".repeat(200)
      }${"</x>".repeat(200)}</query></iq>`,
    );
    await s.write(
      "<message from='bob@localhost/r' id='ok'><body>hi</body></message>",
    );
    await s.readUntil("</stream:stream>");
  });
  const c = fakeClient(server.port, { maxStanzaSize: 1000 });
  const errors: Error[] = [];
  c.on("error", (e) => errors.push(e));
  try {
    const ok = nextStanza(c, (s) => s.attrs.id === "ok");
    await c.start();
    const st = track(c);
    await ok;
    assertEquals(
      errors.map((e) => [e.name, (e as StanzaError).condition]),
      [["StanzaError", "policy-violation"], [
        "StanzaError",
        "policy-violation",
      ]],
    );
    assertEquals(
      errors.map((e) => (e as StanzaError).stanza?.attrs.id),
      ["big", "q1"],
    );
    assertEquals(st.seen, []);
    await c.stop();
    await server.done;
    const sent = server.received();
    assert(
      sent.includes(
        '<iq type="error" id="q1" to="bob@localhost/r"><error type="modify"><policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>',
      ),
      sent,
    );
    assert(!sent.includes("xmpp-streams"), "no stream error");
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("Connection rejects an IQ whose answer is skipped as oversize with policy-violation, not a timeout", async () => {
  const server = startFakeServer(async (s) => {
    await fakeLogin(s);
    const request = await s.readUntil("</iq>");
    const id =
      /id="([^"]+)"/.exec(request.slice(request.lastIndexOf("<iq")))![1];
    await s.write(
      `<iq type='result' id='${id}' from='bob@localhost/r'><data xmlns='urn:xmpp:bob'>${
        "QUJD".repeat(1000)
      }</data></iq>`,
    );
    await s.readUntil("</stream:stream>");
  });
  const c = fakeClient(server.port, {
    maxStanzaSize: 1000,
    iqTimeout: 600_000,
  });
  try {
    await c.start();
    const err = await assertRejects(
      c.iq(
        xml(
          "iq",
          { type: "get", to: "bob@localhost/r" },
          xml("data", { xmlns: "urn:xmpp:bob", cid: "x" }),
        ),
      ),
      StanzaError,
    );
    assertEquals((err as StanzaError).condition, "policy-violation");
    assertEquals(c.status, "online");
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("Connection rejects a SCRAM server signature that does not verify", async () => {
  const server = startFakeServer(async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(
      SERVER_HEADER +
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>",
    );
    const auth = await s.readUntil("</auth>");
    const first = atob(/>([^<]+)<\/auth>/.exec(auth)![1]);
    const nonce = /r=([^,]+)/.exec(first)![1];
    const challenge = btoa(`r=${nonce}server,s=QSXCR+Q6sek8bf92,i=4096`);
    await s.write(
      `<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${challenge}</challenge>`,
    );
    await s.readUntil("</response>");
    await s.write(
      `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${
        btoa("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")
      }</success>`,
    );
    await s.readUntil("</stream:stream>");
  });
  const c = fakeClient(server.port);
  try {
    const err = await assertRejects(c.start(), SASLError);
    assertEquals(err.condition, "server-signature-mismatch");
    await server.done;
    assert(
      !server.received().includes("<iq"),
      "no bind after a forged success",
    );
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("Connection fails when the server requires TLS it cannot get", async () => {
  const server = startFakeServer(async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(
      SERVER_HEADER +
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
    );
    await s.readUntil("</stream:stream>");
  });
  const c = fakeClient(server.port, { tls: { starttls: false } });
  try {
    const err = await assertRejects(c.start(), ConnectionError);
    assert(err.message.includes("requires TLS"));
    await server.done;
    assert(!server.received().includes("<auth"));
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("Connection without a transport for the scheme throws TypeError", () => {
  assertThrows(
    () =>
      new Connection({
        jid: "a@localhost",
        password: "x",
        service: "xmpp://localhost:5222",
      }),
    TypeError,
  );
  assertThrows(
    () =>
      new DenoConnection({
        jid: "a@localhost",
        password: "x",
        service: "gopher://x",
      }),
    TypeError,
  );
  assertThrows(
    () => new DenoConnection({ jid: "localhost", password: "x" }),
    TypeError,
  );
});

Deno.test("Connection fails with a SASLError on a SCRAM challenge with a foreign nonce", async () => {
  const server = startFakeServer(async (s) => {
    await s.readUntil(CLIENT_HEADER_END);
    await s.write(
      SERVER_HEADER +
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>",
    );
    await s.readUntil("</auth>");
    const challenge = btoa("r=not-our-nonce,s=QSXCR+Q6sek8bf92,i=4096");
    await s.write(
      `<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${challenge}</challenge>`,
    );
    await s.readUntil("</stream:stream>");
  });
  const c = fakeClient(server.port);
  try {
    const err = await assertRejects(c.start(), SASLError);
    assertEquals(err.condition, "malformed-request");
    await server.done;
    assert(!server.received().includes("<response"), "no proof sent");
  } finally {
    await c.stop();
    await server.close();
  }
});
