/**
 * Jabber IDs (RFC 7622): parse, format, compare.
 *
 * Normalization is deliberately small: the localpart and the domainpart are
 * lowercased (and a trailing dot on the domain dropped), the resourcepart is
 * kept as is. Full PRECIS profiles are not applied.
 *
 * @module
 */

/** A parsed JID. `local` and `resource` are absent when the JID has none. */
export interface Jid {
  /** The localpart (before `@`), normalized to lower case. */
  readonly local?: string;
  /** The domainpart, normalized to lower case. */
  readonly domain: string;
  /** The resourcepart (after `/`), kept as written. */
  readonly resource?: string;
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
 * import { parseJid } from "./jid.ts";
 * const jid = parseJid("Alice@LocalHost/Laptop");
 * console.assert(jid.local === "alice" && jid.domain === "localhost" && jid.resource === "Laptop");
 * ```
 */
export function parseJid(text: string): Jid {
  if (typeof text !== "string" || text.length === 0) {
    throw new TypeError("Cannot parse JID: empty string");
  }
  const slash = text.indexOf("/");
  const bare = slash === -1 ? text : text.slice(0, slash);
  const resource = slash === -1 ? undefined : text.slice(slash + 1);
  const at = bare.indexOf("@");
  const local = at === -1 ? undefined : bare.slice(0, at);
  let domain = (at === -1 ? bare : bare.slice(at + 1)).toLowerCase();
  if (domain.endsWith(".")) domain = domain.slice(0, -1);
  if (domain.length === 0) {
    throw new TypeError(`Cannot parse JID: empty domainpart in "${text}"`);
  }
  if (/[@/\s]/.test(domain) || domain.length > MAX_PART) {
    throw new TypeError(`Cannot parse JID: invalid domainpart in "${text}"`);
  }
  if (local !== undefined) {
    if (
      local.length === 0 || local.length > MAX_PART ||
      FORBIDDEN_LOCAL.test(local)
    ) {
      throw new TypeError(`Cannot parse JID: invalid localpart in "${text}"`);
    }
  }
  if (resource !== undefined) {
    if (resource.length === 0 || resource.length > MAX_PART) {
      throw new TypeError(
        `Cannot parse JID: invalid resourcepart in "${text}"`,
      );
    }
  }
  return {
    ...(local !== undefined ? { local: local.toLowerCase() } : {}),
    domain,
    ...(resource !== undefined ? { resource } : {}),
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
 * import { formatJid } from "./jid.ts";
 * console.assert(formatJid({ local: "bob", domain: "localhost" }) === "bob@localhost");
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
 * import { bareJid } from "./jid.ts";
 * console.assert(bareJid("Alice@localhost/x") === "alice@localhost");
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
 * import { normalizeJid } from "./jid.ts";
 * console.assert(normalizeJid("BOB@LOCALHOST/r") === "bob@localhost/r");
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
 * import { jidEquals } from "./jid.ts";
 * console.assert(jidEquals("alice@LOCALHOST/r", "Alice@localhost/r"));
 * console.assert(!jidEquals("alice@localhost/r", "alice@localhost/R"));
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
