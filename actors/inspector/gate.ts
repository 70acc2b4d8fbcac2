/**
 * What the inspector's servers (Deno's in `server.ts`, `node:http`'s in
 * `server_node.ts`) answer, decided in one place so both apply the same
 * rules: the token in the path, the `Host` check (DNS rebinding), the
 * `Origin` check (other web pages), the assets and their headers; and how
 * a page or `/source` WebSocket is wired to the collector.
 *
 * @module
 */
import type { Collector, PageSink } from "./collector.ts";
import type { InspectorServer } from "./server.ts";
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from "./page.ts";
import { isLoopbackHost } from "../transport/protocol.ts";
import { encodeHex } from "../../src/base64.ts";

const ASSETS: Record<string, [string, string]> = {
  "": [PAGE_HTML, "text/html; charset=utf-8"],
  "index.html": [PAGE_HTML, "text/html; charset=utf-8"],
  "inspector.js": [PAGE_JS, "text/javascript; charset=utf-8"],
  "inspector.css": [PAGE_CSS, "text/css; charset=utf-8"],
};

/** Headers of every answer. */
export const HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; connect-src 'self'; frame-ancestors 'none'",
};

/** A request as the gate reads it. */
export interface GateRequest {
  /** `GET`, `POST`, … */
  method: string;
  /** The path of the URL (no query). */
  path: string;
  /** The `Host` header, if any. */
  host: string | null;
  /** The `Origin` header, if any. */
  origin: string | null;
  /** Whether it asks for a WebSocket (`Upgrade: websocket`). */
  websocket: boolean;
}

/** What to answer to a {@linkcode GateRequest}. */
export type GateAnswer =
  | { kind: "refuse"; status: 403 | 404 | 421; text: string }
  | { kind: "redirect"; location: string }
  | { kind: "asset"; body: string; contentType: string }
  | { kind: "socket"; endpoint: "page" | "source" };

/** The names and origins of one listening inspector. */
export interface Gate {
  /** The page's address, with its token. */
  url: string;
  /** The `/source` WebSocket's address. */
  sourceUrl: string;
  /**
   * Decide what to answer.
   * @param req The request.
   * @returns The answer.
   */
  decide(req: GateRequest): GateAnswer;
}

/**
 * The token of an inspector: the one given, checked, or a random one.
 *
 * @param token The `token` option.
 * @returns The token.
 * @throws {TypeError} When a given token is too short or has other
 * characters than `A-Z a-z 0-9 _ -`.
 *
 * @example Usage
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { inspectorToken } from "./gate.ts";
 * throws(() => inspectorToken("guessable"), TypeError);
 * ```
 */
export function inspectorToken(token?: string): string {
  const t = token ?? encodeHex(crypto.getRandomValues(new Uint8Array(16)));
  if (!/^[A-Za-z0-9_-]{16,}$/.test(t)) {
    throw new TypeError(
      "Cannot start inspector: token must be 16 or more of A-Z a-z 0-9 _ -",
    );
  }
  return t;
}

/**
 * The gate of an inspector listening on `hostname:port`.
 *
 * @param listen Where it listens, its token, and the extra names it takes.
 * @returns The gate.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { makeGate } from "./gate.ts";
 * const gate = makeGate({ hostname: "127.0.0.1", port: 8080, token: "t".repeat(16) });
 * const ask = (host: string) =>
 *   gate.decide({ method: "GET", path: `/${"t".repeat(16)}/`, host, origin: null, websocket: false }).kind;
 * strictEqual(ask("localhost:8080"), "asset");
 * strictEqual(ask("evil.example:8080"), "refuse");
 * ```
 */
export function makeGate(listen: {
  hostname: string;
  port: number;
  token: string;
  allowedHosts?: string[];
  sourceOrigins?: string[];
}): Gate {
  const { hostname, port, token } = listen;
  const prefix = `/${token}/`;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const names = new Set([host.toLowerCase()]);
  // Loopback names for a loopback or wildcard address (the wildcard
  // listens on loopback too).
  if (
    isLoopbackHost(hostname.replace(/^\[(.*)\]$/, "$1")) ||
    hostname === "0.0.0.0" || hostname === "::"
  ) {
    for (const n of ["localhost", "127.0.0.1", "[::1]"]) names.add(n);
  }
  for (const n of listen.allowedHosts ?? []) names.add(n.toLowerCase());
  const hosts = new Set([...names].map((n) => `${n}:${port}`));
  const origins = new Set([...names].map((n) => `http://${n}:${port}`));
  const sourceOrigins = new Set(
    (listen.sourceOrigins ?? []).map((o) => o.toLowerCase()),
  );
  const refuse = (status: 403 | 404 | 421): GateAnswer => ({
    kind: "refuse",
    status,
    text: status === 421
      ? "Misdirected request"
      : status === 403
      ? "Forbidden"
      : "Not found",
  });
  return {
    url: `http://${host}:${port}${prefix}`,
    sourceUrl: `ws://${host}:${port}${prefix}source`,
    decide(req) {
      // DNS rebinding: a page of attacker.example resolving to us sends its
      // own name as Host.
      if (!hosts.has((req.host ?? "").toLowerCase())) return refuse(421);
      const { path } = req;
      const slash = path.indexOf("/", 1);
      const given = slash === -1 ? path.slice(1) : path.slice(1, slash);
      if (!sameSecret(given, token)) return refuse(404);
      if (slash === -1) return { kind: "redirect", location: prefix };
      const rest = path.slice(prefix.length);
      const origin = req.origin?.toLowerCase() ?? null;
      if (req.websocket) {
        if (rest !== "page" && rest !== "source") return refuse(404);
        // Browsers always send Origin on a WebSocket; tools do not.
        const own = origin === null || origins.has(origin) ||
          (rest === "source" && sourceOrigins.has(origin));
        return own ? { kind: "socket", endpoint: rest } : refuse(403);
      }
      if (origin !== null && !origins.has(origin)) return refuse(403);
      const asset = req.method === "GET" ? ASSETS[rest] : undefined;
      if (!asset) return refuse(404);
      return { kind: "asset", body: asset[0], contentType: asset[1] };
    },
  };
}

// Compares in time independent of where the strings differ.
function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) {
    diff |= (a.charCodeAt(i) | 0) ^ b.charCodeAt(i);
  }
  return diff === 0;
}

/** The part of a server-side WebSocket (Deno's, or npm `ws`) used here. */
export interface ServerSocket {
  /** 1 when open. */
  readonly readyState: number;
  /** Send a text frame. */
  send(data: string): void;
  /** Listen to `message` or `close`. */
  addEventListener(
    type: "message" | "close",
    listener: (e: { data: unknown }) => void,
  ): void;
}

/**
 * Wire a page's WebSocket to the collector: frames out (while open), each
 * message in an acknowledgement, detached on close.
 *
 * @param collector The collector.
 * @param socket The page's socket, once open.
 * @returns Detaches the page.
 */
export function servePage(
  collector: Collector,
  socket: ServerSocket,
): () => void {
  const sink: PageSink = {
    send(message) {
      if (socket.readyState === 1) socket.send(message);
    },
  };
  const detach = collector.attach(sink);
  socket.addEventListener("message", () => collector.ack(sink));
  socket.addEventListener("close", detach);
  return detach;
}

/**
 * Wire a `/source` WebSocket to the collector: each text frame ingested
 * under `name`, forgotten on close.
 *
 * @param collector The collector.
 * @param socket The source's socket.
 * @param name The source's name (`s1`, `s2`, …).
 */
export function serveSource(
  collector: Collector,
  socket: ServerSocket,
  name: string,
): void {
  socket.addEventListener("message", (e) => {
    if (typeof e.data === "string") collector.ingest(name, e.data);
  });
  socket.addEventListener("close", () => collector.forget(name));
}

/**
 * What `createInspector` returns, from the parts both servers have: the
 * collector, the gate (its URLs), the port and how to close.
 *
 * @param collector The collector.
 * @param gate The gate.
 * @param port The port listened on.
 * @param close Stops serving and closes every socket.
 * @returns The inspector server.
 */
export function inspectorServer(
  collector: Collector,
  gate: Gate,
  port: number,
  close: () => Promise<void>,
): InspectorServer {
  return {
    inspect: collector.inspect,
    watch: (root) => collector.watch(root),
    url: gate.url,
    sourceUrl: gate.sourceUrl,
    port,
    stats: () => collector.stats(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
