/**
 * `createClient()` for Deno, Node and Bun: the browser-safe client plus the
 * TCP (STARTTLS), direct TLS and socket WebSocket transports of the runtime
 * (`Deno.*` in Deno, `node:net`/`node:tls` elsewhere: see
 * `actors/connection/runtime.ts`).
 *
 * @module
 */
import { Client, type ClientOptions } from "./client.ts";
import { runtimeTransports } from "../connection/runtime.ts";

/**
 * Create a client that can dial `xmpp://`, `xmpps://`, `ws://` and `wss://`.
 * No connection is made until `start()`; local plugin use needs none.
 *
 * @param options JID, password, connection and runtime options.
 * @returns The client.
 * @throws {TypeError} An invalid JID, service, password or combination of
 *   options (e.g. `ws://` to a host that is not loopback without
 *   `allowUnencrypted`): every option is checked here, not at `start()`.
 * @throws {RangeError} A numeric option out of range (the message names it).
 *
 * @example Usage
 * ```ts
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * await bob.setBob(new TextEncoder().encode("hi"), "text/plain");
 * await xmpp.stop();
 * ```
 */
export function createClient(options: ClientOptions): Client {
  return new Client({
    ...options,
    transports: { ...runtimeTransports, ...options.transports },
  });
}
