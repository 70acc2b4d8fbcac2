/**
 * xmpp-actors for Node (≥ 20) and Bun: the entry point of the npm package.
 * Everything in `mod_browser.ts`, plus `createClient()` with TCP
 * (STARTTLS), direct TLS and WebSocket over `node:net`/`node:tls` (no-delay,
 * SNI, `tls.caCerts`), the file storage over `node:fs`, the Redis storage
 * (node-redis, loaded on first use) and the live inspector (`node:http` and
 * npm `ws`; `createInspector()` returns a promise here). The same source as
 * `mod.ts`.
 *
 * @example Bits of Binary, stored in files
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { createClient, fileStorage } from "./mod_node.ts";
 * const dir = mkdtempSync(`${tmpdir()}/bob-`);
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * await bob.api.bind(fileStorage({ dir }));
 * const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain");
 * strictEqual(new TextDecoder().decode((await bob.getBob({ cid })).data), "coucou");
 * await xmpp.stop();
 * rmSync(dir, { recursive: true });
 * ```
 *
 * @module
 */
import "./src/saslprep_deno.ts"; // full SASLprep tables (needs Node's Buffer)
import "./src/base64_node.ts"; // Buffer's base64 where Uint8Array has none
export * from "./mod_browser.ts";
export { createClient } from "./actors/client/deno.ts";
export { fileStorage, type FileStorageOptions } from "./actors/storage/file.ts";
export { nodeTransports } from "./actors/connection/runtime.ts";
export {
  redisStorage,
  type RedisStorageOptions,
} from "./actors/storage/redis/storage.ts";
export type {
  CollectorStats,
  SourceLimits,
} from "./actors/inspector/collector.ts";
export type {
  InspectorOptions,
  InspectorServer,
} from "./actors/inspector/server.ts";
export { createInspector } from "./actors/inspector/server_node.ts";
