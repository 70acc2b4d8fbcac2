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

/** What {@linkcode SessionPresence} needs of the client. */
export interface PresenceOwner {
  /** The client's connection (its `status` and events). */
  readonly connection: {
    readonly status: string;
    on(event: "online" | "resumed", listener: () => void): () => void;
  };
  /** Send a stanza as the user would (throws once the client is stopped). */
  send(stanza: Element): void;
}

/**
 * The last available broadcast presence (no `to`) the user sent in the
 * current session: what `resendPresence` sends again (with fresh plugin
 * children). A presence lives as long as its session:
 *
 * - sent while online: it belongs to this session; sent while not online
 *   (queued): it belongs to the next one;
 * - a new session (not a resumed one) starts with no presence: the server
 *   has none for us, so one from an earlier session is forgotten (never
 *   pushed into the new session by a plugin's resend) unless the user sent
 *   it while offline for this one;
 * - a resumed session keeps it; a resend asked for while offline is then
 *   sent after the resumption (with a new session it is dropped);
 * - an unavailable broadcast presence ends it: nothing to resend.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { type Element, xml } from "../../src/deps.ts";
 * import { SessionPresence } from "./presence.ts";
 * const sent: Element[] = [];
 * const client = {
 *   connection: { status: "online", on: () => () => {} },
 *   send: (el: Element) => void sent.push(el),
 * };
 * const presence = new SessionPresence(client);
 * presence.sent(xml("presence"));
 * presence.resend();
 * strictEqual(sent.length, 1); // online: sent at once
 * client.connection.status = "reconnecting";
 * presence.resend(); // offline: decided when the next session is online
 * presence.online(false); // a new one: the old presence is forgotten
 * client.connection.status = "online";
 * presence.resend();
 * strictEqual(sent.length, 1);
 * ```
 */
export class SessionPresence {
  #owner: PresenceOwner;
  #last: Element | undefined;
  /** `#last` was queued: it goes out with the next session. */
  #queued = false;
  /** A resend asked for while not online. */
  #pending = false;

  /** @param owner The client. */
  constructor(owner: PresenceOwner) {
    this.#owner = owner;
  }

  get #online(): boolean {
    return this.#owner.connection.status === "online";
  }

  /**
   * The user sent `stanza` (recorded when it is a broadcast presence).
   * @param stanza What was sent (written at once when online, else queued).
   */
  sent(stanza: Element): void {
    if (stanza?.name !== "presence" || stanza.attrs?.to !== undefined) return;
    if (isAvailablePresence(stanza)) {
      this.#last = stanza;
      this.#queued = !this.#online;
    } else if (stanza.attrs.type === "unavailable") {
      this.#last = undefined;
      this.#pending = false;
    }
  }

  /**
   * A plugin asks to resend the presence: sent now when online or when the
   * presence is queued for the next session anyway; otherwise decided when
   * the next session is online. Nothing when there is none, or the client
   * is stopped.
   */
  resend(): void {
    if (this.#last === undefined) return;
    if (!this.#online && !this.#queued) {
      this.#pending = true;
      return;
    }
    this.#send(this.#last);
  }

  #send(stanza: Element): void {
    try {
      this.#owner.send(stanza);
    } catch {
      // the client is stopped: nothing to resend into
    }
  }

  /**
   * Follow the client's sessions (see {@linkcode SessionPresence.online}).
   * @param connection The client's connection.
   */
  follow(connection: PresenceOwner["connection"]): void {
    // "resumed" comes just before the "online" of a resumed session.
    let resumed = false;
    connection.on("resumed", () => resumed = true);
    connection.on("online", () => {
      this.online(resumed);
      resumed = false;
    });
  }

  /**
   * A session is online: a new one forgets a presence of an earlier
   * session; a pending resend is sent if a presence is left.
   * @param resumed Whether it is a resumed one (XEP-0198).
   */
  online(resumed: boolean): void {
    if (!resumed && !this.#queued) this.#last = undefined;
    const pending = this.#pending;
    this.#pending = false;
    this.#queued = false;
    if (pending && this.#last !== undefined) this.#send(this.#last);
  }
}
