/**
 * What a connection is made of: its options (checked here), the transport
 * each scheme picks, and the connection machine configured from them
 * ({@linkcode connectionLogic}) — for the facade (`./connection.ts`) and for
 * a parent machine that invokes it (the client's).
 *
 * @module
 */
import { connectionMachine } from "./machine.ts";
import type { ConnectionInput, ConnectionStatus } from "./protocol.ts";
import type {
  ServiceProtocol,
  TransportCommand,
  TransportInput,
  TransportLogic,
} from "../transport/protocol.ts";
import { websocketTransport } from "../transport/websocket.ts";
import { createActor, type Element, fromCallback } from "../../src/deps.ts";
import type {
  AnyActorRef,
  AnyStateMachine,
  Inspector,
} from "../../src/types.ts";
import { ConnectionError } from "../../src/errors.ts";
import { initialContext } from "./context.ts";

/** A transport actor logic (see `../transport/protocol.ts`). */
export type { TransportLogic };

/** Transports by service scheme. */
export type TransportMap = Partial<Record<ServiceProtocol, TransportLogic>>;

/** Options of a {@linkcode Connection}. */
export interface ConnectionOptions extends ConnectionInput {
  /**
   * Transports by scheme, merged over the defaults. Here only `ws` and
   * `wss` are built in; `./deno.ts` adds `xmpp` and `xmpps`.
   */
  transports?: TransportMap;
  /**
   * XState inspection observer of the connection machine and its transport
   * (the client passes its own, so one observer sees every actor).
   */
  inspect?: Inspector;
}

/**
 * Events of {@linkcode Connection.on} and what their listeners receive. A
 * listener that throws does not disturb the connection: its error is
 * reported as an `error` event (an `error` listener that throws is logged
 * with `console.error`, as it cannot report to itself).
 */
export interface ConnectionEvents {
  /** Every incoming stanza. */
  stanza: (stanza: Element) => void;
  /** Online, with the bound full JID. */
  online: (jid: string) => void;
  /** Left the online state. */
  offline: () => void;
  /** A failure: connection, stream, auth, queue overflow, or a handler that threw. */
  error: (error: Error) => void;
  /** Each state change. */
  status: (status: ConnectionStatus) => void;
  /**
   * The session ended and will be retried: attempt number `attempt` (1 for
   * the first since online) starts in `delay` ms; `error` is why it ended.
   */
  reconnecting: (delay: number, attempt: number, error?: Error) => void;
  /**
   * A dropped session was resumed (XEP-0198): nothing was lost, IQs in
   * flight go on (`online` fires too).
   */
  resumed: (jid: string) => void;
  /** The server acknowledged these stanzas (XEP-0198), oldest first. */
  acked: (stanzas: Element[]) => void;
  /**
   * These stanzas were sent but never acknowledged and will not be re-sent:
   * the session could not be resumed (or was stopped). Each stanza is
   * reported at most once; their IQs reject.
   */
  failedStanzas: (stanzas: Element[], error: Error) => void;
}

/**
 * What `stop()` resolves with: whether everything sent was confirmed, and
 * what was not.
 */
export interface StopResult {
  /**
   * Everything sent was confirmed: acknowledged by the server (stream
   * management), or followed by the server's own stream close (without).
   * `false` when anything is in `undelivered`, or when `stop()` gave up
   * waiting (`stopTimeout`/`closeTimeout`) without being able to name what
   * was lost (a WebSocket without stream management).
   */
  complete: boolean;
  /**
   * Stanzas sent but not confirmed, oldest first: never written to the
   * socket, never acknowledged, or still queued offline. Also reported by
   * the `failedStanzas` event; their IQs reject.
   */
  undelivered: Element[];
}

const BUILTIN: TransportMap = {
  ws: websocketTransport,
  wss: websocketTransport,
};

/**
 * Check connection options as `new Connection()` does, without starting
 * anything: what `createClient()` calls so that a bad option fails there,
 * not at `start()`.
 *
 * @param options The options (`transports` merged over the built-in `ws`/`wss`).
 * @returns The transport logic for the service's scheme.
 * @throws {TypeError} An invalid JID, service, password or combination of
 *   options, a given service whose scheme has no transport (without a
 *   service, only `start()` fails), or `tls.caCerts` with `wss://`
 *   on the browser transport (which cannot use them).
 * @throws {RangeError} A numeric option out of range (the message names it).
 *
 * @example Usage
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { checkConnectionOptions } from "./connection.ts";
 * checkConnectionOptions({ jid: "alice@localhost", password: "pw", service: "wss://localhost/ws" });
 * throws(() => checkConnectionOptions({ jid: "alice@localhost", password: "pw", queueLimit: NaN }), RangeError);
 * throws(() => checkConnectionOptions({ jid: "alice@localhost", password: "pw", service: "" }), TypeError);
 * ```
 */
export function checkConnectionOptions(
  options: ConnectionOptions,
): TransportLogic {
  const { service } = initialContext(options);
  const transport = { ...BUILTIN, ...options.transports }[service.protocol];
  if (!transport) {
    const text =
      `no transport for ${service.protocol}: (import actors/connection/deno.ts for xmpp: and xmpps: in Deno, or set service to a ws:// or wss:// URL)`;
    // Without a service, local use needs none: only start() fails.
    if (options.service === undefined) return missingTransport(text);
    throw new TypeError(`Cannot connect: ${text}`);
  }
  if (
    transport === websocketTransport && service.protocol === "wss" &&
    options.tls?.caCerts?.length
  ) {
    throw new TypeError(
      "Invalid option tls.caCerts: the browser WebSocket trusts only the browser's certificate store (use the Deno client, or install the CA in the browser)",
    );
  }
  return transport;
}

/** A transport that fails at once: `start()` rejects with why. */
function missingTransport(text: string): TransportLogic {
  return fromCallback<TransportCommand, TransportInput>(({ sendBack }) => {
    sendBack({
      type: "transport.closed",
      error: new ConnectionError(`Cannot connect: ${text}`),
    });
  });
}

/**
 * The connection machine with the transport the options pick, and its
 * input: what a parent machine (the client's) invokes. The options are
 * checked first (see {@linkcode checkConnectionOptions}).
 *
 * @param options The connection options.
 * @param announce Actions that tell the parent when the session goes online
 *   and offline (e.g. `sendParent`); none by default.
 * @returns The logic and its input.
 */
export function connectionLogic(
  options: ConnectionOptions,
  announce: { announceOnline?: unknown; announceOffline?: unknown } = {},
): { logic: AnyStateMachine; input: ConnectionInput } {
  const transport = checkConnectionOptions(options);
  const { transports: _t, inspect: _i, ...input } = options;
  const logic = connectionMachine.provide({
    actors: { transport },
    actions: announce as Record<string, never>,
  });
  return { logic, input };
}

/**
 * Create (not start) a connection actor of its own system.
 * @param options The connection options.
 * @returns The actor.
 */
export function createConnectionActor(options: ConnectionOptions): AnyActorRef {
  const { logic, input } = connectionLogic(options);
  return createActor(
    logic,
    // Named for whose it is: two clients' trees differ in the inspector.
    { input, inspect: options.inspect, id: `connection:${input.jid}` },
  );
}
