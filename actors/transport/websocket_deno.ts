/**
 * The WebSocket transport for Deno: as `./websocket.ts`, and `wss://` also
 * trusts `tls.caCerts` (through a `Deno.createHttpClient` given to Deno's
 * `WebSocket`). Uses `Deno.*`, so it stays out of the browser build.
 *
 * @module
 */
import type { TransportLogic } from "./protocol.ts";
import { makeWebsocketTransport } from "./websocket.ts";

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
export const denoWebsocketTransport: TransportLogic = makeWebsocketTransport(
  (url, protocol, caCerts) => {
    if (!caCerts?.length || !/^wss:/i.test(url)) {
      return { ws: new WebSocket(url, protocol) };
    }
    const client = Deno.createHttpClient({ caCerts: [...caCerts] });
    try {
      const options = { protocols: [protocol], client };
      return {
        ws: new WebSocket(url, options as unknown as string[]),
        dispose: () => client.close(),
      };
    } catch (err) {
      client.close();
      throw err;
    }
  },
);
