/**
 * `createClient()` for Deno: the browser-safe client plus the TCP
 * (STARTTLS) and direct TLS transports, which use `Deno.*`.
 *
 * @module
 */
import { Client, type ClientOptions } from "./client.ts";
import { denoTransports } from "../connection/deno.ts";

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
    transports: { ...denoTransports, ...options.transports },
  });
}
