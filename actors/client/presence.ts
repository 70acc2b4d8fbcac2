/**
 * Plugin children in outgoing presence (`PluginDefinition.presence`): what
 * XEP-0115 caps (and avatar hashes, idle) put into every available
 * presence the client sends.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { cloneElement } from "../../src/xml_clone.ts";
import type { Plugin, PluginContext } from "../plugin/define.ts";

/**
 * Whether a stanza is an available presence (a `<presence/>` with no
 * `type`): the one that gets plugin children.
 * @param stanza The outgoing stanza.
 * @returns `true` for an available presence.
 */
export function isAvailablePresence(stanza: Element): boolean {
  return stanza?.name === "presence" && stanza.attrs?.type === undefined &&
    typeof stanza.getChildElements === "function";
}

/**
 * An available presence with each plugin's `presence` children added after
 * the user's own, in load order; a child the presence already has (same
 * name and namespace) is not added again. The stanza given is not changed
 * (a copy is made when something is added).
 * @param stanza The presence.
 * @param plugins The loaded plugins with their contexts, in load order.
 * @returns The presence to send.
 */
export function withPluginChildren(
  stanza: Element,
  plugins: Iterable<{ plugin: Plugin; context: PluginContext }>,
): Element {
  let out: Element | undefined;
  for (const { plugin, context } of plugins) {
    if (plugin.presence === undefined) continue;
    let children: Element[];
    try {
      children = plugin.presence(context);
    } catch {
      // A failing plugin must not stop the user's presence.
      continue;
    }
    for (const child of children) {
      const xmlns = child.attrs.xmlns;
      const has = (out ?? stanza).getChildElements().some((c: Element) =>
        c.name === child.name && c.attrs.xmlns === xmlns
      );
      if (has) continue;
      out ??= cloneElement(stanza);
      out.append(child);
    }
  }
  return out ?? stanza;
}
