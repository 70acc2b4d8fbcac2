/**
 * The live inspector's server in Node (≥ 20) and Bun: the page, its assets
 * and both WebSockets through `node:http`, the WebSocket upgrade through npm
 * `ws` (loaded on first use). The same rules as Deno's `server.ts`, from the
 * same `gate.ts`: the token in every path, `Host` and `Origin` checks,
 * redacted frames, the `/source` bounds.
 *
 * The one difference: a `/source` frame longer than four times
 * `sources.maxFrameLength` (at least 1 MiB) closes that source's socket
 * (`ws`'s `maxPayload`, close code 1009) instead of being read and counted;
 * a page, which only sends acknowledgements, may send frames of 4 KiB.
 *
 * @module
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { Collector } from "./collector.ts";
import {
  type GateAnswer,
  HEADERS,
  inspectorServer,
  inspectorToken,
  makeGate,
  servePage,
  type ServerSocket,
  serveSource,
} from "./gate.ts";
import { sourceBounds } from "./ingest.ts";
import type { InspectorOptions, InspectorServer } from "./server.ts";

/** The part of a `ws` WebSocket used here. */
interface WsSocket extends ServerSocket {
  on(type: "error", listener: (e: Error) => void): void;
  terminate(): void;
}
/** The part of a `ws` WebSocketServer used here. */
interface WsServer {
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
    done: (ws: WsSocket) => void,
  ): void;
  close(): void;
}
type WsServerClass = new (options: {
  noServer: true;
  maxPayload: number;
}) => WsServer;

/**
 * Start a live inspector in Node or Bun; see `createInspector` of `mod.ts`
 * (Deno) for what it shows. The same options and result, except that it
 * returns a promise: `node:http` knows its port only once it listens.
 * (`await createInspector()` reads the same in Deno.)
 *
 * @param options See {@linkcode InspectorOptions}.
 * @returns The running inspector, once it listens.
 * @throws {TypeError} A `token` that is too short or has other characters
 * than `A-Z a-z 0-9 _ -` (as a rejection).
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { createInspector } from "./server_node.ts";
 *
 * const inspector = await createInspector();
 * const page = await fetch(inspector.url);
 * ok((await page.text()).includes("inspector"));
 * await inspector.close();
 * ```
 */
export async function createInspector(
  options: InspectorOptions = {},
): Promise<InspectorServer> {
  const token = inspectorToken(options.token);
  const hostname = options.hostname ?? "127.0.0.1";
  const { WebSocketServer } = await import("../../src/deps_node.ts") as {
    WebSocketServer: WsServerClass;
  };
  const { maxFrameLength } = sourceBounds(options.sources);
  const wss = {
    page: new WebSocketServer({ noServer: true, maxPayload: 4096 }),
    source: new WebSocketServer({
      noServer: true,
      maxPayload: Math.max(4 * maxFrameLength, 1 << 20),
    }),
  };
  const collector = new Collector({
    history: options.history,
    pageBuffer: options.pageBuffer,
    sources: options.sources,
  });
  const sockets = new Set<WsSocket>();
  let sources = 0;
  // Known once listening (the port).
  const ready: {
    decide?: (req: IncomingMessage, websocket: boolean) => GateAnswer;
  } = {};
  const server = createServer((req, res) => {
    const answer = ready.decide?.(req, false);
    const [status, headers, body] = reply(answer);
    res.writeHead(status, headers).end(body);
  });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head) => {
    socket.on("error", () => {}); // a peer's reset is not our error
    const websocket = req.headers.upgrade?.toLowerCase() === "websocket";
    const answer = ready.decide?.(req, websocket);
    if (answer?.kind !== "socket") {
      // No upgrade: answer on the raw socket, as the request handler would.
      const [status, headers, body] = reply(answer);
      const lines = Object.entries({
        ...headers,
        "content-length": String(new TextEncoder().encode(body).length),
        connection: "close",
      }).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      socket.end(
        `HTTP/1.1 ${status} ${REASONS[status]}\r\n${lines}\r\n${body}`,
      );
      return;
    }
    const endpoint = answer.endpoint;
    wss[endpoint].handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", () => {}); // e.g. over maxPayload: ws closes it (1009)
      sockets.add(ws);
      ws.addEventListener("close", () => sockets.delete(ws));
      if (endpoint === "page") servePage(collector, ws);
      else serveSource(collector, ws, `s${++sources}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const gate = makeGate({ ...options, hostname, port, token });
  ready.decide = (req, websocket) =>
    gate.decide({
      method: req.method ?? "GET",
      path: pathOf(req.url ?? ""),
      host: req.headers.host ?? null,
      origin: typeof req.headers.origin === "string"
        ? req.headers.origin
        : null,
      websocket,
    });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      for (const s of sockets) s.terminate();
      wss.page.close();
      wss.source.close();
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
    return closed;
  };
  return inspectorServer(collector, gate, port, close);
}

const REASONS: Record<number, string> = {
  200: "OK",
  308: "Permanent Redirect",
  403: "Forbidden",
  404: "Not Found",
  421: "Misdirected Request",
  503: "Service Unavailable",
};

/** Status, headers and body of an answer that is not a WebSocket. */
function reply(
  answer: GateAnswer | undefined,
): [number, Record<string, string>, string] {
  const text = { ...HEADERS, "content-type": "text/plain; charset=utf-8" };
  switch (answer?.kind) {
    case "refuse":
      return [answer.status, text, answer.text];
    case "redirect":
      return [308, { ...HEADERS, location: answer.location }, ""];
    case "asset":
      return [
        200,
        { ...HEADERS, "content-type": answer.contentType },
        answer.body,
      ];
    case "socket": // asked for a WebSocket without the upgrade headers
      return [404, text, "Not found"];
    default: // not listening yet
      return [503, text, "Not ready"];
  }
}

/** The path of a request target (origin form or absolute form). */
function pathOf(target: string): string {
  if (target.startsWith("/")) return target.replace(/[?#][^]*$/, "");
  try {
    return new URL(target).pathname;
  } catch {
    return "";
  }
}
