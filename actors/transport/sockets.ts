/**
 * The socket calls the TCP and socket-WebSocket transports make, as an
 * interface, so one transport runs on every runtime: {@linkcode denoSockets}
 * (`Deno.connect`, `Deno.startTls`, `Deno.resolveDns`) in Deno, the
 * `node:net`/`node:tls` ones (`./sockets_node.ts`) in Node and Bun, another
 * in tests. The shapes are the subset of Deno's connections the transports
 * use; a Deno connection is one as it is.
 *
 * @module
 */
import type { SrvRecord } from "../../src/srv.ts";

/** A connected socket, TCP or TLS: pull reads, writes, close. */
export interface SocketConn {
  /** Read into `p`: bytes read, `null` at the end of the stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Write (some of) `p`: bytes written. */
  write(p: Uint8Array): Promise<number>;
  /** Close; a read in progress fails with an error named `BadResource`. */
  close(): void;
}

/** A plain TCP socket. */
export interface TcpSocket extends SocketConn {
  /** Turn Nagle's algorithm off (`true`) or on. */
  setNoDelay(noDelay?: boolean): void;
}

/** A TLS socket. */
export interface TlsSocket extends SocketConn {
  /** Resolves when the TLS handshake is done; rejects on a certificate problem. */
  handshake(): Promise<unknown>;
}

/** A name server to ask instead of the system's. */
export interface NameServer {
  /** Its IP address. */
  ipAddr: string;
  /** Its port. @default {53} */
  port?: number;
}

/** The socket calls of a runtime. */
export interface SocketApi {
  /** A TCP connection (as `Deno.connect`). */
  connect(options: { hostname: string; port: number }): Promise<TcpSocket>;
  /** TLS over a TCP connection (as `Deno.startTls`), checked against `hostname`. */
  startTls(
    conn: TcpSocket,
    options: { hostname: string; caCerts?: string[] },
  ): Promise<TlsSocket>;
  /** SRV records of `name` (as `Deno.resolveDns(name, "SRV")`). */
  resolveSrv(name: string, nameServer?: NameServer): Promise<SrvRecord[]>;
  /** IPv4 addresses of `name`. */
  resolveA(name: string, nameServer?: NameServer): Promise<string[]>;
}

function dnsOptions(nameServer?: NameServer): Deno.ResolveDnsOptions {
  return nameServer
    ? { nameServer: { ipAddr: nameServer.ipAddr, port: nameServer.port ?? 53 } }
    : {};
}

/**
 * The real socket calls of Deno.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { denoSockets } from "./sockets.ts";
 * ok(typeof denoSockets.connect === "function");
 * ```
 */
export const denoSockets: SocketApi = {
  connect: (options) => Deno.connect(options),
  startTls: (conn, options) => Deno.startTls(conn as Deno.TcpConn, options),
  resolveSrv: (name, ns) =>
    Deno.resolveDns(name, "SRV", dnsOptions(ns)) as Promise<SrvRecord[]>,
  resolveA: (name, ns) => Deno.resolveDns(name, "A", dnsOptions(ns)),
};

/**
 * Whether `err` is what a read on a socket closed by this side throws
 * (Deno's `BadResource`, or the same name from another runtime's adapter).
 *
 * @param err What the read threw.
 * @returns Whether the socket was closed here.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isClosedHere } from "./sockets.ts";
 * ok(isClosedHere(new Deno.errors.BadResource()));
 * ```
 */
export function isClosedHere(err: unknown): boolean {
  return (err as Error)?.name === "BadResource";
}
