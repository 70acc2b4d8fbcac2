/**
 * The errors the connection chart records and reports (`./setup.ts`), built
 * in one place: each says what could not be done and why, and keeps the
 * session's own error as its cause.
 *
 * @module
 */
import {
  ClientStoppedError,
  ConnectionError,
  TimeoutError,
  TLSError,
} from "../../src/errors.ts";
import type { ConnectionContext } from "./context.ts";

type Ctx = { context: ConnectionContext };

/** Fixed failures of negotiation, by what went wrong. */
export const failure = {
  /** The server requires TLS the transport cannot provide. */
  tlsRequired: () =>
    new ConnectionError(
      "Cannot connect: server requires TLS that this transport or configuration cannot provide",
    ),
  /** TLS is required and there is none to start. */
  unencrypted: ({ context }: Ctx) =>
    new TLSError(
      `Cannot connect: TLS is required and ${
        !context.canStartTls
          ? "the transport is not encrypted"
          : context.starttls
          ? "the server offers no STARTTLS"
          : "tls.starttls is off"
      } (no credentials were sent; set allowUnencrypted: true to allow an unencrypted stream)`,
    ),
  /** The server refused STARTTLS. */
  tlsRefused: () =>
    new ConnectionError("Cannot start TLS: server answered <failure/>"),
  /** No resource binding offered. */
  noBind: () =>
    new ConnectionError("Cannot bind: server offers no resource binding"),
  /** A bind result without a JID. */
  noBoundJid: () =>
    new ConnectionError("Cannot bind: server answered without a JID"),
  /** The server closed the stream. */
  serverClose: () => new ConnectionError("Stream closed by server"),
  /** A closed transport that said nothing. */
  closed: () => new ConnectionError("Connection closed"),
};

/**
 * Negotiation took longer than `negotiationTimeout`.
 * @param context The chart's context.
 * @param value The state value (names the phase it stalled in).
 * @returns The error.
 */
export function negotiationTimeout(
  context: ConnectionContext,
  value: unknown,
): TimeoutError {
  const session = (value as { session?: unknown }).session;
  const phase = typeof session === "string" ? session : "";
  return new TimeoutError(
    `Cannot connect: negotiation did not finish within ${context.negotiationTimeout} ms${
      phase ? ` (stalled in ${phase})` : ""
    }`,
  );
}

/**
 * Why what is queued or pending fails when a run ends.
 * @param context The chart's context.
 * @returns A `ClientStoppedError` after `stop()`, else a `ConnectionError`.
 */
export function runEnded(context: ConnectionContext): Error {
  return context.stopping
    ? new ClientStoppedError("Cannot send: the connection stopped")
    : new ConnectionError(
      context.error
        ? `Cannot send: connection failed: ${context.error.message}`
        : "Cannot send: connection stopped",
      { cause: context.error },
    );
}

/** What stop() left unacknowledged. */
export const unackedAtStop = () =>
  new ClientStoppedError(
    "Cannot confirm delivery: the server had not acknowledged it when stop() ended the session",
  );

/**
 * The IQs of a session that ended (or was stopped) fail with this.
 * @param context The chart's context.
 * @param stopped Whether `stop()` ended it.
 * @returns The error.
 */
export function sessionEnded(
  context: ConnectionContext,
  stopped = false,
): Error {
  return stopped
    ? new ClientStoppedError("Cannot get IQ answer: the connection stopped")
    : new ConnectionError("Cannot get IQ answer: the session ended", {
      cause: context.error,
    });
}

/**
 * Stanzas a dead session had not had acknowledged.
 * @param context The chart's context.
 * @returns The error.
 */
export function endedUnacked(context: ConnectionContext): ConnectionError {
  return new ConnectionError(
    "Cannot deliver: the session ended unacknowledged",
    { cause: context.error },
  );
}

/**
 * Stanzas the transport could not write before it closed.
 * @param context The chart's context.
 * @param cause The transport's error, if any.
 * @returns The error.
 */
export function unwritten(context: ConnectionContext, cause?: Error): Error {
  return context.stopping
    ? new ClientStoppedError(
      "Cannot deliver: stop() closed the connection before it was written",
    )
    : new ConnectionError(
      "Cannot deliver: the connection closed before it was written",
      { cause: cause ?? context.error },
    );
}

/**
 * A resume the server refused (or no longer offers).
 * @param condition The server's condition, if it answered.
 * @returns The error.
 */
export function resumeFailed(condition?: string): ConnectionError {
  return new ConnectionError(
    condition
      ? `Cannot resume the session: server answered ${condition}`
      : "Cannot resume the session: server no longer offers stream management",
  );
}
