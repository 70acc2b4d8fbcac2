/**
 * The messages of the stanza router (`./router.ts`): handlers in, stanzas
 * and actor answers in, replies and deliveries out.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import type { AnyActorRef } from "../../src/types.ts";
import type { StanzaKind } from "../../src/stanza.ts";
import type { HandlerMatch, StanzaHandler } from "./protocol.ts";

/** Messages to the stanza router child (`router`). */
export type RouterEvent =
  | {
    /** Claim stanzas of `kind` matching `match` (see `Connection.handle`). */
    type: "router.add";
    id: string;
    kind: StanzaKind;
    match: HandlerMatch;
    handler: StanzaHandler;
  }
  | {
    /**
     * Claim stanzas of `kind` matching `match` for an actor: each one is
     * sent to `to` as `{ type: event, stanza, replyTo }` (by the connection
     * machine, so it has a source). For an IQ get/set the actor answers
     * `router.answer` to `replyTo`.
     */
    type: "router.add";
    id: string;
    kind: StanzaKind;
    match: HandlerMatch;
    to: AnyActorRef;
    event: string;
  }
  | {
    /** Drop a handler. */
    type: "router.remove";
    id: string;
  }
  | {
    /** An incoming stanza to route. */
    type: "stanza";
    kind: StanzaKind;
    stanza: Element;
  };

/**
 * An actor handler's answer to an IQ get/set it was handed: the result
 * payload (none: an empty result), or an error (one with a `condition`, e.g.
 * a `StanzaError`, is that stanza error; anything else
 * `internal-server-error`, and reported). Sent to the `replyTo` of the
 * delivery (the connection machine, which passes it to the router).
 */
export interface RouterAnswer {
  /** Discriminant. */
  type: "router.answer";
  /** The request, as delivered. */
  request: Element;
  /** The result payload (or a whole `<iq/>`). */
  payload?: Element;
  /** Set when the request failed. */
  error?: unknown;
}

/** What an actor handler is sent (`type` is the event name it chose). */
export interface HandlerDelivery {
  /** The event type the handler chose. */
  type: string;
  /** The stanza. */
  stanza: Element;
  /** Where an IQ get/set's `router.answer` goes. */
  replyTo: AnyActorRef;
}

/** Messages the router sends back: replies, and handler failures. */
export type RouterOutput =
  | { type: "connection.send"; stanza: Element }
  | {
    /** Hand a stanza to an actor handler (the machine adds `replyTo`). */
    type: "router.deliver";
    to: AnyActorRef;
    event: string;
    stanza: Element;
  }
  | {
    /** A handler threw (or its reply could not be sent). */
    type: "connection.handlerError";
    error: Error;
  };
