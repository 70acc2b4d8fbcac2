/**
 * The transports of Node and Bun: the same TCP (STARTTLS), direct TLS and
 * socket WebSocket transports as in Deno (`./tcp.ts`,
 * `./websocket_socket.ts`), over `node:net` and `node:tls`
 * (`./sockets_node.ts`): no-delay on, SNI, `tls.caCerts` trusted besides the
 * runtime's roots, for `wss://` too (a runtime's own `WebSocket` takes no
 * CA, and Node's leaves Nagle to the runtime).
 *
 * @module
 */
import type { TransportLogic } from "./protocol.ts";
import { socketTransport } from "./tcp.ts";
import { makeSocketWebsocketTransport } from "./websocket_socket.ts";
import { nodeSockets } from "./sockets_node.ts";

/**
 * Plain TCP with STARTTLS (`xmpp://host:port`) over `node:net`/`node:tls`.
 *
 * @example Usage
 * ```ts ignore
 * import { nodeTcpTransport } from "./tcp_node.ts";
 * const xmpp = createClient({ jid, password, transports: { xmpp: nodeTcpTransport } });
 * ```
 */
export const nodeTcpTransport: TransportLogic = socketTransport(
  false,
  nodeSockets,
);

/**
 * Direct TLS (`xmpps://host:port`, XEP-0368) over `node:net`/`node:tls`.
 *
 * @example Usage
 * ```ts ignore
 * import { nodeDirectTlsTransport } from "./tcp_node.ts";
 * const xmpp = createClient({ jid, password, transports: { xmpps: nodeDirectTlsTransport } });
 * ```
 */
export const nodeDirectTlsTransport: TransportLogic = socketTransport(
  true,
  nodeSockets,
);

/**
 * WebSocket (`ws://`, `wss://`, RFC 7395) over `node:net`/`node:tls`.
 *
 * @example Usage
 * ```ts ignore
 * import { nodeWebsocketTransport } from "./tcp_node.ts";
 * const xmpp = createClient({ jid, password, transports: { wss: nodeWebsocketTransport } });
 * ```
 */
export const nodeWebsocketTransport: TransportLogic =
  makeSocketWebsocketTransport({ sockets: nodeSockets });
