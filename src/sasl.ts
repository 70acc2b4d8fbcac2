/**
 * SASL client mechanisms: SCRAM-SHA-256, SCRAM-SHA-1 (RFC 5802, RFC 7677)
 * and PLAIN (RFC 4616), as pure functions over plain state objects. No I/O,
 * no Deno APIs: the connection machine feeds in what the server sent and
 * sends out what these return.
 *
 * Messages are the decoded SASL payloads (text); {@linkcode encodeBase64Text}
 * and {@linkcode decodeBase64Text} convert to and from the base64 carried in
 * `<auth/>`, `<challenge/>`, `<response/>` and `<success/>`.
 *
 * Usernames and passwords go through SASLprep (RFC 4013, as RFC 4616 and
 * RFC 5802 ask; see {@linkcode saslPrep}) and are used as UTF-8; usernames
 * are then escaped as RFC 5802 requires (`=` and `,`).
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { hmac, pbkdf2, sha1, sha256 } from "./deps.ts";
import { prepare } from "./saslprep.ts";
import { SASLError } from "./errors.ts";

/** A mechanism this module implements, best first. */
export type SaslMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-1" | "PLAIN";

/** Mechanisms in order of preference. */
const SASL_MECHANISMS: readonly SaslMechanism[] = [
  "SCRAM-SHA-256",
  "SCRAM-SHA-1",
  "PLAIN",
];

/** Credentials for a SASL exchange. */
export interface SaslCredentials {
  /** The authentication identity (the JID's localpart). */
  username: string;
  /** The password. */
  password: string;
  /**
   * A cache of SCRAM salted passwords, keyed by mechanism, salt, iterations
   * and password, so a reconnect skips the PBKDF2 work.
   */
  cache?: Map<string, Uint8Array>;
}

/** State of a SASL exchange in progress. */
export interface SaslSession {
  /** The mechanism in use. */
  readonly mechanism: SaslMechanism;
  /** The step reached: `start`, `challenged` (SCRAM final sent) or `done`. */
  readonly step: "start" | "challenged" | "done";
  /** SCRAM: client nonce. */
  readonly clientNonce?: string;
  /** SCRAM: the client-first-message-bare. */
  readonly clientFirstBare?: string;
  /** SCRAM: the server signature expected in server-final, base64. */
  readonly expectedServerSignature?: string;
}

/** Options of {@linkcode chooseMechanism}. */
export interface ChooseOptions {
  /** Whether the stream is encrypted (TLS). */
  secure: boolean;
  /**
   * Allow PLAIN over an unencrypted stream.
   * @default {false}
   */
  allowPlainWithoutTls?: boolean;
}

/**
 * Pick the best mechanism we support among those the server offers. PLAIN is
 * only chosen over TLS unless `allowPlainWithoutTls` is set.
 *
 * @param offered Mechanism names from `<mechanisms/>`.
 * @param options Whether the stream is secure and whether PLAIN may go in clear.
 * @returns The mechanism, or `undefined` when none is usable.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { chooseMechanism } from "./sasl.ts";
 * strictEqual(chooseMechanism(["PLAIN", "SCRAM-SHA-1"], { secure: false }), "SCRAM-SHA-1");
 * strictEqual(chooseMechanism(["PLAIN"], { secure: false }), undefined);
 * ```
 */
export function chooseMechanism(
  offered: readonly string[],
  options: ChooseOptions,
): SaslMechanism | undefined {
  for (const mech of SASL_MECHANISMS) {
    if (!offered.includes(mech)) continue;
    if (mech === "PLAIN" && !options.secure && !options.allowPlainWithoutTls) {
      continue;
    }
    return mech;
  }
  return undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encode text as UTF-8 then base64 (empty string as `=`, per RFC 6120 §6.4.2).
 *
 * @param text The text.
 * @returns The base64 string.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { encodeBase64Text } from "./sasl.ts";
 * strictEqual(encodeBase64Text("n,,"), "biws");
 * ```
 */
export function encodeBase64Text(text: string): string {
  if (text === "") return "=";
  return encodeBase64(encoder.encode(text));
}

/**
 * Decode base64 then UTF-8 (a lone `=` is the empty string).
 *
 * @param b64 The base64 string.
 * @returns The text.
 * @throws {SASLError} `incorrect-encoding` when it is not base64 of UTF-8.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { decodeBase64Text } from "./sasl.ts";
 * strictEqual(decodeBase64Text("biws"), "n,,");
 * ```
 */
export function decodeBase64Text(b64: string): string {
  const trimmed = b64.trim();
  if (trimmed === "" || trimmed === "=") return "";
  try {
    return decoder.decode(decodeBase64(trimmed));
  } catch (cause) {
    throw new SASLError(
      "incorrect-encoding",
      "Cannot decode SASL payload: not base64 of UTF-8",
      undefined,
      { cause },
    );
  }
}

/** A client nonce: 24 random bytes, base64 (printable, no comma). */
function makeNonce(): string {
  return encodeBase64(crypto.getRandomValues(new Uint8Array(24)));
}

/**
 * SASLprep (RFC 4013) of a username or password, as a "query" (unassigned
 * code points allowed): non-ASCII spaces become spaces, soft hyphens and
 * other "mapped to nothing" characters go, the result is NFKC-normalized.
 * In Deno the full tables apply (`@mongodb-js/saslprep`); the browser entry
 * uses a built-in subset (see `src/saslprep.ts`).
 *
 * @param text The username or password as typed.
 * @returns The prepared string.
 * @throws {SASLError} (`malformed-request`) on a prohibited character
 *   (e.g. a control character) or a bidirectional-text violation.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { saslPrep } from "./sasl.ts";
 * strictEqual(saslPrep("I\u00ADX"), "IX"); // soft hyphen mapped to nothing
 * strictEqual(saslPrep("\u2168"), "IX"); // ROMAN NUMERAL NINE, NFKC
 * strictEqual(saslPrep("a\u00A0b"), "a b"); // non-ASCII space
 * ```
 */
export function saslPrep(text: string): string {
  // ASCII without controls is unchanged by SASLprep: skip the tables.
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  try {
    return prepare(text);
  } catch (cause) {
    throw new SASLError(
      "malformed-request",
      `Cannot prepare credentials: ${(cause as Error).message}`,
      undefined,
      { cause },
    );
  }
}

function escapeSaslName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

/**
 * Start an exchange: returns the session and the initial response (text) to
 * put, base64-encoded, in `<auth mechanism="…"/>`.
 *
 * @param mechanism The chosen mechanism.
 * @param credentials Username and password.
 * @param nonce The SCRAM client nonce; random when omitted (tests pass RFC examples).
 * @returns The session and the initial message.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { saslStart } from "./sasl.ts";
 * const { message } = saslStart("PLAIN", { username: "alice", password: "pw" });
 * strictEqual(message, "\0alice\0pw");
 * ```
 */
export function saslStart(
  mechanism: SaslMechanism,
  credentials: SaslCredentials,
  nonce?: string,
): { session: SaslSession; message: string } {
  if (mechanism === "PLAIN") {
    return {
      session: { mechanism, step: "challenged" },
      message: `\0${saslPrep(credentials.username)}\0${
        saslPrep(credentials.password)
      }`,
    };
  }
  const clientNonce = nonce ?? makeNonce();
  const clientFirstBare = `n=${
    escapeSaslName(saslPrep(credentials.username))
  },r=${clientNonce}`;
  return {
    session: { mechanism, step: "start", clientNonce, clientFirstBare },
    message: `n,,${clientFirstBare}`,
  };
}

function parseAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq !== 1) continue;
    out.set(part[0], part.slice(2));
  }
  return out;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

interface ScramParams {
  nonce: string;
  salt: Uint8Array;
  saltB64: string;
  iterations: number;
}

function parseServerFirst(
  session: SaslSession,
  challenge: string,
): ScramParams {
  if (session.mechanism === "PLAIN" || session.step !== "start") {
    throw new SASLError(
      "malformed-request",
      `Cannot answer challenge: ${session.mechanism} expects none now`,
    );
  }
  if (challenge.startsWith("m=")) {
    throw new SASLError(
      "malformed-request",
      "Cannot answer challenge: unsupported SCRAM extension",
    );
  }
  const attrs = parseAttributes(challenge);
  const nonce = attrs.get("r");
  const saltB64 = attrs.get("s");
  const iterText = attrs.get("i");
  if (!nonce || !saltB64 || !iterText) {
    throw new SASLError(
      "malformed-request",
      "Cannot answer challenge: server-first-message lacks r, s or i",
    );
  }
  if (
    !nonce.startsWith(session.clientNonce!) ||
    nonce.length === session.clientNonce!.length
  ) {
    throw new SASLError(
      "malformed-request",
      "Cannot answer challenge: server nonce does not extend the client nonce",
    );
  }
  const iterations = Number(iterText);
  if (
    !Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000
  ) {
    throw new SASLError(
      "malformed-request",
      `Cannot answer challenge: bad iteration count ${iterText}`,
    );
  }
  let salt: Uint8Array;
  try {
    salt = decodeBase64(saltB64);
  } catch (cause) {
    throw new SASLError(
      "incorrect-encoding",
      "Cannot answer challenge: salt is not base64",
      undefined,
      { cause },
    );
  }
  return { nonce, salt, saltB64, iterations };
}

function cacheKey(
  session: SaslSession,
  p: ScramParams,
  password: string,
): string {
  return `${session.mechanism}\0${p.saltB64}\0${p.iterations}\0${password}`;
}

function finishChallenge(
  session: SaslSession,
  challenge: string,
  p: ScramParams,
  salted: Uint8Array,
): { session: SaslSession; message: string } {
  const hash = session.mechanism === "SCRAM-SHA-256" ? sha256 : sha1;
  const clientKey = hmac(hash, salted, encoder.encode("Client Key"));
  const storedKey = hash(clientKey);
  const clientFinalNoProof = `c=biws,r=${p.nonce}`;
  const authMessage =
    `${session.clientFirstBare},${challenge},${clientFinalNoProof}`;
  const authBytes = encoder.encode(authMessage);
  const clientSignature = hmac(hash, storedKey, authBytes);
  const proof = encodeBase64(xor(clientKey, clientSignature));
  const serverKey = hmac(hash, salted, encoder.encode("Server Key"));
  const serverSignature = encodeBase64(hmac(hash, serverKey, authBytes));
  return {
    session: {
      ...session,
      step: "challenged",
      expectedServerSignature: serverSignature,
    },
    message: `${clientFinalNoProof},p=${proof}`,
  };
}

/**
 * Answer a server challenge. For SCRAM this is the server-first-message; the
 * result is the client-final-message (with proof). PBKDF2 runs synchronously
 * here (`@noble/hashes`); {@linkcode saslChallengeAsync} uses WebCrypto.
 *
 * @param session The session from {@linkcode saslStart}.
 * @param challenge The decoded challenge.
 * @param credentials The same credentials.
 * @returns The next session and the response.
 * @throws {SASLError} When the challenge is malformed, the server nonce does
 *   not extend ours, or the mechanism expects no challenge now.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { saslChallenge, saslStart } from "./sasl.ts";
 * const creds = { username: "user", password: "pencil" };
 * const start = saslStart("SCRAM-SHA-1", creds, "fyko+d2lbbFgONRv9qkxdawL");
 * const { message } = saslChallenge(start.session,
 *   "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", creds);
 * ok(message.endsWith("p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="));
 * ```
 */
export function saslChallenge(
  session: SaslSession,
  challenge: string,
  credentials: SaslCredentials,
): { session: SaslSession; message: string } {
  const p = parseServerFirst(session, challenge);
  const hash = session.mechanism === "SCRAM-SHA-256" ? sha256 : sha1;
  const password = saslPrep(credentials.password);
  const key = cacheKey(session, p, password);
  let salted = credentials.cache?.get(key);
  if (!salted) {
    salted = pbkdf2(hash, encoder.encode(password), p.salt, {
      c: p.iterations,
      dkLen: hash.outputLen,
    });
    credentials.cache?.set(key, salted);
  }
  return finishChallenge(session, challenge, p, salted);
}

/**
 * {@linkcode saslChallenge}, with PBKDF2 done by WebCrypto
 * (`crypto.subtle`, native and several times faster) when available, else
 * by `@noble/hashes`. Same results, same errors (as rejections).
 *
 * @param session The session from {@linkcode saslStart}.
 * @param challenge The decoded challenge.
 * @param credentials The same credentials.
 * @returns The next session and the response.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { saslChallengeAsync, saslStart } from "./sasl.ts";
 * const creds = { username: "user", password: "pencil" };
 * const start = saslStart("SCRAM-SHA-1", creds, "fyko+d2lbbFgONRv9qkxdawL");
 * const { message } = await saslChallengeAsync(start.session,
 *   "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", creds);
 * ok(message.endsWith("p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="));
 * ```
 */
export async function saslChallengeAsync(
  session: SaslSession,
  challenge: string,
  credentials: SaslCredentials,
): Promise<{ session: SaslSession; message: string }> {
  const p = parseServerFirst(session, challenge);
  const password = saslPrep(credentials.password);
  const key = cacheKey(session, p, password);
  let salted = credentials.cache?.get(key);
  if (!salted && globalThis.crypto?.subtle) {
    try {
      const sha = session.mechanism === "SCRAM-SHA-256" ? "SHA-256" : "SHA-1";
      const base = await crypto.subtle.importKey(
        "raw",
        encoder.encode(password),
        "PBKDF2",
        false,
        ["deriveBits"],
      );
      salted = new Uint8Array(
        await crypto.subtle.deriveBits(
          {
            name: "PBKDF2",
            hash: sha,
            salt: p.salt as Uint8Array<ArrayBuffer>,
            iterations: p.iterations,
          },
          base,
          sha === "SHA-1" ? 160 : 256,
        ),
      );
      credentials.cache?.set(key, salted);
    } catch {
      salted = undefined; // fall back to the synchronous path
    }
  }
  if (!salted) return saslChallenge(session, challenge, credentials);
  return finishChallenge(session, challenge, p, salted);
}

/**
 * Check the server's final message (the `<success/>` payload, or a final
 * challenge). For SCRAM the server signature must match: a server that
 * does not know the password cannot produce it.
 *
 * @param session The session after {@linkcode saslChallenge}.
 * @param message The decoded additional data ("" when none).
 * @returns The finished session.
 * @throws {SASLError} When the signature is missing or wrong, or the server
 *   reports an error (`e=`).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { saslChallenge, saslStart, saslSuccess } from "./sasl.ts";
 * const creds = { username: "user", password: "pencil" };
 * let s = saslStart("SCRAM-SHA-1", creds, "fyko+d2lbbFgONRv9qkxdawL").session;
 * s = saslChallenge(s, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096", creds).session;
 * strictEqual(saslSuccess(s, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").step, "done");
 * ```
 */
export function saslSuccess(
  session: SaslSession,
  message: string,
): SaslSession {
  if (session.mechanism === "PLAIN") return { ...session, step: "done" };
  if (session.step !== "challenged") {
    throw new SASLError(
      "malformed-request",
      "Cannot accept success: the SCRAM exchange is not finished",
    );
  }
  const attrs = parseAttributes(message);
  const error = attrs.get("e");
  if (error !== undefined) {
    throw new SASLError("not-authorized", `Server reported: ${error}`);
  }
  const v = attrs.get("v");
  if (v === undefined || v !== session.expectedServerSignature) {
    throw new SASLError(
      "server-signature-mismatch",
      "Cannot trust server: SCRAM server signature does not verify",
    );
  }
  return { ...session, step: "done" };
}
