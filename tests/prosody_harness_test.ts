import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";

const ignore = !hasProsody() && !requireServers();

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(msg);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Writes a stream header and reads until the server's header arrives. */
async function openStream(conn: Deno.Conn): Promise<string> {
  await conn.write(enc.encode(
    "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' " +
      "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
  ));
  const buf = new Uint8Array(8192);
  let text = "";
  while (!text.includes("</stream:features>")) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n));
  }
  return text;
}

async function refused(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch {
    return true;
  }
}

Deno.test({
  name: "prosody harness: c2s, direct TLS, kill and restart, stop",
  ignore,
  async fn() {
    const server = await startProsody();
    let stopped = false;
    try {
      assert(server.domain === "localhost", "domain");
      assert(
        server.wsUrl ===
          `ws://127.0.0.1:${server.httpPort}/xmpp-websocket`,
        "wsUrl",
      );
      assert(server.caPem.includes("BEGIN CERTIFICATE"), "caPem");
      const ports = new Set([
        server.c2sPort,
        server.directTlsPort,
        server.httpPort,
      ]);
      assert(ports.size === 3, "three distinct ports");

      // plain c2s: the server answers a stream header and offers STARTTLS
      const tcp = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.c2sPort,
      });
      try {
        const reply = await openStream(tcp);
        assert(reply.includes("<stream:stream"), `no header: ${reply}`);
        assert(reply.includes("urn:ietf:params:xml:ns:xmpp-tls"), reply);
        assert(reply.includes("PLAIN"), `PLAIN not offered: ${reply}`);
      } finally {
        tcp.close();
      }

      // direct TLS, trusting the test CA
      const tls = await Deno.connectTls({
        hostname: "localhost",
        port: server.directTlsPort,
        caCerts: [server.caPem],
      });
      try {
        const reply = await openStream(tls);
        assert(reply.includes("<stream:stream"), `no TLS header: ${reply}`);
        assert(reply.includes("SCRAM-SHA-1"), reply);
      } finally {
        tls.close();
      }

      // kill, then restart on the same ports with the same data
      await server.kill();
      assert(await refused(server.c2sPort), "c2s still open after kill");
      await server.restart();
      const again = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.c2sPort,
      });
      try {
        const reply = await openStream(again);
        assert(reply.includes("<stream:stream"), `no header: ${reply}`);
      } finally {
        again.close();
      }
      const accounts = [...Deno.readDirSync(
        `${server.dir}/data/localhost/accounts`,
      )].map((e) => e.name).sort();
      assert(
        accounts.join() === "alice.dat,bob.dat,carol.dat",
        `accounts: ${accounts}`,
      );

      const dir = server.dir;
      await server.stop();
      stopped = true;
      assert(await refused(server.c2sPort), "c2s still open after stop");
      let gone = false;
      try {
        Deno.statSync(dir);
      } catch (err) {
        gone = err instanceof Deno.errors.NotFound;
      }
      assert(gone, `temp dir left behind: ${dir}`);
    } finally {
      if (!stopped) await server.stop();
    }
  },
});

Deno.test({
  name: "prosody harness: custom accounts and required encryption",
  ignore,
  async fn() {
    const server = await startProsody({
      accounts: { dave: "secret" },
      requireEncryption: true,
    });
    try {
      const accounts = [...Deno.readDirSync(
        `${server.dir}/data/localhost/accounts`,
      )].map((e) => e.name);
      assert(accounts.join() === "dave.dat", `accounts: ${accounts}`);
      const tcp = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.c2sPort,
      });
      try {
        const reply = await openStream(tcp);
        assert(reply.includes("<required/>"), `TLS not required: ${reply}`);
        assert(!reply.includes("<mechanism>"), `auth before TLS: ${reply}`);
      } finally {
        tcp.close();
      }
    } finally {
      await server.stop();
    }
  },
});
