/**
 * The connection chart's delays and guards (by name, see `./machine.ts`):
 * each reads context values and typed event fields only.
 *
 * @module
 */
import type { ConnectionContext } from "./context.ts";
import type { ConnectionEvent } from "./protocol.ts";
import { isRetryable } from "./reconnect.ts";
import { isLoopbackHost } from "../transport/protocol.ts";

type Args = { context: ConnectionContext; event: ConnectionEvent };

/** How long `closing` waits for the server's close (see the delays). */
function closeDelay(context: ConnectionContext): number {
  return context.stopDeadline !== undefined && !context.smEnabled
    ? Math.max(0, context.stopDeadline - Date.now())
    : context.closeTimeout;
}

/** The chart's delays, in ms. */
export const connectionDelays = {
  // chosen by planReconnect (./reconnect.ts: reconnectDelay)
  reconnectDelay: ({ context }: Args) => context.reconnectIn,
  // A stop without stream management waits for the server's close up to
  // its deadline (the writes go first); any other close, closeTimeout.
  closeTimeout: ({ context }: Args) => closeDelay(context),
  // The transport answers an abort at once; this is a backstop.
  closeGiveUp: ({ context }: Args) => closeDelay(context) + 100,
  stopRemaining: ({ context }: Args) =>
    Math.max(0, (context.stopDeadline ?? 0) - Date.now()),
  negotiationTimeout: ({ context }: Args) => context.negotiationTimeout,
};

/** The chart's guards. */
export const connectionGuards = {
  stopRequested: ({ context }: Args) => context.stopping,
  negotiating: ({ context }: Args) => context.negotiating,
  hasError: ({ context }: Args) => context.error !== undefined,
  shouldReconnect: ({ context }: Args) =>
    context.reconnect.enabled && context.wasOnline && !context.stopping &&
    isRetryable(context.error) &&
    context.attempt < context.reconnect.maxAttempts,
  shouldStartTls: ({ context }: Args) =>
    !context.secure && context.canStartTls && context.starttls &&
    context.features?.starttls !== undefined,
  unencryptedRefused: ({ context }: Args) =>
    !context.secure && !context.allowUnencrypted &&
    !(context.service.protocol === "ws" &&
      isLoopbackHost(context.service.hostname)),
  tlsRequiredButUnavailable: ({ context }: Args) =>
    !context.secure && context.features?.starttls?.required === true,
  needsAuth: ({ context }: Args) => !context.authenticated,
  canBind: ({ context }: Args) => context.features?.bind === true,
  saslSucceeded: (_: Args, params: { ok: boolean }) => params.ok,
  isBindAnswer: ({ context }: Args, params: { id: string }) =>
    params.id === context.bindId,
  queueFull: ({ context }: Args) => context.queue.length >= context.queueLimit,
  unackedFull: ({ context }: Args) => context.smBacklog !== undefined,
  smCounting: ({ context }: Args) => context.smEnabled,
  smOffered: ({ context }: Args) =>
    context.sm.enabled && context.features?.sm === true,
  canResume: ({ context }: Args) =>
    context.smSession !== undefined && context.sm.enabled &&
    context.features?.sm === true,
  shouldRedirect: ({ context }: Args) =>
    context.redirect !== undefined && !context.redirected &&
    !context.stopping,
  bindAnswerWithSm: ({ context, event }: Args) =>
    event.type === "bind.result" && event.id === context.bindId &&
    context.sm.enabled && context.features?.sm === true,
};
