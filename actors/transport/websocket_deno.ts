/**
 * The WebSocket transport for Deno: `ws://` and `wss://` (trusting
 * `tls.caCerts` besides the system's roots), on a `Deno.connect` socket
 * with no-delay rather than Deno's own `WebSocket` (which leaves Nagle on;
 * see `./websocket_socket.ts`). Uses `Deno.*`, so it stays out of the
 * browser build, which keeps the browser's `WebSocket` (`./websocket.ts`).
 *
 * @module
 */
import type { TransportLogic } from "./protocol.ts";
import { socketWebsocketTransport } from "./websocket_socket.ts";

/**
 * The Deno WebSocket transport actor logic: `ws://` and `wss://`, with
 * `caCerts` trusted for `wss://` besides the system's roots.
 *
 * @example Usage
 * ```ts ignore
 * import { connectionMachine } from "../connection/machine.ts";
 * import { denoWebsocketTransport } from "./websocket_deno.ts";
 * const machine = connectionMachine.provide({ actors: { transport: denoWebsocketTransport } });
 * ```
 */
export const denoWebsocketTransport: TransportLogic = socketWebsocketTransport;
