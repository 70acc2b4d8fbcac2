/**
 * The socket calls of Node and Bun (`node:net`, `node:tls`, `node:dns`),
 * shaped as Deno's (`./sockets.ts`) so the TCP, direct TLS and socket
 * WebSocket transports run unchanged: a pull `read()` over the socket's
 * `data` events (the socket is paused while nothing reads, so an unread
 * peer fills the kernel's buffer, not ours), `write()` resolving when the
 * bytes are handed to the kernel, and TLS with SNI and extra CAs added to
 * the runtime's roots (as Deno's `caCerts` are).
 *
 * Written here rather than taken from a library: it is the adapter between
 * two socket APIs of the runtimes themselves, nothing a package provides.
 *
 * @module
 */
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, rootCertificates } from "node:tls";
import { Resolver } from "node:dns/promises";
import type { SrvRecord } from "../../src/srv.ts";
import type {
  NameServer,
  SocketApi,
  SocketConn,
  TcpSocket,
  TlsSocket,
} from "./sockets.ts";

function closedError(): Error {
  const err = new Error("Socket closed");
  err.name = "BadResource"; // what Deno's read throws on a closed socket
  return err;
}

/** A Node socket as a Deno-style connection. */
class NodeConn implements TcpSocket, TlsSocket {
  #socket: Socket;
  #chunks: Uint8Array[] = [];
  #reader?: {
    p: Uint8Array;
    resolve: (n: number | null) => void;
    reject: (e: Error) => void;
  };
  #ended = false;
  #error?: Error;
  #closed = false;
  #ready: Promise<void>;
  #onData = (chunk: Uint8Array) => {
    this.#chunks.push(chunk);
    this.#pump();
    if (this.#chunks.length) this.#socket.pause();
  };
  #onEnd = () => {
    this.#ended = true;
    this.#pump();
  };
  #onError = (err: Error) => {
    this.#error ??= err;
    this.#pump();
  };

  constructor(socket: Socket, ready: Promise<void>) {
    this.#socket = socket;
    this.#ready = ready;
    ready.catch(() => {}); // reported by handshake() or the first read
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("close", this.#onEnd);
    socket.on("error", this.#onError);
  }

  #take(p: Uint8Array): number {
    const c = this.#chunks[0];
    const n = Math.min(c.length, p.length);
    p.set(c.subarray(0, n));
    if (n < c.length) this.#chunks[0] = c.subarray(n);
    else this.#chunks.shift();
    return n;
  }

  #pump(): void {
    const r = this.#reader;
    if (!r) return;
    if (this.#chunks.length) {
      this.#reader = undefined;
      r.resolve(this.#take(r.p));
    } else if (this.#closed) {
      this.#reader = undefined;
      r.reject(closedError());
    } else if (this.#error) {
      this.#reader = undefined;
      r.reject(this.#error);
    } else if (this.#ended) {
      this.#reader = undefined;
      r.resolve(null);
    }
  }

  read(p: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#reader) {
      return Promise.reject(new Error("Cannot read: a read is in progress"));
    }
    const promise = new Promise<number | null>((resolve, reject) => {
      this.#reader = { p, resolve, reject };
    });
    this.#pump();
    if (this.#reader) this.#socket.resume();
    return promise;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.#socket.write(p, (err) => err ? reject(err) : resolve(p.length));
    });
  }

  setNoDelay(noDelay = true): void {
    this.#socket.setNoDelay(noDelay);
  }

  handshake(): Promise<void> {
    return this.#ready;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#pump();
  }

  /** Hand the socket over (to TLS): stop reading it here. */
  detach(): Socket {
    const s = this.#socket;
    s.off("data", this.#onData);
    s.off("end", this.#onEnd);
    s.off("close", this.#onEnd);
    s.off("error", this.#onError);
    s.pause();
    this.#closed = true;
    return s;
  }
}

function resolver(nameServer?: NameServer): Resolver {
  const r = new Resolver();
  if (nameServer) {
    const host = isIP(nameServer.ipAddr) === 6
      ? `[${nameServer.ipAddr}]`
      : nameServer.ipAddr;
    r.setServers([`${host}:${nameServer.port ?? 53}`]);
  }
  return r;
}

/**
 * The socket calls of Node and Bun.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { nodeSockets } from "./sockets_node.ts";
 * ok(typeof nodeSockets.startTls === "function");
 * ```
 */
export const nodeSockets: SocketApi = {
  connect({ hostname, port }) {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: hostname, port });
      const onError = (err: Error) => reject(err);
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError);
        resolve(new NodeConn(socket, Promise.resolve()));
      });
    });
  },
  startTls(conn, { hostname, caCerts }) {
    if (!(conn instanceof NodeConn)) {
      return Promise.reject(
        new TypeError("Cannot start TLS: not a socket from nodeSockets"),
      );
    }
    const socket = conn.detach();
    const tls = tlsConnect({
      socket,
      host: hostname,
      // SNI carries a name only, never an address (RFC 6066 §3)
      ...(isIP(hostname) ? {} : { servername: hostname }),
      // like Deno's caCerts: trusted besides the runtime's roots
      ...(caCerts?.length ? { ca: [...rootCertificates, ...caCerts] } : {}),
    });
    const ready = new Promise<void>((resolve, reject) => {
      tls.once("secureConnect", () => resolve());
      tls.once("error", reject);
    });
    return Promise.resolve(new NodeConn(tls, ready) as SocketConn as TlsSocket);
  },
  resolveSrv: async (name, ns) =>
    (await resolver(ns).resolveSrv(name)).map((r): SrvRecord => ({
      priority: r.priority,
      weight: r.weight,
      port: r.port,
      target: r.name,
    })),
  resolveA: (name, ns) => resolver(ns).resolve4(name),
};
