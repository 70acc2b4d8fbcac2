/**
 * The ceiling of `bench/iq_roundtrip.ts`: a bare-socket client pair with no
 * XML library. Two raw `Deno.connect` TCP connections (no-delay on; direct
 * TLS on top when a CA is given) log in with SASL PLAIN, bind a resource and run the same BoB
 * workload as ours and slixmpp. Stanzas are found by plain string search
 * (`indexOf` on the accumulated text, split on `</iq>`); every `write()` is
 * one whole stanza, and writes on a connection go out one after another.
 *
 * No presence is sent: Prosody routes an IQ to a bound full JID without it,
 * and neither our clients nor slixmpp send one in this workload.
 *
 * @module
 */

const NS_BOB = "urn:xmpp:bob";
const HEADER = (domain: string) =>
  `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' ` +
  `xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;

/** The value of attribute `name` in the start tag that begins `s`. */
function attr(s: string, name: string): string | undefined {
  const tagEnd = s.indexOf(">");
  for (const q of ["'", '"']) {
    const key = ` ${name}=${q}`;
    const i = s.indexOf(key);
    if (i < 0 || i > tagEnd) continue;
    const start = i + key.length;
    return s.slice(start, s.indexOf(q, start));
  }
  return undefined;
}

/** One logged-in, bound session on a raw TCP socket. */
class BareSession {
  #conn: Deno.TcpConn | Deno.TlsConn;
  #enc = new TextEncoder();
  #dec = new TextDecoder();
  #chunk = new Uint8Array(65536);
  #buf = "";
  #writing: Promise<void> = Promise.resolve();
  /** Called with each complete `<iq …>…</iq>` once online. */
  onIq: (iq: string) => void = () => {};
  /** Called once when the stream ends or breaks. */
  onClose: (err: Error) => void = () => {};
  jid = "";

  private constructor(conn: Deno.TcpConn | Deno.TlsConn) {
    this.#conn = conn;
  }

  static async open(
    port: number,
    user: string,
    password: string,
    resource: string,
    domain = "localhost",
    caCerts?: string[],
  ): Promise<BareSession> {
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
    tcp.setNoDelay(true);
    // Direct TLS when a CA is given: the certificate names the domain.
    const conn = caCerts
      ? await Deno.startTls(tcp, { hostname: domain, caCerts })
      : tcp;
    const s = new BareSession(conn);
    try {
      await s.#login(user, password, resource, domain);
    } catch (e) {
      conn.close();
      throw e;
    }
    s.#readLoop();
    return s;
  }

  async #login(
    user: string,
    password: string,
    resource: string,
    domain: string,
  ) {
    await this.send(HEADER(domain));
    const features = await this.#until("</stream:features>");
    if (!features.includes("<mechanism>PLAIN</mechanism>")) {
      throw new Error(`PLAIN not offered: ${features}`);
    }
    const creds = this.#enc.encode(`\0${user}\0${password}`).toBase64();
    await this.send(
      `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>` +
        `${creds}</auth>`,
    );
    const outcome = await this.#until(">");
    if (!outcome.includes("<success")) {
      throw new Error(`SASL failed: ${outcome}${this.#buf}`);
    }
    // `<success …/>` or `<success …>…</success>`: drop the rest of it.
    if (!outcome.endsWith("/>")) await this.#until("</success>");
    await this.send(HEADER(domain));
    await this.#until("</stream:features>");
    await this.send(
      `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
        `<resource>${resource}</resource></bind></iq>`,
    );
    const bound = await this.#until("</iq>");
    const j = bound.indexOf("<jid>");
    if (!bound.includes("type='result'") || j < 0) {
      throw new Error(`bind failed: ${bound}`);
    }
    this.jid = bound.slice(j + 5, bound.indexOf("</jid>", j));
  }

  /** Reads until `marker` is in the buffer; takes the text up to it. */
  async #until(marker: string): Promise<string> {
    let i;
    while ((i = this.#buf.indexOf(marker)) < 0) {
      if (this.#buf.includes("<stream:error")) {
        throw new Error(`stream error: ${this.#buf}`);
      }
      const got = await this.#conn.read(this.#chunk);
      if (got === null) throw new Error(`stream closed: ${this.#buf}`);
      this.#buf += this.#dec.decode(this.#chunk.subarray(0, got), {
        stream: true,
      });
    }
    const out = this.#buf.slice(0, i + marker.length);
    this.#buf = this.#buf.slice(i + marker.length);
    return out;
  }

  async #readLoop() {
    let err = new Error("stream closed");
    try {
      for (;;) {
        const got = await this.#conn.read(this.#chunk);
        if (got === null) break;
        this.#buf += this.#dec.decode(this.#chunk.subarray(0, got), {
          stream: true,
        });
        let end;
        while ((end = this.#buf.indexOf("</iq>")) >= 0) {
          const head = this.#buf.slice(0, end + 5);
          this.#buf = this.#buf.slice(end + 5);
          // Anything before the IQ (whitespace, other stanzas) is skipped.
          this.onIq(head.slice(head.lastIndexOf("<iq ")));
        }
        if (this.#buf.includes("<stream:error")) {
          err = new Error(`stream error: ${this.#buf}`);
          break;
        }
      }
    } catch (e) {
      err = e as Error;
    }
    this.onClose(err);
  }

  /** Writes one whole stanza, after whatever is being written. */
  send(stanza: string): Promise<void> {
    const bytes = this.#enc.encode(stanza);
    const write = async () => {
      let off = 0;
      while (off < bytes.length) {
        off += await this.#conn.write(bytes.subarray(off));
      }
    };
    return this.#writing = this.#writing.then(write);
  }

  async close(): Promise<void> {
    try {
      await this.send("</stream:stream>");
    } catch {
      // already gone
    }
    this.#conn.close();
  }
}

/** Alice and bob on bare sockets, bob serving one blob. */
export interface BarePair {
  /** Wall time until both are bound, logged in side by side (ms). */
  connectMs: number;
  /** One BoB IQ round trip from alice to bob; checks the payload. */
  fetch(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Logs alice and bob in on `port` (password "pw"); bob answers
 * `<data xmlns='urn:xmpp:bob' cid='…'/>` gets from `store`. With `caCerts`
 * the port is a direct TLS port (XEP-0368) whose certificate those CAs sign.
 */
export async function openBarePair(
  port: number,
  store: Map<string, { type: string; data: string }>,
  cid: string,
  caCerts?: string[],
): Promise<BarePair> {
  const t0 = performance.now();
  const [alice, bob] = await Promise.all([
    BareSession.open(port, "alice", "pw", "bench", "localhost", caCerts),
    BareSession.open(port, "bob", "pw", "bench", "localhost", caCerts),
  ]);
  const connectMs = performance.now() - t0;

  bob.onIq = (iq) => {
    const from = attr(iq, "from")!, id = attr(iq, "id")!;
    if (attr(iq, "type") !== "get") return;
    // The server may reorder attributes: find the element, then its xmlns.
    const data = iq.slice(Math.max(0, iq.indexOf("<data ")));
    const c = attr(data, "xmlns") === NS_BOB ? attr(data, "cid") : undefined;
    const item = c === undefined ? undefined : store.get(c);
    bob.send(
      item
        ? `<iq type='result' to='${from}' id='${id}'><data xmlns='${NS_BOB}' ` +
          `cid='${c}' type='${item.type}'>${item.data}</data></iq>`
        : `<iq type='error' to='${from}' id='${id}'><error type='cancel'>` +
          `<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
          `</error></iq>`,
    ).catch(() => {});
  };

  const pending = new Map<string, (iq: string) => void>();
  let closed: Error | undefined;
  alice.onIq = (iq) => {
    const id = attr(iq, "id");
    const resolve = id === undefined ? undefined : pending.get(id);
    if (!resolve) return;
    pending.delete(id!);
    resolve(iq);
  };
  alice.onClose = (err) => {
    closed = err;
    for (const resolve of pending.values()) resolve("");
    pending.clear();
  };

  let nextId = 0;
  const to = bob.jid;
  const expected = `>${store.get(cid)?.data}</data>`;
  return {
    connectMs,
    async fetch() {
      if (closed) throw closed;
      const id = String(++nextId);
      const answer = new Promise<string>((r) => pending.set(id, r));
      await alice.send(
        `<iq type='get' to='${to}' id='${id}'>` +
          `<data xmlns='${NS_BOB}' cid='${cid}'/></iq>`,
      );
      const iq = await answer;
      if (closed) throw closed;
      if (attr(iq, "type") !== "result" || !iq.includes(expected)) {
        throw new Error(`unexpected answer: ${iq}`);
      }
    },
    async close() {
      await Promise.all([alice.close(), bob.close()]);
    },
  };
}
