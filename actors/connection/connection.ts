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
import { listen } from "./listeners.ts";
import type {
  ConnectionInput,
  ConnectionStatus,
  HandlerMatch,
  IqCallerEvent,
  RouterEvent,
  StanzaHandler,
  StanzaKind,
} from "./protocol.ts";
import { type Element, xmppId } from "../../src/deps.ts";
import type { AnyActorRef } from "../../src/types.ts";
import {
  ClientStoppedError,
  ConnectionError,
  QueueOverflowError,
  UnackedOverflowError,
} from "../../src/errors.ts";
import { checkStanza } from "../../src/stanza_check.ts";
import { checkTimeout } from "../../src/options.ts";
import { type ConnectionContext, outgoingLimits } from "./context.ts";

export type { StanzaHandler } from "./protocol.ts";
export type { StreamManagementOptions, StreamManagementState } from "./sm.ts";

export {
  checkConnectionOptions,
  type ConnectionEvents,
  connectionLogic,
  type ConnectionOptions,
  type StopResult,
  type TransportLogic,
  type TransportMap,
} from "./logic.ts";
import {
  type ConnectionEvents,
  type ConnectionOptions,
  createConnectionActor,
  type StopResult,
} from "./logic.ts";

/**
 * One XMPP client connection.
 *
 * Outgoing stanzas are checked before they are queued or written (see
 * `checkStanza` in `src/stanza_check.ts`): a stanza the server would end the
 * session for is refused with a `TypeError` (not an element, a bad name, a
 * character XML 1.0 forbids) or a `RangeError` (over `maxOutgoingStanzaSize`
 * or the server's advertised limit, deeper than `maxStanzaDepth`), and the
 * session stays up. Strings are refused: there is no raw send.
 *
 * `stop()` is not final: until `start()` is called again, `send()` throws
 * and `iq()` rejects with {@linkcode ClientStoppedError}; `start()` connects
 * anew. Once `actor` itself is stopped, `start()`, `iq()` and `send()` fail
 * with {@linkcode ClientStoppedError} for good.
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
   * @throws {TypeError} On an invalid JID or service, a scheme without a
   *   transport, or options that would send everything in clear without
   *   `allowUnencrypted` (see {@linkcode checkConnectionOptions}).
   * @throws {RangeError} On a numeric option out of range (the message names it).
   */
  constructor(options: ConnectionOptions);
  /**
   * Wrap a connection actor that already runs (internal: the client's
   * invoked child, made from {@linkcode connectionLogic}).
   * @param options Ignored.
   * @param actor The running connection actor.
   */
  constructor(options: ConnectionOptions | undefined, actor: AnyActorRef);
  constructor(options?: ConnectionOptions, actor?: AnyActorRef) {
    if (actor === undefined) {
      actor = createConnectionActor(options!);
      actor.start();
    }
    this.actor = actor;
    const { iqCaller, router } = this.actor.getSnapshot().children;
    this.#iqCaller = iqCaller!;
    this.#router = router!;
  }

  /** The bound full JID while online (kept after going offline), else `undefined`. */
  get jid(): string | undefined {
    return this.actor.getSnapshot().context.boundJid;
  }

  /**
   * The resumable stream-managed session (XEP-0198) as plain JSON data, or
   * `undefined` when there is none. Save it (e.g. on `pagehide`) and pass it
   * as `streamManagement.state` to a new connection to resume the session
   * after a page reload: the server re-sends what we had not handled, and
   * the stanzas it had not acknowledged are re-sent.
   *
   * @returns The state, or `undefined`.
   */
  streamManagementState():
    | NonNullable<ConnectionInput["streamManagement"]>["state"]
    | undefined {
    const s = this.actor.getSnapshot();
    const context = s.context as ConnectionContext;
    if (s.status !== "active" || context.smSession === undefined) {
      return undefined;
    }
    let state: NonNullable<ConnectionInput["streamManagement"]>["state"];
    s.children.sm?.send({
      type: "sm.snapshot",
      id: context.smSession.id,
      jid: context.boundJid ?? "",
      reply: (v: typeof state) => state = v,
    });
    return state;
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

  /** Why calls are refused now (stopped), or `undefined`. */
  #stopped(what: string): ClientStoppedError | undefined {
    const s = this.actor.getSnapshot();
    if (s.status !== "active") {
      return new ClientStoppedError(
        `Cannot ${what}: the connection's actor is stopped`,
      );
    }
    if ((s.context as ConnectionContext).stopping) {
      return new ClientStoppedError(
        `Cannot ${what}: the connection is stopped (call start() first)`,
      );
    }
    return undefined;
  }

  /**
   * Connect, negotiate TLS, authenticate and bind. A connection stopped
   * with `stop()` can be started again.
   *
   * @returns Resolves once online.
   * @throws {SASLError} Authentication failed.
   * @throws {TLSError} The certificate did not verify.
   * @throws {ConnectionError} The server could not be reached.
   * @throws {TimeoutError} The negotiation took longer than `negotiationTimeout`.
   * @throws {StreamError} The server ended the stream with an error.
   * @throws {ClientStoppedError} `stop()` was called before it was online,
   *   or the connection's actor is stopped.
   */
  start(): Promise<void> {
    if (this.actor.getSnapshot().status !== "active") {
      return Promise.reject(
        new ClientStoppedError(
          "Cannot connect: the connection's actor is stopped",
        ),
      );
    }
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
          reject(
            new ClientStoppedError("Cannot connect: stop() was called"),
          );
        }
      });
      this.actor.send({ type: "connection.start" });
      sent = true;
    });
  }

  /**
   * Close the stream cleanly (or cancel a reconnect), delivering first what
   * was sent. Online, what `send()`/`iq()` wrote is flushed: with stream
   * management, our `<a/>` and an `<r/>` go out and `stop()` waits until the
   * server has acknowledged every stanza (at most `stopTimeout`), then
   * closes the stream and waits for the server's close (at most
   * `closeTimeout`); without it, the stream close follows the writes and
   * `stop()` waits for the server's close (at most `stopTimeout`; by then
   * it has read everything). The session ends for good (it cannot be
   * resumed). Pending IQs reject with {@linkcode ClientStoppedError}.
   *
   * What could not be confirmed is reported, never dropped silently: the
   * stanzas the server did not acknowledge, those never written to the
   * socket, and those still queued offline go to `failedStanzas` and are in
   * the result's `undelivered`.
   *
   * @returns Resolves once disconnected and the socket is closed, with
   *   what was not confirmed ({@linkcode StopResult}).
   */
  async stop(): Promise<StopResult> {
    const s = this.actor.getSnapshot();
    if (s.status !== "active") return { complete: true, undelivered: [] };
    const undelivered: Element[] = [];
    const sub = this.actor.on(
      "failedStanzas",
      (e: { stanzas: Element[] }) => undelivered.push(...e.stanzas),
    );
    let timedOut = false;
    try {
      if (s.matches("disconnected") || s.matches("failed")) {
        // nothing to close; report what is queued and reject pending IQs
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
        timedOut = this.actor.getSnapshot().context.stopTimedOut;
      }
      // let the transport's cancelled socket operations settle
      await new Promise((r) => setTimeout(r, 0));
    } finally {
      sub.unsubscribe();
    }
    return { complete: !timedOut && undelivered.length === 0, undelivered };
  }

  /**
   * Send a stanza: now when online, else queued and flushed in order once
   * online. It is checked first (see the class doc); a refused stanza is not
   * sent and the session is unaffected.
   *
   * @param el The stanza (an element; strings are refused).
   * @throws {TypeError} Not an element, a bad name or prefix, or a character XML 1.0 forbids.
   * @throws {RangeError} Larger than the outgoing size limit, or deeper than `maxStanzaDepth`.
   * @throws {QueueOverflowError} Not online and the queue is full.
   * @throws {UnackedOverflowError} Online, and the server has not
   *   acknowledged `streamManagement.maxUnacked` stanzas (or
   *   `maxUnackedSize` characters) yet.
   * @throws {ClientStoppedError} The connection is stopped.
   */
  send(el: Element): void {
    const stopped = this.#stopped("send");
    if (stopped) throw stopped;
    const s = this.actor.getSnapshot();
    const context = s.context as ConnectionContext;
    checkStanza(el, outgoingLimits(context));
    const online = s.matches({ session: "online" });
    if (!online && context.queue.length >= context.queueLimit) {
      throw new QueueOverflowError(context.queueLimit);
    }
    if (online && context.smBacklog !== undefined) {
      throw new UnackedOverflowError(
        context.sm.maxUnacked,
        context.smBacklog.unacked,
        context.smBacklog.size,
      );
    }
    this.actor.send({ type: "connection.send", stanza: el });
  }

  /**
   * Send an IQ get/set and wait for its answer. An answer counts only when
   * it comes from the JID the request went to (or, for a request to the
   * server or our bare JID, from the server or our bare JID).
   *
   * @param el The IQ; an `id` is added when missing. Checked like `send()`.
   * @param opts `timeout` in ms (default: the connection's `iqTimeout`).
   * @returns The `result` IQ.
   * @throws {StanzaError} The peer answered with an error (`ItemNotFound` for `item-not-found`).
   * @throws {TimeoutError} No valid answer in time.
   * @throws {ConnectionError} The session ended first.
   * @throws {ClientStoppedError} The connection is (or was, first) stopped.
   * @throws {QueueOverflowError} Not online and the queue is full
   *   ({@linkcode UnackedOverflowError}: online, and the unacked queue is).
   * @throws {TypeError} Not an IQ get/set, or refused by the check (see `send()`).
   * @throws {RangeError} A `timeout` that is not in 1…2³¹−1 ms, or refused
   *   by the check (see `send()`).
   */
  iq(el: Element, opts: { timeout?: number } = {}): Promise<Element> {
    if (
      el?.name !== "iq" || (el.attrs.type !== "get" && el.attrs.type !== "set")
    ) {
      return Promise.reject(
        new TypeError("Cannot send IQ: expected <iq type='get'|'set'>"),
      );
    }
    const stopped = this.#stopped("send IQ");
    if (stopped) return Promise.reject(stopped);
    const { context } = this.actor.getSnapshot();
    let timeout: number;
    try {
      timeout = checkTimeout(opts.timeout, "timeout", context.iqTimeout);
      if (el.attrs.id === undefined) el.attrs.id = xmppId();
      checkStanza(el, outgoingLimits(context));
    } catch (e) {
      return Promise.reject(e);
    }
    const id = String(el.attrs.id);
    return new Promise((resolve, reject) => {
      const call: IqCallerEvent = {
        type: "iq.call",
        id,
        stanza: el,
        timeout,
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
   * The peer gets the condition and type only, never the error's text;
   * anything thrown but a `StanzaError` is also an `error` event, detail
   * and all. IQ requests nobody claims are answered `service-unavailable`. Every
   * matching message/presence handler is called.
   *
   * @param kind `iq`, `message` or `presence`.
   * @param match What to match.
   * @param handler The handler.
   * @returns A function that unregisters the handler.
   * @throws {ClientStoppedError} The connection's actor is stopped.
   */
  handle(
    kind: StanzaKind,
    match: HandlerMatch,
    handler: StanzaHandler,
  ): () => void {
    return this.#addHandler({ kind, match, handler });
  }

  /** The IQ caller child (actors send it `iq.call` with `replyTo`). */
  get iqCaller(): AnyActorRef {
    return this.#iqCaller;
  }

  /**
   * Claim incoming stanzas for an actor (as `handle()` does for a function):
   * each one is sent to `to` as `{ type: event, stanza, replyTo }`, by the
   * connection machine. For an IQ get/set the actor answers with a
   * `router.answer` (`{ request, payload }` or `{ request, error }`) to
   * `replyTo`, which is checked and written like a function handler's
   * answer. Actor and function handlers share one ordered list.
   *
   * @param kind `iq`, `message` or `presence`.
   * @param match What to match.
   * @param to The actor.
   * @param event The event type it is sent.
   * @returns A function that unregisters the handler.
   * @throws {ClientStoppedError} The connection's actor is stopped.
   */
  handleActor(
    kind: StanzaKind,
    match: HandlerMatch,
    to: AnyActorRef,
    event: string,
  ): () => void {
    return this.#addHandler({ kind, match, to, event });
  }

  #addHandler(
    entry:
      | { kind: StanzaKind; match: HandlerMatch; handler: StanzaHandler }
      | {
        kind: StanzaKind;
        match: HandlerMatch;
        to: AnyActorRef;
        event: string;
      },
  ): () => void {
    if (this.actor.getSnapshot().status !== "active") {
      throw new ClientStoppedError(
        "Cannot add handler: the connection's actor is stopped",
      );
    }
    const id = xmppId();
    const add = { type: "router.add", id, ...entry } as RouterEvent;
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
   * Listen to connection events. A listener that throws is reported as an
   * `error` event and does not disturb the connection.
   *
   * @param event `stanza`, `online`, `offline`, `error`, `status`,
   *   `reconnecting`, `resumed`, `acked` or `failedStanzas`.
   * @param listener The listener.
   * @returns A function that removes the listener.
   */
  on<K extends keyof ConnectionEvents>(
    event: K,
    listener: ConnectionEvents[K],
  ): () => void {
    return listen(this.actor, event, listener);
  }
}
