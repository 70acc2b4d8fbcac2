/**
 * WebSocket transport (RFC 7395): `ws://` and `wss://`, subprotocol `xmpp`,
 * one element per message, `<open/>` and `<close/>` in place of the stream
 * element. Uses only the standard `WebSocket`: runs in browsers and Deno.
 *
 * @module
 */
import type { TransportLogic } from "./protocol.ts";
import { type Element, fromCallback } from "../../src/deps.ts";
import { XmlStream } from "../../src/xml_stream.ts";
import { ConnectionError, StreamError } from "../../src/errors.ts";
import { classify } from "../../src/stanza.ts";
import { deliverIncoming } from "../connection/data_path.ts";
import {
  NS_FRAMING,
  type TransportCommand,
  type TransportEvent,
  type TransportInput,
} from "./protocol.ts";

const STANZAS = new Set(["iq", "message", "presence"]);

function serialize(el: Element): string {
  // Framed stanzas carry their namespace themselves (RFC 7395 §3.3.3).
  if (STANZAS.has(el.name) && el.attrs.xmlns === undefined) {
    el.attrs.xmlns = "jabber:client";
  }
  return el.toString();
}

/**
 * The WebSocket transport actor logic.
 *
 * @example Usage
 * ```ts ignore
 * import { connectionMachine } from "../connection/machine.ts";
 * import { websocketTransport } from "./websocket.ts";
 * const machine = connectionMachine.provide({ actors: { transport: websocketTransport } });
 * ```
 */
export const websocketTransport: TransportLogic = fromCallback<
  TransportCommand,
  TransportInput
>(({ input, receive, sendBack, self }) => {
  let stopped = false;
  let ended = false;
  const report = (event: TransportEvent) => {
    if (stopped || ended) return;
    if (event.type === "transport.closed") ended = true;
    else if (deliverIncoming(self, event)) return;
    sendBack(event);
  };
  const parser = new XmlStream({
    onElement: (element) => {
      if (element.attrs.xmlns === NS_FRAMING) {
        if (element.name === "open") {
          return report({ type: "transport.streamStart", header: element });
        }
        if (element.name === "close") {
          return report({ type: "transport.streamEnd" });
        }
      }
      report(classify(element));
    },
    onSkipped: (skipped) => report({ type: "stanza.skipped", ...skipped }),
    onError: (error) => report({ type: "transport.xmlError", error }),
  }, {
    maxStanzaSize: input.maxStanzaSize,
    maxStanzaDepth: input.maxStanzaDepth,
    framed: true,
  });

  let ws: WebSocket;
  try {
    ws = new WebSocket(input.service.url, "xmpp");
  } catch (err) {
    report({
      type: "transport.closed",
      error: new ConnectionError(
        `Cannot connect to ${input.service.url}: ${(err as Error).message}`,
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
          `Cannot connect to ${input.service.url}: server did not accept subprotocol xmpp`,
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
          : `Cannot connect to ${input.service.url}: ${msg}`,
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
    if (stopped || ended || ws.readyState !== WebSocket.OPEN) return;
    switch (cmd.type) {
      case "transport.open":
        parser.reset();
        ws.send(
          `<open xmlns='${NS_FRAMING}' to='${input.domain}' version='1.0' xml:lang='en'/>`,
        );
        break;
      case "transport.send":
        for (const el of cmd.elements) ws.send(serialize(el));
        break;
      case "transport.close":
        ws.send(`<close xmlns='${NS_FRAMING}'/>`);
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
  };
});
