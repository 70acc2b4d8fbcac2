/**
 * Jabber IDs (RFC 7622): parse, format, compare.
 *
 * Splitting and case folding are `@xmpp/jid`'s (the localpart and the
 * domainpart are lowercased, the resourcepart is kept as is; full PRECIS
 * profiles are not applied). That parser is lenient where an address we dial
 * or compare must not be: it accepts empty parts (`@localhost`,
 * `alice@localhost/`), silently escapes forbidden localpart characters
 * (XEP-0106: `a b@x` becomes `a\20b@x`, another address), keeps a trailing dot
 * on the domain and has no length limit. So {@linkcode parseJid} checks those
 * rules on top, and returns a plain {@linkcode Jid} record.
 *
 * @module
 */
import { parseXmppJid } from "./deps.ts";

/** A parsed JID. `local` and `resource` are absent when the JID has none. */
export interface Jid {
  /** The localpart (before `@`), normalized to lower case. */
  readonly local?: string;
  /** The domainpart, normalized to lower case. */
  readonly domain: string;
  /** The resourcepart (after `/`), kept as written. */
  readonly resource?: string;
}

/** The part of `@xmpp/jid`'s `JID` this module reads. */
interface XmppJid {
  local: string;
  domain: string;
  resource: string;
}

const MAX_PART = 1023;
const FORBIDDEN_LOCAL = /["&'/:<>@\s]/;

/**
 * Parse a JID string into its parts.
 *
 * @param text A JID such as `alice@localhost/laptop`.
 * @returns The parsed, normalized JID.
 * @throws {TypeError} When the JID is empty or a part is invalid.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseJid } from "./jid.ts";
 * deepStrictEqual(parseJid("Alice@LocalHost/Laptop"), {
 *   local: "alice", domain: "localhost", resource: "Laptop",
 * });
 * ```
 */
export function parseJid(text: string): Jid {
  if (typeof text !== "string" || text.length === 0) {
    throw new TypeError("Cannot parse JID: empty string");
  }
  // Where @xmpp/jid splits: the first "/", then the first "@" before it.
  const slash = text.indexOf("/");
  const at = text.indexOf("@");
  const hasLocal = at !== -1 && (slash === -1 || at < slash);
  let j: XmppJid;
  try {
    j = parseXmppJid(text);
  } catch (cause) {
    throw new TypeError(`Cannot parse JID: empty domainpart in "${text}"`, {
      cause,
    });
  }
  const domain = j.domain.endsWith(".") ? j.domain.slice(0, -1) : j.domain;
  if (
    domain.length === 0 || domain.length > MAX_PART || /[@/\s]/.test(domain)
  ) {
    throw new TypeError(`Cannot parse JID: invalid domainpart in "${text}"`);
  }
  if (hasLocal) {
    const raw = text.slice(0, at);
    if (
      raw.length === 0 || raw.length > MAX_PART || FORBIDDEN_LOCAL.test(raw)
    ) {
      throw new TypeError(`Cannot parse JID: invalid localpart in "${text}"`);
    }
  }
  if (
    slash !== -1 && (j.resource.length === 0 || j.resource.length > MAX_PART)
  ) {
    throw new TypeError(`Cannot parse JID: invalid resourcepart in "${text}"`);
  }
  return {
    ...(hasLocal ? { local: j.local } : {}),
    domain,
    ...(slash !== -1 ? { resource: j.resource } : {}),
  };
}

/**
 * Format a JID as a string.
 *
 * @param jid The parts.
 * @returns `local@domain/resource`, leaving out absent parts.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { formatJid } from "./jid.ts";
 * strictEqual(formatJid({ local: "bob", domain: "localhost" }), "bob@localhost");
 * ```
 */
export function formatJid(jid: Jid): string {
  let s = jid.domain;
  if (jid.local !== undefined) s = `${jid.local}@${s}`;
  if (jid.resource !== undefined) s = `${s}/${jid.resource}`;
  return s;
}

/**
 * The bare JID (without resource) of a JID.
 *
 * @param jid A JID string or parsed JID.
 * @returns The normalized bare JID string.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { bareJid } from "./jid.ts";
 * strictEqual(bareJid("Alice@localhost/x"), "alice@localhost");
 * ```
 */
export function bareJid(jid: string | Jid): string {
  const j = typeof jid === "string" ? parseJid(jid) : jid;
  return formatJid({ local: j.local, domain: j.domain });
}

/**
 * Normalize a JID string (parse, then format).
 *
 * @param text A JID string.
 * @returns The normalized JID string.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { normalizeJid } from "./jid.ts";
 * strictEqual(normalizeJid("BOB@LOCALHOST/r"), "bob@localhost/r");
 * ```
 */
export function normalizeJid(text: string): string {
  return formatJid(parseJid(text));
}

/**
 * Whether two JIDs are equal after normalization. An unparsable JID equals
 * nothing, not even itself.
 *
 * @param a A JID (string, parsed, or undefined).
 * @param b Another JID.
 * @returns `true` when both denote the same address.
 *
 * @example Usage
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { jidEquals } from "./jid.ts";
 * ok(jidEquals("alice@LOCALHOST/r", "Alice@localhost/r"));
 * ok(!jidEquals("alice@localhost/r", "alice@localhost/R"));
 * ```
 */
export function jidEquals(
  a: string | Jid | undefined,
  b: string | Jid | undefined,
): boolean {
  if (a === undefined || b === undefined) return false;
  try {
    const x = typeof a === "string" ? parseJid(a) : a;
    const y = typeof b === "string" ? parseJid(b) : b;
    return x.local === y.local && x.domain === y.domain &&
      x.resource === y.resource;
  } catch {
    return false;
  }
}
