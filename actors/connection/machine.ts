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
 *                                               ├─► resuming ─sm.resumed…sm.ready─► online
 *                                               │            └─sm.failed─► binding
 *                                               ├─► binding ─bind.result─┬─► enabling ─sm.enabled · sm.failed─► online
 *                                               │                        └─► online (no XEP-0198 offered)
 *                                               └─► closing
 *     online: connection.send · iq.send ─► transport (+ sm; refused while the unacked queue is full); stanza ─► router (+ sm);
 *       router.deliver ─► the actor that claimed the stanza (replyTo: this machine); router.answer ─► checked, written;
 *       iq.result · iq.error ─► iqCaller; stanza.skipped (over a limit) ─► error event, IQ request answered policy-violation (+ sm)
 *     online ─connection.stop─┬─► flushing (stream management: <a/>, <r/>) ─sm.flushed · stopTimeout─► closing
 *                             └─► closing
 *     any ─stream.error · transport.xmlError · transport.streamEnd · connection.stop · sm.error (h out of range)─► closing
 *     negotiating · starttls · authenticating · binding ─an element that phase does not expect (./unexpected.ts)─► closing
 *     negotiationTimeout after session entry, still negotiating ─► closing (TimeoutError)
 *     closing ─transport.closed─► ending   (closeTimeout, or the stop deadline: abort the transport first)
 *   ending ┬─► disconnected   (stop requested)
 *          ├─► session        (see-other-host, once, same domain)
 *          ├─► reconnecting ─reconnectDelay─► session   (resumes when it can; any failure but auth, TLS
 *          │                                              trust, conflict; system-shutdown waits shutdownDelay)
 *          └─► failed ─connection.start─► session
 * ```
 *
 * Children invoked for the actor's whole life: `iqCaller` (pending IQs, `./iq_caller.ts`),
 * `router` (stanza handlers, `./router.ts`) and `sm` (XEP-0198 counters and unacknowledged
 * stanzas, `./sm.ts`); users send the first two `iq.call` and `router.add`/`router.remove`
 * directly. Per session: the `transport` (provide it: `connectionMachine.provide({ actors:
 * { transport } })`) and, while authenticating, `sasl` (`./sasl.ts`).
 *
 * Every stanza in and out goes through this machine: the transport, the router and the IQ
 * caller send back to it (`sendBack`), and the `online` transitions hand stanzas to the
 * router, IQ answers to the IQ caller and writes to the transport, counting them for stream
 * management — what the chart shows is what runs, and each message has its sender (XState's
 * `sourceRef`). Outside `online`, writes are queued in order.
 *
 * @module
 */
import type { AnyStateMachine } from "../../src/types.ts";
import { connectionSetup } from "./setup.ts";
import { type ConnectionContext, initialContext } from "./context.ts";
import { unexpectedIn } from "./unexpected.ts";

export type {
  ConnectionEmitted,
  ConnectionEvent,
  ConnectionInput,
  ConnectionStatus,
  DnsOptions,
  HandlerMatch,
  ReconnectOptions,
  StanzaKind,
  StreamManagementOptions,
  StreamManagementState,
} from "./protocol.ts";
export type { ConnectionContext } from "./context.ts";

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
const machine = connectionSetup.createMachine({
  id: "connection",
  context: ({ input }) => initialContext(input),
  invoke: [
    {
      id: "iqCaller",
      src: "iqCaller",
      input: ({ context }: { context: ConnectionContext }) => ({
        jid: context.jid,
        timeout: context.iqTimeout,
      }),
    },
    {
      id: "router",
      src: "router",
      input: ({ context }: { context: ConnectionContext }) => ({
        maxBytes: context.maxOutgoingStanzaSize,
        maxDepth: context.maxStanzaDepth,
      }),
    },
    {
      id: "sm",
      src: "sm",
      input: ({ context }: { context: ConnectionContext }) => ({
        ...context.sm, // the acks and bounds (enabled, resume unread)
        state: context.smRestore,
      }),
    },
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
    "iq.unclaimed": { actions: "routeUnclaimed" },
    "sm.acked": { actions: "emitAcked" },
    "sm.lost": { actions: "emitLost" },
    "sm.full": { actions: "assignBacklog" },
    "connection.handlerError": { actions: "emitHandlerError" },
    "router.deliver": { actions: "deliverToHandler" },
    "router.answer": { actions: "answerRequest" },
    "iq.reply": { actions: "forwardIqReply" },
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
          maxStanzaDepth: context.maxStanzaDepth,
          ...(context.srv ? { srv: context.srv } : {}),
        }),
      },
      entry: "resetSession",
      exit: "smOffline",
      initial: "connecting",
      after: {
        negotiationTimeout: {
          guard: "negotiating",
          target: ".closing",
          actions: "recordNegotiationTimeout",
        },
      },
      on: {
        "transport.closed": {
          target: "ending",
          actions: ["recordTransportClosed", "reportUnsent"],
        },
        "sm.error": {
          target: ".closing",
          actions: ["recordSmError", "abandonSm"],
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
        "sm.write": { actions: "writeSm" },
        "stanza.skipped": { actions: "failSkipped" },
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
            ...unexpectedIn("stream.features"),
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
            {
              // TLS is required by default: no SASL in clear.
              guard: "unencryptedRefused",
              target: "closing",
              actions: "recordUnencrypted",
            },
            { guard: "needsAuth", target: "authenticating" },
            { guard: "canResume", target: "resuming" },
            { guard: "canBind", target: "binding", actions: "abandonResume" },
            { target: "closing", actions: "recordNoBind" },
          ],
        },
        starttls: {
          entry: { type: "emitStatus", params: { status: "starttls" } },
          on: {
            ...unexpectedIn("tls.proceed", "tls.failure"),
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
            input: ({ context }: { context: ConnectionContext }) => ({
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
            ...unexpectedIn("sasl.challenge", "sasl.success", "sasl.failure"),
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
            ...unexpectedIn("bind.result", "iq.result", "iq.error"),
            "bind.result": [
              {
                guard: "bindAnswerWithSm",
                target: "enabling",
                actions: {
                  type: "assignBoundJid",
                  params: ({ event }) => ({ jid: event.jid }),
                },
              },
              {
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
            ],
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
        enabling: {
          // XEP-0198: stanzas before <enabled/> are delivered, not counted.
          entry: [
            { type: "emitStatus", params: { status: "enabling" } },
            "sendEnable",
          ],
          on: {
            "sm.enabled": { target: "online", actions: "smEnabled" },
            "sm.failed": { target: "online" },
            "stanza": { actions: ["emitStanza", "routeStanza"] },
            "stanza.skipped": { actions: "reportSkipped" },
            "iq.result": { actions: "forwardAnswer" },
            "iq.error": { actions: "forwardAnswer" },
          },
        },
        resuming: {
          entry: [
            { type: "emitStatus", params: { status: "resuming" } },
            "sendResume",
          ],
          on: {
            "sm.resumed": { actions: "forwardResumed" },
            "sm.ready": { target: "online", actions: "resumeDone" },
            "sm.failed": { target: "binding", actions: "abandonResume" },
            "sm.r": { actions: "forwardToSm" },
            "sm.a": { actions: "forwardToSm" },
            "stanza": { actions: ["emitStanza", "routeStanza", "countIn"] },
            "stanza.skipped": { actions: ["reportSkipped", "countSkipped"] },
            "iq.result": { actions: ["forwardAnswer", "countIn"] },
            "iq.error": { actions: ["forwardAnswer", "countIn"] },
          },
        },
        online: {
          entry: [
            { type: "emitStatus", params: { status: "online" } },
            "enterOnline",
            "announceOnline",
          ],
          exit: ["leaveOnline", "announceOffline"],
          on: {
            "connection.send": [
              { guard: "unackedFull", actions: "rejectUnacked" },
              { actions: ["sendStanza", "countOut"] },
            ],
            "iq.send": [
              { guard: "unackedFull", actions: "rejectUnacked" },
              { actions: ["sendStanza", "countOut"] },
            ],
            "connection.stop": [
              {
                guard: "smCounting",
                target: "flushing",
                actions: ["requestStop", "startStopClock"],
              },
              {
                target: "closing",
                actions: ["requestStop", "startStopClock"],
              },
            ],
            "stanza": { actions: ["emitStanza", "routeStanza", "countIn"] },
            "stanza.skipped": { actions: ["reportSkipped", "countSkipped"] },
            "iq.result": { actions: ["forwardAnswer", "countIn"] },
            "iq.error": { actions: ["forwardAnswer", "countIn"] },
            "sm.r": { actions: "forwardToSm" },
            "sm.a": { actions: "forwardToSm" },
          },
        },
        flushing: {
          // stop() with stream management: every stanza acked, then close.
          entry: [
            { type: "emitStatus", params: { status: "flushing" } },
            "flushSm",
          ],
          after: { stopRemaining: { target: "closing" } },
          on: {
            "sm.flushed": { target: "closing" },
            "sm.r": { actions: "forwardToSm" },
            "sm.a": { actions: "forwardToSm" },
          },
        },
        closing: {
          entry: [
            { type: "emitStatus", params: { status: "closing" } },
            "endNegotiation",
            "closeStream",
          ],
          after: {
            closeTimeout: { actions: "abortTransport" },
            closeGiveUp: { target: "#connection.ending" },
          },
          on: {
            "transport.closed": {
              target: "#connection.ending",
              actions: "reportUnsent",
            },
            "sm.error": { actions: "abandonSm" },
            "stream.error": {},
            "transport.streamEnd": {},
            "transport.xmlError": {},
            "stanza.skipped": {},
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
          guard: "shouldRedirect",
          target: "session",
          actions: "followRedirect",
        },
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
      entry: [
        "planReconnect",
        { type: "emitStatus", params: { status: "reconnecting" } },
      ],
      after: {
        reconnectDelay: { target: "session", actions: "countAttempt" },
      },
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

/** The connection machine (typed as any state machine in the public API). */
export const connectionMachine: AnyStateMachine = machine;
