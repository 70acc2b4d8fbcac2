/**
 * TCP transports: `xmpp://` (plain TCP with STARTTLS via
 * `Deno.startTls`) and `xmpps://` (direct TLS, XEP-0368: `Deno.connect`
 * then `Deno.startTls` at once). The socket calls go through a
 * {@linkcode SocketApi} (`./sockets.ts`): Deno's by default, `node:net` and
 * `node:tls` shaped the same for Node and Bun (`./tcp_node.ts`). Browsers
 * use the WebSocket transport.
 *
 * No-delay is on for every socket, direct TLS included (Nagle costs ~40 ms
 * per round trip): the socket is dialled with `Deno.connect` and
 * `setNoDelay(true)` before any TLS, because `Deno.connectTls` gives no
 * TCP handle to set it on. The certificate name does not change: the host
 * dialled for `xmpps://host`, the domain for an SRV target.
 *
 * One write per turn (`./outbox.ts`, shared with the Deno WebSocket
 * transport): whatever the connection asks to write while it runs (stanzas,
 * XEP-0198 `<a/>` and `<r/>`, stream headers, whitespace) is queued and goes
 * out in one `write()` once the turn's microtasks are done, or at the end of
 * the turn when only an `<a/>` or whitespace waits (so it rides with the
 * stanza user code sends when an answer of that turn resolves); what is
 * queued while a write is in flight goes in the next single write. Of
 * several XEP-0198 `<a/>` queued for one write only the last (the highest
 * `h`) is kept, in the place of the first: a server flooding `<r/>` gets
 * one answer per write. The stanzas not wholly written when the socket
 * closes go back with `transport.closed` (`unsent`). After an incoming
 * `<a/>` it writes one space when nothing else is queued, so the TCP ACK
 * leaves at once (see the comment in the parser callback). Reading pauses
 * after `<proceed/>` so no ciphertext is read as XML before the TLS
 * upgrade.
 *
 * Without a configured service (`input.srv`), the transport looks up the
 * domain's `_xmpps-client._tcp` and `_xmpp-client._tcp` SRV records with
 * `Deno.resolveDns` (at `nameServer` when given; target addresses too) and
 * dials the targets in RFC 2782 order, then `<domain>:5222`, until one
 * answers (`src/srv.ts`). A direct TLS target's certificate is checked
 * against the domain, not the target's name (RFC 6125).
 *
 * @module
 */
import { fromCallback } from "../../src/deps.ts";
import { XmlStream } from "../../src/xml_stream.ts";
import { ConnectionError, TLSError } from "../../src/errors.ts";
import { classify } from "../../src/stanza.ts";
import { isAck, Outbox } from "./outbox.ts";
import { srvTargets } from "../../src/srv.ts";
import {
  denoSockets,
  isClosedHere,
  type SocketApi,
  type SocketConn,
  type TcpSocket,
} from "./sockets.ts";
import type {
  TransportCommand,
  TransportEvent,
  TransportInput,
  TransportLogic,
} from "./protocol.ts";

const encoder = new TextEncoder();

function streamHeader(domain: string): string {
  return `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
}

function isTlsFailure(err: unknown): boolean {
  const text = `${(err as Error)?.name} ${(err as Error)?.message}`;
  return /certificate|InvalidData|UnknownIssuer|tls|handshake|NotValidForName/i
    .test(text);
}

/** One place to dial. */
interface Dial {
  hostname: string;
  port: number;
  /** Direct TLS. */
  tls: boolean;
  /** Direct TLS checked against the domain (an SRV target), not `hostname`. */
  sni?: string;
  /** For messages. */
  url: string;
}

/** The SRV candidates for `input.domain`, then its fallback. */
async function srvDials(
  input: TransportInput,
  sockets: SocketApi,
): Promise<Dial[]> {
  const ns = input.srv?.nameServer;
  const targets = await srvTargets(
    input.domain,
    (name) => sockets.resolveSrv(name, ns),
  );
  return Promise.all(targets.map(async (t) => {
    let hostname = t.hostname;
    if (input.srv?.nameServer && t.hostname !== input.domain) {
      // the system resolver does not know the configured name server's names
      const a = await sockets.resolveA(t.hostname, ns).catch(
        () => [] as string[],
      );
      if (a.length) hostname = a[0];
    }
    const scheme = t.directTls ? "xmpps" : "xmpp";
    return {
      hostname,
      port: t.port,
      tls: t.directTls,
      ...(t.directTls ? { sni: input.domain } : {}),
      url: `${scheme}://${t.hostname}:${t.port}`,
    };
  }));
}

export { denoSockets, type SocketApi } from "./sockets.ts";

/**
 * A TCP transport making its socket calls through `sockets`.
 *
 * @param direct Direct TLS (`xmpps://`) rather than plain TCP with STARTTLS.
 * @param sockets The socket calls (default {@linkcode denoSockets}).
 * @returns The transport actor logic.
 *
 * @example Usage
 * ```ts ignore
 * import { denoSockets, socketTransport } from "./tcp.ts";
 * const logic = socketTransport(true, denoSockets);
 * ```
 */
export function socketTransport(
  direct: boolean,
  sockets: SocketApi = denoSockets,
): TransportLogic {
  return fromCallback<TransportCommand, TransportInput>(
    ({ input, receive, sendBack }) => {
      let conn: SocketConn | undefined;
      let stopped = false;
      let ended = false;
      let secure = direct;
      let tlsDial = direct;
      let pauseForTls = false;
      const outbox = new Outbox<string>({
        join: (texts) =>
          encoder.encode(texts.length === 1 ? texts[0] : texts.join("")),
        size: (text) => encoder.encode(text).length,
        ready: () => conn !== undefined && !pauseForTls && !stopped && !ended,
        write: (data) => conn!.write(data),
        failed: (err) => fail(err, "Cannot write"),
      });

      const report = (event: TransportEvent) => {
        if (stopped || ended) return;
        if (event.type === "transport.closed") {
          ended = true;
          const unsent = outbox.unsent();
          if (unsent.length) event = { ...event, unsent };
        }
        sendBack(event);
      };
      const parser = new XmlStream({
        onStart: (header) => report({ type: "transport.streamStart", header }),
        onElement: (element) => {
          const event = classify(element);
          if (!secure && event.type === "tls.proceed") pauseForTls = true;
          report(event);
          // a whitespace keepalive (RFC 6120 §4.6.1) carries the TCP ACK
          // of an <a/> or <r/> at once (see Outbox.carryAck)
          outbox.carryAck(event.type, " ");
        },
        onSkipped: (skipped) => report({ type: "stanza.skipped", ...skipped }),
        onEnd: () => report({ type: "transport.streamEnd" }),
        onError: (error) => report({ type: "transport.xmlError", error }),
      }, {
        maxStanzaSize: input.maxStanzaSize,
        maxStanzaDepth: input.maxStanzaDepth,
      });

      const fail = (err: unknown, what: string, handshake = false) => {
        if (stopped || ended) return;
        const message = `${what}: ${(err as Error)?.message ?? err}`;
        const error = handshake && isTlsFailure(err)
          ? new TLSError(message, { cause: err })
          : new ConnectionError(message, { cause: err });
        report({ type: "transport.closed", error });
        try {
          conn?.close();
        } catch { /* already closed */ }
      };

      const readLoop = async () => {
        const decoder = new TextDecoder();
        const buf = new Uint8Array(64 * 1024);
        while (!stopped && !ended && !pauseForTls) {
          let n: number | null;
          try {
            n = await conn!.read(buf);
          } catch (err) {
            if (stopped) return;
            if (isClosedHere(err)) {
              return report({ type: "transport.closed" });
            }
            return fail(err, "Connection lost");
          }
          if (n === null) {
            return report({
              type: "transport.closed",
              error: new ConnectionError("Connection closed by server"),
            });
          }
          parser.write(decoder.decode(buf.subarray(0, n), { stream: true }));
        }
      };

      const write = (text: string, urgent = true) => {
        outbox.push(text);
        outbox.schedule(urgent);
      };

      const dial = async (d: Dial) => {
        // No-delay before TLS: Deno.connectTls has no handle to set it on.
        const tcp = await sockets.connect({
          hostname: d.hostname,
          port: d.port,
        });
        conn = tcp;
        if (stopped) return tcp.close();
        tcp.setNoDelay(true);
        if (d.tls) {
          // the name checked: the domain for an SRV target, else the host
          // dialled (what Deno.connectTls checks)
          const tls = await sockets.startTls(tcp, {
            hostname: d.sni ?? d.hostname,
            caCerts: input.caCerts,
          });
          conn = tls;
          if (stopped) return tls.close();
          await tls.handshake();
        }
      };

      const start = async () => {
        const fallback: Dial = {
          hostname: input.service.hostname,
          port: input.service.port,
          tls: direct,
          url: input.service.url,
        };
        let dials = [fallback];
        if (input.srv && !direct) {
          try {
            dials = await srvDials(input, sockets);
          } catch {
            // no usable DNS: the fallback
          }
        }
        let failure: { err: unknown; d: Dial } | undefined;
        for (const d of dials) {
          if (stopped) return;
          try {
            await dial(d);
            failure = undefined;
            tlsDial = d.tls;
            break;
          } catch (err) {
            try {
              conn?.close();
            } catch { /* closed */ }
            conn = undefined;
            // a certificate problem is the one to report
            if (!failure || !(failure.d.tls && isTlsFailure(failure.err))) {
              failure = { err, d };
            }
          }
        }
        if (failure) {
          const { err, d } = failure;
          return fail(err, `Cannot connect to ${d.url}`, d.tls);
        }
        if (stopped) return;
        secure = tlsDial;
        report({
          type: "transport.connected",
          secure,
          canStartTls: !tlsDial,
        });
        readLoop();
      };

      const upgrade = async () => {
        if (!conn || secure || !pauseForTls) {
          return fail(new Error("no <proceed/> received"), "Cannot start TLS");
        }
        try {
          const tls = await sockets.startTls(conn as TcpSocket, {
            hostname: input.domain,
            caCerts: input.caCerts,
          });
          conn = tls;
          if (stopped) return tls.close();
          await tls.handshake();
        } catch (err) {
          return fail(err, "Cannot start TLS", true);
        }
        if (stopped) return;
        secure = true;
        pauseForTls = false;
        report({ type: "transport.tlsUpgraded" });
        outbox.schedule(true);
        readLoop();
      };

      receive((cmd) => {
        if (stopped || ended) return;
        switch (cmd.type) {
          case "transport.open":
            parser.reset();
            write(streamHeader(input.domain));
            break;
          case "transport.send":
            // one text per element, so a partial write names what it
            // missed; all of them go out in one write
            for (const el of cmd.elements) outbox.push(el.toString(), el);
            outbox.schedule(!cmd.elements.every(isAck));
            break;
          case "transport.starttls":
            upgrade();
            break;
          case "transport.close":
            write("</stream:stream>");
            break;
          case "transport.abort":
            report({ type: "transport.closed" });
            try {
              conn?.close();
            } catch { /* already closed */ }
            break;
        }
      });

      start();
      return () => {
        stopped = true;
        try {
          conn?.close();
        } catch { /* already closed */ }
      };
    },
  );
}

/**
 * Plain TCP with STARTTLS (`xmpp://host:port`).
 *
 * @example Usage
 * ```ts ignore
 * import { connectionMachine } from "../connection/machine.ts";
 * import { tcpTransport } from "./tcp.ts";
 * const machine = connectionMachine.provide({ actors: { transport: tcpTransport } });
 * ```
 */
export const tcpTransport: TransportLogic = socketTransport(false);

/**
 * Direct TLS (`xmpps://host:port`, XEP-0368). The certificate is checked
 * against the host dialled.
 *
 * @example Usage
 * ```ts ignore
 * import { connectionMachine } from "../connection/machine.ts";
 * import { directTlsTransport } from "./tcp.ts";
 * const machine = connectionMachine.provide({ actors: { transport: directTlsTransport } });
 * ```
 */
export const directTlsTransport: TransportLogic = socketTransport(true);
