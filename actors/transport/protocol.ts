/**
 * The protocol between the connection machine and its transport child
 * (TCP/TLS or WebSocket). The connection sends {@linkcode TransportCommand}s;
 * the transport answers with {@linkcode TransportEvent}s through `sendBack`.
 *
 * A transport owns the socket and the incoming XML parser (framing differs:
 * one long document over TCP, one element per message over WebSocket), and
 * writes whole stanzas, batching what is queued while a write is in flight.
 * Each element it parses goes back classified, as the typed
 * {@linkcode IncomingEvent} that `classify()` (`src/stanza.ts`) makes of it.
 *
 * Lifecycle: the transport connects as soon as it starts and reports
 * `transport.connected` or `transport.closed` (with the error). It closes its
 * socket when the connection stops it. Every failure ends in exactly one
 * `transport.closed`; nothing is sent back after it.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import type { StreamError } from "../../src/errors.ts";
import type { IncomingEvent } from "../../src/stanza.ts";
import type { AnyActorLogic } from "../../src/types.ts";

/**
 * A transport's actor logic: a callback actor created with a
 * {@linkcode TransportInput} that accepts {@linkcode TransportCommand}s and
 * sends back {@linkcode TransportEvent}s (typed as any actor logic in the
 * public API).
 */
export type TransportLogic = AnyActorLogic;

/** The four kinds of service address. */
export type ServiceProtocol = "xmpp" | "xmpps" | "ws" | "wss";

/** Where to connect: parsed from `xmpp://`, `xmpps://`, `ws://` or `wss://`. */
export interface ServiceAddress {
  /** `xmpp` (TCP, STARTTLS), `xmpps` (direct TLS), `ws` or `wss` (WebSocket). */
  protocol: ServiceProtocol;
  /** Host to dial. */
  hostname: string;
  /** Port to dial. */
  port: number;
  /** The full URL (used as is by WebSocket). */
  url: string;
}

/** Input of every transport actor. */
export interface TransportInput {
  /** Where to connect. */
  service: ServiceAddress;
  /** The XMPP domain: stream `to` and the TLS server name. */
  domain: string;
  /** Extra trusted CA certificates (PEM) for TLS. */
  caCerts?: string[];
  /** Largest accepted incoming stanza, in characters. */
  maxStanzaSize: number;
  /** Deepest accepted incoming stanza nesting (default 128). */
  maxStanzaDepth?: number;
  /**
   * No service was configured: look up the domain's SRV records (TCP
   * transports), asking `nameServer` when given, and try each target before
   * `service` (the `<domain>:5222` fallback).
   */
  srv?: { nameServer?: { ipAddr: string; port?: number } };
}

/** Commands the connection sends to its transport. */
export type TransportCommand =
  | {
    /** (Re)start the stream: reset the parser, write the stream header. */
    type: "transport.open";
  }
  | {
    /** Write these elements, in order (batched into one write when possible). */
    type: "transport.send";
    elements: Element[];
  }
  | {
    /** Upgrade the socket to TLS now (after `<proceed/>`); TCP only. */
    type: "transport.starttls";
  }
  | {
    /** Write the stream close (`</stream:stream>` or `<close/>`). */
    type: "transport.close";
  }
  | {
    /**
     * Give up: close the socket now and answer `transport.closed` with what
     * was not written (`unsent`).
     */
    type: "transport.abort";
  };

/** Events a transport sends back to the connection. */
export type TransportEvent =
  | {
    /** The socket is up. */
    type: "transport.connected";
    /** Whether it is encrypted already (direct TLS, wss). */
    secure: boolean;
    /** Whether `transport.starttls` is possible. */
    canStartTls: boolean;
  }
  | {
    /** The server's stream header (`<stream:stream>` or `<open/>`). */
    type: "transport.streamStart";
    header: Element;
  }
  | {
    /** The server closed its stream (`</stream:stream>` or `<close/>`). */
    type: "transport.streamEnd";
  }
  | {
    /** The STARTTLS upgrade succeeded. */
    type: "transport.tlsUpgraded";
  }
  | {
    /** The server sent XML that RFC 6120 forbids or that is too large. */
    type: "transport.xmlError";
    error: StreamError;
  }
  | {
    /**
     * The server sent a top-level element over `maxStanzaSize` or
     * `maxStanzaDepth`: it was skipped (nothing of it was built) and the
     * stream goes on. `head` is its opening tag when that was read.
     */
    type: "stanza.skipped";
    limit: "size" | "depth";
    head?: Element;
    reason: string;
  }
  | {
    /** The socket closed; `error` tells why when it was not a clean close. */
    type: "transport.closed";
    error?: Error;
    /**
     * Stanzas given to `transport.send` that were not (wholly) written to
     * the socket, oldest first, when the transport can tell.
     */
    unsent?: Element[];
  }
  | IncomingEvent;

/** Namespace of RFC 7395 framing (`<open/>`, `<close/>`). */
export const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";

const DEFAULT_PORTS: Record<ServiceProtocol, number> = {
  xmpp: 5222,
  xmpps: 5223,
  ws: 80,
  wss: 443,
};

/**
 * Parse a service URL. `undefined` means `xmpp://<domain>:5222`.
 *
 * @param service `xmpp://host:port`, `xmpps://host:port`, `ws(s)://host/path`.
 * @param domain The JID's domain, for the default.
 * @returns The address.
 * @throws {TypeError} On an unknown scheme or an unparsable URL.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseService } from "./protocol.ts";
 * const s = parseService("xmpps://localhost:5223", "localhost");
 * strictEqual(s.protocol, "xmpps");
 * strictEqual(s.port, 5223);
 * strictEqual(parseService(undefined, "example.org").port, 5222);
 * ```
 */
export function parseService(
  service: string | undefined,
  domain: string,
): ServiceAddress {
  const text = service ?? `xmpp://${domain}:5222`;
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new TypeError(`Cannot parse service: invalid URL "${text}"`, {
      cause,
    });
  }
  const protocol = url.protocol.slice(0, -1) as ServiceProtocol;
  if (!(protocol in DEFAULT_PORTS)) {
    throw new TypeError(
      `Cannot parse service: unknown scheme "${url.protocol}" (expected xmpp:, xmpps:, ws: or wss:)`,
    );
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!hostname) {
    throw new TypeError(`Cannot parse service: no host in "${text}"`);
  }
  return {
    protocol,
    hostname,
    port: url.port ? Number(url.port) : DEFAULT_PORTS[protocol],
    url: text,
  };
}

/**
 * Whether a host name is loopback: `localhost`, an address in
 * `127.0.0.0/8`, or `::1` (as `parseService` gives them, without brackets).
 *
 * @param hostname The host.
 * @returns `true` for a loopback host.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isLoopbackHost } from "./protocol.ts";
 * ok(isLoopbackHost("127.0.0.1") && isLoopbackHost("::1"));
 * ok(!isLoopbackHost("example.org") && !isLoopbackHost("127.0.0.1.example.org"));
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host === "::1") return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m[1] === "127" &&
    m.slice(2).every((octet) => Number(octet) <= 255);
}

/**
 * Where a `see-other-host` stream error may send us: `host`, `host:port` or
 * `[v6]:port`, for a TCP service (`xmpp:`/`xmpps:`, same scheme, port 5222
 * or 5223 when none is named), and only to the domain itself or a host
 * under it (`xmpp1.example.org` for `example.org`), so a server cannot send
 * our credentials elsewhere.
 *
 * @param current The service of the session that was redirected.
 * @param target The text of `<see-other-host/>`.
 * @param domain The JID's domain.
 * @returns The service to dial, or `undefined` when the redirect is refused.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseService, redirectTarget } from "./protocol.ts";
 * const here = parseService("xmpp://example.org:5222", "example.org");
 * strictEqual(redirectTarget(here, "xmpp2.example.org:5333", "example.org")?.url, "xmpp://xmpp2.example.org:5333");
 * strictEqual(redirectTarget(here, "evil.example.net", "example.org"), undefined);
 * ```
 */
export function redirectTarget(
  current: ServiceAddress,
  target: string,
  domain: string,
): ServiceAddress | undefined {
  if (current.protocol !== "xmpp" && current.protocol !== "xmpps") {
    return undefined;
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]\s/]+))(?::(\d{1,5}))?$/.exec(
    target.trim(),
  );
  if (!m) return undefined;
  const host = (m[1] ?? m[2]).toLowerCase().replace(/\.$/, "");
  const d = domain.toLowerCase();
  if (host !== d && !host.endsWith(`.${d}`)) return undefined;
  const port = m[3] ? Number(m[3]) : DEFAULT_PORTS[current.protocol];
  if (port < 1 || port > 65535) return undefined;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    protocol: current.protocol,
    hostname: host,
    port,
    url: `${current.protocol}://${hostPart}:${port}`,
  };
}
