/**
 * xmpp-actors: an XMPP client runtime for Deno and browsers in which the
 * connection, each protocol plugin and each storage backend is an XState v5
 * actor. Plugins reach storage through an internal API registry modelled on
 * slixmpp's `plugin.api`; the bound storage can be swapped at runtime without
 * losing a call.
 *
 * @example Bits of Binary, stored in files
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient, fileStorage } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * await bob.api.bind(fileStorage({ dir }));
 * const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain", { maxAge: 86400 });
 * const got = await bob.getBob({ cid });
 * strictEqual(new TextDecoder().decode(got.data), "coucou");
 * await bob.delBob(cid);
 * await xmpp.stop();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * Everything here but the server-side parts is also in `mod_browser.ts`, the
 * browser entry. This is the surface a user types; the machines, routing
 * and actor protocols are in `internals.ts` (`./internals`), with no promise
 * of stability.
 *
 * @module
 */
import "./src/saslprep_deno.ts"; // full SASLprep tables in Deno
export * from "./mod_browser.ts";
export { createClient } from "./actors/client/deno.ts";
export { fileStorage, type FileStorageOptions } from "./actors/storage/file.ts";
export {
  redisStorage,
  type RedisStorageOptions,
} from "./actors/storage/redis/storage.ts";
export { denoTransports } from "./actors/connection/deno.ts";
export { directTlsTransport, tcpTransport } from "./actors/transport/tcp.ts";
export type {
  CollectorStats,
  SourceLimits,
} from "./actors/inspector/collector.ts";
export {
  createInspector,
  type InspectorOptions,
  type InspectorServer,
} from "./actors/inspector/server.ts";
