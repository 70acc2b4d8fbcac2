/**
 * The connection machine: one XMPP client stream (RFC 6120, RFC 7395) as an
 * XState actor. Every transition is named by a typed event; the transport
 * classifies what the server sends (`src/stanza.ts`), so no guard reads XML.
 *
 * ```
 * disconnected ─connection.start─► session
 *   session (invokes transport):
 *     connecting ─transport.connected─► opening ─transport.streamStart─► negotiating
 *     negotiating ─stream.features─► negotiated ┬─► starttls ─tls.proceed…transport.tlsUpgraded─► opening
 *                                               ├─► authenticating (invokes sasl) ─done─► opening
 *                                               ├─► binding ─bind.result─► online
 *                                               └─► closing
 *     online: connection.send · iq.send ─► transport; stanza ─► router; iq.result · iq.error ─► iqCaller
 *     any ─stream.error · transport.xmlError · transport.streamEnd · connection.stop─► closing
 *     closing ─transport.closed · closeTimeout─► ending
 *   ending ┬─► disconnected   (stop requested)
 *          ├─► reconnecting ─reconnectDelay─► session
 *          └─► failed ─connection.start─► session
 * ```
 *
 * Children invoked for the actor's whole life: `iqCaller` (pending IQs,
 * `./iq_caller.ts`) and `router` (stanza handlers, `./router.ts`); users send
 * them `iq.call` and `router.add`/`router.remove` directly. Per session: the
 * `transport` (provide it: `connectionMachine.provide({ actors: { transport } })`)
 * and, while authenticating, `sasl` (`./sasl.ts`).
 *
 * @module
 */
import {
  assertEvent,
  assign,
  emit,
  enqueueActions,
  fromCallback,
  sendTo,
  setup,
  xml,
  xmppId,
} from "../../src/deps.ts";
import { formatJid, parseJid } from "../../src/jid.ts";
import {
  ClientStoppedError,
  ConnectionError,
  QueueOverflowError,
  type StanzaError,
} from "../../src/errors.ts";
import { NS_BIND, NS_TLS, streamErrorElement } from "../../src/stanza.ts";
import type {
  TransportCommand,
  TransportInput,
} from "../transport/protocol.ts";
import { type ConnectionContext, initialContext } from "./context.ts";
import { iqCaller } from "./iq_caller.ts";
import type {
  ConnectionEmitted,
  ConnectionEvent,
  ConnectionInput,
  ConnectionStatus,
} from "./protocol.ts";
import { backoffDelay, isRetryable } from "./reconnect.ts";
import { stanzaRouter } from "./router.ts";
import { saslMachine, type SaslOutput } from "./sasl.ts";

export type {
  ConnectionEmitted,
  ConnectionEvent,
  ConnectionInput,
  ConnectionStatus,
  HandlerMatch,
  ReconnectOptions,
  StanzaKind,
} from "./protocol.ts";
export type { ConnectionContext } from "./context.ts";

/** Placeholder transport: the caller provides the real one. */
const noTransport = fromCallback<TransportCommand, TransportInput>(
  ({ sendBack, input }) => {
    sendBack({
      type: "transport.closed",
      error: new ConnectionError(
        `Cannot connect: no transport provided for ${input.service.protocol}:`,
      ),
    });
  },
);

/**
 * The connection machine. Provide a transport before use.
 *
 * @example Usage
 * ```ts ignore
 * import { createActor } from "../../src/deps.ts";
 * import { connectionMachine } from "./machine.ts";
 * import { tcpTransport } from "../transport/tcp.ts";
 * const actor = createActor(
 *   connectionMachine.provide({ actors: { transport: tcpTransport } }),
 *   { input: { jid: "alice@localhost", password: "pw" } },
 * ).start();
 * actor.on("online", ({ jid }) => console.log("online as", jid));
 * actor.send({ type: "connection.start" });
 * ```
 */
export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    transport: noTransport,
    iqCaller,
    router: stanzaRouter,
    sasl: saslMachine,
  },
  delays: {
    reconnectDelay: ({ context }) =>
      backoffDelay(context.reconnect, context.attempt),
    closeTimeout: ({ context }) => context.closeTimeout,
  },
  guards: {
    stopRequested: ({ context }) => context.stopping,
    hasError: ({ context }) => context.error !== undefined,
    shouldReconnect: ({ context }) =>
      context.reconnect.enabled && context.wasOnline && !context.stopping &&
      isRetryable(context.error) &&
      context.attempt < context.reconnect.maxAttempts,
    shouldStartTls: ({ context }) =>
      !context.secure && context.canStartTls && context.starttls &&
      context.features?.starttls !== undefined,
    tlsRequiredButUnavailable: ({ context }) =>
      !context.secure && context.features?.starttls?.required === true,
    needsAuth: ({ context }) => !context.authenticated,
    canBind: ({ context }) => context.features?.bind === true,
    saslSucceeded: (_, params: { ok: boolean }) => params.ok,
    isBindAnswer: ({ context }, params: { id: string }) =>
      params.id === context.bindId,
    queueFull: ({ context }) => context.queue.length >= context.queueLimit,
  },
  actions: {
    emitStatus: emit((_, params: { status: ConnectionStatus }) => ({
      type: "status" as const,
      status: params.status,
    })),
    resetRun: assign({
      stopping: false,
      attempt: 0,
      wasOnline: false,
      error: undefined,
    }),
    resetSession: assign({
      secure: false,
      canStartTls: false,
      authenticated: false,
      features: undefined,
      bindId: undefined,
      boundJid: undefined,
    }),
    requestStop: assign({ stopping: true }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    assignConnected: assign(({ event }) => {
      assertEvent(event, "transport.connected");
      return { secure: event.secure, canStartTls: event.canStartTls };
    }),
    openStream: sendTo("transport", { type: "transport.open" }),
    closeStream: sendTo("transport", { type: "transport.close" }),
    sendStartTls: sendTo("transport", {
      type: "transport.send",
      elements: [xml("starttls", { xmlns: NS_TLS })],
    }),
    upgradeTls: sendTo("transport", { type: "transport.starttls" }),
    markSecure: assign({ secure: true }),
    assignFeatures: assign({
      features: ({ event }) => {
        assertEvent(event, "stream.features");
        return event.features;
      },
    }),
    forwardToSasl: sendTo("sasl", ({ event }) => {
      assertEvent(event, ["sasl.challenge", "sasl.success", "sasl.failure"]);
      return event;
    }),
    writeSasl: sendTo("transport", ({ event }) => {
      assertEvent(event, "sasl.write");
      return { type: "transport.send" as const, elements: [event.element] };
    }),
    recordSaslOutcome: assign((_, params: SaslOutput) =>
      params.ok
        ? {
          authenticated: true,
          mechanism: params.mechanism,
          saslCache: params.cache,
        }
        : { error: params.error, saslCache: params.cache }
    ),
    recordTlsRequired: assign({
      error: () =>
        new ConnectionError(
          "Cannot connect: server requires TLS that this transport or configuration cannot provide",
        ),
    }),
    recordTlsRefused: assign({
      error: () =>
        new ConnectionError("Cannot start TLS: server answered <failure/>"),
    }),
    recordNoBind: assign({
      error: () =>
        new ConnectionError("Cannot bind: server offers no resource binding"),
    }),
    recordNoBoundJid: assign({
      error: () =>
        new ConnectionError("Cannot bind: server answered without a JID"),
    }),
    recordBindError: assign({
      error: (_, params: { error: StanzaError }) => params.error,
    }),
    recordStreamError: assign({
      error: ({ event }) => {
        assertEvent(event, "stream.error");
        return event.error;
      },
    }),
    recordXmlError: assign({
      error: ({ event }) => {
        assertEvent(event, "transport.xmlError");
        return event.error;
      },
    }),
    recordTransportClosed: assign({
      error: ({ event }) => {
        assertEvent(event, "transport.closed");
        return event.error ?? new ConnectionError("Connection closed");
      },
    }),
    recordServerClose: assign({
      error: () => new ConnectionError("Stream closed by server"),
    }),
    sendStreamError: sendTo("transport", ({ event }) => {
      assertEvent(event, "transport.xmlError");
      return {
        type: "transport.send" as const,
        elements: [streamErrorElement(event.error)],
      };
    }),
    sendBind: enqueueActions(({ context, enqueue }) => {
      const id = xmppId();
      const bind = xml("bind", { xmlns: NS_BIND });
      if (context.jid.resource !== undefined) {
        bind.c("resource").t(context.jid.resource);
      }
      enqueue.assign({ bindId: id });
      enqueue.sendTo("transport", {
        type: "transport.send",
        elements: [xml("iq", { type: "set", id }, bind)],
      });
    }),
    assignBoundJid: assign({
      boundJid: ({ context }, params: { jid?: string }) => {
        try {
          return formatJid(params.jid ? parseJid(params.jid) : context.jid);
        } catch {
          return formatJid(context.jid);
        }
      },
    }),
    enterOnline: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ attempt: 0, wasOnline: true, error: undefined });
      enqueue.emit({ type: "online", jid: context.boundJid! });
      if (context.queue.length) {
        enqueue.assign({ queue: [] });
        enqueue.sendTo("transport", {
          type: "transport.send",
          elements: context.queue.map((q) => q.stanza),
        });
      }
      enqueue.sendTo("iqCaller", { type: "iq.online", jid: context.boundJid! });
    }),
    leaveOnline: enqueueActions(({ context, event, enqueue }) => {
      const error = event.type === "connection.stop"
        ? new ClientStoppedError("Cannot get IQ answer: the connection stopped")
        : new ConnectionError("Cannot get IQ answer: the session ended", {
          cause: context.error,
        });
      enqueue.sendTo("iqCaller", { type: "iq.offline", error });
      enqueue.emit({ type: "offline", error: context.error });
    }),
    failEverything: enqueueActions(({ context, enqueue }) => {
      const error = context.stopping
        ? new ClientStoppedError("Cannot send: the connection stopped")
        : new ConnectionError(
          context.error
            ? `Cannot send: connection failed: ${context.error.message}`
            : "Cannot send: connection stopped",
          { cause: context.error },
        );
      enqueue.sendTo("iqCaller", { type: "iq.rejectAll", error });
      enqueue.assign({ queue: [] });
    }),
    emitError: emit(({ context }) => ({
      type: "error" as const,
      error: context.error ?? new ConnectionError("Connection failed"),
    })),
    emitHandlerError: emit(({ event }) => {
      assertEvent(event, "connection.handlerError");
      return { type: "error" as const, error: event.error };
    }),
    sendStanza: sendTo("transport", ({ event }) => {
      assertEvent(event, ["connection.send", "iq.send"]);
      return { type: "transport.send" as const, elements: [event.stanza] };
    }),
    queueStanza: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, ["connection.send", "iq.send"]);
      const iq = event.type === "iq.send" ? event.id : undefined;
      enqueue.assign({
        queue: [...context.queue, { stanza: event.stanza, iq }],
      });
      if (iq !== undefined) {
        enqueue.sendTo("iqCaller", { type: "iq.queued", id: iq });
      }
    }),
    rejectOverflow: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, ["connection.send", "iq.send"]);
      const error = new QueueOverflowError(context.queueLimit);
      if (event.type === "iq.send") {
        enqueue.sendTo("iqCaller", { type: "iq.refused", id: event.id, error });
      } else enqueue.emit({ type: "error", error });
    }),
    dropExpired: assign({
      queue: ({ context, event }) => {
        assertEvent(event, "iq.expired");
        return context.queue.filter((q) => q.iq !== event.id);
      },
    }),
    emitStanza: emit(({ event }) => {
      assertEvent(event, "stanza");
      return { type: "stanza" as const, stanza: event.stanza };
    }),
    routeStanza: sendTo("router", ({ event }) => {
      assertEvent(event, "stanza");
      return event;
    }),
    forwardAnswer: sendTo("iqCaller", ({ event }) => {
      assertEvent(event, ["iq.result", "iq.error"]);
      return event;
    }),
  },
}).createMachine({
  id: "connection",
  context: ({ input }) => initialContext(input),
  invoke: [
    {
      id: "iqCaller",
      src: "iqCaller",
      input: ({ context }) => ({
        jid: context.jid,
        timeout: context.iqTimeout,
      }),
    },
    { id: "router", src: "router" },
  ],
  initial: "disconnected",
  on: {
    "connection.send": [
      { guard: "queueFull", actions: "rejectOverflow" },
      { actions: "queueStanza" },
    ],
    "iq.send": [
      { guard: "queueFull", actions: "rejectOverflow" },
      { actions: "queueStanza" },
    ],
    "iq.expired": { actions: "dropExpired" },
    "connection.handlerError": { actions: "emitHandlerError" },
  },
  states: {
    disconnected: {
      entry: [
        { type: "emitStatus", params: { status: "disconnected" } },
        "failEverything",
      ],
      on: {
        "connection.start": { target: "session", actions: "resetRun" },
        "connection.stop": { actions: ["requestStop", "failEverything"] },
      },
    },
    session: {
      invoke: {
        id: "transport",
        src: "transport",
        input: ({ context }) => ({
          service: context.service,
          domain: context.jid.domain,
          caCerts: context.caCerts,
          maxStanzaSize: context.maxStanzaSize,
        }),
      },
      entry: "resetSession",
      initial: "connecting",
      on: {
        "transport.closed": {
          target: "ending",
          actions: "recordTransportClosed",
        },
        "stream.error": { target: ".closing", actions: "recordStreamError" },
        "transport.xmlError": {
          target: ".closing",
          actions: ["recordXmlError", "sendStreamError"],
        },
        "transport.streamEnd": {
          target: ".closing",
          actions: "recordServerClose",
        },
        "connection.stop": { target: ".closing", actions: "requestStop" },
      },
      states: {
        connecting: {
          entry: { type: "emitStatus", params: { status: "connecting" } },
          on: {
            "transport.connected": {
              target: "opening",
              actions: "assignConnected",
            },
            "connection.stop": {
              target: "#connection.disconnected",
              actions: "requestStop",
            },
          },
        },
        opening: {
          entry: [
            { type: "emitStatus", params: { status: "opening" } },
            "openStream",
          ],
          on: { "transport.streamStart": { target: "negotiating" } },
        },
        negotiating: {
          entry: { type: "emitStatus", params: { status: "negotiating" } },
          on: {
            "stream.features": {
              target: "negotiated",
              actions: "assignFeatures",
            },
          },
        },
        negotiated: {
          // Transient: picks the next step from the stream features.
          always: [
            {
              guard: "shouldStartTls",
              target: "starttls",
              actions: "sendStartTls",
            },
            {
              guard: "tlsRequiredButUnavailable",
              target: "closing",
              actions: "recordTlsRequired",
            },
            { guard: "needsAuth", target: "authenticating" },
            { guard: "canBind", target: "binding" },
            { target: "closing", actions: "recordNoBind" },
          ],
        },
        starttls: {
          entry: { type: "emitStatus", params: { status: "starttls" } },
          on: {
            "tls.proceed": { actions: "upgradeTls" },
            "tls.failure": { target: "closing", actions: "recordTlsRefused" },
            "transport.tlsUpgraded": {
              target: "opening",
              actions: "markSecure",
            },
          },
        },
        authenticating: {
          entry: { type: "emitStatus", params: { status: "authenticating" } },
          invoke: {
            id: "sasl",
            src: "sasl",
            input: ({ context }) => ({
              offered: context.features?.mechanisms ?? [],
              allowed: context.saslMechanisms,
              secure: context.secure,
              allowPlainWithoutTls: context.allowPlainWithoutTls,
              username: context.jid.local!,
              password: context.password,
              cache: context.saslCache,
            }),
            onDone: [
              {
                guard: {
                  type: "saslSucceeded",
                  params: ({ event }) => ({ ok: event.output.ok }),
                },
                target: "opening",
                actions: {
                  type: "recordSaslOutcome",
                  params: ({ event }) => event.output,
                },
              },
              {
                target: "closing",
                actions: {
                  type: "recordSaslOutcome",
                  params: ({ event }) => event.output,
                },
              },
            ],
          },
          on: {
            "sasl.challenge": { actions: "forwardToSasl" },
            "sasl.success": { actions: "forwardToSasl" },
            "sasl.failure": { actions: "forwardToSasl" },
            "sasl.write": { actions: "writeSasl" },
          },
        },
        binding: {
          entry: [
            { type: "emitStatus", params: { status: "binding" } },
            "sendBind",
          ],
          on: {
            "bind.result": {
              guard: {
                type: "isBindAnswer",
                params: ({ event }) => ({ id: event.id }),
              },
              target: "online",
              actions: {
                type: "assignBoundJid",
                params: ({ event }) => ({ jid: event.jid }),
              },
            },
            "iq.error": {
              guard: {
                type: "isBindAnswer",
                params: ({ event }) => ({ id: event.id }),
              },
              target: "closing",
              actions: {
                type: "recordBindError",
                params: ({ event }) => ({ error: event.error }),
              },
            },
            "iq.result": {
              guard: {
                type: "isBindAnswer",
                params: ({ event }) => ({ id: event.id }),
              },
              target: "closing",
              actions: "recordNoBoundJid",
            },
          },
        },
        online: {
          entry: [
            { type: "emitStatus", params: { status: "online" } },
            "enterOnline",
          ],
          exit: "leaveOnline",
          on: {
            "connection.send": { actions: "sendStanza" },
            "iq.send": { actions: "sendStanza" },
            "stanza": { actions: ["emitStanza", "routeStanza"] },
            "iq.result": { actions: "forwardAnswer" },
            "iq.error": { actions: "forwardAnswer" },
          },
        },
        closing: {
          entry: [
            { type: "emitStatus", params: { status: "closing" } },
            "closeStream",
          ],
          after: { closeTimeout: { target: "#connection.ending" } },
          on: {
            "transport.closed": { target: "#connection.ending" },
            "stream.error": {},
            "transport.streamEnd": {},
            "transport.xmlError": {},
            "connection.stop": { actions: "requestStop" },
          },
        },
      },
    },
    ending: {
      // Transient: decides where a finished session goes.
      always: [
        { guard: "stopRequested", target: "disconnected" },
        {
          guard: "shouldReconnect",
          target: "reconnecting",
          actions: "emitError",
        },
        { guard: "hasError", target: "failed" },
        { target: "disconnected" },
      ],
    },
    reconnecting: {
      entry: { type: "emitStatus", params: { status: "reconnecting" } },
      after: { reconnectDelay: { target: "session", actions: "countAttempt" } },
      on: {
        "connection.stop": { target: "disconnected", actions: "requestStop" },
      },
    },
    failed: {
      entry: [
        { type: "emitStatus", params: { status: "failed" } },
        "emitError",
        "failEverything",
      ],
      on: {
        "connection.start": { target: "session", actions: "resetRun" },
        "connection.stop": { actions: ["requestStop", "failEverything"] },
      },
    },
  },
});
