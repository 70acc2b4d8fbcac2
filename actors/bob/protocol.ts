/**
 * The BoB plugin actor's protocol: what the facade and the stanza handlers
 * tell it and its network child, and what it emits.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import type { BobData } from "../../src/bob_data.ts";
import type { SchedulerOutput } from "../scheduler/protocol.ts";

/** An entry was stored: schedule its expiry (max-age > 0) or clear it. */
export interface BobStored {
  /** Discriminant. */
  type: "bob.stored";
  /** The cid. */
  cid: string;
  /** Seconds until it expires; absent or 0: it does not expire. */
  maxAge?: number;
}

/** An entry was deleted: forget its expiry. */
export interface BobDeleted {
  /** Discriminant. */
  type: "bob.deleted";
  /** The cid. */
  cid: string;
}

/** Internal: the `del_bob` of an expired entry settled. */
export interface BobExpiryDone {
  /** Discriminant. */
  type: "bob.expiry_done";
  /** The cid. */
  cid: string;
  /** Why the delete failed, if it did. */
  error?: Error;
}

/**
 * To the network child: fetch `cid` from `jid` (an IQ get), verify it and
 * cache it; a second request for the same pair while one is in flight
 * joins it.
 */
export interface NetFetch {
  /** Discriminant. */
  type: "net.fetch";
  /** The peer to ask. */
  jid: string;
  /** The cid (canonical). */
  cid: string;
  /** IQ timeout in ms (default: the connection's `iqTimeout`). */
  timeout?: number;
  /** Called with the verified entry. */
  resolve: (bob: BobData) => void;
  /** Called with why it failed. */
  reject: (error: Error) => void;
}

/** To the network child: answer a peer's IQ get for a cid. */
export interface NetServe {
  /** Discriminant. */
  type: "net.serve";
  /** The IQ get. */
  iq: Element;
  /** Called with the `<data/>` payload of the result. */
  resolve: (payload: Element) => void;
  /** Called with the error to answer. */
  reject: (error: Error) => void;
}

/** To the network child: a message or presence carrying `<data/>` elements. */
export interface NetInline {
  /** Discriminant. */
  type: "net.inline";
  /** The stanza. */
  stanza: Element;
}

/** Every event the network child accepts. */
export type NetworkEvent = NetFetch | NetServe | NetInline;

/** Internal: one inline `<data/>` was verified (and kept in the peer cache), or refused. */
export interface BobInlineDone {
  /** Discriminant. */
  type: "bob.inline_done";
  /** Who sent it. */
  from: string;
  /** The stanza that carried it. */
  stanza: Element;
  /** The entry, when it verified. */
  bob?: BobData;
  /** Why it was refused, when it was. */
  error?: Error;
}

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
  | BobStored
  | BobDeleted
  | BobExpiryDone
  | BobInlineDone
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
