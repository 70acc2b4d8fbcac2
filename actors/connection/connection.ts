/**
 * The promise facade over the connection machine: `start()`, `stop()`,
 * `send()`, `iq()`, `handle()` and `on()`.
 *
 * It keeps no table of its own: `iq()` hands the call (with its promise's
 * `resolve`/`reject`) to the machine's `iqCaller` child, and `handle()`
 * registers the handler with its `router` child.
 *
 * This module is browser-safe: it knows only the WebSocket transport. The
 * Deno TCP and TLS transports are added by `./deno.ts`
 * ({@linkcode Connection} takes a `transports` map, so a browser build never
 * imports Deno-only code).
 *
 * @module
 */
import { connectionMachine } from "./machine.ts";
import type {
  ConnectionInput,
  ConnectionStatus,
  HandlerMatch,
  IqCallerEvent,
  RouterEvent,
  StanzaHandler,
  StanzaKind,
} from "./protocol.ts";
import {
  parseService,
  type ServiceProtocol,
  type TransportLogic,
} from "../transport/protocol.ts";
import { websocketTransport } from "../transport/websocket.ts";
import { createActor, type Element, xmppId } from "../../src/deps.ts";
import type { AnyActorRef, Inspector } from "../../src/types.ts";
import { parseJid } from "../../src/jid.ts";
import {
  ClientStoppedError,
  ConnectionError,
  QueueOverflowError,
} from "../../src/errors.ts";

export type { StanzaHandler } from "./protocol.ts";

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

/** Events of {@linkcode Connection.on} and what their listeners receive. */
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
}

const BUILTIN: TransportMap = {
  ws: websocketTransport,
  wss: websocketTransport,
};

function createConnectionActor(
  options: ConnectionOptions,
  transport: TransportLogic,
): AnyActorRef {
  const { transports: _t, inspect, ...input } = options;
  return createActor(
    connectionMachine.provide({ actors: { transport } }),
    { input, inspect, systemId: "connection" },
  );
}

/**
 * One XMPP client connection.
 *
 * @example Usage
 * ```ts ignore
 * import { xml } from "../../src/deps.ts";
 * import { DenoConnection } from "./deno.ts";
 * const conn = new DenoConnection({ jid: "alice@localhost", password: "pw" });
 * await conn.start();
 * const pong = await conn.iq(xml("iq", { type: "get", to: "localhost" },
 *   xml("ping", { xmlns: "urn:xmpp:ping" })));
 * await conn.stop();
 * ```
 */
export class Connection {
  /** The connection machine's actor (inspect it, send it events). */
  readonly actor: AnyActorRef;
  #iqCaller: AnyActorRef;
  #router: AnyActorRef;

  /**
   * Create a connection; nothing is dialled until `start()`.
   * @param options JID, password, service, TLS, reconnect and limits.
   * @throws {TypeError} On an invalid JID or service, or a scheme without a transport.
   */
  constructor(options: ConnectionOptions) {
    const jid = parseJid(options.jid);
    if (jid.local === undefined) {
      throw new TypeError(
        `Cannot connect: JID "${options.jid}" has no localpart`,
      );
    }
    const service = parseService(options.service, jid.domain);
    const transport = { ...BUILTIN, ...options.transports }[service.protocol];
    if (!transport) {
      throw new TypeError(
        `Cannot connect: no transport for ${service.protocol}: (import actors/connection/deno.ts for xmpp: and xmpps: in Deno)`,
      );
    }
    this.actor = createConnectionActor(options, transport);
    this.actor.start();
    const { iqCaller, router } = this.actor.getSnapshot().children;
    this.#iqCaller = iqCaller!;
    this.#router = router!;
  }

  /** The bound full JID while online (kept after going offline), else `undefined`. */
  get jid(): string | undefined {
    return this.actor.getSnapshot().context.boundJid;
  }

  /** The current state name. */
  get status(): ConnectionStatus {
    const v = this.actor.getSnapshot().value;
    if (typeof v === "string") return v as ConnectionStatus;
    const inner = v.session;
    return (typeof inner === "string"
      ? inner
      : Object.keys(inner ?? {})[0]) as ConnectionStatus;
  }

  /**
   * Connect, negotiate TLS, authenticate and bind.
   *
   * @returns Resolves once online.
   * @throws {SASLError} Authentication failed.
   * @throws {TLSError} The certificate did not verify.
   * @throws {ConnectionError} The server could not be reached, or `stop()` was called.
   * @throws {StreamError} The server ended the stream with an error.
   */
  start(): Promise<void> {
    if (this.status === "online") return Promise.resolve();
    return new Promise((resolve, reject) => {
      let sent = false;
      const sub = this.actor.subscribe((s) => {
        if (s.matches({ session: "online" })) {
          sub.unsubscribe();
          resolve();
        } else if (s.matches("failed")) {
          sub.unsubscribe();
          reject(s.context.error ?? new ConnectionError("Cannot connect"));
        } else if (sent && s.matches("disconnected")) {
          sub.unsubscribe();
          reject(new ConnectionError("Cannot connect: stopped"));
        }
      });
      this.actor.send({ type: "connection.start" });
      sent = true;
    });
  }

  /**
   * Close the stream cleanly (or cancel a reconnect). Pending IQs reject
   * with {@linkcode ClientStoppedError}; queued stanzas are dropped.
   *
   * @returns Resolves once disconnected and the socket is closed.
   */
  async stop(): Promise<void> {
    const s = this.actor.getSnapshot();
    if (s.status !== "active") return;
    if (s.matches("disconnected") || s.matches("failed")) {
      // nothing to close; drop what is queued and reject pending IQs
      this.actor.send({ type: "connection.stop" });
    } else {
      await new Promise<void>((resolve) => {
        const sub = this.actor.subscribe((s) => {
          if (s.matches("disconnected") || s.matches("failed")) {
            sub.unsubscribe();
            resolve();
          }
        });
        this.actor.send({ type: "connection.stop" });
      });
    }
    // let the transport's cancelled socket operations settle
    await new Promise((r) => setTimeout(r, 0));
  }

  /**
   * Send a stanza: now when online, else queued and flushed in order once
   * online.
   *
   * @param el The stanza.
   * @throws {QueueOverflowError} Not online and the queue is full.
   */
  send(el: Element): void {
    const s = this.actor.getSnapshot();
    if (
      !s.matches({ session: "online" }) &&
      s.context.queue.length >= s.context.queueLimit
    ) throw new QueueOverflowError(s.context.queueLimit);
    this.actor.send({ type: "connection.send", stanza: el });
  }

  /**
   * Send an IQ get/set and wait for its answer. An answer counts only when
   * it comes from the JID the request went to (or, for a request to the
   * server or our bare JID, from the server or our bare JID).
   *
   * @param el The IQ; an `id` is added when missing.
   * @param opts `timeout` in ms (default: the connection's `iqTimeout`).
   * @returns The `result` IQ.
   * @throws {StanzaError} The peer answered with an error (`ItemNotFound` for `item-not-found`).
   * @throws {TimeoutError} No valid answer in time.
   * @throws {ConnectionError} The session ended first.
   * @throws {ClientStoppedError} The connection was stopped first.
   * @throws {QueueOverflowError} Not online and the queue is full.
   */
  iq(el: Element, opts: { timeout?: number } = {}): Promise<Element> {
    if (
      el.name !== "iq" || (el.attrs.type !== "get" && el.attrs.type !== "set")
    ) {
      return Promise.reject(
        new TypeError("Cannot send IQ: expected <iq type='get'|'set'>"),
      );
    }
    if (this.actor.getSnapshot().status !== "active") {
      return Promise.reject(
        new ClientStoppedError("Cannot send IQ: the connection is stopped"),
      );
    }
    if (el.attrs.id === undefined) el.attrs.id = xmppId();
    const id = String(el.attrs.id);
    return new Promise((resolve, reject) => {
      const call: IqCallerEvent = {
        type: "iq.call",
        id,
        stanza: el,
        timeout: opts.timeout,
        resolve,
        reject,
      };
      this.#iqCaller.send(call);
    });
  }

  /**
   * Claim incoming stanzas of one kind whose `type` and payload child
   * (`name`, `xmlns`) match. For an IQ get/set the first matching handler
   * answers: the element it returns is the result payload (or the whole
   * `<iq/>` when it returns one), nothing means an empty result, and a
   * thrown error with a `condition` (e.g. `StanzaError`, `ItemNotFound`)
   * becomes that stanza error; any other throw is `internal-server-error`.
   * IQ requests nobody claims are answered `service-unavailable`. Every
   * matching message/presence handler is called.
   *
   * @param kind `iq`, `message` or `presence`.
   * @param match What to match.
   * @param handler The handler.
   * @returns A function that unregisters the handler.
   */
  handle(
    kind: StanzaKind,
    match: HandlerMatch,
    handler: StanzaHandler,
  ): () => void {
    const id = xmppId();
    const add: RouterEvent = { type: "router.add", id, kind, match, handler };
    this.#router.send(add);
    let registered = true;
    return () => {
      if (!registered) return;
      registered = false;
      const remove: RouterEvent = { type: "router.remove", id };
      this.#router.send(remove);
    };
  }

  /**
   * Listen to connection events.
   *
   * @param event `stanza`, `online`, `offline`, `error` or `status`.
   * @param fn The listener.
   * @returns A function that removes the listener.
   */
  on<K extends keyof ConnectionEvents>(
    event: K,
    fn: ConnectionEvents[K],
  ): () => void {
    let sub: { unsubscribe(): void };
    switch (event) {
      case "stanza":
        sub = this.actor.on(
          "stanza",
          (e) => (fn as ConnectionEvents["stanza"])(e.stanza),
        );
        break;
      case "online":
        sub = this.actor.on(
          "online",
          (e) => (fn as ConnectionEvents["online"])(e.jid),
        );
        break;
      case "offline":
        sub = this.actor.on(
          "offline",
          () => (fn as ConnectionEvents["offline"])(),
        );
        break;
      case "status":
        sub = this.actor.on(
          "status",
          (e) => (fn as ConnectionEvents["status"])(e.status),
        );
        break;
      case "error":
        sub = this.actor.on(
          "error",
          (e) => (fn as ConnectionEvents["error"])(e.error),
        );
        break;
      default:
        throw new TypeError(`Cannot listen: unknown event ${event}`);
    }
    return () => sub.unsubscribe();
  }
}
