/**
 * JSON values, and JSON text laid out the way Python's `json.dump` writes it by default
 * (`", "` and `": "` separators, non-ASCII escaped as `\uXXXX`), so files we
 * write are byte-for-byte what slixmpp's file loader writes. No library does
 * this formatting; it is a few lines over `JSON.stringify`.
 *
 * @module
 */
/** A value a storage actor keeps: anything `JSON.stringify` round-trips. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

function escapeNonAscii(text: string): string {
  // Python's ensure_ascii escapes everything outside the printable ASCII range.
  return text.replace(
    /[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/**
 * Serialize a JSON value as Python's `json.dumps(value)` would.
 *
 * @param value The value to serialize.
 * @returns The JSON text.
 * @throws {TypeError} For a value JSON cannot hold (e.g. `undefined`).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { pythonJson } from "./json.ts";
 * strictEqual(pythonJson({ type: "text/plain", max_age: null }), '{"type": "text/plain", "max_age": null}');
 * strictEqual(pythonJson("é"), '"\\u00e9"');
 * ```
 */
export function pythonJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new TypeError("Cannot serialize value: not JSON");
    }
    return typeof value === "string" ? escapeNonAscii(text) : text;
  }
  if (Array.isArray(value)) return "[" + value.map(pythonJson).join(", ") + "]";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    parts.push(escapeNonAscii(JSON.stringify(k)) + ": " + pythonJson(v));
  }
  return "{" + parts.join(", ") + "}";
}
