/**
 * The connection machine: one XMPP client stream (RFC 6120, RFC 7395) as an
 * XState actor.
 *
 * ```
 * disconnected ─start─► session ┌ connecting ─► opening ─► negotiating ─► negotiated ┬► starttls ─► opening …
 *                               │                                                  ├► authenticating (exchanging ⇄ proving) ─► opening …
 *                               │                                                  └► binding ─► online
 *                               └ closing ─► ending ┬► disconnected
 *                                                   ├► reconnecting ─(after backoff)─► session
 *                                                   └► failed
 * ```
 *
 * The transport (TCP/TLS or WebSocket) is a child actor invoked by the
 * `session` state, so leaving the session closes the socket. Its logic is
 * provided by the caller: `connectionMachine.provide({ actors: { transport } })`.
 * IQ timeouts run in a second child, `iqTimers`.
 *
 * Talk to the machine with {@linkcode ConnectionEvent}s; listen with
 * `actor.on(type, fn)` for the {@linkcode ConnectionEmitted} events. The
 * promise facade is `src/connection.ts`.
 *
 * @module
 */
import {
  assign,
  type Element,
  emit,
  enqueueActions,
  fromCallback,
  fromPromise,
  sendTo,
  setup,
  xml,
} from "../../src/deps.ts";
import {
  bareJid,
  formatJid,
  type Jid,
  jidEquals,
  parseJid,
} from "../../src/jid.ts";
import {
  chooseMechanism,
  decodeBase64Text,
  encodeBase64Text,
  saslChallengeAsync,
  type SaslCredentials,
  type SaslMechanism,
  type SaslSession,
  saslStart,
  saslSuccess,
} from "../../src/sasl.ts";
import { TimeoutError } from "../../src/errors.ts";
import {
  ConnectionError,
  NS_SASL,
  NS_STANZAS,
  NS_STREAMS,
  QueueOverflowError,
  SASLError,
  StanzaError,
  StreamError,
  type XMPPError,
} from "../../src/errors.ts";
import {
  NS_STREAM,
  NS_TLS,
  parseService,
  type ServiceAddress,
  type TransportCommand,
  type TransportEvent,
  type TransportInput,
} from "../transport/protocol.ts";

/** Namespace of resource binding. */
export const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";

/** Reconnect policy: exponential backoff with jitter. */
export interface ReconnectOptions {
  /**
   * Reconnect after losing an established session.
   * @default {true}
   */
  enabled?: boolean;
  /**
   * Delay before the first attempt, in ms.
   * @default {1000}
   */
  initialDelay?: number;
  /**
   * Largest delay, in ms.
   * @default {30000}
   */
  maxDelay?: number;
  /**
   * Growth factor per attempt.
   * @default {2}
   */
  factor?: number;
  /**
   * Random spread, as a fraction of the delay (0.2 = ±20 %).
   * @default {0.2}
   */
  jitter?: number;
  /**
   * Attempts before giving up (then `failed`).
   * @default {Infinity}
   */
  maxAttempts?: number;
}

/** Input of the connection machine. */
export interface ConnectionInput {
  /** Our JID; the resource is optional (the server assigns one). */
  jid: string;
  /** The password. */
  password: string;
  /**
   * `xmpp://host:port` (TCP + STARTTLS), `xmpps://host:port` (direct TLS),
   * `ws://…` or `wss://…` (WebSocket).
   * @default {"xmpp://<domain>:5222"}
   */
  service?: string;
  /** TLS settings. Certificates are always verified. */
  tls?: {
    /** Extra trusted CA certificates (PEM). */
    caCerts?: string[];
    /**
     * Use STARTTLS when the server offers it. Turn off only for tests of
     * plain TCP; a server that requires TLS then fails the connection.
     * @default {true}
     */
    starttls?: boolean;
  };
  /**
   * SASL mechanisms allowed, best first.
   * @default {["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]}
   */
  saslMechanisms?: SaslMechanism[];
  /**
   * Allow SASL PLAIN over an unencrypted stream.
   * @default {false}
   */
  allowPlainWithoutTls?: boolean;
  /** Reconnect policy. */
  reconnect?: ReconnectOptions;
  /**
   * Default IQ timeout, in ms.
   * @default {30000}
   */
  iqTimeout?: number;
  /**
   * Largest accepted incoming stanza, in characters.
   * @default {1048576}
   */
  maxStanzaSize?: number;
  /**
   * Most stanzas held while not online.
   * @default {1000}
   */
  queueLimit?: number;
  /**
   * How long to wait for the server to close its stream, in ms.
   * @default {2000}
   */
  closeTimeout?: number;
}

/** Stanza kinds a handler can claim. */
export type StanzaKind = "iq" | "message" | "presence";

/** What an incoming-stanza handler matches (all given fields must match). */
export interface HandlerMatch {
  /** The stanza `type` attribute (`get`, `set`, `chat`, …). */
  type?: string;
  /** The payload child's element name, e.g. `data`. */
  name?: string;
  /** The payload child's namespace, e.g. `urn:xmpp:bob`. */
  xmlns?: string;
}

/** A registered handler (the function itself lives with the caller). */
export interface HandlerEntry extends HandlerMatch {
  /** Caller-chosen id, echoed in `request` events. */
  id: string;
  /** Stanza kind. */
  kind: StanzaKind;
}

/** Events the connection machine accepts from its users. */
export type ConnectionCommand =
  | {
    /** Connect (from `disconnected` or `failed`). */
    type: "connection.start";
  }
  | {
    /** Close the stream cleanly; cancels a pending reconnect. */
    type: "connection.stop";
  }
  | {
    /** Send a stanza now (online) or queue it (otherwise). */
    type: "connection.send";
    stanza: Element;
  }
  | {
    /** Send an IQ get/set and track its answer (`iq.result`/`iq.error`). */
    type: "connection.iq";
    /** The IQ id; must equal `stanza.attrs.id`. */
    id: string;
    stanza: Element;
    /** Timeout in ms (default: `iqTimeout`). */
    timeout?: number;
  }
  | {
    /** Claim incoming stanzas (see {@linkcode HandlerMatch}). */
    type: "connection.handler.add";
    handler: HandlerEntry;
  }
  | {
    /** Drop a handler. */
    type: "connection.handler.remove";
    id: string;
  };

/** Internal events (from the `iqTimers` child and from raised actions). */
export type ConnectionInternalEvent =
  | { type: "connection.iqTimeout"; id: string }
  | { type: "connection.saslError"; error: SASLError };

/** Every event the machine handles. */
export type ConnectionEvent =
  | ConnectionCommand
  | ConnectionInternalEvent
  | TransportEvent;

/** Status names, one per state. */
export type ConnectionStatus =
  | "disconnected"
  | "connecting"
  | "opening"
  | "negotiating"
  | "starttls"
  | "authenticating"
  | "binding"
  | "online"
  | "closing"
  | "reconnecting"
  | "failed";

/** Events the machine emits (read them with `actor.on(type, fn)`). */
export type ConnectionEmitted =
  | { type: "status"; status: ConnectionStatus }
  | { type: "online"; jid: string }
  | { type: "offline"; error?: Error }
  | { type: "error"; error: Error }
  | { type: "stanza"; stanza: Element }
  | { type: "iq.result"; id: string; stanza: Element }
  | { type: "iq.error"; id: string; error: Error }
  | { type: "request"; handlerId: string; stanza: Element };

interface PendingIq {
  to?: string;
  sent: boolean;
}

/** The machine's context. */
export interface ConnectionContext {
  /** Configured JID. */
  jid: Jid;
  /** Password. */
  password: string;
  /** Where to connect. */
  service: ServiceAddress;
  /** Extra CAs. */
  caCerts?: string[];
  /** Whether to use STARTTLS when offered. */
  starttls: boolean;
  /** Mechanisms allowed, best first. */
  saslMechanisms: SaslMechanism[];
  /** The mechanism used by the last authentication. */
  mechanism?: SaslMechanism;
  /** PLAIN in clear allowed. */
  allowPlainWithoutTls: boolean;
  /** Resolved reconnect policy. */
  reconnect: Required<ReconnectOptions>;
  /** Default IQ timeout. */
  iqTimeout: number;
  /** Incoming stanza size limit. */
  maxStanzaSize: number;
  /** Queue bound. */
  queueLimit: number;
  /** Close wait. */
  closeTimeout: number;
  /** SCRAM salted-password cache (reconnects skip PBKDF2). */
  saslCache: Map<string, Uint8Array>;
  /** The stream is encrypted. */
  secure: boolean;
  /** The transport can do STARTTLS. */
  canStartTls: boolean;
  /** SASL succeeded on this session. */
  authenticated: boolean;
  /** The last stream features received. */
  features?: Element;
  /** SASL exchange in progress. */
  sasl?: SaslSession;
  /** Id of the bind request. */
  bindId?: string;
  /** The bound full JID. */
  boundJid?: string;
  /** Stanzas waiting for `online`. */
  queue: Element[];
  /** IQs waiting for an answer, by id (mutated in place). */
  pending: Map<string, PendingIq>;
  /** Registered handlers. */
  handlers: HandlerEntry[];
  /** Reconnect attempts since the last online. */
  attempt: number;
  /** Whether this run was online at least once. */
  wasOnline: boolean;
  /** `stop` was requested. */
  stopping: boolean;
  /** Why the last session ended, if it failed. */
  error?: Error;
}

let idCounter = 0;
const idPrefix = Math.random().toString(36).slice(2, 8);

/**
 * A fresh stanza id, unique in this process.
 *
 * @returns An id such as `x1a2b3c-17`.
 *
 * @example Usage
 * ```ts
 * import { nextId } from "./machine.ts";
 * console.assert(nextId() !== nextId());
 * ```
 */
export function nextId(): string {
  return `x${idPrefix}-${++idCounter}`;
}

const RETRYABLE_STREAM_ERRORS = new Set([
  "connection-timeout",
  "internal-server-error",
  "remote-connection-failed",
  "reset",
  "resource-constraint",
  "system-shutdown",
  "undefined-condition",
]);

function isRetryable(error: Error | undefined): boolean {
  if (!error) return true;
  if (error instanceof StreamError) {
    return RETRYABLE_STREAM_ERRORS.has(error.condition);
  }
  if (error.name === "TLSError") return false;
  return error instanceof ConnectionError;
}

function isStreamElement(el: Element, name: string): boolean {
  if (el.name === `stream:${name}`) return true;
  return el.getName() === name && el.getNS() === NS_STREAM;
}

function elementOf(event: ConnectionEvent): Element | undefined {
  return event.type === "transport.element" ? event.element : undefined;
}

function saslElement(
  event: ConnectionEvent,
  name: string,
): Element | undefined {
  const el = elementOf(event);
  return el && el.name === name && el.attrs.xmlns === NS_SASL ? el : undefined;
}

function usableMechanism(
  context: ConnectionContext,
): SaslMechanism | undefined {
  const offered = offeredMechanisms(context.features!);
  for (const m of context.saslMechanisms) {
    if (!offered.includes(m)) continue;
    const ok = chooseMechanism([m], {
      secure: context.secure,
      allowPlainWithoutTls: context.allowPlainWithoutTls,
    });
    if (ok) return ok;
  }
  return undefined;
}

function offeredMechanisms(features: Element): string[] {
  const mechs = features.getChild("mechanisms", NS_SASL);
  if (!mechs) return [];
  return mechs.getChildren("mechanism").map((m: Element) => m.getText().trim());
}

function payloadOf(stanza: Element): Element | undefined {
  for (const c of stanza.children) {
    if (typeof c !== "string") return c as Element;
  }
  return undefined;
}

function matches(h: HandlerEntry, stanza: Element): boolean {
  if (h.kind !== stanza.name) return false;
  if (h.type !== undefined && stanza.attrs.type !== h.type) return false;
  if (h.name === undefined && h.xmlns === undefined) return true;
  if (stanza.name === "iq") {
    const p = payloadOf(stanza);
    if (!p) return false;
    if (h.name !== undefined && p.getName() !== h.name) return false;
    return h.xmlns === undefined || p.getNS() === h.xmlns;
  }
  for (const c of stanza.children) {
    if (typeof c === "string") continue;
    const el = c as Element;
    if (h.name !== undefined && el.getName() !== h.name) continue;
    if (h.xmlns !== undefined && el.getNS() !== h.xmlns) continue;
    return true;
  }
  return false;
}

/** Whether `from` may answer an IQ sent `to` (RFC 6120 §8.1.2.1, §10.3.3). */
function responderOk(
  context: ConnectionContext,
  to: string | undefined,
  from: string | undefined,
): boolean {
  const ownBare = bareJid(context.jid);
  if (to === undefined || jidEquals(to, ownBare)) {
    return from === undefined || jidEquals(from, ownBare) ||
      jidEquals(from, context.boundJid) ||
      (to === undefined && jidEquals(from, context.jid.domain));
  }
  return jidEquals(from, to);
}

function errorReply(stanza: Element, condition: string, type: string) {
  const attrs: Record<string, string> = { type: "error", id: stanza.attrs.id };
  if (stanza.attrs.from) attrs.to = stanza.attrs.from;
  return xml(
    stanza.name,
    attrs,
    xml("error", { type }, xml(condition, { xmlns: NS_STANZAS })),
  );
}

function backoff(context: ConnectionContext): number {
  const r = context.reconnect;
  const base = Math.min(
    r.maxDelay,
    r.initialDelay * Math.pow(r.factor, context.attempt),
  );
  const spread = base * r.jitter * (Math.random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

/**
 * The IQ timeout child: `timer.set {id, ms}` / `timer.clear {id}` in,
 * `connection.iqTimeout {id}` out. One actor for all IQs; cleared on stop.
 */
const iqTimers = fromCallback<
  { type: "timer.set"; id: string; ms: number } | {
    type: "timer.clear";
    id?: string;
  }
>(({ receive, sendBack }) => {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  receive((ev) => {
    if (ev.type === "timer.set") {
      clearTimeout(timers.get(ev.id));
      timers.set(
        ev.id,
        setTimeout(() => {
          timers.delete(ev.id);
          sendBack({ type: "connection.iqTimeout", id: ev.id });
        }, ev.ms),
      );
    } else if (ev.id === undefined) {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    } else {
      clearTimeout(timers.get(ev.id));
      timers.delete(ev.id);
    }
  });
  return () => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  };
});

/** Computes the SCRAM client-final message (PBKDF2 via WebCrypto when available). */
const scramProof = fromPromise<
  { session: SaslSession; message: string },
  { session: SaslSession; challenge: string; credentials: SaslCredentials }
>(({ input }) =>
  saslChallengeAsync(
    input.session,
    decodeBase64Text(input.challenge),
    input.credentials,
  )
);

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

function resolveInput(input: ConnectionInput): ConnectionContext {
  const jid = parseJid(input.jid);
  if (jid.local === undefined) {
    throw new TypeError(`Cannot connect: JID "${input.jid}" has no localpart`);
  }
  const r = input.reconnect ?? {};
  return {
    jid,
    password: input.password,
    service: parseService(input.service, jid.domain),
    caCerts: input.tls?.caCerts,
    starttls: input.tls?.starttls ?? true,
    allowPlainWithoutTls: input.allowPlainWithoutTls ?? false,
    saslMechanisms: input.saslMechanisms ??
      ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"],
    reconnect: {
      enabled: r.enabled ?? true,
      initialDelay: r.initialDelay ?? 1000,
      maxDelay: r.maxDelay ?? 30_000,
      factor: r.factor ?? 2,
      jitter: r.jitter ?? 0.2,
      maxAttempts: r.maxAttempts ?? Infinity,
    },
    iqTimeout: input.iqTimeout ?? 30_000,
    maxStanzaSize: input.maxStanzaSize ?? 1024 * 1024,
    queueLimit: input.queueLimit ?? 1000,
    closeTimeout: input.closeTimeout ?? 2000,
    saslCache: new Map(),
    secure: false,
    canStartTls: false,
    authenticated: false,
    queue: [],
    pending: new Map(),
    handlers: [],
    attempt: 0,
    wasOnline: false,
    stopping: false,
  };
}

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
  actors: { transport: noTransport, iqTimers, scramProof },
  delays: {
    reconnectDelay: ({ context }) => backoff(context),
    closeTimeout: ({ context }) => context.closeTimeout,
  },
  guards: {
    stopRequested: ({ context }) => context.stopping,
    hasError: ({ context }) => context.error !== undefined,
    shouldReconnect: ({ context }) =>
      context.reconnect.enabled && context.wasOnline && !context.stopping &&
      isRetryable(context.error) &&
      context.attempt < context.reconnect.maxAttempts,
    isFeatures: ({ event }) => {
      const el = elementOf(event);
      return el !== undefined && isStreamElement(el, "features");
    },
    isStreamError: ({ event }) => {
      const el = elementOf(event);
      return el !== undefined && isStreamElement(el, "error");
    },
    shouldStartTls: ({ context }) =>
      !context.secure && context.canStartTls && context.starttls &&
      context.features?.getChild("starttls", NS_TLS) !== undefined,
    tlsRequiredButUnavailable: ({ context }) => {
      const st = context.features?.getChild("starttls", NS_TLS);
      return !context.secure && st?.getChild("required") !== undefined;
    },
    needsAuth: ({ context }) => !context.authenticated,
    canAuthenticate: ({ context }) =>
      !context.authenticated && usableMechanism(context) !== undefined,
    canBind: ({ context }) =>
      context.authenticated &&
      context.features?.getChild("bind", NS_BIND) !== undefined,
    isProceed: ({ event }) => {
      const el = elementOf(event);
      return el?.name === "proceed" && el.attrs.xmlns === NS_TLS;
    },
    isTlsFailure: ({ event }) => {
      const el = elementOf(event);
      return el?.name === "failure" && el.attrs.xmlns === NS_TLS;
    },
    isChallenge: ({ event }) => saslElement(event, "challenge") !== undefined,
    isServerFirst: ({ context, event }) =>
      saslElement(event, "challenge") !== undefined &&
      context.sasl?.step === "start",
    isSaslSuccess: ({ event }) => saslElement(event, "success") !== undefined,
    isSaslFailure: ({ event }) => saslElement(event, "failure") !== undefined,
    serverSignatureValid: ({ context, event }) => {
      try {
        saslSuccess(
          context.sasl!,
          decodeBase64Text(saslElement(event, "success")!.getText()),
        );
        return true;
      } catch {
        return false;
      }
    },
    isBindResult: ({ context, event }) => {
      const el = elementOf(event);
      return el?.name === "iq" && el.attrs.id === context.bindId &&
        el.attrs.type === "result";
    },
    isBindError: ({ context, event }) => {
      const el = elementOf(event);
      return el?.name === "iq" && el.attrs.id === context.bindId &&
        el.attrs.type === "error";
    },
    isAwaitedResponse: ({ context, event }) => {
      const el = elementOf(event);
      if (el?.name !== "iq") return false;
      const type = el.attrs.type;
      if (type !== "result" && type !== "error") return false;
      const p = context.pending.get(el.attrs.id);
      return p !== undefined && p.sent &&
        responderOk(context, p.to, el.attrs.from);
    },
    isUnclaimedRequest: ({ context, event }) => {
      const el = elementOf(event);
      if (el?.name !== "iq") return false;
      const type = el.attrs.type;
      if (type !== "get" && type !== "set") return false;
      return !context.handlers.some((h) => matches(h, el));
    },
    isStanza: ({ event }) => {
      const n = elementOf(event)?.name;
      return n === "iq" || n === "message" || n === "presence";
    },
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
      sasl: undefined,
      features: undefined,
      bindId: undefined,
      boundJid: undefined,
    }),
    requestStop: assign({ stopping: true }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    assignConnected: assign(({ event }) => {
      if (event.type !== "transport.connected") return {};
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
    assignFeatures: assign({ features: ({ event }) => elementOf(event) }),
    startAuth: enqueueActions(({ context, enqueue }) => {
      const mech = usableMechanism(context)!;
      const { session, message } = saslStart(mech, {
        username: context.jid.local!,
        password: context.password,
      });
      enqueue.assign({ sasl: session, mechanism: mech });
      enqueue.sendTo("transport", {
        type: "transport.send",
        elements: [
          xml(
            "auth",
            { xmlns: NS_SASL, mechanism: mech },
            encodeBase64Text(message),
          ),
        ],
      });
    }),
    answerFinalChallenge: enqueueActions(({ context, event, enqueue }) => {
      // A final challenge carrying the server signature instead of success data.
      try {
        const done = saslSuccess(
          context.sasl!,
          decodeBase64Text(saslElement(event, "challenge")!.getText()),
        );
        enqueue.assign({ sasl: done });
        enqueue.sendTo("transport", {
          type: "transport.send",
          elements: [xml("response", { xmlns: NS_SASL })],
        });
      } catch (error) {
        enqueue.raise({
          type: "connection.saslError",
          error: error instanceof SASLError
            ? error
            : new SASLError("malformed-request", String(error)),
        });
      }
    }),
    sendProof: enqueueActions(({ event, enqueue }) => {
      const { session, message } = (event as unknown as {
        output: { session: SaslSession; message: string };
      }).output;
      enqueue.assign({ sasl: session });
      enqueue.sendTo("transport", {
        type: "transport.send",
        elements: [
          xml("response", { xmlns: NS_SASL }, encodeBase64Text(message)),
        ],
      });
    }),
    recordProofError: assign({
      error: ({ event }) => {
        const error = (event as unknown as { error: unknown }).error;
        return error instanceof SASLError
          ? error
          : new SASLError("malformed-request", String(error));
      },
    }),
    markAuthenticated: assign({ authenticated: true, sasl: undefined }),
    recordSaslFailure: assign({
      error: ({ event }) =>
        SASLError.fromElement(saslElement(event, "failure")!, NS_SASL),
    }),
    recordSignatureMismatch: assign({
      error: () =>
        new SASLError(
          "server-signature-mismatch",
          "Cannot trust server: SCRAM server signature does not verify",
        ),
    }),
    recordRaisedError: assign({
      error: ({ event }) =>
        event.type === "connection.saslError" ? event.error : undefined,
    }),
    recordNoMechanism: assign({
      error: ({ context }) =>
        new SASLError(
          "invalid-mechanism",
          `Cannot authenticate: no usable mechanism among [${
            offeredMechanisms(context.features!).join(", ")
          }]${context.secure ? "" : " on an unencrypted stream"}`,
        ),
    }),
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
    recordStreamError: assign({
      error: ({ event }) =>
        StreamError.fromElement(elementOf(event)!, NS_STREAMS),
    }),
    recordXmlError: assign({
      error: ({ event }) =>
        event.type === "transport.xmlError" ? event.error : undefined,
    }),
    recordTransportClosed: assign({
      error: ({ context, event }) =>
        event.type === "transport.closed"
          ? event.error ?? new ConnectionError("Connection closed")
          : context.error,
    }),
    recordServerClose: assign({
      error: () => new ConnectionError("Stream closed by server"),
    }),
    recordBindError: assign({
      error: ({ event }) => StanzaError.fromStanza(elementOf(event)!),
    }),
    sendStreamError: sendTo("transport", ({ event }) => {
      const error = (event as { error: XMPPError }).error;
      return {
        type: "transport.send" as const,
        elements: [
          xml(
            "stream:error",
            {},
            xml(error.condition, { xmlns: NS_STREAMS }),
            ...(error.text
              ? [xml("text", { xmlns: NS_STREAMS }, error.text)]
              : []),
          ),
        ],
      };
    }),
    sendBind: enqueueActions(({ context, enqueue }) => {
      const id = nextId();
      enqueue.assign({ bindId: id });
      const bind = xml("bind", { xmlns: NS_BIND });
      if (context.jid.resource !== undefined) {
        bind.c("resource").t(context.jid.resource);
      }
      enqueue.sendTo("transport", {
        type: "transport.send",
        elements: [xml("iq", { type: "set", id }, bind)],
      });
    }),
    assignBoundJid: assign({
      boundJid: ({ context, event }) => {
        const text = elementOf(event)!.getChild("bind", NS_BIND)
          ?.getChildText("jid");
        try {
          return text ? formatJid(parseJid(text)) : formatJid(context.jid);
        } catch {
          return formatJid(context.jid);
        }
      },
    }),
    enterOnline: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ attempt: 0, wasOnline: true, error: undefined });
      enqueue.emit({ type: "online", jid: context.boundJid! });
      if (context.queue.length) {
        const elements = context.queue;
        for (const p of context.pending.values()) p.sent = true;
        enqueue.assign({ queue: [] });
        enqueue.sendTo("transport", { type: "transport.send", elements });
      }
    }),
    leaveOnline: enqueueActions(({ context, enqueue }) => {
      const error = new ConnectionError(
        "Cannot get IQ answer: the session ended",
        { cause: context.error },
      );
      for (const [id, p] of context.pending) {
        if (!p.sent) continue;
        context.pending.delete(id);
        enqueue.sendTo("iqTimers", { type: "timer.clear", id });
        enqueue.emit({ type: "iq.error", id, error });
      }
      enqueue.emit({ type: "offline", error: context.error });
    }),
    failEverything: enqueueActions(({ context, enqueue }) => {
      const error = new ConnectionError(
        context.error
          ? `Cannot send: connection failed: ${context.error.message}`
          : "Cannot send: connection stopped",
        { cause: context.error },
      );
      for (const id of context.pending.keys()) {
        enqueue.emit({ type: "iq.error", id, error });
      }
      context.pending.clear();
      enqueue.sendTo("iqTimers", { type: "timer.clear" });
      enqueue.assign({ queue: [] });
    }),
    emitError: emit(({ context }) => ({
      type: "error" as const,
      error: context.error ?? new ConnectionError("Connection failed"),
    })),
    sendStanza: sendTo("transport", ({ event }) => ({
      type: "transport.send" as const,
      elements: [(event as { stanza: Element }).stanza],
    })),
    queueStanza: assign({
      queue: ({ context, event }) => {
        context.queue.push((event as { stanza: Element }).stanza);
        return context.queue;
      },
    }),
    rejectOverflow: enqueueActions(({ context, event, enqueue }) => {
      const error = new QueueOverflowError(context.queueLimit);
      if (event.type === "connection.iq") {
        enqueue.emit({ type: "iq.error", id: event.id, error });
      } else enqueue.emit({ type: "error", error });
    }),
    trackIq: enqueueActions(({ context, event, enqueue }, params: {
      sent: boolean;
    }) => {
      if (event.type !== "connection.iq") return;
      context.pending.set(event.id, {
        to: event.stanza.attrs.to,
        sent: params.sent,
      });
      enqueue.sendTo("iqTimers", {
        type: "timer.set",
        id: event.id,
        ms: event.timeout ?? context.iqTimeout,
      });
    }),
    resolveIq: enqueueActions(({ context, event, enqueue }) => {
      const el = elementOf(event)!;
      const id = el.attrs.id;
      context.pending.delete(id);
      enqueue.sendTo("iqTimers", { type: "timer.clear", id });
      if (el.attrs.type === "result") {
        enqueue.emit({ type: "iq.result", id, stanza: el });
      } else {
        enqueue.emit({
          type: "iq.error",
          id,
          error: StanzaError.fromStanza(el),
        });
      }
    }),
    timeoutIq: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "connection.iqTimeout") return;
      if (!context.pending.delete(event.id)) return;
      const p = context.queue.findIndex((s) => s.attrs.id === event.id);
      if (p !== -1) {
        enqueue.assign({ queue: context.queue.filter((_, i) => i !== p) });
      }
      enqueue.emit({
        type: "iq.error",
        id: event.id,
        error: new TimeoutError(
          `Cannot get IQ answer: no reply to ${event.id}`,
        ),
      });
    }),
    answerServiceUnavailable: sendTo("transport", ({ event }) => ({
      type: "transport.send" as const,
      elements: [
        errorReply(elementOf(event)!, "service-unavailable", "cancel"),
      ],
    })),
    dispatchStanza: enqueueActions(({ context, event, enqueue }) => {
      const stanza = elementOf(event)!;
      enqueue.emit({ type: "stanza", stanza });
      const isRequest = stanza.name === "iq";
      for (const h of context.handlers) {
        if (!matches(h, stanza)) continue;
        enqueue.emit({ type: "request", handlerId: h.id, stanza });
        if (isRequest) break;
      }
    }),
    emitStanza: emit(({ event }) => ({
      type: "stanza" as const,
      stanza: elementOf(event)!,
    })),
    addHandler: assign({
      handlers: ({ context, event }) =>
        event.type === "connection.handler.add"
          ? [
            ...context.handlers.filter((h) => h.id !== event.handler.id),
            event.handler,
          ]
          : context.handlers,
    }),
    removeHandler: assign({
      handlers: ({ context, event }) =>
        event.type === "connection.handler.remove"
          ? context.handlers.filter((h) => h.id !== event.id)
          : context.handlers,
    }),
  },
}).createMachine({
  id: "connection",
  context: ({ input }) => resolveInput(input),
  invoke: { id: "iqTimers", src: "iqTimers" },
  initial: "disconnected",
  on: {
    "connection.send": [
      { guard: "queueFull", actions: "rejectOverflow" },
      { actions: "queueStanza" },
    ],
    "connection.iq": [
      { guard: "queueFull", actions: "rejectOverflow" },
      {
        actions: [{ type: "trackIq", params: { sent: false } }, "queueStanza"],
      },
    ],
    "connection.iqTimeout": { actions: "timeoutIq" },
    "connection.handler.add": { actions: "addHandler" },
    "connection.handler.remove": { actions: "removeHandler" },
  },
  states: {
    disconnected: {
      entry: [
        { type: "emitStatus", params: { status: "disconnected" } },
        "failEverything",
      ],
      on: {
        "connection.start": { target: "session", actions: "resetRun" },
        "connection.stop": { actions: "failEverything" },
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
          actions: "recordTransportClosed",
          target: "#connection.ending",
        },
        "transport.element": {
          guard: "isStreamError",
          target: ".closing",
          actions: "recordStreamError",
        },
        "transport.xmlError": {
          target: ".closing",
          actions: ["recordXmlError", "sendStreamError"],
        },
        "transport.streamEnd": {
          target: ".closing",
          actions: "recordServerClose",
        },
        "connection.saslError": {
          target: ".closing",
          actions: "recordRaisedError",
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
            "transport.element": {
              guard: "isFeatures",
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
            { guard: "canAuthenticate", target: "authenticating" },
            {
              guard: "needsAuth",
              target: "closing",
              actions: "recordNoMechanism",
            },
            { guard: "canBind", target: "binding" },
            { target: "closing", actions: "recordNoBind" },
          ],
        },
        starttls: {
          entry: { type: "emitStatus", params: { status: "starttls" } },
          on: {
            "transport.element": [
              { guard: "isProceed", actions: "upgradeTls" },
              {
                guard: "isTlsFailure",
                target: "closing",
                actions: "recordTlsRefused",
              },
            ],
            "transport.tlsUpgraded": {
              target: "opening",
              actions: "markSecure",
            },
          },
        },
        authenticating: {
          entry: [
            { type: "emitStatus", params: { status: "authenticating" } },
            "startAuth",
          ],
          initial: "exchanging",
          states: {
            exchanging: {
              on: {
                "transport.element": [
                  { guard: "isServerFirst", target: "proving" },
                  { guard: "isChallenge", actions: "answerFinalChallenge" },
                ],
              },
            },
            proving: {
              // SCRAM: PBKDF2 and the proof, off the event loop's hot path.
              invoke: {
                src: "scramProof",
                input: ({ context, event }) => ({
                  session: context.sasl!,
                  challenge: saslElement(event, "challenge")!.getText(),
                  credentials: {
                    username: context.jid.local!,
                    password: context.password,
                    cache: context.saslCache,
                  },
                }),
                onDone: { target: "exchanging", actions: "sendProof" },
                onError: {
                  target: "#connection.session.closing",
                  actions: "recordProofError",
                },
              },
            },
          },
          on: {
            "transport.element": [
              {
                guard: "serverSignatureValid",
                target: "opening",
                actions: "markAuthenticated",
              },
              {
                guard: "isSaslSuccess",
                target: "closing",
                actions: "recordSignatureMismatch",
              },
              {
                guard: "isSaslFailure",
                target: "closing",
                actions: "recordSaslFailure",
              },
            ],
          },
        },
        binding: {
          entry: [
            { type: "emitStatus", params: { status: "binding" } },
            "sendBind",
          ],
          on: {
            "transport.element": [
              {
                guard: "isBindResult",
                target: "online",
                actions: "assignBoundJid",
              },
              {
                guard: "isBindError",
                target: "closing",
                actions: "recordBindError",
              },
            ],
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
            "connection.iq": {
              actions: [
                { type: "trackIq", params: { sent: true } },
                "sendStanza",
              ],
            },
            "transport.element": [
              { guard: "isAwaitedResponse", actions: "resolveIq" },
              {
                guard: "isUnclaimedRequest",
                actions: ["emitStanza", "answerServiceUnavailable"],
              },
              { guard: "isStanza", actions: "dispatchStanza" },
            ],
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
            "transport.element": {},
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
        "connection.stop": {
          target: "disconnected",
          actions: "requestStop",
        },
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
        "connection.stop": { actions: "failEverything" },
      },
    },
  },
});
