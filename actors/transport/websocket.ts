/**
 * WebSocket transport (RFC 7395): `ws://` and `wss://`, subprotocol `xmpp`,
 * one element per message, `<open/>` and `<close/>` in place of the stream
 * element. Uses only the standard `WebSocket`: runs in browsers and Deno.
 *
 * @module
 */
import type { TransportLogic } from "./protocol.ts";
import { fromCallback } from "../../src/deps.ts";
import { XmlStream } from "../../src/xml_stream.ts";
import { ConnectionError, StreamError } from "../../src/errors.ts";
import { CLOSE_TEXT, framedEvent, framedText, openText } from "./framing.ts";
import { redactText } from "../../src/redact.ts";
import type {
  TransportCommand,
  TransportEvent,
  TransportInput,
} from "./protocol.ts";

/**
 * Opens the socket of a WebSocket transport (subprotocol `protocol`),
 * trusting `caCerts` as well when given; `dispose` (if any) runs once the
 * transport is done with the socket.
 */
export type WebSocketOpener = (
  url: string,
  protocol: string,
  caCerts?: readonly string[],
) => { ws: WebSocket; dispose?: () => void };

/**
 * A WebSocket transport whose sockets `open` makes: anything with the
 * standard `WebSocket` API (`bench/ws_transport.ts` runs Deno's own and npm
 * `ws` through it). Deno itself serves `ws://` and `wss://` with
 * `./websocket_socket.ts` instead, which keeps Nagle off.
 *
 * @param open Opens a socket.
 * @returns The transport actor logic.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { makeWebsocketTransport } from "./websocket.ts";
 * const logic = makeWebsocketTransport((url, protocol) => ({ ws: new WebSocket(url, protocol) }));
 * ok(typeof logic.transition === "function");
 * ```
 */
export function makeWebsocketTransport(open: WebSocketOpener): TransportLogic {
  return fromCallback<TransportCommand, TransportInput>((args) =>
    run(open, args)
  );
}

/**
 * The WebSocket transport actor logic: the standard `WebSocket`, so the
 * platform's trust store decides (`caCerts` are not used).
 *
 * @example Usage
 * ```ts ignore
 * import { connectionMachine } from "../connection/machine.ts";
 * import { websocketTransport } from "./websocket.ts";
 * const machine = connectionMachine.provide({ actors: { transport: websocketTransport } });
 * ```
 */
export const websocketTransport: TransportLogic = makeWebsocketTransport((
  url,
  protocol,
) => ({ ws: new WebSocket(url, protocol) }));

function run(
  open: WebSocketOpener,
  { input, receive, sendBack }: {
    input: TransportInput;
    receive: (listener: (cmd: TransportCommand) => void) => void;
    sendBack: (event: TransportEvent) => void;
  },
): () => void {
  let stopped = false;
  // The URL as errors show it: without a password or token it may carry.
  const shown = redactText(input.service.url);
  let ended = false;
  const report = (event: TransportEvent) => {
    if (stopped || ended) return;
    if (event.type === "transport.closed") ended = true;
    sendBack(event);
  };
  const parser = new XmlStream({
    onElement: (element) => {
      report(framedEvent(element));
    },
    onSkipped: (skipped) => report({ type: "stanza.skipped", ...skipped }),
    onError: (error) => report({ type: "transport.xmlError", error }),
  }, {
    maxStanzaSize: input.maxStanzaSize,
    maxStanzaDepth: input.maxStanzaDepth,
    framed: true,
  });

  let ws: WebSocket;
  let dispose: (() => void) | undefined;
  try {
    ({ ws, dispose } = open(input.service.url, "xmpp", input.caCerts));
  } catch (err) {
    report({
      type: "transport.closed",
      error: new ConnectionError(
        `Cannot connect to ${shown}: ${(err as Error).message}`,
        { cause: err },
      ),
    });
    return () => {
      stopped = true;
    };
  }
  let opened = false;
  ws.onopen = () => {
    if (ws.protocol !== "xmpp") {
      report({
        type: "transport.closed",
        error: new ConnectionError(
          `Cannot connect to ${shown}: server did not accept subprotocol xmpp`,
        ),
      });
      ws.close();
      return;
    }
    opened = true;
    report({
      type: "transport.connected",
      secure: input.service.protocol === "wss",
      canStartTls: false,
    });
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data === "string") parser.write(ev.data);
    else {
      report({
        type: "transport.xmlError",
        error: new StreamError("not-well-formed", "Binary WebSocket frame"),
      });
    }
  };
  ws.onerror = (ev) => {
    const msg = (ev as ErrorEvent).message ?? "WebSocket error";
    report({
      type: "transport.closed",
      error: new ConnectionError(
        opened
          ? `Connection lost: ${msg}`
          : `Cannot connect to ${shown}: ${msg}`,
      ),
    });
  };
  ws.onclose = (ev) => {
    report({
      type: "transport.closed",
      error: ev.wasClean && ev.code === 1000 ? undefined : new ConnectionError(
        `Connection closed by server (code ${ev.code})`,
      ),
    });
  };

  receive((cmd) => {
    if (cmd.type === "transport.abort") {
      // what the browser still buffers cannot be named: no `unsent`
      report({ type: "transport.closed" });
      if (ws.readyState !== WebSocket.CLOSED) ws.close();
      return;
    }
    if (stopped || ended || ws.readyState !== WebSocket.OPEN) return;
    switch (cmd.type) {
      case "transport.open":
        parser.reset();
        ws.send(
          openText(input.domain),
        );
        break;
      case "transport.send":
        for (const el of cmd.elements) ws.send(framedText(el));
        break;
      case "transport.close":
        ws.send(CLOSE_TEXT);
        break;
      case "transport.starttls":
        report({
          type: "transport.closed",
          error: new ConnectionError("Cannot start TLS over WebSocket"),
        });
        break;
    }
  });

  return () => {
    stopped = true;
    if (
      ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING
    ) ws.close();
    dispose?.();
  };
}
