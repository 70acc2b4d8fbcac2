/**
 * The reconnect policy (`actors/connection/reconnect.ts`): which endings are
 * retried, and the delay before the first attempt after `system-shutdown`.
 *
 * @module
 */
import {
  isRetryable,
  reconnectDelay,
  reconnectPolicy,
} from "../actors/connection/reconnect.ts";
import {
  ConnectionError,
  SASLError,
  StanzaError,
  StreamError,
  TimeoutError,
  TLSError,
} from "../src/errors.ts";
import { assert, assertEquals, assertThrows } from "./_helpers.ts";

Deno.test("isRetryable(): every ending but auth, TLS trust and conflict is retried", () => {
  const retried: Error[] = [
    new ConnectionError("Connection closed by server"),
    new TimeoutError("Cannot connect: negotiation did not finish"),
    new StreamError("policy-violation"), // we sent it, or the server did
    new StreamError("restricted-xml"),
    new StreamError("not-well-formed"),
    new StreamError("system-shutdown"),
    new StreamError("host-unknown"),
    new StreamError("undefined-condition"),
    new StanzaError("internal-server-error"), // a bind error
    new TypeError("anything else"),
  ];
  for (const e of retried) assert(isRetryable(e), `${e.name} ${e.message}`);
  const final: Error[] = [
    new SASLError("not-authorized"),
    new SASLError("malformed-request"),
    new StreamError("not-authorized"),
    new StreamError("conflict"),
    new TLSError("Cannot connect: UnknownIssuer"),
  ];
  for (const e of final) assert(!isRetryable(e), `${e.name} ${e.message}`);
});

Deno.test("reconnectDelay(): system-shutdown waits shutdownDelay, even for a resumable session", () => {
  const shutdown = new StreamError("system-shutdown");
  const exact = reconnectPolicy({ jitter: 0, initialDelay: 100 });
  assertEquals(reconnectDelay(exact, 0, { resumable: true }), 0);
  assertEquals(reconnectDelay(exact, 0, { resumable: false }), 100);
  assertEquals(
    reconnectDelay(exact, 0, { resumable: true, error: shutdown }),
    5000,
  );
  // later attempts back off past it
  assertEquals(
    reconnectDelay(exact, 7, { resumable: false, error: shutdown }),
    12_800,
  );
  // with jitter, never below (1 - jitter) × shutdownDelay
  const jittered = reconnectPolicy({ shutdownDelay: 1000, jitter: 0.5 });
  for (let i = 0; i < 200; i++) {
    const d = reconnectDelay(jittered, 0, { resumable: true, error: shutdown });
    assert(d >= 500 && d <= 1500, String(d));
  }
  assertThrows(
    () => reconnectPolicy({ shutdownDelay: -1 }),
    RangeError,
    /reconnect\.shutdownDelay/,
  );
});
