/**
 * The live inspector's server (Deno only): serves the page and its assets
 * from this package, streams frames to each open page over a WebSocket, and
 * accepts the stream of `@statelyai/inspect`'s `createWebSocketInspector`
 * from any XState app.
 *
 * Every path is behind a random token (`http://127.0.0.1:<port>/<token>/`):
 * without it, 404. A request whose `Host` is not one of the names the server
 * answers to (loopback names for a loopback address) gets 421, so a DNS
 * rebinding page cannot reach it; a WebSocket whose `Origin` is another site
 * gets 403. Frames are redacted (see `src/redact.ts`) before they leave.
 *
 * @module
 */
import type { AnyActorRef, Inspector } from "../../src/types.ts";
import {
  Collector,
  type CollectorStats,
  type PageSink,
  type SourceLimits,
} from "./collector.ts";
import { LayoutQueue } from "./layout_queue.ts";
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from "./page.ts";
import { isLoopbackHost } from "../transport/protocol.ts";
import { encodeHex } from "../../src/base64.ts";

/** Options of {@linkcode createInspector}. */
export interface InspectorOptions {
  /**
   * The TCP port; `0` picks a free one (read it from `url`).
   * @default {0}
   */
  port?: number;
  /**
   * The address to listen on. Keep it on loopback unless you mean to show
   * your actors' events (stanzas, payloads) to the network.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * More `Host` names (without port) the server answers to, besides the
   * address it listens on and, on loopback or the wildcard address,
   * `localhost`, `127.0.0.1` and `[::1]`. Any other `Host` gets 421 (DNS
   * rebinding). Listening on the network (`hostname: "0.0.0.0"`), add the
   * names or addresses it is reached by here.
   * @default {[]}
   */
  allowedHosts?: string[];
  /**
   * More origins (e.g. `"http://localhost:5173"`, an XState app in a
   * browser using `@statelyai/inspect`) that may open the `/source`
   * WebSocket. The page endpoint takes only the inspector's own origin.
   * WebSockets without `Origin` (not from a browser: Deno, Node, curl) are
   * accepted on both: they still need the token.
   * @default {[]}
   */
  sourceOrigins?: string[];
  /**
   * The secret path segment of every URL. Random (128 bits) by default; set
   * it only to keep a URL stable across restarts.
   * @default {random}
   */
  token?: string;
  /** Bounds on what `/source` senders can make the inspector keep. */
  sources?: SourceLimits;
  /**
   * Recent events kept for pages that open later.
   * @default {1000}
   */
  history?: number;
  /**
   * Frames that may wait for one page before the oldest are dropped (the
   * page shows how many).
   * @default {10000}
   */
  pageBuffer?: number;
}

/** A running inspector, as returned by {@linkcode createInspector}. */
export interface InspectorServer {
  /**
   * The XState inspection observer: `createClient({ inspect })`, or
   * `createActor(machine, { inspect })` for any machine.
   */
  readonly inspect: Inspector;
  /**
   * Watch an actor tree on demand (see `Collector.watch`): pass the
   * inspector itself, `createClient({ inspect: inspector })`, and the client
   * is observed only while a page is open.
   * @param root The root actor.
   * @returns A function that stops watching.
   */
  watch(root: AnyActorRef): () => void;
  /**
   * The page's address, with its token, e.g.
   * `http://127.0.0.1:43111/Yk3…Q/`. Anyone who has it sees your actors'
   * events (redacted of credentials): do not share it.
   */
  readonly url: string;
  /**
   * Where `@statelyai/inspect`'s `createWebSocketInspector({ url })` sends
   * its frames, e.g. `ws://127.0.0.1:43111/Yk3…Q/source`.
   */
  readonly sourceUrl: string;
  /** The port listened on. */
  readonly port: number;
  /** Counters: open pages, running actors, events seen, frames dropped. */
  stats(): CollectorStats;
  /** Stop serving and close every socket. */
  close(): Promise<void>;
  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const ASSETS: Record<string, [string, string]> = {
  "": [PAGE_HTML, "text/html; charset=utf-8"],
  "index.html": [PAGE_HTML, "text/html; charset=utf-8"],
  "inspector.js": [PAGE_JS, "text/javascript; charset=utf-8"],
  "inspector.css": [PAGE_CSS, "text/css; charset=utf-8"],
};

const HEADERS = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy":
    "default-src 'self'; connect-src 'self'; frame-ancestors 'none'",
};

/**
 * Start a live inspector: a local web page showing the running actors, each
 * machine's chart with its current state, the messages between actors, and
 * recordings to replay. Everything is served from this process; nothing is
 * fetched from elsewhere.
 *
 * The page is at `url`, behind a random token; other web pages on the
 * machine cannot open it or its WebSockets (`Host` and `Origin` are
 * checked), and every frame is redacted of credentials (password, SASL
 * payloads, SCRAM proofs and keys, tokens) before it is sent, so
 * recordings hold none either.
 *
 * When no page is open, the observer only keeps a ring of recent events (by
 * reference) and the set of running actors: nothing is serialized.
 *
 * @param options See {@linkcode InspectorOptions}.
 * @returns The running inspector.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createInspector } from "./server.ts";
 * import { createClient } from "../../mod.ts";
 *
 * const inspector = createInspector();
 * const xmpp = createClient({ jid: "alice@localhost", inspect: inspector.inspect });
 * const page = await fetch(inspector.url);
 * ok((await page.text()).includes("inspector"));
 * await xmpp.stop();
 * await inspector.close();
 * ```
 */
export function createInspector(
  options: InspectorOptions = {},
): InspectorServer {
  const layouts = new LayoutQueue(); // charts laid out in a worker
  const collector = new Collector({
    layouts,
    history: options.history,
    pageBuffer: options.pageBuffer,
    sources: options.sources,
  });
  const sockets = new Set<WebSocket>();
  let sources = 0;
  const hostname = options.hostname ?? "127.0.0.1";
  const token = options.token ?? randomToken();
  if (!/^[A-Za-z0-9_-]{16,}$/.test(token)) {
    throw new TypeError(
      "Cannot start inspector: token must be 16 or more of A-Z a-z 0-9 _ -",
    );
  }
  const prefix = `/${token}/`;
  const server = Deno.serve({
    port: options.port ?? 0,
    hostname,
    onListen: () => {},
  }, (req) => {
    // DNS rebinding: a page of attacker.example resolving to us sends its
    // own name as Host.
    const hostHeader = req.headers.get("host") ?? "";
    if (!hosts.has(hostHeader.toLowerCase())) {
      return refuse(421, "Misdirected request");
    }
    const path = new URL(req.url).pathname;
    const slash = path.indexOf("/", 1);
    const given = slash === -1 ? path.slice(1) : path.slice(1, slash);
    if (!sameSecret(given, token)) return refuse(404, "Not found");
    if (slash === -1) {
      return new Response(null, {
        status: 308,
        headers: { ...HEADERS, location: prefix },
      });
    }
    const rest = path.slice(prefix.length);
    const origin = req.headers.get("origin");
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      if (rest !== "page" && rest !== "source") return refuse(404, "Not found");
      // Browsers always send Origin on a WebSocket; tools do not.
      const own = origin === null ||
        origins.has(origin.toLowerCase()) ||
        (rest === "source" && sourceOrigins.has(origin.toLowerCase()));
      if (!own) return refuse(403, "Forbidden");
      const { socket, response } = Deno.upgradeWebSocket(req);
      sockets.add(socket);
      socket.addEventListener("close", () => sockets.delete(socket));
      if (rest === "page") servePage(collector, socket);
      else serveSource(collector, socket, `s${++sources}`);
      return response;
    }
    if (origin !== null && !origins.has(origin.toLowerCase())) {
      return refuse(403, "Forbidden");
    }
    const asset = req.method === "GET" ? ASSETS[rest] : undefined;
    if (!asset) return refuse(404, "Not found");
    return new Response(asset[0], {
      headers: { ...HEADERS, "content-type": asset[1] },
    });
  });
  const port = server.addr.port;
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
  for (const n of options.allowedHosts ?? []) names.add(n.toLowerCase());
  const hosts = new Set([...names].map((n) => `${n}:${port}`));
  const origins = new Set([...names].map((n) => `http://${n}:${port}`));
  const sourceOrigins = new Set(
    (options.sourceOrigins ?? []).map((o) => o.toLowerCase()),
  );
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      layouts.close();
      for (const s of sockets) {
        try {
          s.close();
        } catch { /* already closing */ }
      }
      await server.shutdown();
    })();
    return closed;
  };
  return {
    inspect: collector.inspect,
    watch: (root) => collector.watch(root),
    url: `http://${host}:${port}${prefix}`,
    sourceUrl: `ws://${host}:${port}${prefix}source`,
    port,
    stats: () => collector.stats(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function randomToken(): string {
  return encodeHex(crypto.getRandomValues(new Uint8Array(16)));
}

// Compares in time independent of where the strings differ.
function sameSecret(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) {
    diff |= (a.charCodeAt(i) | 0) ^ b.charCodeAt(i);
  }
  return diff === 0;
}

function refuse(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { ...HEADERS, "content-type": "text/plain; charset=utf-8" },
  });
}

function servePage(collector: Collector, socket: WebSocket): void {
  let detach: (() => void) | undefined;
  const sink: PageSink = {
    send(message) {
      if (socket.readyState === WebSocket.OPEN) socket.send(message);
    },
  };
  socket.addEventListener("open", () => {
    detach = collector.attach(sink);
  });
  socket.addEventListener("message", () => collector.ack(sink));
  socket.addEventListener("close", () => detach?.());
}

function serveSource(
  collector: Collector,
  socket: WebSocket,
  name: string,
): void {
  socket.addEventListener("message", (e) => {
    if (typeof e.data === "string") collector.ingest(name, e.data);
  });
  socket.addEventListener("close", () => collector.forget(name));
}
