/**
 * The live inspector's server (Deno only): serves the page and its assets
 * from this package, streams frames to each open page over a WebSocket, and
 * accepts the stream of `@statelyai/inspect`'s `createWebSocketInspector`
 * from any XState app.
 *
 * @module
 */
import type { AnyActorRef, Inspector } from "../../src/types.ts";
import { Collector, type CollectorStats, type PageSink } from "./collector.ts";
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from "./page.ts";

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
  /** The page's address, e.g. `http://127.0.0.1:43111/`. */
  readonly url: string;
  /**
   * Where `@statelyai/inspect`'s `createWebSocketInspector({ url })` sends
   * its frames, e.g. `ws://127.0.0.1:43111/source`.
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
  "/": [PAGE_HTML, "text/html; charset=utf-8"],
  "/index.html": [PAGE_HTML, "text/html; charset=utf-8"],
  "/inspector.js": [PAGE_JS, "text/javascript; charset=utf-8"],
  "/inspector.css": [PAGE_CSS, "text/css; charset=utf-8"],
};

/**
 * Start a live inspector: a local web page showing the running actors, each
 * machine's chart with its current state, the messages between actors, and
 * recordings to replay. Everything is served from this process; nothing is
 * fetched from elsewhere.
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
  const collector = new Collector({
    history: options.history,
    pageBuffer: options.pageBuffer,
  });
  const sockets = new Set<WebSocket>();
  let sources = 0;
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({
    port: options.port ?? 0,
    hostname,
    onListen: () => {},
  }, (req) => {
    const path = new URL(req.url).pathname;
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const { socket, response } = Deno.upgradeWebSocket(req);
      sockets.add(socket);
      socket.addEventListener("close", () => sockets.delete(socket));
      if (path === "/page") servePage(collector, socket);
      else serveSource(collector, socket, `s${++sources}`);
      return response;
    }
    const asset = req.method === "GET" ? ASSETS[path] : undefined;
    if (!asset) return new Response("Not found", { status: 404 });
    return new Response(asset[0], {
      headers: { "content-type": asset[1], "cache-control": "no-store" },
    });
  });
  const port = server.addr.port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
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
    url: `http://${host}:${port}/`,
    sourceUrl: `ws://${host}:${port}/source`,
    port,
    stats: () => collector.stats(),
    close,
    [Symbol.asyncDispose]: close,
  };
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
}
