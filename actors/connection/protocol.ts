/**
 * The connection's message protocol: its input, the commands it accepts, the
 * events it emits, and the messages between the connection machine and its
 * children (the IQ caller, the stanza router, the SASL machine). Events from
 * the transport are in `../transport/protocol.ts`.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import type { AnyActorRef } from "../../src/types.ts";
import type { SaslMechanism } from "../../src/sasl.ts";
import type { TransportEvent } from "../transport/protocol.ts";
import type { ReconnectOptions } from "./reconnect.ts";

export type { StanzaKind } from "../../src/stanza.ts";
export type { ReconnectOptions } from "./reconnect.ts";

/** DNS settings of the SRV lookup (`ConnectionInput["dns"]`). */
export type DnsOptions = NonNullable<ConnectionInput["dns"]>;
/** Stream management options (`ConnectionInput["streamManagement"]`). */
export type StreamManagementOptions = NonNullable<
  ConnectionInput["streamManagement"]
>;
/**
 * A resumable session as plain JSON data: what
 * `Connection.streamManagementState()` returns and `streamManagement.state`
 * accepts.
 */
export type StreamManagementState = NonNullable<
  StreamManagementOptions["state"]
>;

/** Input of the connection machine. */
export interface ConnectionInput {
  /** Our JID; the resource is optional (the server assigns one). */
  jid: string;
  /** The password. */
  password: string;
  /**
   * `xmpp://host:port` (TCP + STARTTLS), `xmpps://host:port` (direct TLS),
   * `ws://…` or `wss://…` (WebSocket). Without it, the Deno TCP transport
   * looks up the domain's SRV records (see `dns`) and falls back to
   * `xmpp://<domain>:5222`.
   * @default {"xmpp://<domain>:5222"}
   */
  service?: string;
  /**
   * DNS settings of the SRV lookup, done by the Deno TCP transports when no
   * `service` is given.
   */
  dns?: {
    /**
     * Look up `_xmpps-client._tcp` and `_xmpp-client._tcp` SRV records of
     * the domain when no `service` is given (RFC 6120 §3.2, XEP-0368), then
     * fall back to `<domain>:5222`.
     * @default {true}
     */
    srv?: boolean;
    /** The name server to ask (default: the system's); port 53 by default. */
    nameServer?: { ipAddr: string; port?: number };
  };
  /**
   * Stream management (XEP-0198): acks, and resumption of a dropped session
   * with nothing lost.
   */
  streamManagement?: {
    /**
     * Enable stream management when the server offers it.
     * @default {true}
     */
    enabled?: boolean;
    /**
     * Ask for resumption, so a dropped session resumes with nothing lost.
     * @default {true}
     */
    resume?: boolean;
    /**
     * Ask the server for an ack (`<r/>`) after this many stanzas.
     * @default {10}
     */
    ackEvery?: number;
    /**
     * Ask for an ack when a stanza has waited this long unacknowledged, in ms.
     * @default {1000}
     */
    ackInterval?: number;
    /**
     * How long the answer (`<a/>`) to the server's ack request (`<r/>`)
     * may wait, in ms (0…10000; 0 answers at once). Requests that arrive
     * meanwhile share that one answer, which counts every stanza handled
     * until it goes. A server asks again only once it has its answer
     * (Prosody asks after every stanza it sends otherwise), so under load it
     * asks once per `ackDelay`, not once per stanza: measured here
     * (`bench/sm_ack.ts`), stream management cost a BoB fetch 27 % of its
     * rate with 0 (one `<r/>` and one `<a/>` per stanza, on both ends and
     * in Prosody), and 8 % with the default. The cost: a stanza handled
     * but not yet acknowledged when the session dies without resumption may
     * be delivered again (offline storage, another resource), for at most
     * this long more than with 0.
     * `stop()` and a resumption always send the count at once.
     * @default {50}
     */
    ackDelay?: number;
    /**
     * Most stanzas sent and not yet acknowledged by the server. At the
     * bound, `send()` throws (and `iq()` rejects with) an
     * `UnackedOverflowError` until the server acks more; the session stays
     * up.
     * @default {5000}
     */
    maxUnacked?: number;
    /**
     * Most characters (approximate serialized size) of stanzas sent and not
     * yet acknowledged; at the bound, as `maxUnacked`.
     * @default {67108864}
     */
    maxUnackedSize?: number;
    /**
     * A state saved with `Connection.streamManagementState()` (e.g. before a
     * page reload): the first `start()` resumes it. Plain JSON data.
     */
    state?: {
      /** The server's session id (`previd` of the resume). */
      id: string;
      /** The bound full JID of the session. */
      jid: string;
      /** Stanzas received and handled (our `h`). */
      handled: number;
      /** Our stanzas the server acknowledged (its last `h`). */
      acked: number;
      /** Our stanzas not yet acknowledged, serialized, oldest first. */
      unacked: string[];
    };
  };
  /** TLS settings. Certificates are always verified. */
  tls?: {
    /**
     * Extra trusted CA certificates (PEM), for `xmpp://` (STARTTLS),
     * `xmpps://` and, in Deno, `wss://`. A browser trusts only its own
     * store: there `wss://` with `caCerts` is refused with a `TypeError`.
     */
    caCerts?: string[];
    /**
     * Use STARTTLS when the server offers it. Turning it off sends
     * everything in clear, so it needs `allowUnencrypted: true` (for tests
     * of plain TCP); a server that requires TLS then fails the connection.
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
   * Allow an unencrypted stream, which is refused by default: an `xmpp://`
   * server that offers no STARTTLS (or `tls.starttls: false`) then gets
   * SCRAM in clear, and `ws://` may go to a host that is not loopback.
   * Without it, such a session fails with a `TLSError` before anything is
   * sent after the stream features (no SASL), and `ws://` to a host other
   * than `localhost`, `127.0.0.0/8` or `::1` is refused when the
   * connection is created. SASL PLAIN in clear needs `allowPlainWithoutTls`
   * as well.
   * @default {false}
   */
  allowUnencrypted?: boolean;
  /**
   * Allow SASL PLAIN over an unencrypted stream. Implies `allowUnencrypted`
   * (the long-standing opt-out of TLS: it allows everything in clear).
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
   * Largest accepted incoming stanza, in characters; a larger one ends the
   * stream with `policy-violation`.
   * @default {1048576}
   */
  maxStanzaSize?: number;
  /**
   * Largest stanza `send()`/`iq()` write, in UTF-8 bytes as serialized; a
   * larger one is refused with a `RangeError` (the server would end the
   * session). When the server advertises a smaller limit (XEP-0478
   * `max-bytes`), that one applies. Prosody's default is 262144.
   * @default {262144}
   */
  maxOutgoingStanzaSize?: number;
  /**
   * Deepest element nesting of a stanza, in both directions (the stanza
   * itself is depth 1). A deeper incoming stanza ends the stream with
   * `policy-violation`; a deeper outgoing one is refused with a
   * `RangeError`. At most 1000, so serializing stays far from the stack
   * limit.
   * @default {128}
   */
  maxStanzaDepth?: number;
  /**
   * Longest the negotiation may take, in ms: from dialling to online
   * (connect, stream open, STARTTLS, SASL, bind), for each session. A server
   * that stalls fails `start()` with a `TimeoutError` (after the stream
   * close, which waits at most `closeTimeout`).
   * @default {30000}
   */
  negotiationTimeout?: number;
  /**
   * Most stanzas held while not online.
   * @default {1000}
   */
  queueLimit?: number;
  /**
   * How long to wait for the server to close its stream, in ms, when the
   * session ends for another reason than `stop()`.
   * @default {2000}
   */
  closeTimeout?: number;
  /**
   * Longest `stop()` waits, in ms, from an online session: for what was sent
   * to be written, acknowledged (with stream management) and the server to
   * close its stream. What is not confirmed by then is reported (see
   * `Connection.stop()`).
   * @default {10000}
   */
  stopTimeout?: number;
}

/** What an incoming-stanza handler matches (all given fields must match). */
export interface HandlerMatch {
  /** The stanza `type` attribute (`get`, `set`, `chat`, …). */
  type?: string;
  /** The payload child's element name, e.g. `data`. */
  name?: string;
  /** The payload child's namespace, e.g. `urn:xmpp:bob`. */
  xmlns?: string;
}

/**
 * A handler of incoming stanzas. For an IQ get/set its return value is the
 * answer (see `Connection.handle`).
 */
export type StanzaHandler = (
  stanza: Element,
) => Element | void | Promise<Element | void>;

/** Status names, one per state. */
export type ConnectionStatus =
  | "disconnected"
  | "connecting"
  | "opening"
  | "negotiating"
  | "starttls"
  | "authenticating"
  | "binding"
  | "enabling"
  | "resuming"
  | "online"
  | "flushing"
  | "closing"
  | "reconnecting"
  | "failed";

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
  };

/**
 * Messages to the IQ caller child (`iqCaller`). Users send `iq.call`; the
 * connection machine sends the rest.
 */
export type IqCallerEvent =
  | {
    /** Send an IQ get/set and settle `resolve`/`reject` with its answer. */
    type: "iq.call";
    /** The IQ id; equals `stanza.attrs.id`. */
    id: string;
    stanza: Element;
    /** Timeout in ms (default: the connection's `iqTimeout`). */
    timeout?: number;
    resolve: (answer: Element) => void;
    reject: (error: Error) => void;
  }
  | {
    /**
     * Send an IQ get/set for an actor: its answer (or error, timeout, end)
     * reaches `replyTo` as an {@linkcode IqAnswer}, sent by the connection
     * machine.
     */
    type: "iq.call";
    id: string;
    stanza: Element;
    timeout?: number;
    replyTo: AnyActorRef;
  }
  | {
    /** An answer (forwarded from the transport while online). */
    type: "iq.result";
    id: string;
    from?: string;
    stanza: Element;
  }
  | {
    /** An error answer (forwarded from the transport while online). */
    type: "iq.error";
    id: string;
    from?: string;
    stanza: Element;
    error: Error;
    /**
     * An answer over `maxStanzaSize`/`maxStanzaDepth` that was skipped:
     * `stanza` is its opening tag; dropped when no call claims it.
     */
    skipped?: boolean;
  }
  | {
    /** The IQ went to the queue, not the wire. */
    type: "iq.queued";
    id: string;
  }
  | {
    /** The IQ was refused (e.g. queue full); reject it. */
    type: "iq.refused";
    id: string;
    error: Error;
  }
  | {
    /** Online as `jid`; everything queued has been written. */
    type: "iq.online";
    jid: string;
  }
  | {
    /** The session ended for good: reject the IQs already written with `error`. */
    type: "iq.offline";
    error: Error;
  }
  | {
    /** Reject every IQ, written or queued. */
    type: "iq.rejectAll";
    error: Error;
  };

/** Messages the IQ caller sends back to the connection machine. */
export type IqCallerOutput =
  | {
    /** Write this IQ (or queue it while not online). */
    type: "iq.send";
    id: string;
    stanza: Element;
  }
  | {
    /** A queued IQ timed out: drop it from the queue. */
    type: "iq.expired";
    id: string;
  }
  | {
    /** An IQ answer no call claims: an ordinary incoming stanza. */
    type: "iq.unclaimed";
    stanza: Element;
  }
  | {
    /** The outcome of an actor's `iq.call`, for the machine to pass on. */
    type: "iq.reply";
    to: AnyActorRef;
    answer: IqAnswer;
  };

/** What an actor that sent `iq.call` with `replyTo` gets back. */
export interface IqAnswer {
  /** Discriminant. */
  type: "iq.answer";
  /** The IQ id. */
  id: string;
  /** The result IQ, when it succeeded. */
  stanza?: Element;
  /** Why it failed (a `StanzaError`, `TimeoutError`, …), when it did. */
  error?: Error;
}

export type {
  HandlerDelivery,
  RouterAnswer,
  RouterEvent,
  RouterOutput,
} from "./router_protocol.ts";
import type { RouterAnswer, RouterOutput } from "./router_protocol.ts";

/** Every event the connection machine handles. */
export type ConnectionEvent =
  | ConnectionCommand
  | TransportEvent
  | IqCallerOutput
  | RouterOutput
  | RouterAnswer
  | {
    /** From `sm`: write these elements (nonzas, or stanzas re-sent on resume). */
    type: "sm.write";
    elements: Element[];
  }
  | {
    /** From `sm`, after `sm.resumed`: the unacknowledged stanzas were re-sent. */
    type: "sm.ready";
  }
  | {
    /** From `sm`: the server acknowledged these stanzas. */
    type: "sm.acked";
    stanzas: Element[];
  }
  | {
    /** From `sm`: never acknowledged, and will not be re-sent. */
    type: "sm.lost";
    stanzas: Element[];
    error: Error;
  }
  | {
    /**
     * From `sm`: the unacked queue reached its bound (with the counts), or
     * left it (without).
     */
    type: "sm.full";
    unacked?: number;
    size?: number;
  }
  | {
    /** From `sm`, after `sm.flush`: every stanza sent is acknowledged. */
    type: "sm.flushed";
  }
  | {
    /** From `sm`: the server sent an `h` out of range; the stream error is written. */
    type: "sm.error";
    error: Error;
  }
  | { type: "sasl.write"; element: Element };

/** Events the machine emits (read them with `actor.on(type, fn)`). */
export type ConnectionEmitted =
  | { type: "status"; status: ConnectionStatus }
  | { type: "online"; jid: string }
  | { type: "offline"; error?: Error }
  | { type: "error"; error: Error }
  | { type: "stanza"; stanza: Element }
  | {
    /**
     * The session ended and attempt number `attempt` (1 for the first since
     * online) starts in `delay` ms; `error` is why the session ended.
     */
    type: "reconnecting";
    attempt: number;
    delay: number;
    error?: Error;
  }
  | {
    /** A dropped stream-managed session was resumed. */
    type: "resumed";
    jid: string;
  }
  | {
    /** The server acknowledged these stanzas (XEP-0198). */
    type: "acked";
    stanzas: Element[];
  }
  | {
    /**
     * These stanzas were sent but never acknowledged, and will not be
     * re-sent (the session could not be resumed, or it was stopped).
     */
    type: "failedStanzas";
    stanzas: Element[];
    error: Error;
  };
