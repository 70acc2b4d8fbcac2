/**
 * The live inspector's server in Deno (`Deno.serve`; Node and Bun have
 * `server_node.ts`, the same rules through `gate.ts`): serves the page and its assets
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
  type SourceLimits,
} from "./collector.ts";
import {
  type Gate,
  HEADERS,
  inspectorServer,
  inspectorToken,
  makeGate,
  servePage,
  serveSource,
} from "./gate.ts";
import { LayoutQueue } from "./layout_queue.ts";

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
  const token = inspectorToken(options.token);
  // Known once listening (the port): no request comes in before.
  const ready: { gate?: Gate } = {};
  const server = Deno.serve({
    port: options.port ?? 0,
    hostname,
    onListen: () => {},
  }, (req) => {
    const answer = ready.gate!.decide({
      method: req.method,
      path: new URL(req.url).pathname,
      host: req.headers.get("host"),
      origin: req.headers.get("origin"),
      websocket: req.headers.get("upgrade")?.toLowerCase() === "websocket",
    });
    switch (answer.kind) {
      case "refuse":
        return new Response(answer.text, {
          status: answer.status,
          headers: { ...HEADERS, "content-type": "text/plain; charset=utf-8" },
        });
      case "redirect":
        return new Response(null, {
          status: 308,
          headers: { ...HEADERS, location: answer.location },
        });
      case "asset":
        return new Response(answer.body, {
          headers: { ...HEADERS, "content-type": answer.contentType },
        });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    sockets.add(socket);
    socket.addEventListener("close", () => sockets.delete(socket));
    if (answer.endpoint === "page") {
      socket.addEventListener("open", () => servePage(collector, socket));
    } else serveSource(collector, socket, `s${++sources}`);
    return response;
  });
  const port = server.addr.port;
  const gate = ready.gate = makeGate({ ...options, hostname, port, token });
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
  return inspectorServer(collector, gate, port, close);
}
