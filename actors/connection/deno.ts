/**
 * The connection for Deno: {@linkcode Connection} plus the TCP (STARTTLS)
 * and direct TLS transports, and a WebSocket one that trusts `tls.caCerts`
 * for `wss://`; they use `Deno.*` and so stay out of the browser build.
 *
 * @module
 */
import "../../src/saslprep_deno.ts"; // full SASLprep tables in Deno
import { directTlsTransport, tcpTransport } from "../transport/tcp.ts";
import { denoWebsocketTransport } from "../transport/websocket_deno.ts";
import {
  Connection,
  type ConnectionOptions,
  type TransportMap,
} from "./connection.ts";

/**
 * Every transport available in Deno, by scheme.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { denoTransports } from "./deno.ts";
 * ok(denoTransports.xmpp !== undefined && denoTransports.wss !== undefined);
 * ```
 */
export const denoTransports: Required<TransportMap> = {
  xmpp: tcpTransport,
  xmpps: directTlsTransport,
  ws: denoWebsocketTransport,
  wss: denoWebsocketTransport,
};

/**
 * A {@linkcode Connection} that can also dial `xmpp://` and `xmpps://`.
 *
 * @example Usage
 * ```ts ignore
 * import { DenoConnection } from "./deno.ts";
 * const conn = new DenoConnection({ jid: "alice@localhost", password: "pw" });
 * await conn.start();
 * await conn.stop();
 * ```
 */
export class DenoConnection extends Connection {
  /**
   * Create a connection; nothing is dialled until `start()`.
   * @param options As for {@linkcode Connection}; `transports` overrides the Deno ones.
   */
  constructor(options: ConnectionOptions) {
    super({
      ...options,
      transports: { ...denoTransports, ...options.transports },
    });
  }
}
