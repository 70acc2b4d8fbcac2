/**
 * A deep copy of an XML element. (`@xmpp/xml` builds ltx elements but
 * exports no clone, and its `Element` has no `clone()` method; this is the
 * few lines it would take.)
 *
 * @module
 */
import type { Element } from "./deps.ts";
import { xml } from "./xml.ts";

/**
 * A deep copy of `el`: a new element with copied attributes and children.
 *
 * @param el The element.
 * @returns Its copy (changing one leaves the other alone).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "./xml.ts";
 * import { cloneElement } from "./xml_clone.ts";
 * const a = xml("presence", {}, xml("show", {}, "away"));
 * const b = cloneElement(a);
 * b.append(xml("status"));
 * strictEqual(a.children.length, 1);
 * ```
 */
export function cloneElement(el: Element): Element {
  const out = xml(el.name, { ...el.attrs });
  for (const child of el.children as (Element | string)[]) {
    out.append(typeof child === "string" ? child : cloneElement(child));
  }
  return out;
}
