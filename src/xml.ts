/**
 * Building XML elements: `xml(name, attrs, ...children)` from `@xmpp/xml`,
 * with the signature spelled out for our public API.
 *
 * @module
 */
import { type Element as XElement, xml as createXml } from "./deps.ts";

/** An XML element (ltx's `Element`, as `@xmpp/xml` builds and parses it). */
export type Element = XElement;

/** A child of {@linkcode xml}: an element, text, or nothing (skipped). */
export type XmlChild =
  | Element
  | string
  | number
  | boolean
  | null
  | undefined
  | XmlChild[];

/** Attributes of {@linkcode xml}; `null`/`undefined` values are left out. */
export type XmlAttributes = Record<
  string,
  string | number | boolean | null | undefined
>;

/**
 * Build an XML element.
 *
 * @param name The element name, e.g. `iq`.
 * @param attrs Its attributes (`xmlns` included).
 * @param children Child elements and text.
 * @returns The element.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "./xml.ts";
 * const ping = xml("iq", { type: "get", id: "1" }, xml("ping", { xmlns: "urn:xmpp:ping" }));
 * strictEqual(ping.toString(), '<iq type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq>');
 * ```
 */
export function xml(
  name: string,
  attrs?: XmlAttributes | null,
  ...children: XmlChild[]
): Element {
  return createXml(name, attrs ?? undefined, ...children);
}
