/**
 * The IQ caller: the one place where pending IQs live (like xmpp.js's
 * `iq/caller`). A callback actor, invoked once by the connection machine for
 * the actor's whole life, so an IQ costs no machine of its own.
 *
 * ```
 * user ─iq.call─► iqCaller ─iq.send─► connection ─► transport
 *                    └─iq.reply (an actor's call: its iq.answer)─► connection ─► replyTo
 *                    ▲ iq.result / iq.error (from the connection while online)
 *                    │ iq.queued · iq.refused · iq.online · iq.offline · iq.rejectAll
 * ```
 *
 * Each call is settled exactly once: by its answer, by its timeout
 * ({@linkcode TimeoutError}), by the connection (session ended, failed,
 * stopped) or, when the actor stops, with {@linkcode ClientStoppedError}.
 * An answer counts only from the JID the request went to (RFC 6120 §8.1.2.1,
 * §10.3.3); other answers go back to the connection as ordinary stanzas.
 *
 * @module
 */
import type { AnyActorLogic, AnyActorRef } from "../../src/types.ts";
import { type Element, fromCallback } from "../../src/deps.ts";
import { bareJid, formatJid, type Jid, jidEquals } from "../../src/jid.ts";
import { ClientStoppedError, TimeoutError } from "../../src/errors.ts";
import type { IqCallerEvent, IqCallerOutput } from "./protocol.ts";

/** Input of the IQ caller. */
export interface IqCallerInput {
  /** Our configured JID. */
  jid: Jid;
  /** Default timeout per IQ, in ms. */
  timeout: number;
}

interface Call {
  to?: string;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (answer: Element) => void;
  reject: (error: Error) => void;
}

/**
 * Whether `from` may answer an IQ sent `to`: a request to our bare JID or to
 * no one (the server, for our account) is answered by the server or our own
 * account; any other request only by the JID it went to.
 *
 * @param self Our configured JID and the bound full JID, if any.
 * @param to The request's `to`.
 * @param from The answer's `from`.
 * @returns `true` when the answer is acceptable.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { answerFromExpected } from "./iq_caller.ts";
 * const self = { jid: { local: "alice", domain: "localhost" } };
 * ok(answerFromExpected(self, "bob@localhost/b", "bob@localhost/b"));
 * ok(!answerFromExpected(self, "bob@localhost/b", "carol@localhost/c"));
 * ok(answerFromExpected(self, undefined, "localhost"));
 * ```
 */
export function answerFromExpected(
  self: { jid: Jid; bound?: string },
  to: string | undefined,
  from: string | undefined,
): boolean {
  if (to !== undefined && from === to) return true;
  const ownBare = bareJid(self.jid);
  if (to === undefined || jidEquals(to, ownBare)) {
    return from === undefined || jidEquals(from, ownBare) ||
      jidEquals(from, self.bound) ||
      (to === undefined && jidEquals(from, self.jid.domain));
  }
  return jidEquals(from, to);
}

/**
 * The IQ caller actor logic (see the module doc for its messages).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createActor, xml } from "../../src/deps.ts";
 * import { iqCaller } from "./iq_caller.ts";
 * const caller = createActor(iqCaller, {
 *   input: { jid: { local: "alice", domain: "localhost" }, timeout: 1000 },
 * }).start();
 * const answer = new Promise((resolve, reject) =>
 *   caller.send({ type: "iq.call", id: "1", stanza: xml("iq", { type: "get", id: "1" }), resolve, reject })
 * );
 * caller.send({ type: "iq.result", id: "1", stanza: xml("iq", { type: "result", id: "1" }) });
 * strictEqual(((await answer) as { attrs: { type: string } }).attrs.type, "result");
 * caller.stop();
 * ```
 */
export const iqCaller: AnyActorLogic = fromCallback<
  IqCallerEvent,
  IqCallerInput
>(
  ({ input, receive, sendBack }) => {
    const calls = new Map<string, Call>();
    let bound: string | undefined;
    const back = (event: IqCallerOutput) => sendBack(event);

    const take = (id: string): Call | undefined => {
      const call = calls.get(id);
      if (call === undefined) return undefined;
      calls.delete(id);
      clearTimeout(call.timer);
      return call;
    };
    // An actor's call is answered through the connection machine.
    const replyTo = (to: AnyActorRef, id: string) => ({
      resolve: (stanza: Element) =>
        back({
          type: "iq.reply",
          to,
          answer: { type: "iq.answer", id, stanza },
        }),
      reject: (error: Error) =>
        back({
          type: "iq.reply",
          to,
          answer: { type: "iq.answer", id, error },
        }),
    });
    const expire = (id: string) => {
      const call = take(id);
      if (call === undefined) return;
      call.reject(new TimeoutError(`Cannot get IQ answer: no reply to ${id}`));
      if (!call.sent) back({ type: "iq.expired", id });
    };
    const answer = (
      event: Extract<IqCallerEvent, { type: "iq.result" | "iq.error" }>,
    ) => {
      const call = calls.get(event.id);
      if (
        call === undefined || !call.sent ||
        !answerFromExpected({ jid: input.jid, bound }, call.to, event.from)
      ) {
        // Not ours to take: the connection passes it on as a stanza (but
        // not the opening tag of an answer skipped for its size or depth).
        if (event.type === "iq.error" && event.skipped) return;
        return back({ type: "iq.unclaimed", stanza: event.stanza });
      }
      take(event.id);
      if (event.type === "iq.result") call.resolve(event.stanza);
      else call.reject(event.error);
    };

    receive((event) => {
      switch (event.type) {
        case "iq.call": {
          const { id } = event;
          const settle = "replyTo" in event
            ? replyTo(event.replyTo, id)
            : { resolve: event.resolve, reject: event.reject };
          if (calls.has(id)) {
            return settle.reject(
              new TypeError(`Cannot send IQ: id ${id} is already waiting`),
            );
          }
          const ms = event.timeout ?? input.timeout;
          calls.set(id, {
            to: event.stanza.attrs.to,
            sent: true,
            timer: setTimeout(() => expire(id), ms),
            ...settle,
          });
          return back({ type: "iq.send", id: event.id, stanza: event.stanza });
        }
        case "iq.result":
        case "iq.error":
          return answer(event);
        case "iq.queued": {
          const call = calls.get(event.id);
          if (call) calls.set(event.id, { ...call, sent: false });
          return;
        }
        case "iq.refused":
          return take(event.id)?.reject(event.error);
        case "iq.online":
          bound = event.jid;
          for (const [id, call] of calls) {
            if (!call.sent) calls.set(id, { ...call, sent: true });
          }
          return;
        case "iq.offline":
          for (const [id, call] of calls) {
            if (call.sent) take(id)?.reject(event.error);
          }
          return;
        case "iq.rejectAll":
          for (const id of [...calls.keys()]) take(id)?.reject(event.error);
          return;
      }
    });

    return () => {
      const error = new ClientStoppedError(
        `Cannot get IQ answer: the connection of ${
          formatJid(input.jid)
        } was stopped`,
      );
      for (const id of [...calls.keys()]) take(id)?.reject(error);
    };
  },
);
