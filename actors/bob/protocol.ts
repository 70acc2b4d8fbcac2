/**
 * The BoB plugin actor's protocol: what the facade tells it about the
 * entries it stored and deleted, and what it emits.
 *
 * @module
 */
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

/** Every event the BoB plugin actor accepts. */
export type BobEvent = BobStored | BobDeleted | BobExpiryDone | SchedulerOutput;

/** Events the BoB plugin actor emits (read them with `actor.on`). */
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
  };
