/**
 * Stream management (XEP-0198): the counters and the queue of unacknowledged
 * stanzas, as a callback actor the connection machine invokes for its whole
 * life (so they outlive a dropped session and serve its resumption).
 *
 * ```
 * connection ─sm.enable · sm.enabled · sm.sent · sm.handled · sm.r · sm.a─► sm
 *            ─sm.resume · sm.resumed · sm.failed · sm.offline · sm.reset · sm.flush─► sm
 * sm ─sm.write (enable, r, a, resume, re-sent stanzas, stream error) · sm.ready─► connection
 *    ─sm.acked · sm.lost · sm.full · sm.flushed · sm.error─► connection
 * ```
 *
 * Counting starts at `<enabled/>` (a stanza that arrives before it is
 * delivered but not counted) and, on a resume, goes on from where it was:
 * `<resume h/>` carries every stanza handled so far, and `<resumed h/>`
 * drops what the server handled; the rest is re-sent, once, in order. When a
 * resume fails, what the server never acknowledged is reported as lost (the
 * first `h` of them as acknowledged when `<failed h/>` says so), then all is
 * cleared, including a pending ack request. All SM XML is built here.
 *
 * An `h` (in `<a/>`, `<resumed/>` or `<failed/>`) must lie between the last
 * one and the number of stanzas sent, counting modulo 2³² (XEP-0198 §4):
 * one above what was sent, or going backwards, acknowledges nothing; the
 * actor writes an `undefined-condition` stream error with
 * `<handled-count-too-high h send-count/>` (§6), reports every unacked
 * stanza as lost with that `StreamError`, and sends `sm.error` (the
 * connection then closes the stream).
 *
 * The queue is bounded: once it holds `maxUnacked` stanzas or
 * `maxUnackedSize` characters (approximate serialized size), it sends
 * `sm.full` with the counts, and `sm.full` without them once an ack made
 * room; the connection refuses sends meanwhile. `sm.flush` (on `stop()`)
 * writes our `<a/>` and an `<r/>`, and answers `sm.flushed` once every
 * stanza is acknowledged.
 *
 * @module
 */
import { type Element, fromCallback, xml } from "../../src/deps.ts";
import { NS_SM } from "../../src/stanza.ts";
import { checkCount, checkNumber, checkTimeout } from "../../src/options.ts";
import {
  handledCountTooHigh,
  MOD,
  parseStanzas,
  sizeOf,
} from "./sm_helpers.ts";
import type { AnyActorLogic } from "../../src/types.ts";
import type {
  ConnectionEvent,
  StreamManagementOptions,
  StreamManagementState,
} from "./protocol.ts";

export type {
  StreamManagementOptions,
  StreamManagementState,
} from "./protocol.ts";

/** Messages to the stream management actor. */
export type SmEvent =
  | { type: "sm.enable" }
  | { type: "sm.enabled" }
  | { type: "sm.sent"; stanza: Element }
  | { type: "sm.handled" }
  | { type: "sm.r" }
  | { type: "sm.a"; h: number }
  | { type: "sm.resume"; id: string }
  | { type: "sm.resumed"; h: number }
  | { type: "sm.failed"; h?: number; error: Error }
  | { type: "sm.offline" }
  | {
    /** Stopping: ack what we handled, ask for a last ack; `sm.flushed` when all are. */
    type: "sm.flush";
  }
  | {
    /** Drop the session; report the unacked with `error`, if given. */
    type: "sm.reset";
    error?: Error;
  }
  | {
    type: "sm.snapshot";
    id: string;
    jid: string;
    reply: (state: StreamManagementState) => void;
  };

/** Messages the stream management actor sends back to the connection. */
export type SmOutput = Extract<
  ConnectionEvent,
  {
    type:
      | "sm.write"
      | "sm.ready"
      | "sm.acked"
      | "sm.lost"
      | "sm.full"
      | "sm.flushed"
      | "sm.error";
  }
>;

/** Input of the stream management actor. */
export interface SmInput {
  /** Ask for an ack after this many stanzas. */
  ackEvery: number;
  /** Ask for an ack when a stanza waited this long, in ms. */
  ackInterval: number;
  /**
   * How long our answer to an `<r/>` may wait, in ms (0, the default here:
   * at once; the connection passes `streamManagement.ackDelay`).
   */
  ackDelay?: number;
  /** Most unacknowledged stanzas held (default: unbounded). */
  maxUnacked?: number;
  /** Most characters of unacknowledged stanzas held (default: unbounded). */
  maxUnackedSize?: number;
  /** A saved session to continue. */
  state?: StreamManagementState;
}

/** The resolved options (defaults filled in, numbers checked). */
export type StreamManagementPolicy = Required<
  Omit<StreamManagementOptions, "state">
>;

/**
 * The stream management policy with every default filled in.
 *
 * @param options The options given, if any.
 * @returns The policy.
 * @throws {RangeError} `ackEvery`, `maxUnacked` or `maxUnackedSize` not a
 *   positive integer, `ackInterval` not in 1…2³¹−1 ms, or `ackDelay` not in
 *   0…10000 ms (the message names it).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { smPolicy } from "./sm.ts";
 * strictEqual(smPolicy({ ackEvery: 5 }).ackInterval, 1000);
 * ```
 */
export function smPolicy(
  options: StreamManagementOptions = {},
): StreamManagementPolicy {
  return {
    enabled: options.enabled ?? true,
    resume: options.resume ?? true,
    ackEvery: checkCount(options.ackEvery, "streamManagement.ackEvery", 10),
    ackInterval: checkTimeout(
      options.ackInterval,
      "streamManagement.ackInterval",
      1000,
    ),
    ackDelay: checkNumber(
      options.ackDelay,
      "streamManagement.ackDelay",
      DEFAULT_ACK_DELAY,
      { min: 0, max: MAX_ACK_DELAY },
    ),
    maxUnacked: checkCount(
      options.maxUnacked,
      "streamManagement.maxUnacked",
      DEFAULT_MAX_UNACKED,
    ),
    maxUnackedSize: checkCount(
      options.maxUnackedSize,
      "streamManagement.maxUnackedSize",
      DEFAULT_MAX_UNACKED_SIZE,
    ),
  };
}

/** Default of `streamManagement.ackDelay`, in ms. */
export const DEFAULT_ACK_DELAY = 50;
/**
 * Largest `streamManagement.ackDelay`, in ms: servers act on an answer that
 * takes long (Prosody fires its ack-delayed event after 30 s, ejabberd
 * closes the stream after 60 s by default).
 */
export const MAX_ACK_DELAY = 10_000;

/** Default of `streamManagement.maxUnacked`, in stanzas. */
export const DEFAULT_MAX_UNACKED = 5000;
/** Default of `streamManagement.maxUnackedSize`, in characters (64 Mi). */
export const DEFAULT_MAX_UNACKED_SIZE = 64 * 1024 * 1024;

/**
 * The stream management actor logic (see the module doc for its messages).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createActor, xml } from "../../src/deps.ts";
 * import { streamManagement } from "./sm.ts";
 * const sm = createActor(streamManagement, { input: { ackEvery: 10, ackInterval: 1000 } }).start();
 * sm.send({ type: "sm.enabled" });
 * sm.send({ type: "sm.sent", stanza: xml("message", { to: "bob@localhost" }) });
 * let unacked = -1;
 * sm.send({
 *   type: "sm.snapshot", id: "s1", jid: "alice@localhost/a",
 *   reply: (s: { unacked: string[] }) => unacked = s.unacked.length,
 * });
 * strictEqual(unacked, 1);
 * sm.stop();
 * ```
 */
export const streamManagement: AnyActorLogic = fromCallback<SmEvent, SmInput>(
  ({ input, receive, sendBack }) => {
    const back = (event: SmOutput) => sendBack(event);
    /** Counting: between `<enabled/>`/`<resumed/>` and the session's end. */
    let enabled = false;
    /** Stanzas handled (our `h`). */
    let handled = input.state?.handled ?? 0;
    /** The server's last `h`. */
    let acked = input.state?.acked ?? 0;
    /**
     * Sent and not acknowledged: `queue[head + i]` has number `acked + i + 1`
     * (a head index, so an ack costs what it drops, not the queue's length).
     */
    let queue: Element[] = input.state ? parseStanzas(input.state.unacked) : [];
    /** `sizes[i]` is the approximate size of `queue[i]`. */
    let sizes: number[] = queue.map(sizeOf);
    let head = 0;
    /** Sum of `sizes` from `head` on. */
    let size = sizes.reduce((a, b) => a + b, 0);
    const maxUnacked = input.maxUnacked ?? Infinity;
    const maxSize = input.maxUnackedSize ?? Infinity;
    /** `sm.full` was sent (and not yet taken back). */
    let full = false;
    const pending = () => queue.length - head;
    const unacked = () => queue.slice(head);
    let sinceRequest = 0;
    /** An `<r/>` is outstanding (Stanza's `pendingAck`). */
    let requested = false;
    /** `stop()` waits for every stanza to be acknowledged. */
    let flushing = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    /** Our answer to an `<r/>` is due (see `ackDelay`). */
    let answerTimer: ReturnType<typeof setTimeout> | undefined;
    const ackDelay = input.ackDelay ?? 0;

    const stopTimer = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const stopAnswer = () => {
      if (answerTimer !== undefined) clearTimeout(answerTimer);
      answerTimer = undefined;
    };
    /** Our `<a/>`, with every stanza handled so far. */
    const answer = () => {
      stopAnswer();
      back({
        type: "sm.write",
        elements: [xml("a", { xmlns: NS_SM, h: String(handled) })],
      });
    };
    const request = () => {
      stopTimer();
      sinceRequest = 0;
      requested = true;
      back({ type: "sm.write", elements: [xml("r", { xmlns: NS_SM })] });
    };
    const armTimer = () => {
      if (timer !== undefined || !enabled || pending() === 0) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (enabled && pending() > 0 && !requested) request();
      }, input.ackInterval);
    };
    /** Tell the connection when the queue reaches or leaves its bound. */
    const checkFull = () => {
      const now = pending() >= maxUnacked || size >= maxSize;
      if (now === full) return;
      full = now;
      back(
        now
          ? { type: "sm.full", unacked: pending(), size }
          : { type: "sm.full" },
      );
    };
    /** `h` is within what was sent since the last ack (modulo 2³²). */
    const valid = (h: number) => (h - acked + MOD) % MOD <= pending();
    /** Drop what the server says it handled (`h` is valid); returns the stanzas dropped. */
    const acknowledge = (h: number): Element[] => {
      const count = (h - acked + MOD) % MOD;
      acked = h;
      if (count === 0) return [];
      const done = queue.slice(head, head + count);
      for (let i = head; i < head + count; i++) size -= sizes[i];
      head += count;
      if (head === queue.length) {
        queue = [];
        sizes = [];
        head = 0;
        size = 0;
      } else if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        sizes = sizes.slice(head);
        head = 0;
      }
      return done;
    };
    const ackAndReport = (h: number) => {
      const done = acknowledge(h);
      if (done.length) back({ type: "sm.acked", stanzas: done });
      checkFull();
    };
    const clear = () => {
      enabled = false;
      handled = 0;
      acked = 0;
      sinceRequest = 0;
      requested = false;
      flushing = false;
      stopTimer();
      stopAnswer();
    };
    const drop = () => {
      const stanzas = unacked();
      queue = [];
      sizes = [];
      head = 0;
      size = 0;
      clear();
      checkFull();
      return stanzas;
    };
    const lose = (error: Error) => {
      const stanzas = drop();
      if (stanzas.length) back({ type: "sm.lost", stanzas, error });
    };
    /**
     * An `h` out of range: a stream error, nothing acknowledged, the
     * unacked reported lost, and the connection told to close.
     */
    const refuse = (h: number, where: string) => {
      const sent = (acked + pending()) % MOD;
      const { element, error } = handledCountTooHigh(h, acked, sent, where);
      back({ type: "sm.write", elements: [element] });
      lose(error);
      back({ type: "sm.error", error });
    };
    const flushed = () => {
      if (flushing && pending() === 0) {
        flushing = false;
        back({ type: "sm.flushed" });
      }
    };

    receive((event) => {
      switch (event.type) {
        case "sm.sent":
          if (!enabled) return;
          queue.push(event.stanza);
          {
            const n = sizeOf(event.stanza);
            sizes.push(n);
            size += n;
          }
          checkFull();
          if (++sinceRequest >= input.ackEvery) request();
          else armTimer();
          return;
        case "sm.handled":
          if (enabled) handled = (handled + 1) % MOD;
          return;
        case "sm.r":
          if (!enabled) return;
          if (ackDelay === 0) return answer();
          // One answer for every request until it goes (see `ackDelay`).
          answerTimer ??= setTimeout(() => {
            answerTimer = undefined;
            if (enabled) answer();
          }, ackDelay);
          return;
        case "sm.a": {
          if (!enabled) return;
          requested = false;
          stopTimer();
          if (!valid(event.h)) return refuse(event.h, "<a/>");
          ackAndReport(event.h);
          flushed();
          armTimer();
          return;
        }
        case "sm.flush":
          if (!enabled) {
            flushing = false;
            back({ type: "sm.flushed" });
            return;
          }
          flushing = true;
          answer();
          if (pending() === 0) return flushed();
          request();
          return;
        case "sm.enable":
          // A new session: what an old one left unacknowledged is lost.
          lose(new Error("Stream management restarted"));
          back({
            type: "sm.write",
            elements: [xml("enable", { xmlns: NS_SM, resume: "true" })],
          });
          return;
        case "sm.enabled":
          clear();
          enabled = true;
          return;
        case "sm.resume":
          stopAnswer(); // <resume h/> carries the count
          back({
            type: "sm.write",
            elements: [
              xml("resume", {
                xmlns: NS_SM,
                previd: event.id,
                h: String(handled),
              }),
            ],
          });
          return;
        case "sm.resumed": {
          if (!valid(event.h)) return refuse(event.h, "<resumed/>");
          ackAndReport(event.h);
          enabled = true;
          sinceRequest = 0;
          requested = false;
          stopTimer();
          if (pending()) {
            back({ type: "sm.write", elements: unacked() });
            request();
          }
          back({ type: "sm.ready" });
          return;
        }
        case "sm.failed": {
          if (event.h !== undefined) {
            if (!valid(event.h)) return refuse(event.h, "<failed/>");
            ackAndReport(event.h);
          }
          lose(event.error);
          return;
        }
        case "sm.offline":
          enabled = false;
          requested = false;
          sinceRequest = 0;
          stopTimer();
          stopAnswer();
          return;
        case "sm.reset":
          if (event.error) lose(event.error);
          else drop();
          return;
        case "sm.snapshot":
          event.reply({
            id: event.id,
            jid: event.jid,
            handled,
            acked,
            unacked: unacked().map((s) => s.toString()),
          });
          return;
      }
    });
    return () => {
      stopTimer();
      stopAnswer();
    };
  },
);
