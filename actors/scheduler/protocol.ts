/**
 * The scheduler protocol: what a deadline scheduler accepts and what it
 * sends back to its parent.
 *
 * @module
 */

/** Schedule (or move) the deadline of `key` to `at` (ms since the epoch). */
export interface ScheduleAt {
  /** Discriminant. */
  type: "scheduler.schedule";
  /** The key, e.g. a cid. */
  key: string;
  /** When it falls due, in ms since the epoch (`Date.now()` clock). */
  at: number;
}

/** Drop the deadline of `key`, if any. */
export interface ScheduleCancel {
  /** Discriminant. */
  type: "scheduler.cancel";
  /** The key. */
  key: string;
}

/** Every event a scheduler accepts. */
export type SchedulerEvent = ScheduleAt | ScheduleCancel;

/** Sent to the parent when deadlines fall due (each key once). */
export interface SchedulerDue {
  /** Discriminant. */
  type: "scheduler.due";
  /** The keys whose deadline has passed, earliest first. */
  keys: string[];
}

/**
 * Sent to the parent when the scheduler goes from no deadline to some, or
 * back: the parent keeps it as a flag, so callers skip the scheduler
 * entirely while nothing is scheduled.
 */
export interface SchedulerBusy {
  /** Discriminant. */
  type: "scheduler.busy";
  /** Whether any deadline is pending. */
  busy: boolean;
}

/** Every event a scheduler sends to its parent. */
export type SchedulerOutput = SchedulerDue | SchedulerBusy;
