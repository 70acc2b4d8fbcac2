/**
 * The one place the runtime is chosen: Deno's transports in Deno (the Deno
 * TCP transport was tuned for Deno: issue 23), the `node:net`/`node:tls`
 * ones in Node and Bun. `createClient()` from `mod.ts` and `mod_node.ts`
 * dials with these. (The file storage chooses its file calls the same way,
 * in `actors/storage/file_fs.ts`.)
 *
 * @module
 */
import { denoTransports } from "./deno.ts";
import type { TransportMap } from "./connection.ts";
import {
  nodeDirectTlsTransport,
  nodeTcpTransport,
  nodeWebsocketTransport,
} from "../transport/tcp_node.ts";

/**
 * Every transport of Node and Bun, by scheme.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { nodeTransports } from "./runtime.ts";
 * ok(nodeTransports.xmpps !== undefined);
 * ```
 */
export const nodeTransports: Required<TransportMap> = {
  xmpp: nodeTcpTransport,
  xmpps: nodeDirectTlsTransport,
  ws: nodeWebsocketTransport,
  wss: nodeWebsocketTransport,
};

/** Whether this is Deno (its socket API is there). */
export const isDeno: boolean = typeof (globalThis as {
  Deno?: { connect?: unknown };
}).Deno?.connect === "function";

/**
 * The transports of this runtime: {@linkcode denoTransports} in Deno,
 * {@linkcode nodeTransports} elsewhere.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { denoTransports } from "./deno.ts";
 * import { runtimeTransports } from "./runtime.ts";
 * strictEqual(runtimeTransports, denoTransports);
 * ```
 */
export const runtimeTransports: Required<TransportMap> = isDeno
  ? denoTransports
  : nodeTransports;
