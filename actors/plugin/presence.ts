/**
 * The presence hook of plugins (`PluginDefinition.presence`,
 * `PluginHost.resendPresence`): children that loaded plugins add to every
 * outgoing available presence, and the last broadcast presence kept so it
 * can be sent again with fresh children (an avatar hash or an idle time
 * that changed).
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import { cloneElement } from "../../src/xml_clone.ts";

/** One plugin's contribution: the children it adds now. */
export type PresenceContributor = () => Element[];

/**
 * Whether `stanza` is an available presence (`<presence/>` with no `type`).
 * @param stanza An outgoing stanza.
 * @returns `true` for an available presence.
 */
export function isAvailablePresence(stanza: Element): boolean {
  return stanza?.name === "presence" && stanza.attrs?.type === undefined;
}

/**
 * The children of the loaded plugins, added to outgoing available presences
 * (see {@linkcode PresenceHook.outgoing}).
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { xml } from "../../src/xml.ts";
 * import { PresenceHook } from "./presence.ts";
 * const hook = new PresenceHook();
 * hook.add(() => [xml("idle", { xmlns: "urn:xmpp:idle:1", since: "2026-01-01T00:00:00Z" })]);
 * const out = hook.outgoing(xml("presence"));
 * strictEqual(out.getChild("idle", "urn:xmpp:idle:1")?.attrs.since, "2026-01-01T00:00:00Z");
 * ```
 */
export class PresenceHook {
  #contributors: PresenceContributor[] = [];
  #last: Element | undefined;

  /**
   * Add a plugin's contribution (plugins are called in load order).
   * @param contributor Returns the children to add.
   */
  add(contributor: PresenceContributor): void {
    this.#contributors.push(contributor);
  }

  /**
   * The stanza to send for `stanza`: an available presence gets a copy with
   * every plugin's children after the user's own (an element the user
   * already put there, same name and namespace, is not added again); a
   * broadcast one (no `to`) is remembered for {@linkcode resend}. Anything
   * else is returned as is.
   *
   * @param stanza The stanza user code sends.
   * @returns What to send.
   */
  outgoing(stanza: Element): Element {
    if (!isAvailablePresence(stanza) || this.#contributors.length === 0) {
      return stanza;
    }
    if (stanza.attrs.to === undefined) this.#last = cloneElement(stanza);
    const out = cloneElement(stanza);
    const has = (el: Element) =>
      out.getChildElements().some((c: Element) =>
        c.name === el.name && c.getNS() === el.getNS()
      );
    for (const contribute of this.#contributors) {
      for (const child of contribute()) if (!has(child)) out.append(child);
    }
    return out;
  }

  /**
   * The last broadcast available presence as the user sent it, if any, to
   * send again (through `outgoing`, so with fresh children).
   * @returns The presence, or `undefined` when none was sent.
   */
  last(): Element | undefined {
    return this.#last && cloneElement(this.#last);
  }
}
