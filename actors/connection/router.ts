/**
 * The stanza router: the one place where stanza handlers live (like xmpp.js's
 * `iq/callee` and middleware). A callback actor invoked once by the
 * connection machine, which forwards it every incoming stanza while online.
 *
 * ```
 * user ─router.add / router.remove─► router ◄─stanza─ connection
 *                                      ├ connection.send (replies)
 *                                      ├ router.deliver (to an actor handler)
 *                                      └ connection.handlerError
 *
 * A handler is a function (called here) or an actor: the router sends its
 * stanzas back to the connection machine as `router.deliver`, which sends
 * them on to the actor (so they have a source); the actor answers an IQ
 * get/set with `router.answer` to the connection machine, which checks and
 * writes it as the router does a function's answer ({@linkcode answerTo}).
 * ```
 *
 * For an IQ get/set the first matching handler answers: the element it
 * returns is the result payload (or the whole `<iq/>`), nothing is an empty
 * result, a thrown error with a `condition` becomes that stanza error and any
 * other throw `internal-server-error`. The peer gets the condition (and
 * type) only, never the error's text: a handler's message may hold paths or
 * other internals. Anything thrown but a `StanzaError` (the answers a
 * handler means to give, like `item-not-found`) is also reported, detail
 * and all, as a handler error (the client's `error` event). An IQ get/set
 * nobody claims is answered `service-unavailable`. Every matching message/presence handler is called.
 * A reply that fails the outgoing check (`checkStanza`, with the limits of
 * the input) is not sent: the request is answered `internal-server-error` and
 * the check's error is reported as a handler error.
 *
 * @module
 */
import type { AnyActorLogic } from "../../src/types.ts";
import { type Element, fromCallback } from "../../src/deps.ts";
import { isThenable } from "../../src/_util.ts";
import { errorReply, resultReply, type StanzaKind } from "../../src/stanza.ts";
import { checkStanza, type StanzaLimits } from "../../src/stanza_check.ts";
import { StanzaError } from "../../src/errors.ts";
import type {
  HandlerMatch,
  RouterEvent,
  RouterOutput,
  StanzaHandler,
} from "./protocol.ts";

type Add = Extract<RouterEvent, { type: "router.add" }>;
type Entry = Add extends infer A ? A extends Add ? Omit<A, "type"> : never
  : never;
type ActorEntry = Extract<Entry, { to: unknown }>;

function payloadOf(stanza: Element): Element | undefined {
  for (const c of stanza.children) {
    if (typeof c !== "string") return c as Element;
  }
  return undefined;
}

/**
 * Whether a handler registered for `kind` and `match` claims `stanza`.
 * For an IQ the payload is its first child; for a message or presence any
 * child may match.
 *
 * @param kind The handler's stanza kind.
 * @param match The handler's `type`, `name` and `xmlns`.
 * @param stanza The incoming stanza.
 * @returns `true` when every given field matches.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { xml } from "../../src/deps.ts";
 * import { handlerMatches } from "./router.ts";
 * const iq = xml("iq", { type: "get" }, xml("data", { xmlns: "urn:xmpp:bob" }));
 * ok(handlerMatches("iq", { type: "get", xmlns: "urn:xmpp:bob" }, iq));
 * ok(!handlerMatches("iq", { type: "set" }, iq));
 * ```
 */
export function handlerMatches(
  kind: StanzaKind,
  match: HandlerMatch,
  stanza: Element,
): boolean {
  if (kind !== stanza.name) return false;
  if (match.type !== undefined && stanza.attrs.type !== match.type) {
    return false;
  }
  if (match.name === undefined && match.xmlns === undefined) return true;
  const fits = (el: Element) =>
    (match.name === undefined || el.getName() === match.name) &&
    (match.xmlns === undefined || el.getNS() === match.xmlns);
  if (stanza.name === "iq") {
    const p = payloadOf(stanza);
    return p !== undefined && fits(p);
  }
  return stanza.children.some((c: Element | string) =>
    typeof c !== "string" && fits(c)
  );
}

const ERROR_TYPES: Record<string, string> = {
  "bad-request": "modify",
  "feature-not-implemented": "cancel",
  "forbidden": "auth",
  "item-not-found": "cancel",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "resource-constraint": "wait",
};

const ERROR_TYPE = /^(?:auth|cancel|continue|modify|wait)$/;

// The error answer to a request whose handler threw `e`: the condition and
// type only (no text: it is for us, not for the peer).
function errorFromThrown(stanza: Element, e: unknown): Element {
  const condition = (e as { condition?: unknown })?.condition;
  if (typeof condition === "string" && /^[a-z-]+$/.test(condition)) {
    const type = (e as { type?: unknown }).type;
    return errorReply(
      stanza,
      condition,
      typeof type === "string" && ERROR_TYPE.test(type)
        ? type
        : ERROR_TYPES[condition] ?? "cancel",
    );
  }
  return errorReply(stanza, "internal-server-error", "wait");
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** How a request was handled: a result payload, or an error. */
export interface Outcome {
  /** The result payload (or a whole `<iq/>`). */
  payload?: Element;
  /** Set when the request failed. */
  error?: unknown;
}

/**
 * The answer to an IQ request from how its handler did, checked against the
 * outgoing limits: a result (with the payload), the error's condition (a
 * `StanzaError` is an answer; anything else is `internal-server-error`,
 * with the detail kept for a local error report), or, when the answer
 * itself is malformed or over a limit, `internal-server-error`.
 *
 * @param request The request.
 * @param outcome What the handler gave.
 * @param limits The outgoing limits.
 * @returns The answer to write, and the errors to report locally.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "../../src/deps.ts";
 * import { answerTo } from "./router.ts";
 * const iq = xml("iq", { type: "get", id: "1", from: "a@b/c" }, xml("q", { xmlns: "x" }));
 * const { stanza } = answerTo(iq, { error: new Error("secret") }, { maxBytes: 1e4, maxDepth: 16 });
 * strictEqual(stanza.getChild("error")?.attrs.type, "wait");
 * ```
 */
export function answerTo(
  request: Element,
  outcome: Outcome,
  limits: StanzaLimits,
): { stanza: Element; errors: Error[] } {
  const errors: Error[] = [];
  let stanza: Element;
  if (outcome.error !== undefined) {
    // The peer gets the condition only; the detail stays here.
    if (!(outcome.error instanceof StanzaError)) {
      errors.push(asError(outcome.error));
    }
    stanza = errorFromThrown(request, outcome.error);
  } else {
    try {
      stanza = resultReply(request, outcome.payload);
    } catch (e) {
      errors.push(asError(e));
      stanza = errorReply(request, "internal-server-error", "wait");
    }
  }
  try {
    checkStanza(stanza, limits);
  } catch (e) {
    errors.push(asError(e));
    stanza = errorReply(request, "internal-server-error", "wait");
  }
  return { stanza, errors };
}

/** Input of the stanza router: the limits its replies are checked against. */
export type RouterInput = StanzaLimits;

const DEFAULT_LIMITS: StanzaLimits = { maxBytes: 256 * 1024, maxDepth: 128 };

/**
 * The stanza router actor logic (see the module doc for its messages).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createActor, type Element, xml } from "../../src/deps.ts";
 * import { stanzaRouter } from "./router.ts";
 * const router = createActor(stanzaRouter).start();
 * const seen: string[] = [];
 * router.send({ type: "router.add", id: "h1", kind: "message", match: {}, handler: (m: Element) => { seen.push(m.attrs.id); } });
 * router.send({ type: "stanza", kind: "message", stanza: xml("message", { id: "m1" }) });
 * strictEqual(seen.join(), "m1");
 * router.stop();
 * ```
 */
export const stanzaRouter: AnyActorLogic = fromCallback<
  RouterEvent,
  RouterInput | undefined
>(
  ({ input, receive, sendBack }) => {
    const limits = input ?? DEFAULT_LIMITS;
    let entries: readonly Entry[] = [];
    const back = (event: RouterOutput) => sendBack(event);
    const report = (e: unknown) =>
      back({ type: "connection.handlerError", error: asError(e) });
    const reply = (stanza: Element) => {
      try {
        checkStanza(stanza, limits);
      } catch (e) {
        return report(e);
      }
      back({ type: "connection.send", stanza });
    };
    const settle = (request: Element, outcome: Outcome) => {
      const { stanza, errors } = answerTo(request, outcome, limits);
      for (const e of errors) report(e);
      back({ type: "connection.send", stanza });
    };
    const failed = (request: Element, error: unknown) =>
      settle(request, { error });
    const succeeded = (request: Element, payload: Element | void) =>
      settle(request, { payload: payload ?? undefined });
    const deliver = (stanza: Element, entry: ActorEntry) =>
      back({
        type: "router.deliver",
        to: entry.to,
        event: entry.event,
        stanza,
      });

    const answer = (request: Element, entry: Entry | undefined) => {
      if (entry === undefined) {
        return reply(errorReply(request, "service-unavailable"));
      }
      // An actor's answer comes back as router.answer.
      if ("to" in entry) return deliver(request, entry);
      let result: ReturnType<StanzaHandler>;
      try {
        result = entry.handler(request);
      } catch (e) {
        return failed(request, e);
      }
      if (isThenable<Element | void>(result)) {
        result.then(
          (r) => succeeded(request, r),
          (e) => failed(request, e),
        );
      } else succeeded(request, result);
    };
    const notify = (stanza: Element, entry: Entry) => {
      if ("to" in entry) return deliver(stanza, entry);
      try {
        const r = entry.handler(stanza);
        if (isThenable(r)) Promise.resolve(r).catch(report);
      } catch (e) {
        report(e);
      }
    };

    receive((event) => {
      switch (event.type) {
        case "router.add": {
          const { type: _, ...entry } = event;
          entries = [...entries.filter((h) => h.id !== entry.id), entry];
          return;
        }
        case "router.remove":
          entries = entries.filter((h) => h.id !== event.id);
          return;
        case "stanza": {
          const { stanza } = event;
          const type = stanza.attrs.type;
          if (event.kind === "iq" && (type === "get" || type === "set")) {
            return answer(
              stanza,
              entries.find((h) => handlerMatches(h.kind, h.match, stanza)),
            );
          }
          for (const h of entries) {
            if (handlerMatches(h.kind, h.match, stanza)) notify(stanza, h);
          }
        }
      }
    });
  },
);
