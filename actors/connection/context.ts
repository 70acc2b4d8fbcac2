/**
 * The connection machine's context: the resolved configuration plus the
 * state of the current run and session. Built once from
 * {@linkcode ConnectionInput}; every later change is a new value.
 *
 * @module
 */
import { type Element, xml, xmppId } from "../../src/deps.ts";
import { NS_BIND } from "../../src/stanza.ts";
import { formatJid, type Jid, parseJid } from "../../src/jid.ts";
import { type SaslMechanism, saslPrep } from "../../src/sasl.ts";
import type { StreamFeatures } from "../../src/stanza.ts";
import type { StanzaLimits } from "../../src/stanza_check.ts";
import { checkCount, checkNumber, checkTimeout } from "../../src/options.ts";
import {
  isLoopbackHost,
  parseService,
  type ServiceAddress,
} from "../transport/protocol.ts";
import type { ConnectionInput, DnsOptions } from "./protocol.ts";
import {
  smPolicy,
  type StreamManagementPolicy,
  type StreamManagementState,
} from "./sm.ts";
import {
  reconnectDelay,
  type ReconnectOptions,
  reconnectPolicy,
} from "./reconnect.ts";
import type { SaslCache, SaslOutput } from "./sasl.ts";
import { redirectTarget } from "../transport/protocol.ts";

/** The largest `maxStanzaDepth` allowed. */
const MAX_STANZA_DEPTH = 1000;

/** A stanza waiting for `online`; `iq` is its IQ id when it is a tracked IQ. */
export interface QueuedStanza {
  /** The stanza. */
  readonly stanza: Element;
  /** The id of a tracked IQ (so its timeout can take it back out). */
  readonly iq?: string;
}

/** The machine's context. */
export interface ConnectionContext {
  /** Configured JID. */
  readonly jid: Jid;
  /** Password. */
  readonly password: string;
  /** Where to connect (after a followed `see-other-host`, where it said). */
  readonly service: ServiceAddress;
  /** SRV lookup settings when no service was given, else `undefined`. */
  readonly srv?: DnsOptions;
  /** A `see-other-host` to follow when this session ends. */
  readonly redirect?: ServiceAddress;
  /** A redirect was followed in this run (only one is). */
  readonly redirected: boolean;
  /** Stream management policy. */
  readonly sm: StreamManagementPolicy;
  /** A saved session given in the input, until it is used. */
  readonly smRestore?: StreamManagementState;
  /** The resumable stream-managed session, if any: its id. */
  readonly smSession?: { readonly id: string };
  /** Stream management is counting in this session. */
  readonly smEnabled: boolean;
  /** The unacked queue is at its bound: its counts then, else `undefined`. */
  readonly smBacklog?: { readonly unacked: number; readonly size: number };
  /** Extra CAs. */
  readonly caCerts?: string[];
  /** Whether to use STARTTLS when offered. */
  readonly starttls: boolean;
  /** Mechanisms allowed, best first. */
  readonly saslMechanisms: readonly SaslMechanism[];
  /** The mechanism used by the last authentication. */
  readonly mechanism?: SaslMechanism;
  /** PLAIN in clear allowed. */
  readonly allowPlainWithoutTls: boolean;
  /** An unencrypted stream allowed (else TLS is required). */
  readonly allowUnencrypted: boolean;
  /** Resolved reconnect policy. */
  readonly reconnect: Required<ReconnectOptions>;
  /** Default IQ timeout. */
  readonly iqTimeout: number;
  /** Incoming stanza size limit, in characters. */
  readonly maxStanzaSize: number;
  /** Outgoing stanza size limit, in bytes (before any advertised limit). */
  readonly maxOutgoingStanzaSize: number;
  /** Stanza nesting limit, both directions. */
  readonly maxStanzaDepth: number;
  /** Negotiation deadline per session, in ms. */
  readonly negotiationTimeout: number;
  /** Queue bound. */
  readonly queueLimit: number;
  /** Close wait. */
  readonly closeTimeout: number;
  /** Longest `stop()` wait from an online session, in ms. */
  readonly stopTimeout: number;
  /** When a `stop()` from online must be done (ms since the epoch), if one is under way. */
  readonly stopDeadline?: number;
  /** The last `stop()` gave up before the server confirmed everything. */
  readonly stopTimedOut: boolean;
  /** SCRAM salted-password cache (reconnects skip PBKDF2). */
  readonly saslCache: SaslCache;
  /** This session is negotiating (not yet online, not closing). */
  readonly negotiating: boolean;
  /** The stream is encrypted. */
  readonly secure: boolean;
  /** The transport can do STARTTLS. */
  readonly canStartTls: boolean;
  /** SASL succeeded on this session. */
  readonly authenticated: boolean;
  /** The last stream features received. */
  readonly features?: StreamFeatures;
  /** Id of the bind request. */
  readonly bindId?: string;
  /** The bound full JID. */
  readonly boundJid?: string;
  /** Stanzas waiting for `online`, oldest first. */
  readonly queue: readonly QueuedStanza[];
  /** Reconnect attempts since the last online. */
  readonly attempt: number;
  /** The delay chosen for the coming reconnect attempt, in ms. */
  readonly reconnectIn: number;
  /** Whether this run was online at least once. */
  readonly wasOnline: boolean;
  /** `stop` was requested. */
  readonly stopping: boolean;
  /** Why the last session ended, if it failed. */
  readonly error?: Error;
}

/**
 * The initial context for `input`, defaults filled in.
 *
 * @param input The machine's input.
 * @returns The context.
 * @throws {TypeError} On a JID without localpart, an invalid service, a
 *   password SASLprep refuses (e.g. with a control character), or a
 *   configuration that would send everything in clear without
 *   `allowUnencrypted` (`ws://` to a host that is not loopback,
 *   `tls.starttls: false` with `xmpp://`).
 * @throws {RangeError} On a numeric option out of range (the message names it).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { initialContext } from "./context.ts";
 * const context = initialContext({ jid: "alice@localhost", password: "pw" });
 * strictEqual(context.service.url, "xmpp://localhost:5222");
 * strictEqual(context.queueLimit, 1000);
 * ```
 */
export function initialContext(input: ConnectionInput): ConnectionContext {
  const jid = parseJid(input.jid);
  if (jid.local === undefined) {
    throw new TypeError(`Cannot connect: JID "${input.jid}" has no localpart`);
  }
  try {
    saslPrep(input.password);
  } catch (cause) {
    throw new TypeError(
      "Cannot connect: the password has a character SASLprep (RFC 4013) prohibits",
      { cause },
    );
  }
  const restore = input.streamManagement?.state;
  const srvWanted = input.service === undefined && input.dns?.srv !== false;
  const service = parseService(input.service, jid.domain);
  const { allowUnencrypted, allowPlainWithoutTls } = unencryptedPolicy(
    input,
    service,
    srvWanted,
  );
  return {
    jid,
    password: input.password,
    service,
    ...(srvWanted ? { srv: { ...input.dns } } : {}),
    redirected: false,
    sm: smPolicy(input.streamManagement),
    ...(restore
      ? {
        smRestore: restore,
        smSession: { id: restore.id },
        boundJid: restore.jid,
      }
      : {}),
    smEnabled: false,
    caCerts: input.tls?.caCerts,
    starttls: input.tls?.starttls ?? true,
    allowPlainWithoutTls,
    allowUnencrypted,
    saslMechanisms: input.saslMechanisms ??
      ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"],
    reconnect: reconnectPolicy(input.reconnect),
    iqTimeout: checkTimeout(input.iqTimeout, "iqTimeout", 30_000),
    maxStanzaSize: checkCount(input.maxStanzaSize, "maxStanzaSize", 1 << 20),
    maxOutgoingStanzaSize: checkCount(
      input.maxOutgoingStanzaSize,
      "maxOutgoingStanzaSize",
      256 * 1024,
    ),
    maxStanzaDepth: checkNumber(input.maxStanzaDepth, "maxStanzaDepth", 128, {
      min: 1,
      max: MAX_STANZA_DEPTH,
      integer: true,
    }),
    negotiationTimeout: checkTimeout(
      input.negotiationTimeout,
      "negotiationTimeout",
      30_000,
    ),
    queueLimit: checkCount(input.queueLimit, "queueLimit", 1000),
    closeTimeout: checkTimeout(input.closeTimeout, "closeTimeout", 2000),
    stopTimeout: checkTimeout(input.stopTimeout, "stopTimeout", 10_000),
    stopTimedOut: false,
    saslCache: new Map(),
    negotiating: false,
    secure: false,
    canStartTls: false,
    authenticated: false,
    queue: [],
    attempt: 0,
    reconnectIn: 0,
    wasOnline: false,
    stopping: false,
  };
}

/** Where the options allow the stream in clear; throws where they cannot work. */
function unencryptedPolicy(
  input: ConnectionInput,
  service: ServiceAddress,
  srvWanted: boolean,
): { allowUnencrypted: boolean; allowPlainWithoutTls: boolean } {
  for (const name of ["allowUnencrypted", "allowPlainWithoutTls"] as const) {
    const v = input[name];
    if (v !== undefined && typeof v !== "boolean") {
      throw new TypeError(
        `Invalid option ${name}: expected a boolean, got ${String(v)}`,
      );
    }
  }
  const plain = input.allowPlainWithoutTls ?? false;
  if (plain && input.allowUnencrypted === false) {
    throw new TypeError(
      "Invalid option allowPlainWithoutTls: true needs an unencrypted stream, and allowUnencrypted is false",
    );
  }
  const clear = input.allowUnencrypted ?? plain;
  if (
    !clear && service.protocol === "ws" && !isLoopbackHost(service.hostname)
  ) {
    throw new TypeError(
      `Cannot connect to ${service.url}: ws:// sends everything in clear and is allowed only to loopback (use wss://, or set allowUnencrypted: true)`,
    );
  }
  if (
    !clear && input.tls?.starttls === false && service.protocol === "xmpp" &&
    !srvWanted
  ) {
    throw new TypeError(
      "Invalid option tls.starttls: false sends everything in clear over xmpp:// (set allowUnencrypted: true to allow it)",
    );
  }
  return { allowUnencrypted: clear, allowPlainWithoutTls: plain };
}

/**
 * The limits an outgoing stanza is checked against now: the configured
 * size, or the server's advertised one (XEP-0478) when smaller, and the
 * configured depth.
 *
 * @param context The machine's context.
 * @returns The limits for `checkStanza`.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { initialContext, outgoingLimits } from "./context.ts";
 * const context = initialContext({ jid: "alice@localhost", password: "pw" });
 * strictEqual(outgoingLimits(context).maxBytes, 262144);
 * const limited = { ...context, features: { mechanisms: [], bind: true, maxBytes: 10000 } };
 * strictEqual(outgoingLimits(limited).maxBytes, 10000);
 * ```
 */
export function outgoingLimits(context: ConnectionContext): StanzaLimits {
  const advertised = context.features?.maxBytes;
  return {
    maxBytes: advertised !== undefined &&
        advertised < context.maxOutgoingStanzaSize
      ? advertised
      : context.maxOutgoingStanzaSize,
    maxDepth: context.maxStanzaDepth,
  };
}

/** What a new run (`connection.start`) resets. */
export const RUN_RESET: Partial<ConnectionContext> = {
  stopping: false,
  stopDeadline: undefined,
  stopTimedOut: false,
  attempt: 0,
  wasOnline: false,
  error: undefined,
};

/**
 * What a new session resets. `smBacklog` stays: the unacked queue outlives
 * the session (resume).
 */
export const SESSION_RESET: Partial<ConnectionContext> = {
  negotiating: true,
  secure: false,
  canStartTls: false,
  authenticated: false,
  features: undefined,
  bindId: undefined,
  smEnabled: false,
  redirect: undefined,
};

/**
 * The full JID the server bound (or ours, if its answer is not a JID).
 * @param context The chart's context.
 * @param jid The JID the bind result carried.
 * @returns The bound full JID.
 */
export function boundJidOf(context: ConnectionContext, jid?: string): string {
  try {
    return formatJid(jid ? parseJid(jid) : context.jid);
  } catch {
    return formatJid(context.jid);
  }
}

/**
 * What following a see-other-host redirect changes.
 * @param context The chart's context (with `redirect` set).
 * @returns The context update.
 */
export function followedRedirect(
  context: ConnectionContext,
): Partial<ConnectionContext> {
  return {
    service: context.redirect!,
    srv: undefined,
    redirect: undefined,
    redirected: true,
    error: undefined,
  };
}

/**
 * What SASL's outcome records: authenticated (with the mechanism and the
 * SCRAM cache), or why not.
 * @param out The SASL actor's output.
 * @returns The context update.
 */
export function saslOutcome(out: SaslOutput): Partial<ConnectionContext> {
  return out.ok
    ? { authenticated: true, mechanism: out.mechanism, saslCache: out.cache }
    : { error: out.error, saslCache: out.cache };
}

/**
 * A stream error, and where a see-other-host redirect would go.
 * @param context The chart's context.
 * @param error The stream error.
 * @param seeOtherHost The host it names, if any.
 * @returns The context update.
 */
export function streamErrorUpdate(
  context: ConnectionContext,
  error: Error,
  seeOtherHost?: string,
): Partial<ConnectionContext> {
  const redirect = seeOtherHost === undefined
    ? undefined
    : redirectTarget(context.service, seeOtherHost, context.jid.domain);
  return { error, redirect };
}

/**
 * The resource binding request (RFC 6120 §7), asking for `resource` if any.
 * @param resource The resource we want.
 * @returns The IQ set (its id is fresh).
 */
export function bindRequest(resource?: string): Element {
  const bind = xml("bind", { xmlns: NS_BIND });
  if (resource !== undefined) bind.c("resource").t(resource);
  return xml("iq", { type: "set", id: xmppId() }, bind);
}

/**
 * The unacked backlog `sm` reports full (none: no longer full).
 * @param full The `sm.full` report.
 * @returns The backlog, or `undefined`.
 */
export function backlogOf(
  full: { unacked?: number; size?: number },
): ConnectionContext["smBacklog"] {
  return full.unacked === undefined
    ? undefined
    : { unacked: full.unacked, size: full.size ?? 0 };
}

/**
 * When to reconnect, and the `reconnecting` event that says so.
 * @param context The chart's context.
 * @returns The delay in ms and the event to emit.
 */
export function reconnectPlan(context: ConnectionContext): {
  delay: number;
  event: {
    type: "reconnecting";
    attempt: number;
    delay: number;
    error?: Error;
  };
} {
  const delay = reconnectDelay(context.reconnect, context.attempt, {
    resumable: context.smSession !== undefined,
    error: context.error,
  });
  return {
    delay,
    event: {
      type: "reconnecting",
      attempt: context.attempt + 1,
      delay,
      ...(context.error ? { error: context.error } : {}),
    },
  };
}
