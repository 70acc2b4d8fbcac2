/**
 * Test helpers of the connection tests: the shared assertions (from
 * `deps.ts`) and a scripted fake XMPP server for the cases a real Prosody
 * cannot produce (forbidden XML, oversize stanzas, bad SCRAM signatures).
 *
 * @module
 */

import { assert } from "./deps.ts";
import { type Element, xml } from "../src/deps.ts";
export { assert, assertEquals, assertRejects, assertThrows } from "./deps.ts";

/** XEP-0198's namespace. */
export const NS_SM = "urn:xmpp:sm:3";

/** One scripted client session on a {@linkcode FakeServer}. */
export interface FakeSession {
  /** Write raw text to the client. */
  write(text: string): Promise<void>;
  /** Read until the received text (since the last call) contains `marker`; returns it. */
  readUntil(marker: string): Promise<string>;
  /** Everything received so far. */
  readonly received: string;
}

/** A one-connection scripted XMPP server on 127.0.0.1. */
export interface FakeServer {
  /** The port it listens on. */
  port: number;
  /** Resolves (or rejects) when the script finished. */
  done: Promise<void>;
  /** Everything the client sent. */
  received(): string;
  /** Close the listener and the connection. */
  close(): Promise<void>;
}

/** The end of the stream header our client sends. */
export const CLIENT_HEADER_END =
  "xmlns:stream='http://etherx.jabber.org/streams'>";

/** A server stream header. */
export const SERVER_HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='fake' version='1.0'>";

/**
 * Start a fake server that runs `script` on its first connection; the
 * connection is closed when the script returns.
 */
export function startFakeServer(
  script: (s: FakeSession) => Promise<void>,
): FakeServer {
  return startFakeServers(script);
}

/**
 * Start a fake server that runs `scripts[i]` on its connection number `i`,
 * one connection after the other; each connection is closed (the link cut)
 * when its script returns. `received()` is everything from all of them.
 */
export function startFakeServers(
  ...scripts: ((s: FakeSession) => Promise<void>)[]
): FakeServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let conn: Deno.Conn | undefined;
  let all = "";
  const done = (async () => {
    for (const [i, script] of scripts.entries()) {
      conn = await listener.accept();
      if (i === scripts.length - 1) listener.close();
      await runScript(conn, script);
    }
  })();
  async function runScript(
    conn: Deno.Conn,
    script: (s: FakeSession) => Promise<void>,
  ): Promise<void> {
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    let buf = "";
    const chunk = new Uint8Array(65536);
    const session: FakeSession = {
      get received() {
        return all;
      },
      async write(text) {
        const data = enc.encode(text);
        let off = 0;
        while (off < data.length) off += await conn!.write(data.subarray(off));
      },
      async readUntil(marker) {
        while (!buf.includes(marker)) {
          const n = await conn!.read(chunk);
          if (n === null) throw new Error(`EOF before ${marker}`);
          const text = dec.decode(chunk.subarray(0, n));
          buf += text;
          all += text;
        }
        const i = buf.indexOf(marker) + marker.length;
        const out = buf.slice(0, i);
        buf = buf.slice(i);
        return out;
      },
    };
    try {
      await script(session);
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
  return {
    port,
    done,
    received: () => all,
    async close() {
      try {
        listener.close();
      } catch { /* closed */ }
      try {
        conn?.close();
      } catch { /* closed */ }
      await done.catch(() => {});
    },
  };
}

/**
 * Script steps: authenticate with PLAIN (any password) and bind
 * `alice@localhost/fake`. Leaves the session online.
 */
export async function fakeLogin(s: FakeSession): Promise<void> {
  await fakeAuth(s, false);
  await fakeBind(s);
}

/**
 * Script steps: authenticate with PLAIN (any password) and offer the
 * post-auth features (bind, plus XEP-0198 when `sm`).
 */
export async function fakeAuth(s: FakeSession, sm: boolean): Promise<void> {
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
      "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" +
      (sm ? "<sm xmlns='urn:xmpp:sm:3'/>" : "") + "</stream:features>",
  );
}

/** Script step: answer the bind request with `alice@localhost/fake`. */
export async function fakeBind(s: FakeSession): Promise<void> {
  const iq = await s.readUntil("</iq>");
  const id = /id=['"]([^'"]+)['"]/.exec(iq)![1];
  await s.write(
    `<iq type='result' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/fake</jid></bind></iq>`,
  );
}

/** Script step: log in, bind, enable XEP-0198 with resumption as session `id`. */
export async function fakeLoginSm(s: FakeSession, id = "s1"): Promise<void> {
  await fakeAuth(s, true);
  await fakeBind(s);
  await s.readUntil('resume="true"/>');
  await s.write(`<enabled xmlns='${NS_SM}' id='${id}' resume='true'/>`);
}

/** Script step: log in and read the client's `<resume/>` (its `previd`, `h`). */
export async function fakeResume(
  s: FakeSession,
): Promise<{ previd: string; h: number }> {
  await fakeAuth(s, true);
  const text = await s.readUntil("/>");
  const m = /<resume [^>]*previd="([^"]+)"[^>]*h="(\d+)"/.exec(text) ??
    /<resume [^>]*h="(\d+)"[^>]*previd="([^"]+)"/.exec(text);
  assert(m, `expected <resume/>, got ${text}`);
  return text.indexOf("previd") < text.indexOf(" h=")
    ? { previd: m[1], h: Number(m[2]) }
    : { previd: m[2], h: Number(m[1]) };
}

/** A chat message to bob with `body`, as the SM tests send them. */
export function bodyMessage(body: string): Element {
  return xml("message", { to: "bob@localhost" }, xml("body", {}, body));
}
