/**
 * Last activity (XEP-0012) and idle (XEP-0319) on the wire: the
 * namespaces, the `seconds` of a `jabber:iq:last` answer and the `since`
 * of an `<idle/>` (an XEP-0082 DateTime), read strictly.
 *
 * @module
 */

/** Namespace of last activity queries. */
export const NS_LAST = "jabber:iq:last";
/** Namespace of idle in presence. */
export const NS_IDLE = "urn:xmpp:idle:1";

/** A last activity answer: seconds since the entity's last activity. */
export interface LastActivity {
  /** Whole seconds. */
  seconds: number;
  /** Its status text (`""` for none). */
  status: string;
}

// XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD, TZD = Z or ±hh:mm.
const DATETIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Read an XEP-0082 DateTime (the `since` of an idle element).
 *
 * @param text The attribute value.
 * @returns The instant.
 * @throws {TypeError} Not an XEP-0082 DateTime.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { parseDateTime } from "./idle.ts";
 * strictEqual(parseDateTime("2026-12-07T17:00:00+01:00").toISOString(), "2026-12-07T16:00:00.000Z");
 * ```
 */
export function parseDateTime(text: unknown): Date {
  const date = typeof text === "string" && DATETIME.test(text)
    ? new Date(text)
    : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new TypeError(
      `Cannot read date: expected an XEP-0082 DateTime, got ${
        JSON.stringify(String(text).slice(0, 64))
      }`,
    );
  }
  return date;
}

/**
 * Write an instant as an XEP-0082 DateTime (UTC, whole seconds).
 * @param date The instant.
 * @returns E.g. `2026-12-07T16:00:00Z`.
 * @throws {TypeError} Not a valid date.
 */
export function formatDateTime(date: Date): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError("Cannot write date: not a valid Date");
  }
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

/**
 * Read the `seconds` of a last activity answer: a non-negative integer of
 * at most 15 digits (over 31 million years).
 *
 * @param text The attribute value.
 * @returns The seconds.
 * @throws {TypeError} Anything else.
 *
 * @example Usage
 * ```ts
 * import { strictEqual, throws } from "node:assert/strict";
 * import { parseSeconds } from "./idle.ts";
 * strictEqual(parseSeconds("903"), 903);
 * throws(() => parseSeconds("-1"), TypeError);
 * ```
 */
export function parseSeconds(text: unknown): number {
  if (typeof text !== "string" || !/^\d{1,15}$/.test(text)) {
    throw new TypeError(
      `Cannot read last activity: seconds must be a non-negative integer, got ${
        JSON.stringify(String(text).slice(0, 64))
      }`,
    );
  }
  return Number(text);
}
