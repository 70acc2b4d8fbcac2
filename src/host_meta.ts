/**
 * XEP-0156 discovery of a domain's WebSocket endpoint (RFC 7395) from its
 * host-meta files: `/.well-known/host-meta.json` (JRD), then
 * `/.well-known/host-meta` (XRD). Browsers cannot look up SRV records; this
 * is how they find where to connect. Uses only `fetch`, so it runs in
 * browsers and in Deno.
 *
 * @module
 */

/** The link relation of an XMPP-over-WebSocket endpoint. */
export const REL_WEBSOCKET = "urn:xmpp:alt-connections:websocket";

/** Options of {@linkcode discoverWebSocket}. */
export interface HostMetaOptions {
  /**
   * Where the host-meta files are served.
   * @default {"https://<domain>"}
   */
  origin?: string;
  /**
   * Accept a plain `ws:` endpoint (tests, local setups). XEP-0156 asks for
   * TLS: by default only `wss:` endpoints count.
   * @default {false}
   */
  allowInsecure?: boolean;
  /**
   * The `fetch` to use.
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
  /**
   * Give up on each request after this long, in ms.
   * @default {10000}
   */
  timeout?: number;
}

function usable(href: unknown, allowInsecure: boolean): href is string {
  if (typeof href !== "string") return false;
  try {
    const url = new URL(href);
    return url.protocol === "wss:" ||
      (allowInsecure && url.protocol === "ws:");
  } catch {
    return false;
  }
}

function fromJson(text: string): unknown[] {
  const doc = JSON.parse(text) as { links?: { rel?: string; href?: string }[] };
  return (Array.isArray(doc?.links) ? doc.links : [])
    .filter((l) => l?.rel === REL_WEBSOCKET)
    .map((l) => l.href);
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function fromXrd(text: string): unknown[] {
  const out: unknown[] = [];
  for (const [tag] of text.matchAll(/<(?:[\w-]+:)?Link\b[^>]*>/g)) {
    const attrs = new Map<string, string>();
    for (const m of tag.matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attrs.set(
        m[1],
        (m[2] ?? m[3]).replace(
          /&(amp|lt|gt|quot|apos);/g,
          (_, e) => ENTITIES[e],
        ),
      );
    }
    if (attrs.get("rel") === REL_WEBSOCKET) out.push(attrs.get("href"));
  }
  return out;
}

/**
 * Find a domain's XMPP-over-WebSocket endpoint (XEP-0156).
 *
 * @param domain The XMPP domain (the JID's domain part).
 * @param options Where to look, what to accept, which `fetch`.
 * @returns The first usable endpoint (`wss:`; `ws:` too with
 *   `allowInsecure`), or `undefined` when the domain names none.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { discoverWebSocket } from "./host_meta.ts";
 * const fake = (url: string | URL | Request) =>
 *   Promise.resolve(String(url).endsWith("host-meta.json")
 *     ? Response.json({ links: [{ rel: "urn:xmpp:alt-connections:websocket", href: "wss://example.org/ws" }] })
 *     : new Response(null, { status: 404 }));
 * strictEqual(await discoverWebSocket("example.org", { fetch: fake as typeof fetch }), "wss://example.org/ws");
 * ```
 */
export async function discoverWebSocket(
  domain: string,
  options: HostMetaOptions = {},
): Promise<string | undefined> {
  const origin = (options.origin ?? `https://${domain}`).replace(/\/$/, "");
  const get = options.fetch ?? globalThis.fetch;
  const allowInsecure = options.allowInsecure ?? false;
  const attempts: [string, (text: string) => unknown[]][] = [
    ["/.well-known/host-meta.json", fromJson],
    ["/.well-known/host-meta", fromXrd],
  ];
  for (const [path, parse] of attempts) {
    try {
      const response = await get(`${origin}${path}`, {
        signal: AbortSignal.timeout(options.timeout ?? 10_000),
        redirect: "follow",
      });
      if (!response.ok) {
        await response.body?.cancel();
        continue;
      }
      const found = parse(await response.text()).find((href) =>
        usable(href, allowInsecure)
      );
      if (found !== undefined) return found as string;
    } catch {
      // unreachable, not JSON, timed out: try the next file
    }
  }
  return undefined;
}
