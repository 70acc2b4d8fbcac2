/**
 * Redaction of credentials: the one step that everything shown outside the
 * process (inspection frames, recordings, logs of events and errors) goes
 * through. It removes
 *
 * - values under a secret-looking key (`password`, `token`, `secret`,
 *   `proof`, `clientKey`, `serverKey`, `storedKey`, `serverSignature`,
 *   `authorization`, `cookie`, `credentials`…), at any depth;
 * - the text of SASL elements (`<auth/>`, `<response/>`, `<challenge/>`,
 *   `<success/>` in `urn:ietf:params:xml:ns:xmpp-sasl`), as elements or as
 *   XML text;
 * - SASL payloads wherever they travel: PLAIN's `\0user\0password`, SCRAM's
 *   client-first, server-first, client-final (with its proof) and
 *   server-final (the server signature) messages, plain or base64;
 * - in URLs inside any text, the password of the user info
 *   (`wss://user:…@host`) and query parameters with a secret name
 *   (`?access_token=…`).
 *
 * Browser-safe, no dependencies.
 *
 * @module
 */
import { NS_SASL } from "./errors.ts";

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

// Key names, lower-cased with `_` and `-` removed.
const SECRET_KEY =
  /^(pass|passwd|passphrase|pwd)$|password|secret|token|apikey|authorization|cookie|credential|proof|salted|clientkey|serverkey|storedkey|signature|authmessage|privatekey|saslcache/;

const SASL_ELEMENTS = new Set(["auth", "response", "challenge", "success"]);

// SCRAM messages (RFC 5802 §7): gs2 header + client-first, server-first,
// client-final, server-final.
const SCRAM =
  /^(?:[ny]|p=[^,]*),[^,]*,n=|^r=[^,]+,s=|^c=[^,]*,r=|^v=[A-Za-z0-9+/]+=*$|(?:^|,)p=[A-Za-z0-9+/]+=*(?:,|$)/;

// PLAIN (RFC 4616), decoded from base64 (as Latin-1): [authzid] NUL authcid
// NUL passwd, no other control character.
// deno-lint-ignore no-control-regex -- NUL is what PLAIN is made of
const PLAIN = /^[^\0-\x1f]*\0[^\0-\x1f]+\0[^\0-\x1f]+$/;

// Padded base64, as SASL in XMPP carries it (RFC 6120 §6.4.2), of 4 bytes
// or more (the shortest PLAIN message).
const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Whether a property name is one whose value is a secret (`password`,
 * `accessToken`, `client_key`, `serverSignature`…): case, `_` and `-` are
 * ignored.
 *
 * @param key A property name.
 * @returns `true` when the value under it must not be shown.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isSecretKey } from "./redact.ts";
 *
 * strictEqual(isSecretKey("password"), true);
 * strictEqual(isSecretKey("Client-Key"), true);
 * strictEqual(isSecretKey("jid"), false);
 * ```
 */
export function isSecretKey(key: string): boolean {
  let secret = keyCache.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key.toLowerCase().replace(/[_-]/g, ""));
    if (keyCache.size >= 4096) keyCache.clear();
    keyCache.set(key, secret);
  }
  return secret;
}

// Keys repeat (event fields): remember the answer for each.
const keyCache = new Map<string, boolean>();

/**
 * Whether a text is a SASL payload (PLAIN or SCRAM), in clear or base64.
 *
 * @param text Any text.
 * @returns `true` for a PLAIN or SCRAM message or its base64.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isSaslPayload } from "./redact.ts";
 *
 * strictEqual(isSaslPayload("\0alice\0pw"), true);
 * strictEqual(isSaslPayload(btoa("\0alice\0pw")), true);
 * strictEqual(isSaslPayload("c=biws,r=abc,p=dGhlIHByb29m"), true);
 * strictEqual(isSaslPayload("hello"), false);
 * ```
 */
export function isSaslPayload(text: string): boolean {
  // No display text carries NUL: any string with one is taken for PLAIN.
  if (text.includes("\0") || SCRAM.test(text)) return true;
  if (text.length < 8 || text.length > 65_536 || !BASE64.test(text)) {
    return false;
  }
  // Checked on the bytes (Latin-1): SCRAM is ASCII, PLAIN's NULs are bytes.
  const decoded = atob(text);
  return PLAIN.test(decoded) || SCRAM.test(decoded);
}

/**
 * Redact a text: a SASL payload becomes `[redacted]`, SASL elements in XML
 * text lose their content, URLs lose user-info passwords and secret query
 * parameters; anything else is returned as it is.
 *
 * @param text Any text (a payload, serialized XML, an error message).
 * @returns The text without credentials.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { redactText } from "./redact.ts";
 *
 * strictEqual(
 *   redactText(
 *     "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHB3</auth>",
 *   ),
 *   "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>[redacted]</auth>",
 * );
 * strictEqual(redactText("AGFsaWNlAHB3"), "[redacted]");
 * strictEqual(
 *   redactText("Cannot connect to wss://h/ws?token=abc&lang=en"),
 *   "Cannot connect to wss://h/ws?token=[redacted]&lang=en",
 * );
 * strictEqual(redactText("online"), "online");
 * ```
 */
export function redactText(text: string): string {
  if (isSaslPayload(text)) return REDACTED;
  if (text.includes(NS_SASL)) text = redactXml(text);
  return text.includes("://") ? redactUrls(text) : text;
}

// In URLs: the password of the user info, and query parameters with a
// secret name (`?access_token=…`).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^/?#\s:@]*):[^/?#\s@]*@/gi;
const URL_PARAM = /([?&])([^=&#\s]+)=([^&#\s]*)/g;

function redactUrls(text: string): string {
  return text.replace(URL_USERINFO, `$1:${REDACTED}@`).replace(
    URL_PARAM,
    (all, sep: string, name: string) =>
      isSecretKey(decodeURIComponentSafe(name))
        ? `${sep}${name}=${REDACTED}`
        : all,
  );
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// The text of each SASL element in XML text (up to the next tag) becomes
// `[redacted]`. One pass, no backtracking.
function redactXml(text: string): string {
  let out = "";
  let from = 0;
  let at = text.indexOf("<");
  while (at !== -1) {
    const end = text.indexOf(">", at);
    if (end === -1) break;
    const tag = text.slice(at + 1, end);
    const name = /^[a-z]+/.exec(tag)?.[0] ?? "";
    const next = text.indexOf("<", end);
    if (
      SASL_ELEMENTS.has(name) && tag.includes(NS_SASL) && !tag.endsWith("/")
    ) {
      const stop = next === -1 ? text.length : next;
      if (text.slice(end + 1, stop).trim() !== "") {
        out += text.slice(from, end + 1) + REDACTED;
        from = stop;
      }
    }
    at = next;
  }
  return out + text.slice(from);
}

/** The parts of an XML element (ltx) that redaction reads. */
interface ElementLike {
  name: string;
  attrs: Record<string, unknown>;
  children: unknown[];
}

function isElement(v: object): v is ElementLike {
  const e = v as Partial<ElementLike>;
  return typeof e.name === "string" && typeof e.attrs === "object" &&
    e.attrs !== null && Array.isArray(e.children);
}

/**
 * Whether a value is a SASL element (`<auth/>`, `<response/>`,
 * `<challenge/>`, `<success/>` in the SASL namespace) whose text must go.
 *
 * @param v Any value.
 * @returns `true` for such an element (an ltx element or its plain copy).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { isSaslElement } from "./redact.ts";
 *
 * strictEqual(
 *   isSaslElement({
 *     name: "auth",
 *     attrs: { xmlns: "urn:ietf:params:xml:ns:xmpp-sasl" },
 *     children: ["AGFsaWNlAHB3"],
 *   }),
 *   true,
 * );
 * ```
 */
export function isSaslElement(v: unknown): boolean {
  return typeof v === "object" && v !== null && isElement(v) &&
    SASL_ELEMENTS.has(v.name) && v.attrs.xmlns === NS_SASL;
}

/**
 * A copy of a value with every credential removed (see the module doc):
 * secret keys, SASL elements and SASL payloads become `[redacted]`. Plain
 * objects, arrays, maps, sets and XML elements are copied; class instances
 * other than errors and elements are copied as plain objects of their own
 * enumerable properties; errors become `Name: message` (redacted); cycles
 * become `[cycle]`. The original is not changed.
 *
 * Use it before logging or showing events, contexts or stanzas of the
 * connection.
 *
 * @param value Anything.
 * @returns A redacted copy (JSON-serializable when the input's leaves are).
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { redact } from "./redact.ts";
 *
 * deepStrictEqual(
 *   redact({ type: "xstate.init", input: { jid: "alice@localhost", password: "pw" } }),
 *   { type: "xstate.init", input: { jid: "alice@localhost", password: "[redacted]" } },
 * );
 * ```
 */
export function redact(value: unknown): unknown {
  return copy(value, new WeakSet());
}

function copy(v: unknown, seen: WeakSet<object>): unknown {
  if (typeof v === "string") return redactText(v);
  if (typeof v !== "object" || v === null) return v;
  if (v instanceof Error) return redactText(`${v.name}: ${v.message}`);
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
  if (seen.has(v)) return "[cycle]";
  seen.add(v);
  let out: unknown;
  if (Array.isArray(v)) {
    out = v.map((x) => copy(x, seen));
  } else if (v instanceof Map) {
    // Keys too: a cache may be keyed by what it protects.
    out = new Map(
      [...v].map(([k, x]) => [
        copy(k, seen),
        typeof k === "string" && isSecretKey(k) ? REDACTED : copy(x, seen),
      ]),
    );
  } else if (v instanceof Set) {
    out = new Set([...v].map((x) => copy(x, seen)));
  } else if (isElement(v)) {
    out = {
      name: v.name,
      attrs: copy(v.attrs, seen),
      children: isSaslElement(v)
        ? (v.children.length > 0 ? [REDACTED] : [])
        : v.children.map((x) => copy(x, seen)),
    };
  } else {
    const r: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      r[k] = isSecretKey(k) ? REDACTED : copy(x, seen);
    }
    out = r;
  }
  seen.delete(v);
  return out;
}

/**
 * A `JSON.stringify` replacer that redacts as {@linkcode redact} does:
 * secret keys, SASL elements (as their plain copies) and SASL payloads.
 *
 * @param key The property name.
 * @param value Its value.
 * @returns The value to serialize.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { redactJson } from "./redact.ts";
 *
 * strictEqual(
 *   JSON.stringify({ user: "alice", token: "t0k" }, redactJson),
 *   '{"user":"alice","token":"[redacted]"}',
 * );
 * ```
 */
export function redactJson(key: string, value: unknown): unknown {
  if (key !== "" && isSecretKey(key)) return REDACTED;
  if (typeof value === "string") return redactText(value);
  if (typeof value === "object" && value !== null && isSaslElement(value)) {
    const e = value as ElementLike;
    return {
      name: e.name,
      attrs: e.attrs,
      children: e.children.length > 0 ? [REDACTED] : [],
    };
  }
  return value;
}
