/**
 * The socket calls of Node and Bun (`node:net`, `node:tls`, `node:dns`),
 * shaped as Deno's (`./sockets.ts`) so the TCP, direct TLS and socket
 * WebSocket transports run unchanged: a pull `read()` over the socket's
 * `data` events (the socket is paused while nothing reads, so an unread
 * peer fills the kernel's buffer, not ours), `write()` resolving when the
 * bytes are handed to the kernel, and TLS with SNI and extra CAs added to
 * the runtime's roots (as Deno's `caCerts` are).
 *
 * The `node:*` modules are loaded on the first dial, not when this module
 * loads: a runtime without them (an edge worker, say) can still import the
 * package, and a dial there rejects `start()` with a `ConnectionError`
 * naming what is missing, never an uncaught exception.
 *
 * Written here rather than taken from a library: it is the adapter between
 * two socket APIs of the runtimes themselves, nothing a package provides.
 *
 * @module
 */
import type { Socket } from "node:net";
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
    // its failures reach the TLS socket that wraps it; an error event with
    // no listener would be an uncaught exception
    s.on("error", () => {});
    s.pause();
    this.#closed = true;
    return s;
  }
}

/** The runtime modules the sockets need. */
export interface NodeModules {
  /** `node:net`. */
  net: typeof import("node:net");
  /** `node:tls`. */
  tls: typeof import("node:tls");
  /** `node:dns/promises`. */
  dns: typeof import("node:dns/promises");
}

let loaded: Promise<NodeModules> | undefined;

/**
 * Load `node:net`, `node:tls` and `node:dns/promises` (once).
 *
 * @returns The modules.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { loadNodeModules } from "./sockets_node.ts";
 * ok(typeof (await loadNodeModules()).net.connect === "function");
 * ```
 */
export function loadNodeModules(): Promise<NodeModules> {
  return loaded ??= Promise.all([
    import("node:net"),
    import("node:tls"),
    import("node:dns/promises"),
  ]).then(([net, tls, dns]) => ({ net, tls, dns }));
}

function resolver(
  { net, dns }: NodeModules,
  nameServer?: NameServer,
): InstanceType<NodeModules["dns"]["Resolver"]> {
  const r = new dns.Resolver();
  if (nameServer) {
    const host = net.isIP(nameServer.ipAddr) === 6
      ? `[${nameServer.ipAddr}]`
      : nameServer.ipAddr;
    r.setServers([`${host}:${nameServer.port ?? 53}`]);
  }
  return r;
}

/**
 * Socket calls of Node and Bun over the modules `load` gives
 * ({@linkcode loadNodeModules}; another in tests, to play a runtime without
 * them).
 *
 * @param load Loads the runtime modules.
 * @returns The socket calls.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { makeNodeSockets } from "./sockets_node.ts";
 * ok(typeof makeNodeSockets().connect === "function");
 * ```
 */
export function makeNodeSockets(
  load: () => Promise<NodeModules> = loadNodeModules,
): SocketApi {
  return {
    async connect({ hostname, port }) {
      const { net } = await load();
      return await new Promise<TcpSocket>((resolve, reject) => {
        const socket = net.connect({ host: hostname, port });
        const onError = (err: Error) => reject(err);
        socket.once("error", onError);
        socket.once("connect", () => {
          socket.off("error", onError);
          resolve(new NodeConn(socket, Promise.resolve()));
        });
      });
    },
    async startTls(conn, { hostname, caCerts }) {
      const { net, tls } = await load();
      if (!(conn instanceof NodeConn)) {
        throw new TypeError("Cannot start TLS: not a socket from nodeSockets");
      }
      const socket = conn.detach();
      const secure = tls.connect({
        socket,
        host: hostname,
        // SNI carries a name only, never an address (RFC 6066 §3)
        ...(net.isIP(hostname) ? {} : { servername: hostname }),
        // like Deno's caCerts: trusted besides the runtime's roots
        ...(caCerts?.length
          ? { ca: [...tls.rootCertificates, ...caCerts] }
          : {}),
      });
      const ready = new Promise<void>((resolve, reject) => {
        secure.once("secureConnect", () => resolve());
        secure.once("error", reject);
      });
      return new NodeConn(secure, ready) as SocketConn as TlsSocket;
    },
    async resolveSrv(name, ns) {
      const mods = await load();
      return (await resolver(mods, ns).resolveSrv(name)).map((
        r,
      ): SrvRecord => ({
        priority: r.priority,
        weight: r.weight,
        port: r.port,
        target: r.name,
      }));
    },
    async resolveA(name, ns) {
      return await resolver(await load(), ns).resolve4(name);
    },
  };
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
export const nodeSockets: SocketApi = makeNodeSockets();
