/**
 * The TCP transports on the wire (issue 23): no-delay before TLS on every
 * path, one write per turn, one XEP-0198 `<a/>` per write, and exact
 * accounting of what a partial write left unsent. Unit tests drive the
 * transport over fake sockets (the calls, their order, every write);
 * integration tests use an in-process server and a real Prosody.
 */
import {
  type AnyActorLogic,
  createActor,
  createMachine,
  type Element,
  xml,
} from "../src/deps.ts";
import { NS_SM } from "../src/stanza.ts";
import { type SocketApi, socketTransport } from "../actors/transport/tcp.ts";
import type {
  TransportCommand,
  TransportEvent,
  TransportInput,
} from "../actors/transport/protocol.ts";
import { DenoConnection } from "../actors/connection/deno.ts";
import type { ConnectionOptions } from "../actors/connection/connection.ts";
import { TLSError } from "../src/errors.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  bodyMessage as message,
  fakeLoginSm as loginSm,
  SERVER_HEADER,
  startFakeServers,
} from "./_helpers.ts";

const ECHO = "urn:example:echo";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fake socket: records every call; reads wait for `feed()`. */
class FakeConn {
  writes: string[] = [];
  closed = false;
  /** Bytes the next writes accept, each; `undefined`: all. */
  writeLimit?: number;
  /** Throw on a write once this many bytes were written in all. */
  failAfter?: number;
  /** Hold every write until `release()`. */
  hold = false;
  #written = 0;
  #held: (() => void)[] = [];
  #reads: ((n: number | null) => void)[] = [];
  #readBuf: Uint8Array[] = [];
  #readTarget?: Uint8Array;
  constructor(readonly log: string[], readonly name: string) {}
  setNoDelay(on: boolean) {
    this.log.push(`${this.name}.setNoDelay(${on})`);
  }
  handshake() {
    this.log.push(`${this.name}.handshake`);
    return Promise.resolve();
  }
  async write(data: Uint8Array): Promise<number> {
    if (this.hold) await new Promise<void>((r) => this.#held.push(r));
    if (this.failAfter !== undefined && this.#written >= this.failAfter) {
      throw new Deno.errors.BrokenPipe("fake: broken pipe");
    }
    let n = Math.min(data.length, this.writeLimit ?? data.length);
    if (this.failAfter !== undefined) {
      n = Math.min(n, this.failAfter - this.#written);
    }
    this.#written += n;
    this.writes.push(decoder.decode(data.subarray(0, n)));
    return n;
  }
  release() {
    this.hold = false;
    for (const r of this.#held.splice(0)) r();
  }
  read(buf: Uint8Array): Promise<number | null> {
    if (this.closed) return Promise.resolve(null);
    const chunk = this.#readBuf.shift();
    if (!chunk) {
      this.#readTarget = buf;
      return new Promise((r) => this.#reads.push(r));
    }
    const n = Math.min(chunk.length, buf.length);
    buf.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#readBuf.unshift(chunk.subarray(n));
    return Promise.resolve(n);
  }
  /** Data from the "server". */
  feed(text: string) {
    this.#readBuf.push(encoder.encode(text));
    const r = this.#reads.shift();
    if (r) {
      const chunk = this.#readBuf.shift()!;
      const n = Math.min(chunk.length, this.#readTarget!.length);
      this.#readTarget!.set(chunk.subarray(0, n));
      if (n < chunk.length) this.#readBuf.unshift(chunk.subarray(n));
      r(n);
    }
  }
  close() {
    this.closed = true;
    for (const r of this.#reads.splice(0)) r(null);
  }
}

/** Socket calls that hand out fake sockets and log each call in order. */
function fakeSockets() {
  const log: string[] = [];
  const conns: FakeConn[] = [];
  const sockets: SocketApi = {
    connect(options) {
      log.push(`connect ${options.hostname}:${options.port}`);
      const c = new FakeConn(log, "tcp");
      conns.push(c);
      return Promise.resolve(c as unknown as Deno.TcpConn);
    },
    startTls(_conn, options) {
      log.push(
        `startTls ${options.hostname} caCerts=${options.caCerts?.length ?? 0}`,
      );
      const c = new FakeConn(log, "tls");
      conns.push(c);
      return Promise.resolve(c as unknown as Deno.TlsConn);
    },
    resolveSrv: () => Promise.reject(new Error("No DNS in this test")),
    resolveA: () => Promise.reject(new Error("No DNS in this test")),
  };
  return { log, conns, sockets };
}

function input(protocol: "xmpp" | "xmpps", host = "localhost"): TransportInput {
  return {
    service: {
      protocol,
      hostname: host,
      port: 5223,
      url: `${protocol}://${host}:5223`,
    },
    domain: "example.org",
    caCerts: ["CA PEM"],
    maxStanzaSize: 1 << 20,
  };
}

/** The transport as a parent machine's child: its events, and a way to command it. */
function drive(logic: AnyActorLogic, transportInput: TransportInput) {
  const events: TransportEvent[] = [];
  const parent = createMachine({
    invoke: { id: "t", src: logic, input: transportInput },
    on: {
      "*": {
        actions: ({ event }) => void events.push(event as TransportEvent),
      },
    },
  });
  const actor = createActor(parent).start();
  const child = actor.getSnapshot().children.t!;
  return {
    events,
    send: (cmd: TransportCommand) => child.send(cmd),
    stop: () => actor.stop(),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
/** Wait for `check()` (a safety limit of 20 s, not a speed requirement). */
async function until(check: () => boolean) {
  const deadline = Date.now() + 20_000;
  while (!check() && Date.now() < deadline) await tick();
  assert(check(), "condition not reached");
}
const msg = (body: string) =>
  xml("message", { to: "bob@example.org" }, xml("body", {}, body));
const ack = (h: number) => xml("a", { xmlns: NS_SM, h: String(h) });
const req = () => xml("r", { xmlns: NS_SM });

async function connected(protocol: "xmpp" | "xmpps", host?: string) {
  const f = fakeSockets();
  const t = drive(socketTransport(protocol === "xmpps", f.sockets), {
    ...input(protocol, host),
  });
  await until(() => t.events.some((e) => e.type === "transport.connected"));
  return { ...f, ...t, conn: f.conns.at(-1)! };
}

Deno.test("direct TLS: the socket is dialled, set no-delay, then TLS starts on it, checked against the host dialled", async () => {
  const t = await connected("xmpps", "xmpp.example.net");
  try {
    assertEquals(t.log, [
      "connect xmpp.example.net:5223",
      "tcp.setNoDelay(true)",
      "startTls xmpp.example.net caCerts=1",
      "tls.handshake",
    ]);
    const up = t.events.find((e) => e.type === "transport.connected");
    assertEquals(up, {
      type: "transport.connected",
      secure: true,
      canStartTls: false,
    });
  } finally {
    t.stop();
  }
});

Deno.test("plain TCP: no-delay before anything is written", async () => {
  const t = await connected("xmpp");
  try {
    assertEquals(t.log, ["connect localhost:5223", "tcp.setNoDelay(true)"]);
  } finally {
    t.stop();
  }
});

Deno.test("one write per turn: stanzas, <r/> and <a/> sent in one turn leave in one write, with only the latest <a/>", async () => {
  const t = await connected("xmpp");
  try {
    t.send({ type: "transport.open" });
    t.send({ type: "transport.send", elements: [msg("m1")] });
    t.send({ type: "transport.send", elements: [ack(1)] });
    t.send({ type: "transport.send", elements: [msg("m2"), req()] });
    t.send({ type: "transport.send", elements: [ack(2)] });
    assertEquals(
      t.conn.writes.length,
      0,
      "nothing written before the turn ends",
    );
    await until(() => t.conn.writes.length > 0);
    await tick();
    assertEquals(t.conn.writes.length, 1);
    const [w] = t.conn.writes;
    assert(
      w.startsWith("<?xml version='1.0'?><stream:stream to='example.org'"),
    );
    assert(
      w.endsWith(
        `<message to="bob@example.org"><body>m1</body></message>` +
          `<a xmlns="${NS_SM}" h="2"/>` +
          `<message to="bob@example.org"><body>m2</body></message>` +
          `<r xmlns="${NS_SM}"/>`,
      ),
      w,
    );
  } finally {
    t.stop();
  }
});

Deno.test("the end of the turn: an <a/> waits for what a promise resolved in the same turn sends (the next IQ after an answer), then both leave in one write", async () => {
  const t = await connected("xmpp");
  try {
    t.send({ type: "transport.send", elements: [ack(7)] });
    // user code: an answer's promise resolves, a few hops later it sends
    Promise.resolve().then(() => Promise.resolve()).then(() =>
      t.send({ type: "transport.send", elements: [msg("next")] })
    );
    await until(() => t.conn.writes.length > 0);
    await tick();
    assertEquals(t.conn.writes, [
      `<a xmlns="${NS_SM}" h="7"/>` +
      `<message to="bob@example.org"><body>next</body></message>`,
    ]);
  } finally {
    t.stop();
  }
});

Deno.test("a write in flight: what is queued meanwhile goes in the next single write, one <a/> (the latest) however many were asked for", async () => {
  const t = await connected("xmpp");
  try {
    t.conn.hold = true;
    t.send({ type: "transport.send", elements: [msg("m1")] });
    await tick();
    t.send({ type: "transport.send", elements: [msg("m2")] });
    // a server flooding <r/>: each answered, none of them waits, one goes
    for (let h = 1; h <= 5000; h++) {
      t.send({ type: "transport.send", elements: [ack(h)] });
      if (h % 1000 === 0) await tick();
    }
    t.send({ type: "transport.send", elements: [msg("m3")] });
    t.conn.release();
    await until(() => t.conn.writes.length === 2);
    await tick();
    assertEquals(t.conn.writes, [
      `<message to="bob@example.org"><body>m1</body></message>`,
      `<message to="bob@example.org"><body>m2</body></message>` +
      `<a xmlns="${NS_SM}" h="5000"/>` +
      `<message to="bob@example.org"><body>m3</body></message>`,
    ]);
  } finally {
    t.stop();
  }
});

Deno.test("XEP-0198 hostile server: 5000 <a/> while it reads nothing queue one whitespace, not 5000", async () => {
  const t = await connected("xmpp");
  try {
    t.conn.hold = true; // the server reads nothing: the write stays in flight
    t.send({ type: "transport.send", elements: [msg("m1")] });
    await tick();
    t.conn.feed(SERVER_HEADER + `<a xmlns='${NS_SM}' h='0'/>`.repeat(5000));
    await until(() =>
      t.events.filter((e) => e.type === "sm.a").length === 5000
    );
    t.conn.release();
    await until(() => t.conn.writes.length === 2);
    await tick();
    assertEquals(t.conn.writes, [
      `<message to="bob@example.org"><body>m1</body></message>`,
      " ",
    ]);
  } finally {
    t.stop();
  }
});

/** The bodies of the stanzas reported unsent with `transport.closed`. */
function unsentBodies(events: TransportEvent[]): string[] | undefined {
  const closed = events.find((e) => e.type === "transport.closed");
  if (closed?.type !== "transport.closed") return undefined;
  return (closed.unsent ?? []).map((s: Element) => s.getChildText("body")!);
}

Deno.test("partial writes: exactly the stanzas not wholly written are unsent, counted in bytes (multibyte text), <a/> and <r/> never", async () => {
  const m1 = msg("é".repeat(10)); // 20 bytes of body, 10 characters
  const m1Bytes = encoder.encode(m1.toString()).length;
  const cases: [number, string[]][] = [
    [0, ["é".repeat(10), "m2", "m3"]],
    [m1Bytes - 1, ["é".repeat(10), "m2", "m3"]],
    [m1Bytes, ["m2", "m3"]],
    [m1Bytes + 5, ["m2", "m3"]],
  ];
  for (const [failAfter, expected] of cases) {
    const t = await connected("xmpp");
    try {
      t.conn.writeLimit = 7; // every write partial
      t.conn.failAfter = failAfter;
      t.send({
        type: "transport.send",
        elements: [m1, ack(3), msg("m2"), req(), msg("m3")],
      });
      await until(() => unsentBodies(t.events) !== undefined);
      assertEquals(unsentBodies(t.events), expected, `failAfter ${failAfter}`);
    } finally {
      t.stop();
    }
  }
});

// ---- integration: an in-process server, then Prosody ----

function client(port: number, extra: Partial<ConnectionOptions> = {}) {
  return new DenoConnection({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    allowPlainWithoutTls: true,
    reconnect: { initialDelay: 1, jitter: 0 },
    stopTimeout: 300,
    ...extra,
  });
}

const R = `<r xmlns='${NS_SM}'/>`;
const count = (text: string, part: string) => text.split(part).length - 1;

// On a real socket the server here cannot tell one write from two (it runs in
// this process: both land before its read wakes); the fake-socket tests above
// count the writes. This checks what the server reads: all, in order.
Deno.test("a real socket: three stanzas sent together, and the <r/> after every third, arrive in order in the server's first read", async () => {
  let first = "";
  const server = startFakeServers(async (s) => {
    await loginSm(s);
    await s.readUntil("m1</body>");
    first = s.received; // everything read so far: the read holding m1 too
    await s.readUntil("</stream:stream>").catch(() => {});
  });
  const c = client(server.port, {
    streamManagement: { ackEvery: 3, ackInterval: 60_000 },
  });
  try {
    await c.start();
    c.send(message("m1"));
    c.send(message("m2"));
    c.send(message("m3"));
    await until(() => first !== "");
    assert(first.includes("m3</body>"), first);
    assert(first.endsWith(`m3</body></message><r xmlns="${NS_SM}"/>`), first);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198 hostile server: 10,000 <r/> around a stanza get a few <a/>, the last with the latest h, and the session goes on", async () => {
  let all = "";
  const server = startFakeServers(async (s) => {
    await loginSm(s);
    await s.write(
      R.repeat(5000) +
        "<message from='bob@localhost/b' to='alice@localhost/fake'><body>x</body></message>" +
        R.repeat(5000),
    );
    await s.readUntil("after</body>");
    await s.write(R); // answered with the latest h
    await s.readUntil(`<a xmlns="${NS_SM}" h="1"/>`);
    all = s.received;
    await s.readUntil("</stream:stream>").catch(() => {});
  });
  const c = client(server.port, {
    streamManagement: { ackEvery: 1000, ackInterval: 60_000 },
  });
  let got = 0;
  c.on("stanza", (s) => s.name === "message" && got++);
  try {
    await c.start();
    await until(() => got === 1);
    c.send(message("after"));
    await until(() => all !== "");
    const acks = count(all, "<a xmlns");
    // one per write at most: a few reads of 64 KiB, not one per <r/>
    assert(acks >= 1 && acks <= 50, `${acks} <a/> written`);
    assert(all.endsWith(`<a xmlns="${NS_SM}" h="1"/>`), all.slice(-200));
    assertEquals(c.status, "online");
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test({
  name:
    "direct TLS against Prosody with stream management on: IQs one at a time and messages go through, every stanza acknowledged",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const server = await startProsody();
    const open = (jid: string) =>
      new DenoConnection({
        jid,
        password: "pw",
        service: `xmpps://localhost:${server.directTlsPort}`,
        tls: { caCerts: [server.caPem] },
        streamManagement: { ackEvery: 5 },
      });
    const alice = open("alice@localhost/wire");
    const bob = open("bob@localhost/wire");
    try {
      await Promise.all([alice.start(), bob.start()]);
      assert(alice.streamManagementState(), "stream management enabled");
      bob.handle(
        "iq",
        { type: "get", name: "echo", xmlns: ECHO },
        (iq) => xml("echo", { xmlns: ECHO }, iq.getChildText("echo") ?? ""),
      );
      const bodies: string[] = [];
      bob.on("stanza", (s) => {
        if (s.name === "message") bodies.push(s.getChildText("body") ?? "");
      });
      let acked = 0;
      alice.on("acked", (ss) => acked += ss.length);
      const failed: Element[] = [];
      alice.on("failedStanzas", (ss) => failed.push(...ss));
      for (let i = 0; i < 50; i++) {
        const answer = await alice.iq(
          xml(
            "iq",
            { type: "get", to: "bob@localhost/wire" },
            xml("echo", { xmlns: ECHO }, String(i)),
          ),
        );
        assertEquals(answer.getChildText("echo"), String(i));
      }
      for (let i = 0; i < 20; i++) {
        alice.send(
          xml(
            "message",
            { to: "bob@localhost/wire", type: "chat" },
            xml("body", {}, String(i)),
          ),
        );
      }
      await until(() => bodies.length === 20 && acked === 70);
      assertEquals(bodies, Array.from({ length: 20 }, (_, i) => String(i)));
      assertEquals(failed.length, 0);
      // the certificate is still checked against the host dialled: it
      // names localhost, not 127.0.0.1
      const byAddress = new DenoConnection({
        jid: "carol@localhost/wire",
        password: "pw",
        service: `xmpps://127.0.0.1:${server.directTlsPort}`,
        tls: { caCerts: [server.caPem] },
        reconnect: { enabled: false },
      });
      await assertRejects(byAddress.start(), TLSError);
      await byAddress.stop();
    } finally {
      await Promise.all([alice.stop(), bob.stop()]);
      await server.stop();
    }
  },
});

/** Whether `strace` can trace here (ptrace may be denied in a container). */
function hasStrace(): boolean {
  try {
    return new Deno.Command("strace", {
      args: ["-qq", "-e", "trace=none", "true"],
    }).outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "direct TLS: the socket dialled to the server gets TCP_NODELAY (setsockopt seen by strace)",
  ignore: !hasStrace() || (!hasProsody() && !requireServers()),
  async fn() {
    const server = await startProsody();
    const dir = await Deno.makeTempDir();
    try {
      const deno = new URL("../actors/connection/deno.ts", import.meta.url);
      await Deno.writeTextFile(`${dir}/ca.pem`, server.caPem);
      await Deno.writeTextFile(
        `${dir}/client.ts`,
        `import { DenoConnection } from ${JSON.stringify(deno.href)};
const c = new DenoConnection({
  jid: "alice@localhost/strace",
  password: "pw",
  service: "xmpps://localhost:${server.directTlsPort}",
  tls: { caCerts: [Deno.readTextFileSync(${JSON.stringify(`${dir}/ca.pem`)})] },
  reconnect: { enabled: false },
});
await c.start();
await c.stop();
`,
      );
      const out = await new Deno.Command("strace", {
        args: [
          "-f",
          "-qq",
          "-e",
          "trace=connect,setsockopt",
          "-o",
          `${dir}/trace`,
          Deno.execPath(),
          "run",
          "-A",
          `${dir}/client.ts`,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert(out.success, new TextDecoder().decode(out.stderr));
      const trace = await Deno.readTextFile(`${dir}/trace`);
      const fd = new RegExp(
        `connect\\((\\d+), \\{sa_family=AF_INET, sin_port=htons\\(${server.directTlsPort}\\)`,
      ).exec(trace)?.[1];
      assert(fd, `no connect to the direct TLS port:\n${trace}`);
      assert(
        trace.includes(`setsockopt(${fd}, SOL_TCP, TCP_NODELAY, [1], 4) = 0`),
        `no TCP_NODELAY on fd ${fd}:\n${trace}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
      await server.stop();
    }
  },
});
