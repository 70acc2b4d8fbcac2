/**
 * The BoB plugin actor's protocol: what the facade and the connection
 * tell it, the answers it waits for, and what it emits.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import type { BobData } from "../../src/bob_data.ts";
import type { AnyActorRef } from "../../src/types.ts";
import type { SchedulerOutput } from "../scheduler/protocol.ts";
import type { IqAnswer } from "../connection/protocol.ts";

import type { ApiErrorEvent, ApiResultEvent } from "../registry/protocol.ts";

/** The registry's answer to an `api.run` the machine sent. */
export type ApiAnswer = ApiResultEvent | ApiErrorEvent;

/** From the facade: store a checked entry through `set_bob`. */
export interface BobSet {
  /** Discriminant. */
  type: "bob.set";
  /** The entry (checked by the facade). */
  bob: BobData;
  /** Called with the cid once stored (and its expiry scheduled). */
  resolve: (cid: string) => void;
  /** Called with why it failed. */
  reject: (error: Error) => void;
}

/** From the facade: delete an entry through `del_bob`, forget its expiry. */
export interface BobDel {
  /** Discriminant. */
  type: "bob.del";
  /** The canonical cid. */
  cid: string;
  /** Called once deleted. */
  resolve: (value: unknown) => void;
  /** Called with why it failed. */
  reject: (error: Error) => void;
}

/**
 * From the facade: fetch `cid` from `jid` (an IQ get), verify it and keep
 * it in the peer cache; a second fetch of the same pair while one is in
 * flight joins it.
 */
export interface BobFetch {
  /** Discriminant. */
  type: "bob.fetch";
  /** The peer to ask. */
  jid: string;
  /** The canonical cid. */
  cid: string;
  /** IQ timeout in ms (default: the connection's `iqTimeout`). */
  timeout?: number;
  /** Called with the verified entry. */
  resolve: (bob: BobData) => void;
  /** Called with why it failed. */
  reject: (error: Error) => void;
}

/**
 * From the connection machine: a stanza the plugin claimed (`bob.serve`:
 * a peer's IQ get, answered with `router.answer` to `replyTo`;
 * `bob.inline`: a message or presence carrying `<data/>`).
 */
export interface BobDelivery {
  /** Discriminant. */
  type: "bob.serve" | "bob.inline";
  /** The stanza. */
  stanza: Element;
  /** The connection machine. */
  replyTo: AnyActorRef;
}

/** A call the machine made and waits for (by id). */
export type BobCall =
  & { id: string }
  & (
    | {
      kind: "set";
      cid: string;
      maxAge?: number;
      resolve: (cid: string) => void;
      reject: (error: Error) => void;
    }
    | {
      kind: "del";
      cid: string;
      resolve: (value: unknown) => void;
      reject: (error: Error) => void;
    }
    | { kind: "expire"; cid: string }
    | {
      kind: "serve";
      request: Element;
      replyTo: AnyActorRef;
      peer: string;
      cid: string;
    }
    | {
      kind: "fetch";
      key: string;
      jid: string;
      cid: string;
      waiters: {
        resolve: (bob: BobData) => void;
        reject: (e: Error) => void;
      }[];
    }
  );

/**
 * Internal: a migration copied entries that expire (the registry's
 * `api.expiry`): schedule their deletion, at their deadlines (ms since the
 * epoch), so they expire in a new storage without expiry of its own.
 */
export interface BobMigratedExpiry {
  /** Discriminant. */
  type: "bob.migrated_expiry";
  /** `[cid, deadline]` pairs. */
  entries: [string, number][];
}

/** Every event the BoB plugin actor accepts. */
export type BobEvent =
  | BobSet
  | BobDel
  | BobFetch
  | BobDelivery
  | ApiAnswer
  | IqAnswer
  | BobMigratedExpiry
  | SchedulerOutput;

/** Events the BoB plugin actor emits (read them with `actor.on` or `bob.on`). */
export type BobEmitted =
  | {
    /** An entry reached its max-age and was deleted. */
    type: "bob.expired";
    /** The cid. */
    cid: string;
  }
  | {
    /** Deleting an expired entry failed (it stays stored). */
    type: "bob.expiry_failed";
    /** The cid. */
    cid: string;
    /** Why. */
    error: Error;
  }
  | {
    /** A verified `<data/>` arrived in a message or presence (kept in the peer cache unless max-age is 0; never stored over your own entry). */
    type: "bob.data";
    /** Who sent it. */
    from: string;
    /** The entry. */
    bob: BobData;
    /** The message or presence that carried it. */
    stanza: Element;
  }
  | {
    /** A `<data/>` in a message or presence failed verification (or its hash cannot be checked); nothing was kept. */
    type: "bob.rejected";
    /** Who sent it. */
    from: string;
    /** The message or presence that carried it. */
    stanza: Element;
    /** Why. */
    error: Error;
  };
