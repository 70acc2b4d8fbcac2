/**
 * SASL authentication (RFC 6120 §6) as a child machine of the connection,
 * over the pure helpers of `src/sasl.ts`:
 *
 * ```
 * choosing ─┬─► exchanging ─sasl.challenge (server-first)─► proving ─┐
 *           │      ▲  │ ▲                                           │ proof sent
 *           │      │  │ └───────────────────────────────────────────┘
 *           │      │  ├─sasl.challenge (server-final)─┐
 *           │      │  └─sasl.success──────────────────┴─► verifying ─┬─► done
 *           │      └──────────── empty <response/> ──────────────────┤
 *           └──► failed ◄─sasl.failure · bad proof · bad signature ──┘
 * ```
 *
 * The parent forwards `sasl.challenge`, `sasl.success` and `sasl.failure`;
 * the child asks the parent to write with `sasl.write`. Its output says how it
 * ended, and carries the SCRAM salted-password cache (a new map when PBKDF2
 * ran), which the parent keeps so a reconnect skips PBKDF2.
 *
 * @module
 */
import type { AnyStateMachine } from "../../src/types.ts";
import {
  assertEvent,
  assign,
  type Element,
  enqueueActions,
  fromPromise,
  sendParent,
  setup,
  xml,
} from "../../src/deps.ts";
import {
  chooseMechanism,
  decodeBase64Text,
  encodeBase64Text,
  saslChallengeAsync,
  type SaslMechanism,
  type SaslSession,
  saslStart,
  saslSuccess,
} from "../../src/sasl.ts";
import { NS_SASL, SASLError } from "../../src/errors.ts";

/** SCRAM salted passwords by mechanism, salt, iterations and password. */
export type SaslCache = ReadonlyMap<string, Uint8Array>;

/** Input of the SASL machine. */
export interface SaslInput {
  /** Mechanisms the server offers. */
  offered: readonly string[];
  /** Mechanisms we allow, best first. */
  allowed: readonly SaslMechanism[];
  /** The stream is encrypted. */
  secure: boolean;
  /** PLAIN may go in clear. */
  allowPlainWithoutTls: boolean;
  /** The authentication identity (the JID's localpart). */
  username: string;
  /** The password. */
  password: string;
  /** Salted passwords from earlier sessions. */
  cache: SaslCache;
  /** The SCRAM client nonce; random when omitted (tests pass RFC examples). */
  nonce?: string;
}

/** How the exchange ended. */
export type SaslOutput =
  | { ok: true; mechanism: SaslMechanism; cache: SaslCache }
  | { ok: false; error: SASLError; cache: SaslCache };

/** Events the SASL machine handles (forwarded by the connection). */
export type SaslEvent =
  | { type: "sasl.challenge"; payload: string }
  | { type: "sasl.success"; payload: string }
  | { type: "sasl.failure"; error: SASLError };

interface SaslContext extends SaslInput {
  mechanism?: SaslMechanism;
  session?: SaslSession;
  /** `<success/>` arrived (as opposed to a final challenge). */
  succeeded: boolean;
  error?: SASLError;
}

function asSaslError(e: unknown): SASLError {
  return e instanceof SASLError
    ? e
    : new SASLError("malformed-request", String(e));
}

function usableMechanism(input: SaslInput): SaslMechanism | undefined {
  for (const m of input.allowed) {
    if (!input.offered.includes(m)) continue;
    const ok = chooseMechanism([m], input);
    if (ok) return ok;
  }
  return undefined;
}

/** Check a server-final message; a session already verified stays so. */
function verifyFinal(
  session: SaslSession,
  payload: string,
): { session: SaslSession } | { error: SASLError } {
  if (session.step === "done") return { session };
  try {
    return { session: saslSuccess(session, decodeBase64Text(payload)) };
  } catch (e) {
    return { error: asSaslError(e) };
  }
}

function saslElement(name: string, text?: string): Element {
  return xml(name, { xmlns: NS_SASL }, ...(text === undefined ? [] : [text]));
}

/**
 * SCRAM's costly step, off the machine: PBKDF2 (WebCrypto when available)
 * and the client proof. Works on a copy of the cache and returns it.
 */
const scramProof = fromPromise<
  { session: SaslSession; message: string; cache: SaslCache },
  { session: SaslSession; payload: string; input: SaslInput }
>(async ({ input: { session, payload, input } }) => {
  const cache = new Map(input.cache);
  const next = await saslChallengeAsync(session, decodeBase64Text(payload), {
    username: input.username,
    password: input.password,
    cache,
  });
  return { ...next, cache };
});

/**
 * The SASL machine (see the module doc for its chart).
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createActor } from "../../src/deps.ts";
 * import { saslMachine } from "./sasl.ts";
 * const actor = createActor(saslMachine, {
 *   input: {
 *     offered: ["PLAIN"], allowed: ["PLAIN"], secure: false,
 *     allowPlainWithoutTls: false, username: "alice", password: "pw",
 *     cache: new Map(),
 *   },
 * }).start();
 * const output = actor.getSnapshot().output!;
 * deepStrictEqual([output.ok, !output.ok && output.error.condition], [false, "invalid-mechanism"]);
 * ```
 */
export const saslMachine: AnyStateMachine = setup({
  types: {
    context: {} as SaslContext,
    events: {} as SaslEvent,
    input: {} as SaslInput,
    output: {} as SaslOutput,
  },
  actors: { scramProof },
  guards: {
    hasMechanism: ({ context }) => context.mechanism !== undefined,
    isServerFirst: ({ context }) => context.session?.step === "start",
    rejected: ({ context }) => context.error !== undefined,
    succeeded: ({ context }) => context.succeeded,
  },
  actions: {
    sendAuth: enqueueActions(({ context, enqueue }) => {
      const mechanism = context.mechanism!;
      const { session, message } = saslStart(mechanism, {
        username: context.username,
        password: context.password,
      }, context.nonce);
      enqueue.assign({ session });
      enqueue.sendParent({
        type: "sasl.write",
        element: xml(
          "auth",
          { xmlns: NS_SASL, mechanism },
          encodeBase64Text(message),
        ),
      });
    }),
    sendProof: enqueueActions(
      ({ enqueue }, params: {
        session: SaslSession;
        message: string;
        cache: SaslCache;
      }) => {
        enqueue.assign({ session: params.session, cache: params.cache });
        enqueue.sendParent({
          type: "sasl.write",
          element: saslElement("response", encodeBase64Text(params.message)),
        });
      },
    ),
    sendEmptyResponse: sendParent({
      type: "sasl.write",
      element: saslElement("response"),
    }),
    verify: assign(
      ({ context }, params: { payload: string; success: boolean }) => {
        const verdict = verifyFinal(context.session!, params.payload);
        return { ...verdict, succeeded: params.success };
      },
    ),
    recordNoMechanism: assign({
      error: ({ context }) =>
        new SASLError(
          "invalid-mechanism",
          `Cannot authenticate: no usable mechanism among [${
            context.offered.join(", ")
          }]${context.secure ? "" : " on an unencrypted stream"}`,
        ),
    }),
    recordFailure: assign({
      error: ({ event }) => {
        assertEvent(event, "sasl.failure");
        return event.error;
      },
    }),
    recordProofError: assign({
      error: (_, params: { error: unknown }) => asSaslError(params.error),
    }),
  },
}).createMachine({
  id: "sasl",
  context: ({ input }) => ({
    ...input,
    mechanism: usableMechanism(input),
    succeeded: false,
  }),
  initial: "choosing",
  states: {
    choosing: {
      always: [
        { guard: "hasMechanism", target: "exchanging", actions: "sendAuth" },
        { target: "failed", actions: "recordNoMechanism" },
      ],
    },
    exchanging: {
      on: {
        "sasl.challenge": [
          { guard: "isServerFirst", target: "proving" },
          {
            target: "verifying",
            actions: {
              type: "verify",
              params: ({ event }) => ({
                payload: event.payload,
                success: false,
              }),
            },
          },
        ],
        "sasl.success": {
          target: "verifying",
          actions: {
            type: "verify",
            params: ({ event }) => ({ payload: event.payload, success: true }),
          },
        },
        "sasl.failure": { target: "failed", actions: "recordFailure" },
      },
    },
    proving: {
      invoke: {
        src: "scramProof",
        input: ({ context, event }) => {
          assertEvent(event, "sasl.challenge");
          return {
            session: context.session!,
            payload: event.payload,
            input: context,
          };
        },
        onDone: {
          target: "exchanging",
          actions: { type: "sendProof", params: ({ event }) => event.output },
        },
        onError: {
          target: "failed",
          actions: {
            type: "recordProofError",
            params: ({ event }) => ({ error: event.error }),
          },
        },
      },
      on: {
        "sasl.failure": { target: "failed", actions: "recordFailure" },
      },
    },
    verifying: {
      always: [
        { guard: "rejected", target: "failed" },
        { guard: "succeeded", target: "done" },
        { target: "exchanging", actions: "sendEmptyResponse" },
      ],
    },
    done: { type: "final" },
    failed: { type: "final" },
  },
  output: ({ context }): SaslOutput =>
    context.error === undefined
      ? { ok: true, mechanism: context.mechanism!, cache: context.cache }
      : { ok: false, error: context.error, cache: context.cache },
});
