/**
 * The WebSocket transport for Deno (RFC 7395 over RFC 6455) on a plain
 * `Deno.connect` socket with no-delay on, `Deno.startTls` for `wss://`
 * (server name = the URL's host, `tls.caCerts` trusted too), and the frame
 * codec of `src/ws_frame.ts`. Node and Bun run it over `node:net`/`node:tls`
 * (the `sockets` option, `./tcp_node.ts`).
 *
 * Why not Deno's own `WebSocket`: it leaves Nagle on and writes a frame of
 * 126 bytes or more as two sends (header, payload), and code cannot set a
 * socket option through it, so with stream management every round trip
 * waited ~40 ms (~20 BoB fetches/s one at a time). Why not npm `ws`: through
 * `node:net` it reached 23–84 % of STARTTLS's rate one at a time at 16 B
 * and 4 KiB here (this one 81–93 %). Both measured with
 * `bench/ws_transport.ts`.
 *
 * Writes: every frame is header and payload in one array; the frames queued
 * in one turn (a `transport.send` of several elements, or whatever arrives
 * while a write is in flight) go out in one write, with the TCP transport's
 * rules (`./outbox.ts`: a lone `<a/>` or pong waits for the end of the turn,
 * only the latest `<a/>` of a write goes). The stanzas not wholly
 * written when the socket dies come back in `transport.closed` (`unsent`).
 * After an XEP-0198 `<a/>`, and after an `<r/>` whose answer waits
 * (`streamManagement.ackDelay`), it writes an unsolicited empty pong (RFC
 * 6455 §5.5.3): the same job as the TCP transport's whitespace, carrying the
 * TCP ACK at once so a server with Nagle on does not hold its next frame.
 *
 * Reads: a message over 3 × `maxStanzaSize` bytes (more than any message
 * within `maxStanzaSize` characters can take) is skipped from the frame
 * header that crosses the limit on (its payload read past, only its first
 * bytes kept) and reported as `stanza.skipped` with its opening tag, as the
 * XML stream reports a stanza over the limit; any frame RFC 6455 forbids a server, a
 * bad handshake answer, a redirect or HTTP error, a cut inside a frame, or
 * no answer within the handshake timeout ends in one `transport.closed`
 * with a {@linkcode ConnectionError} (a {@linkcode TLSError} for TLS).
 *
 * @module
 */
import { concatBytes } from "../../src/_util.ts";
import { isAck, Outbox } from "./outbox.ts";
import { fromCallback } from "../../src/deps.ts";
import { XmlStream } from "../../src/xml_stream.ts";
import { openingTagOf } from "../../src/xml_stream/head.ts";
import { ConnectionError, TLSError } from "../../src/errors.ts";
import { CLOSE_TEXT, framedEvent, framedText, openText } from "./framing.ts";
import { redactText } from "../../src/redact.ts";
import {
  encodeFrame,
  FrameReader,
  Opcode,
  WebSocketProtocolError,
} from "../../src/ws_frame.ts";
import {
  checkHandshake,
  handshakeRequest,
  newKey,
} from "../../src/ws_handshake.ts";
import {
  denoSockets,
  isClosedHere,
  type SocketApi,
  type SocketConn,
} from "./sockets.ts";
import type {
  TransportCommand,
  TransportEvent,
  TransportInput,
  TransportLogic,
} from "./protocol.ts";

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Options of {@linkcode makeSocketWebsocketTransport}. */
export interface SocketWebsocketOptions {
  /**
   * Milliseconds from dialling to a checked `101` answer before the
   * transport gives up with a `ConnectionError`.
   * @default {15000}
   */
  handshakeTimeout?: number;
  /**
   * Write an empty pong after each XEP-0198 `<a/>` (see the module doc);
   * `false` only to measure what it is worth (`bench/ws_transport.ts`).
   * @default {true}
   */
  pongAfterAck?: boolean;
  /**
   * The socket calls (`./sockets.ts`): Deno's by default, `node:net` and
   * `node:tls` in Node and Bun.
   */
  sockets?: SocketApi;
}

function isTlsFailure(err: unknown): boolean {
  const text = `${(err as Error)?.name} ${(err as Error)?.message}`;
  return /certificate|InvalidData|UnknownIssuer|tls|handshake|NotValidForName/i
    .test(text);
}

/**
 * A Deno WebSocket transport on `Deno.connect` (see the module doc).
 *
 * @param options The handshake timeout; the pong after `<a/>`.
 * @returns The transport actor logic.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { makeSocketWebsocketTransport } from "./websocket_socket.ts";
 * const logic = makeSocketWebsocketTransport({ handshakeTimeout: 5000 });
 * ok(typeof logic.transition === "function");
 * ```
 */
export function makeSocketWebsocketTransport(
  options: SocketWebsocketOptions = {},
): TransportLogic {
  const opts = {
    handshakeTimeout: options.handshakeTimeout ?? 15_000,
    pongAfterAck: options.pongAfterAck ?? true,
    sockets: options.sockets ?? denoSockets,
  };
  return fromCallback<TransportCommand, TransportInput>((args) =>
    run(opts, args)
  );
}

/**
 * The Deno WebSocket transport actor logic with the default handshake
 * timeout: what `actors/connection/deno.ts` serves `ws://` and `wss://`
 * with.
 *
 * @example Usage
 * ```ts ignore
 * import { connectionMachine } from "../connection/machine.ts";
 * import { socketWebsocketTransport } from "./websocket_socket.ts";
 * const machine = connectionMachine.provide({ actors: { transport: socketWebsocketTransport } });
 * ```
 */
export const socketWebsocketTransport: TransportLogic =
  makeSocketWebsocketTransport();

function run(
  { handshakeTimeout, pongAfterAck, sockets }: Required<
    SocketWebsocketOptions
  >,
  { input, receive, sendBack }: {
    input: TransportInput;
    receive: (listener: (cmd: TransportCommand) => void) => void;
    sendBack: (event: TransportEvent) => void;
  },
): () => void {
  const shown = redactText(input.service.url);
  const secure = input.service.protocol === "wss";
  let conn: SocketConn | undefined;
  let stopped = false;
  let ended = false;
  let open = false;
  let closeSent = false;
  /** Frames waiting for the next write, and the write in flight. */
  const outbox = new Outbox<Uint8Array>({
    join: concatBytes,
    size: (frame) => frame.length,
    ready: () => conn !== undefined && open && !stopped && !ended,
    write: (data) => conn!.write(data),
    failed: (err) => {
      if (!stopped) {
        fail(
          new ConnectionError(`Cannot write: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;

  const report = (event: TransportEvent) => {
    if (stopped || ended) return;
    if (event.type === "transport.closed") {
      ended = true;
      const unsent = outbox.unsent();
      if (unsent.length) event = { ...event, unsent };
    }
    sendBack(event);
  };
  const closeSocket = () => {
    try {
      conn?.close();
    } catch { /* already closed */ }
  };
  const fail = (error: Error) => {
    report({ type: "transport.closed", error });
    closeSocket();
  };
  /**
   * Write a close frame now, ahead of anything still queued (best effort:
   * not when one was sent or a write is in flight).
   */
  const sendClose = (code: number): Promise<unknown> => {
    if (!open || closeSent || outbox.writing || !conn) return Promise.resolve();
    closeSent = true;
    return conn.write(closeFrame(code)).catch(() => {});
  };
  /** A close frame (see `sendClose`), then the socket closes. */
  const closeWith = (code: number) => {
    sendClose(code).finally(closeSocket);
  };

  const parser = new XmlStream({
    onElement: (element) => {
      const event = framedEvent(element);
      report(event);
      // see the module doc and Outbox.carryAck
      if (pongAfterAck) {
        outbox.carryAck(event.type, encodeFrame(Opcode.PONG, EMPTY));
      }
    },
    onSkipped: (skipped) => report({ type: "stanza.skipped", ...skipped }),
    onError: (error) => report({ type: "transport.xmlError", error }),
  }, {
    maxStanzaSize: input.maxStanzaSize,
    maxStanzaDepth: input.maxStanzaDepth,
    framed: true,
  });

  // The stream's limit is in characters; a character is at most 3 bytes of
  // UTF-8 (4 for a pair of UTF-16 units): a message within the stream's
  // limit always fits, and the stream applies its exact limit.
  const maxBytes = 3 * input.maxStanzaSize;
  const frames = new FrameReader({
    onText: (text) => parser.write(text),
    onPing: (payload) => queue(encodeFrame(Opcode.PONG, payload)),
    onClose: (code, reason) => {
      sendClose(code === 1005 ? 1000 : code);
      report({
        type: "transport.closed",
        error: code === 1000 ? undefined : new ConnectionError(
          `Connection closed by server (code ${code}${
            reason ? `: ${reason}` : ""
          })`,
        ),
      });
      // the server closes TCP after our close frame; stop() closes ours
    },
    // skipped as the stream skips a stanza over the size limit: reported
    // with its opening tag, so an IQ still gets its error answer
    onSkipped: (prefix, bytes) =>
      report({
        type: "stanza.skipped",
        limit: "size",
        head: openingTagOf(new TextDecoder().decode(prefix)),
        reason: `Message of ${bytes} bytes exceeds ${maxBytes} bytes`,
      }),
  }, maxBytes);

  const queue = (frame: Uint8Array) => {
    outbox.push(frame);
    outbox.schedule(true);
  };
  const text = (s: string) => encodeFrame(Opcode.TEXT, encoder.encode(s));

  const readLoop = async (first: Uint8Array) => {
    const buf = new Uint8Array(64 * 1024);
    let chunk = first;
    while (true) {
      try {
        if (chunk.length) frames.push(chunk);
      } catch (err) {
        // a frame the server must not send, or (1011) a handler that threw
        const code = err instanceof WebSocketProtocolError ? err.code : 1011;
        report({
          type: "transport.closed",
          error: new ConnectionError(
            code === 1011
              ? `Cannot handle a message from ${shown}: ${err}`
              : `WebSocket protocol error from ${shown}: ${
                (err as Error).message
              }`,
            { cause: err },
          ),
        });
        return closeWith(code);
      }
      if (stopped || ended) return;
      let n: number | null;
      try {
        n = await conn!.read(buf);
      } catch (err) {
        if (stopped || ended) return;
        if (isClosedHere(err)) {
          return report({ type: "transport.closed" });
        }
        return fail(
          new ConnectionError(`Connection lost: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
      if (n === null) {
        return fail(
          new ConnectionError(
            frames.midFrame
              ? "Connection closed by server in the middle of a frame"
              : "Connection closed by server",
          ),
        );
      }
      chunk = buf.subarray(0, n);
    }
  };

  const start = async () => {
    let url: URL;
    try {
      url = new URL(input.service.url);
    } catch (err) {
      return fail(
        new ConnectionError(`Cannot connect to ${shown}`, { cause: err }),
      );
    }
    timer = setTimeout(() => {
      fail(
        new ConnectionError(
          `Cannot connect to ${shown}: no WebSocket handshake within ${handshakeTimeout} ms`,
        ),
      );
    }, handshakeTimeout);
    let stage = "dial";
    try {
      const tcp = await sockets.connect({
        hostname: input.service.hostname,
        port: input.service.port,
      });
      conn = tcp;
      if (stopped || ended) return closeSocket();
      tcp.setNoDelay(true);
      if (secure) {
        stage = "tls";
        const tls = await sockets.startTls(tcp, {
          hostname: input.service.hostname,
          caCerts: input.caCerts,
        });
        conn = tls;
        if (stopped || ended) return closeSocket();
        await tls.handshake();
      }
      stage = "upgrade";
      const key = newKey();
      const request = handshakeRequest(url, key, "xmpp");
      let off = 0;
      while (off < request.length) {
        off += await conn.write(request.subarray(off));
      }
      let head: Uint8Array = new Uint8Array(0);
      const buf = new Uint8Array(16 * 1024);
      let rest: Uint8Array | undefined;
      while (rest === undefined) {
        const n = await conn.read(buf);
        if (stopped || ended) return;
        if (n === null) {
          throw new WebSocketProtocolError(
            "connection closed before the handshake answer",
          );
        }
        head = concatBytes([head, buf.subarray(0, n)]);
        rest = checkHandshake(head, key, "xmpp");
      }
      clearTimeout(timer);
      if (stopped || ended) return;
      open = true;
      report({ type: "transport.connected", secure, canStartTls: false });
      outbox.flush();
      readLoop(rest.slice());
    } catch (err) {
      clearTimeout(timer);
      if (stopped || ended) return;
      const message = `Cannot connect to ${shown}: ${(err as Error).message}`;
      fail(
        stage === "tls" && isTlsFailure(err)
          ? new TLSError(message, { cause: err })
          : new ConnectionError(message, { cause: err }),
      );
    }
  };

  receive((cmd) => {
    if (stopped || ended) return;
    switch (cmd.type) {
      case "transport.open":
        parser.reset();
        queue(
          text(
            openText(input.domain),
          ),
        );
        break;
      case "transport.send":
        // one frame per element, all of them in one write
        for (const el of cmd.elements) outbox.push(text(framedText(el)), el);
        outbox.schedule(!cmd.elements.every(isAck));
        break;
      case "transport.close":
        queue(text(CLOSE_TEXT));
        break;
      case "transport.starttls":
        fail(new ConnectionError("Cannot start TLS over WebSocket"));
        break;
      case "transport.abort":
        report({ type: "transport.closed" });
        closeSocket();
        break;
    }
  });

  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    closeWith(1000);
  };
}

function closeFrame(code: number): Uint8Array {
  return encodeFrame(Opcode.CLOSE, new Uint8Array([code >> 8, code & 0xff]));
}
