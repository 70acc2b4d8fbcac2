/**
 * A loopback TCP proxy whose links can be cut: what a test puts between a
 * client and Prosody to drop a session mid-stream (both sides see the
 * socket close, as when a network dies). It can also hold back what the
 * server sends, so stanzas pile up in flight at the server.
 *
 * @module
 */

/** A running proxy, as returned by {@linkcode startProxy}. */
export interface Proxy {
  /** The port it listens on (127.0.0.1). */
  port: number;
  /** Links open now. */
  readonly links: number;
  /** Close every open link, both sides; new connections still go through. */
  cut(): void;
  /**
   * Stop forwarding server-to-client bytes on the open links until
   * `release()` (or a cut); later links are not held.
   */
  hold(): void;
  /** Forward what was held. */
  release(): void;
  /**
   * Write `text` to the client side of every open link, as if the server
   * had sent it (plaintext links only: a TLS link would see garbage).
   */
  inject(text: string): Promise<void>;
  /** Stop listening and close every link. */
  close(): Promise<void>;
  /**
   * Every byte clients wrote through the proxy so far (all links, in
   * order of arrival): what the server received.
   */
  clientBytes(): Uint8Array;
}

interface Link {
  conns: [Deno.Conn, Deno.Conn];
  gate?: { promise: Promise<void>; open: () => void };
}

async function pipe(
  from: Deno.Conn,
  to: Deno.Conn,
  link?: Link,
  record?: (bytes: Uint8Array) => void,
): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const n = await from.read(buf);
      if (n === null) break;
      record?.(buf.slice(0, n));
      if (link?.gate) await link.gate.promise;
      let off = 0;
      while (off < n) off += await to.write(buf.subarray(off, n));
    }
  } catch {
    // cut or closed
  }
}

/**
 * Start a proxy on 127.0.0.1 that forwards every connection to
 * `127.0.0.1:targetPort`.
 *
 * @param targetPort Where to forward.
 * @returns The running proxy.
 *
 * @example Usage
 * ```ts ignore
 * const proxy = startProxy(server.c2sPort);
 * // dial 127.0.0.1:proxy.port; later: proxy.cut()
 * await proxy.close();
 * ```
 */
export function startProxy(targetPort: number): Proxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Link>();
  const recorded: Uint8Array[] = [];
  const record = (bytes: Uint8Array) => recorded.push(bytes);
  const close = (link: Link) => {
    open.delete(link);
    link.gate?.open();
    for (const c of link.conns) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      let server: Deno.TcpConn;
      try {
        server = await Deno.connect({
          hostname: "127.0.0.1",
          port: targetPort,
        });
      } catch {
        client.close();
        continue;
      }
      client.setNoDelay(true);
      server.setNoDelay(true);
      const link: Link = { conns: [client, server] };
      open.add(link);
      Promise.race([
        pipe(client, server, undefined, record),
        pipe(server, client, link),
      ]).then(
        () => close(link),
      );
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get links() {
      return open.size;
    },
    cut() {
      for (const link of [...open]) close(link);
    },
    hold() {
      for (const link of open) {
        if (link.gate) continue;
        let openGate!: () => void;
        const promise = new Promise<void>((r) => openGate = r);
        link.gate = { promise, open: openGate };
      }
    },
    release() {
      for (const link of open) {
        link.gate?.open();
        link.gate = undefined;
      }
    },
    clientBytes() {
      const out = new Uint8Array(recorded.reduce((n, b) => n + b.length, 0));
      let off = 0;
      for (const b of recorded) {
        out.set(b, off);
        off += b.length;
      }
      return out;
    },
    async inject(text: string) {
      const data = new TextEncoder().encode(text);
      for (const link of open) {
        let off = 0;
        while (off < data.length) {
          off += await link.conns[0].write(data.subarray(off));
        }
      }
    },
    async close() {
      try {
        listener.close();
      } catch {
        // closed
      }
      this.cut();
      await accepting;
    },
  };
}
