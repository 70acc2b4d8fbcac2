/**
 * What the connection chart (`./machine.ts`) refers to by name: its typed
 * context, events and emitted events, its child actors, delays, guards and
 * actions. Guards compare context values and typed event fields only; the
 * transport has already classified every element (`src/stanza.ts`). Assigns
 * build new values; events are narrowed with `assertEvent` (or reach an
 * action as typed `params` from the transition).
 *
 * @module
 */
import {
  assertEvent,
  assign,
  emit,
  enqueueActions,
  fromCallback,
  raise,
  sendTo,
  setup,
  xml,
} from "../../src/deps.ts";
import {
  ConnectionError,
  QueueOverflowError,
  type StanzaError,
  UnackedOverflowError,
} from "../../src/errors.ts";
import { NS_TLS, streamErrorElement } from "../../src/stanza.ts";
import type {
  TransportCommand,
  TransportInput,
} from "../transport/protocol.ts";
import {
  backlogOf,
  bindRequest,
  boundJidOf,
  type ConnectionContext,
  followedRedirect,
  outgoingLimits,
  reconnectPlan,
  RUN_RESET,
  saslOutcome,
  SESSION_RESET,
  streamErrorUpdate,
} from "./context.ts";
import { iqCaller } from "./iq_caller.ts";
import type {
  ConnectionEmitted,
  ConnectionEvent,
  ConnectionInput,
  ConnectionStatus,
} from "./protocol.ts";
import {
  countsAsStanza,
  skippedAnswer,
  skippedError,
  skippedFatal,
  skippedReply,
} from "./skipped.ts";
import { unexpectedFatal } from "./unexpected.ts";
import { answerTo, stanzaRouter } from "./router.ts";
import { saslMachine, type SaslOutput } from "./sasl.ts";
import { streamManagement } from "./sm.ts";
import { connectionDelays, connectionGuards } from "./guards.ts";
import {
  endedUnacked,
  failure,
  negotiationTimeout,
  resumeFailed,
  runEnded,
  sessionEnded,
  unackedAtStop,
  unwritten,
} from "./failures.ts";

/** The error an event carries (a closed transport may carry none). */
function eventError({ event }: { event: ConnectionEvent }): Error {
  return (event as { error?: Error }).error ?? failure.closed();
}

const HANDLED = { type: "sm.handled" } as const;

/** Placeholder transport: the caller provides the real one. */
const noTransport = fromCallback<TransportCommand, TransportInput>(
  ({ sendBack, input }) => {
    sendBack({
      type: "transport.closed",
      error: new ConnectionError(
        `Cannot connect: no transport provided for ${input.service.protocol}:`,
      ),
    });
  },
);

/**
 * The connection machine's `setup()`: call `.createMachine(chart)` on it.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { connectionSetup } from "./setup.ts";
 * ok(typeof connectionSetup.createMachine === "function");
 * ```
 */
export const connectionSetup = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    transport: noTransport,
    iqCaller,
    router: stanzaRouter,
    sasl: saslMachine,
    sm: streamManagement,
  },
  delays: connectionDelays,
  guards: connectionGuards,
  actions: {
    emitStatus: emit((_, params: { status: ConnectionStatus }) => ({
      type: "status" as const,
      status: params.status,
    })),
    resetRun: assign(RUN_RESET),
    resetSession: assign(SESSION_RESET),
    requestStop: assign({ stopping: true }),
    startStopClock: assign({
      stopDeadline: ({ context }) => Date.now() + context.stopTimeout,
    }),
    flushSm: sendTo("sm", { type: "sm.flush" }),
    assignBacklog: assign({
      smBacklog: ({ event }) => backlogOf(event as { unacked?: number }),
    }),
    recordSmError: assign({ error: eventError }),
    // After an `h` out of range the session is not resumed: its IQs fail
    // (sm has reported the unacked stanzas already).
    abandonSm: enqueueActions(({ context, enqueue }) => {
      enqueue.sendTo("iqCaller", {
        type: "iq.offline",
        error: sessionEnded(context),
      });
      enqueue.assign({ smSession: undefined, smRestore: undefined });
    }),
    abortTransport: enqueueActions(({ context, enqueue }) => {
      // with stream management, the acks tell what was delivered
      enqueue.assign({
        stopTimedOut: context.stopping && !context.smEnabled,
      });
      enqueue.sendTo("transport", { type: "transport.abort" });
    }),
    // What the transport could not write is lost unless stream management
    // holds it (re-sent on resume, or reported by sm).
    reportUnsent: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "transport.closed");
      if (!event.unsent?.length || context.smEnabled) return;
      enqueue.emit({
        type: "failedStanzas",
        stanzas: event.unsent,
        error: unwritten(context, event.error),
      });
    }),
    endNegotiation: assign({ negotiating: false }),
    recordNegotiationTimeout: assign({
      error: ({ context, self }) =>
        negotiationTimeout(context, self.getSnapshot().value),
    }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    planReconnect: enqueueActions(({ context, enqueue }) => {
      const { delay, event } = reconnectPlan(context);
      enqueue.assign({ reconnectIn: delay });
      enqueue.emit(event);
    }),
    assignConnected: assign(({ event }) => {
      assertEvent(event, "transport.connected");
      return { secure: event.secure, canStartTls: event.canStartTls };
    }),
    openStream: sendTo("transport", { type: "transport.open" }),
    closeStream: sendTo("transport", { type: "transport.close" }),
    sendStartTls: sendTo("transport", {
      type: "transport.send",
      elements: [xml("starttls", { xmlns: NS_TLS })],
    }),
    upgradeTls: sendTo("transport", { type: "transport.starttls" }),
    markSecure: assign({ secure: true }),
    assignFeatures: assign({
      features: ({ event }) => {
        assertEvent(event, "stream.features");
        return event.features;
      },
    }),
    forwardToSasl: sendTo("sasl", ({ event }) => {
      assertEvent(event, ["sasl.challenge", "sasl.success", "sasl.failure"]);
      return event;
    }),
    writeSasl: sendTo("transport", ({ event }) => {
      assertEvent(event, "sasl.write");
      return { type: "transport.send" as const, elements: [event.element] };
    }),
    recordSaslOutcome: assign((_, params: SaslOutput) => saslOutcome(params)),
    recordTlsRequired: assign({ error: failure.tlsRequired }),
    recordUnencrypted: assign({ error: failure.unencrypted }),
    recordTlsRefused: assign({ error: failure.tlsRefused }),
    recordNoBind: assign({ error: failure.noBind }),
    recordNoBoundJid: assign({ error: failure.noBoundJid }),
    recordBindError: assign({
      error: (_, params: { error: StanzaError }) => params.error,
    }),
    recordStreamError: assign(({ context, event }) => {
      assertEvent(event, "stream.error");
      return streamErrorUpdate(context, event.error, event.seeOtherHost);
    }),
    followRedirect: assign(({ context }) => followedRedirect(context)),
    recordXmlError: assign({ error: eventError }),
    recordTransportClosed: assign({ error: eventError }),
    recordServerClose: assign({ error: failure.serverClose }),
    sendStreamError: sendTo("transport", ({ event }) => {
      assertEvent(event, "transport.xmlError");
      return {
        type: "transport.send" as const,
        elements: [streamErrorElement(event.error)],
      };
    }),
    sendBind: enqueueActions(({ context, enqueue }) => {
      const iq = bindRequest(context.jid.resource);
      enqueue.assign({ bindId: iq.attrs.id });
      enqueue.sendTo("transport", { type: "transport.send", elements: [iq] });
    }),
    assignBoundJid: assign({
      boundJid: ({ context }, params: { jid?: string }) =>
        boundJidOf(context, params.jid),
    }),
    enterOnline: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({
        attempt: 0,
        wasOnline: true,
        error: undefined,
        negotiating: false,
      });
      enqueue.emit({ type: "online", jid: context.boundJid! });
      if (context.queue.length) {
        enqueue.assign({ queue: [] });
        enqueue.sendTo("transport", {
          type: "transport.send",
          elements: context.queue.map((q) => q.stanza),
        });
        if (context.smEnabled) {
          for (const q of context.queue) {
            enqueue.sendTo("sm", { type: "sm.sent", stanza: q.stanza });
          }
        }
      }
      enqueue.sendTo("iqCaller", { type: "iq.online", jid: context.boundJid! });
    }),
    leaveOnline: enqueueActions(({ context, event, enqueue }) => {
      // A resumable session keeps its IQs and unacked stanzas for the resume.
      if (event.type === "connection.stop" || context.smSession === undefined) {
        const error = sessionEnded(context, event.type === "connection.stop");
        enqueue.sendTo("iqCaller", { type: "iq.offline", error });
        // A dead session reports its unacked now; a stop first flushes
        // (state `flushing`), and what stays unacked is reported when the
        // run ends (failEverything).
        if (event.type !== "connection.stop") {
          enqueue.sendTo("sm", {
            type: "sm.reset",
            error: endedUnacked(context),
          });
        }
        enqueue.assign({ smSession: undefined, smRestore: undefined });
      }
      enqueue.emit({ type: "offline", error: context.error });
    }),
    failEverything: enqueueActions(({ context, enqueue }) => {
      const error = runEnded(context);
      enqueue.sendTo("iqCaller", { type: "iq.rejectAll", error });
      enqueue.assign({ queue: [] });
      if (context.queue.length) {
        // never written: reported, not dropped silently
        enqueue.emit({
          type: "failedStanzas",
          stanzas: context.queue.map((q) => q.stanza),
          error,
        });
      }
      // A run that ended (not the actor's first entry) ends its SM session.
      if (context.stopping || context.error !== undefined) {
        enqueue.sendTo("sm", {
          type: "sm.reset",
          error: context.stopping ? unackedAtStop() : error,
        });
        enqueue.assign({
          smSession: undefined,
          smRestore: undefined,
          smEnabled: false,
        });
      }
    }),
    emitError: emit(({ context }) => ({
      type: "error" as const,
      error: context.error ?? new ConnectionError("Connection failed"),
    })),
    emitHandlerError: emit(({ event }) => {
      assertEvent(event, "connection.handlerError");
      return { type: "error" as const, error: event.error };
    }),
    sendStanza: sendTo("transport", ({ event }) => {
      assertEvent(event, ["connection.send", "iq.send"]);
      return { type: "transport.send" as const, elements: [event.stanza] };
    }),
    countOut: sendTo("sm", ({ event }) => {
      assertEvent(event, ["connection.send", "iq.send"]);
      return { type: "sm.sent" as const, stanza: event.stanza };
    }),
    countIn: sendTo("sm", HANDLED),
    /**
     * Tell whoever runs this machine that it is online / no longer online:
     * nothing by default; the client provides a `sendParent`.
     */
    announceOnline: enqueueActions(() => {}),
    announceOffline: enqueueActions(() => {}),
    deliverToHandler: enqueueActions(({ event, self, enqueue }) => {
      assertEvent(event, "router.deliver");
      enqueue.sendTo(event.to, {
        type: event.event,
        stanza: event.stanza,
        replyTo: self,
      });
    }),
    forwardIqReply: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, "iq.reply");
      enqueue.sendTo(event.to, event.answer);
    }),
    /** An actor handler's answer: checked, then written as a send. */
    answerRequest: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "router.answer");
      // The limits every send is checked against (the server's too).
      const limits = outgoingLimits(context);
      const { stanza, errors } = answerTo(event.request, event, limits);
      for (const error of errors) enqueue.emit({ type: "error", error });
      enqueue.raise({ type: "connection.send", stanza });
    }),
    forwardToSm: sendTo("sm", ({ event }) => {
      assertEvent(event, ["sm.r", "sm.a"]);
      return event;
    }),
    writeSm: sendTo("transport", ({ event }) => {
      assertEvent(event, "sm.write");
      return { type: "transport.send" as const, elements: event.elements };
    }),
    smOffline: sendTo("sm", { type: "sm.offline" }),
    sendEnable: sendTo("sm", { type: "sm.enable" }),
    smEnabled: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "sm.enabled");
      const resumable = context.sm.resume && event.resume &&
        event.id !== undefined;
      enqueue.assign({
        smEnabled: true,
        smSession: resumable ? { id: event.id! } : undefined,
      });
      enqueue.sendTo("sm", { type: "sm.enabled" });
    }),
    sendResume: sendTo("sm", ({ context }) => ({
      type: "sm.resume" as const,
      id: context.smSession!.id,
    })),
    forwardResumed: sendTo("sm", ({ event }) => {
      assertEvent(event, "sm.resumed");
      return { type: "sm.resumed" as const, h: event.h };
    }),
    resumeDone: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ smEnabled: true, smRestore: undefined });
      enqueue.emit({ type: "resumed", jid: context.boundJid! });
    }),
    abandonResume: enqueueActions(({ context, event, enqueue }) => {
      if (context.smSession === undefined) return;
      const failed = event.type === "sm.failed" ? event : undefined;
      const error = resumeFailed(failed?.condition);
      enqueue.sendTo("sm", {
        type: "sm.failed",
        ...(failed?.h !== undefined ? { h: failed.h } : {}),
        error,
      });
      enqueue.sendTo("iqCaller", {
        type: "iq.offline",
        error: sessionEnded({ ...context, error }),
      });
      enqueue.assign({ smSession: undefined, smRestore: undefined });
    }),
    emitAcked: emit(({ event }) => {
      assertEvent(event, "sm.acked");
      return { type: "acked" as const, stanzas: event.stanzas };
    }),
    emitLost: emit(({ event }) => {
      assertEvent(event, "sm.lost");
      const { stanzas, error } = event;
      return { type: "failedStanzas" as const, stanzas, error };
    }),
    routeUnclaimed: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, "iq.unclaimed");
      enqueue.emit({ type: "stanza", stanza: event.stanza });
      enqueue.sendTo("router", {
        type: "stanza",
        kind: "iq",
        stanza: event.stanza,
      });
    }),
    queueStanza: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, ["connection.send", "iq.send"]);
      const iq = event.type === "iq.send" ? event.id : undefined;
      enqueue.assign({
        queue: [...context.queue, { stanza: event.stanza, iq }],
      });
      if (iq !== undefined) {
        enqueue.sendTo("iqCaller", { type: "iq.queued", id: iq });
      }
    }),
    rejectUnacked: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, ["connection.send", "iq.send"]);
      const backlog = context.smBacklog ?? { unacked: 0, size: 0 };
      const error = new UnackedOverflowError(
        context.sm.maxUnacked,
        backlog.unacked,
        backlog.size,
      );
      if (event.type === "iq.send") {
        enqueue.sendTo("iqCaller", { type: "iq.refused", id: event.id, error });
      } else enqueue.emit({ type: "error", error });
    }),
    rejectOverflow: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, ["connection.send", "iq.send"]);
      const error = new QueueOverflowError(context.queueLimit);
      if (event.type === "iq.send") {
        enqueue.sendTo("iqCaller", { type: "iq.refused", id: event.id, error });
      } else enqueue.emit({ type: "error", error });
    }),
    dropExpired: assign({
      queue: ({ context, event }) => {
        assertEvent(event, "iq.expired");
        return context.queue.filter((q) => q.iq !== event.id);
      },
    }),
    emitStanza: emit(({ event }) => {
      assertEvent(event, "stanza");
      return { type: "stanza" as const, stanza: event.stanza };
    }),
    routeStanza: sendTo("router", ({ event }) => {
      assertEvent(event, "stanza");
      return event;
    }),
    forwardAnswer: sendTo("iqCaller", ({ event }) => {
      assertEvent(event, ["iq.result", "iq.error"]);
      return event;
    }),
    // A stanza the transport skipped (over maxStanzaSize/maxStanzaDepth):
    // answered or reported, the session stays up (./skipped.ts).
    reportSkipped: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, "stanza.skipped");
      const { head } = event;
      const error = skippedError(event);
      const reply = skippedReply(head);
      if (reply) enqueue.raise({ type: "connection.send", stanza: reply });
      // an answer to one of our IQs: that call rejects with the error
      const answer = skippedAnswer(head, error);
      if (answer) enqueue.sendTo("iqCaller", answer);
      enqueue.emit({ type: "error", error });
    }),
    countSkipped: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, "stanza.skipped");
      if (countsAsStanza(event.head)) enqueue.sendTo("sm", HANDLED);
    }),
    // Before online only the server speaks: an oversize element is fatal.
    failSkipped: raise(({ event }) =>
      skippedFatal(event as { reason: string })
    ),
    failUnexpected: raise(({ event, self }) =>
      unexpectedFatal(event, self.getSnapshot().value)
    ),
  },
});
