/**
 * Serve the repository to a browser: the working tree on 127.0.0.1, so that
 * `examples/browser/` loads the bundle from `dist/`. IndexedDB needs a real
 * origin: a page opened from a file or `about:blank` has none.
 *
 *     deno task build:browser
 *     deno task browser [port]
 *     # then open the printed address, e.g.
 *     # http://127.0.0.1:8000/examples/browser/?service=ws://127.0.0.1:5280/xmpp-websocket&jid=alice@localhost&password=pw
 *
 * {@linkcode serveStatic} is also what the tests use to serve the page and to
 * import the library by URL (it sends `.ts` as `application/typescript`,
 * which Deno needs for a remote module).
 *
 * @module
 */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  ts: "application/typescript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  png: "image/png",
  svg: "image/svg+xml",
  txt: "text/plain; charset=utf-8",
};

/** Options of {@linkcode serveStatic}. */
export interface StaticOptions {
  /**
   * URL path prefixes served from other directories, e.g.
   * `{ "/dist/": "/tmp/build" }`; the longest match wins.
   */
  mounts?: Record<string, string>;
  /**
   * Port on 127.0.0.1.
   * @default {0} (a free one)
   */
  port?: number;
}

/** A running static server. */
export interface StaticServer {
  /** Its base URL, ending in `/`: `http://127.0.0.1:<port>/`. */
  url: string;
  /** The paths asked for so far, in order. */
  requests: string[];
  /** Stop serving. */
  close(): Promise<void>;
}

/**
 * Serve a directory read-only on 127.0.0.1: GET and HEAD, no listing (a
 * directory serves its `index.html`), nothing outside the root.
 *
 * @param root The directory to serve.
 * @param options Mounts and port.
 * @returns The server.
 */
export function serveStatic(
  root: string,
  options: StaticOptions = {},
): StaticServer {
  const mounts = Object.entries({ "/": root, ...options.mounts })
    .sort((a, b) => b[0].length - a[0].length);
  const requests: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requests.push(path);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed", { status: 405 });
    }
    if (path.split("/").includes("..")) {
      return new Response("forbidden", { status: 403 });
    }
    const [prefix, dir] = mounts.find(([p]) => path.startsWith(p))!;
    let file = `${dir.replace(/\/$/, "")}/${path.slice(prefix.length)}`;
    try {
      if ((await Deno.stat(file)).isDirectory) {
        if (!path.endsWith("/")) {
          return Response.redirect(new URL(`${path}/`, req.url), 301);
        }
        file = `${file.replace(/\/$/, "")}/index.html`;
      }
      const body = await Deno.readFile(file);
      const ext = file.slice(file.lastIndexOf(".") + 1);
      return new Response(req.method === "HEAD" ? null : body, {
        headers: {
          "content-type": TYPES[ext] ?? "application/octet-stream",
          "cache-control": "no-store",
        },
      });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        return new Response("not found", { status: 404 });
      }
      throw e;
    }
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    requests,
    close: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const root = new URL("../../", import.meta.url).pathname;
  try {
    await Deno.stat(`${root}dist/xmpp-actors.js`);
  } catch {
    console.error(
      "no dist/xmpp-actors.js: run `deno task build:browser` first",
    );
    Deno.exit(1);
  }
  const server = serveStatic(root, { port: Number(Deno.args[0] ?? 8000) });
  console.log(`open ${server.url}examples/browser/`);
  console.log(
    "  (add ?service=ws://127.0.0.1:5280/xmpp-websocket&jid=you@localhost&password=… to fill the form)",
  );
}
