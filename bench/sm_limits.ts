/**
 * What `stop()` delivers and what a never-acking server costs (issue 21,
 * items 7 and 10):
 *
 * - stop-flush: alice sends 500 × 60 KB messages to bob through a throwaway
 *   Prosody and calls `await stop()` at once; how many arrive at bob, with
 *   stream management on and off, and what `stop()` reported;
 * - unacked growth: 100,000 × 1 KB messages to a scripted server that
 *   enables stream management and never acks; how many stanzas the client
 *   keeps and how much the heap grew.
 *
 *     deno run -A --v8-flags=--expose-gc bench/sm_limits.ts [--n 500] [--flood 100000] [--stop-timeout 10000]
 *
 * @module
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import type { ConnectionOptions } from "../actors/connection/connection.ts";
import { type Element, xml } from "../src/deps.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { flag } from "./_args.ts";

const n = Number(flag("n", "500"));
const flood = Number(flag("flood", "100000"));
const stopTimeout = Number(flag("stop-timeout", "10000"));

function connect(
  jid: string,
  port: number,
  extra: Partial<ConnectionOptions> = {},
): DenoConnection {
  return new DenoConnection({
    jid,
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    tls: { starttls: false },
    allowPlainWithoutTls: true,
    ...extra,
  });
}

async function stopFlush(port: number, sm: boolean) {
  const streamManagement = { enabled: sm };
  const alice = connect("alice@localhost/flush", port, {
    streamManagement,
    stopTimeout,
  });
  const bob = connect("bob@localhost/flush", port, { streamManagement });
  await Promise.all([alice.start(), bob.start()]);
  let arrived = 0;
  bob.on("stanza", (s) => {
    if (s.name === "message") arrived++;
  });
  let reported = 0;
  alice.on("failedStanzas", (ss) => reported += ss.length);
  const body = "x".repeat(60_000);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    alice.send(
      xml("message", { to: "bob@localhost/flush" }, xml("body", {}, body)),
    );
  }
  const result: unknown = await alice.stop();
  const ms = performance.now() - t0;
  // give bob time to read what the server still has for him
  let last = -1;
  while (arrived !== last) {
    last = arrived;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await bob.stop();
  return { sm, arrived, of: n, reported, stopMs: Math.round(ms), result };
}

/** A server that logs in, enables stream management, then only reads. */
function neverAcking(): { port: number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let conn: Deno.Conn | undefined;
  const enc = new TextEncoder();
  const header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='x' version='1.0'>";
  (async () => {
    conn = await listener.accept();
    listener.close();
    const dec = new TextDecoder();
    const buf = new Uint8Array(65536);
    let text = "";
    let step = 0;
    const say = (t: string) => conn!.write(enc.encode(t));
    while (true) {
      const got = await conn.read(buf).catch(() => null);
      if (got === null) return;
      if (step === 4) continue; // drop everything, never ack
      text += dec.decode(buf.subarray(0, got));
      if (step === 0 && text.includes("streams'>")) {
        text = "";
        step = 1;
        await say(
          header +
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
        );
      } else if (step === 1 && text.includes("</auth>")) {
        text = "";
        step = 2;
        await say("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
      } else if (step === 2 && text.includes("streams'>")) {
        text = "";
        step = 3;
        await say(
          header +
            "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><sm xmlns='urn:xmpp:sm:3'/></stream:features>",
        );
      } else if (step === 3 && text.includes("</iq>")) {
        const id = /id=['"]([^'"]+)['"]/.exec(text)![1];
        await say(
          `<iq type='result' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/x</jid></bind></iq>`,
        );
        text = "";
        step = 3.5;
      } else if (step === 3.5 && text.includes("<enable")) {
        step = 4;
        await say(`<enabled xmlns='urn:xmpp:sm:3' id='s1' resume='true'/>`);
      }
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => {
      try {
        conn?.close();
      } catch { /* closed */ }
    },
  };
}

async function unackedGrowth() {
  const server = neverAcking();
  const c = connect("alice@localhost", server.port, {
    streamManagement: { ackEvery: 1_000_000, ackInterval: 2 ** 31 - 1 },
  });
  await c.start();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = Deno.memoryUsage().heapUsed;
  const body = "y".repeat(1000);
  let refused = 0;
  let firstError = "";
  for (let i = 0; i < flood; i++) {
    try {
      c.send(xml("message", { to: "bob@localhost" }, xml("body", {}, body)));
    } catch (e) {
      refused++;
      firstError ||= `${(e as Error).name}: ${(e as Error).message}`;
    }
    if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 0));
  }
  await new Promise((r) => setTimeout(r, 200));
  gc?.();
  const after = Deno.memoryUsage().heapUsed;
  const kept = c.streamManagementState()?.unacked.length;
  c.actor.stop();
  server.close();
  return {
    sent: flood,
    kept,
    refused,
    firstError,
    heapGrowthMB: Math.round((after - before) / 1e6),
  };
}

const prosody = await startProsody();
try {
  for (const sm of [true, false]) {
    const r = await stopFlush(prosody.c2sPort, sm);
    const result = r.result as
      | { undelivered?: Element[]; complete?: boolean }
      | undefined;
    console.log(JSON.stringify({
      ...r,
      result: result === undefined ? undefined : {
        complete: result.complete,
        undelivered: result.undelivered?.length,
      },
    }));
  }
} finally {
  await prosody.stop();
}
console.log(JSON.stringify(await unackedGrowth()));
Deno.exit(0);
