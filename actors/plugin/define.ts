/**
 * The plugin API: how a protocol plugin is built — ours (XEP-0231 Bits of
 * Binary) and yours alike.
 *
 * A plugin is a definition: a name (also its storage namespace), the ops of
 * its internal API with their defaults (storage-backed, or plain functions
 * as in slixmpp), an optional machine (the plugin actor, which receives
 * {@linkcode PluginInput}), the stanzas it claims, the disco features it
 * brings, and a `create` function that builds the object users call.
 * `client.registerPlugin(plugin)` spawns the plugin's registry (system id
 * `<name>.api`) and its actor (system id `<name>`), registers the defaults,
 * installs its stanza handlers on the connection, and returns the facade.
 * Everything stops with the client.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import type { AnyActorLogic, AnyActorRef } from "../../src/types.ts";
import type { Api } from "../registry/api.ts";
import type { ApiHandler, StorageOp } from "../registry/protocol.ts";
import type { HandlerMatch, StanzaKind } from "../connection/machine.ts";

/** What a plugin can do with the client it is loaded in. */
export interface PluginHost {
  /** The client's JID (the bound full JID once online). */
  readonly jid: string;
  /** The disco features of every loaded plugin, sorted. */
  readonly features: string[];
  /**
   * Send a stanza (queued while offline).
   * @param stanza The stanza.
   */
  send(stanza: Element): void;
  /**
   * Send an IQ get/set and wait for its answer.
   * @param stanza The IQ.
   * @param options Per-call timeout in ms.
   * @returns The result IQ.
   */
  iq(stanza: Element, options?: { timeout?: number }): Promise<Element>;
  /**
   * The connection's IQ caller, for a plugin actor to send `iq.call` with
   * `replyTo` (its answer comes back as `iq.answer`).
   * @returns The IQ caller actor.
   * @throws {ClientStoppedError} The client is stopped.
   */
  iqCaller(): AnyActorRef;
  /**
   * The facade of another loaded plugin (`client.plugin[name]`), for a
   * plugin that builds on one of its dependencies.
   * @param name The plugin name.
   * @returns Its facade, or `undefined` when it is not loaded.
   */
  plugin(name: string): unknown;
  /**
   * Send again the last available broadcast presence (no `to`, no `type`)
   * the user sent in this session, with fresh plugin children (see
   * {@linkcode PluginDefinition.presence}); nothing when none was sent in
   * it, or after an unavailable one. While offline it waits for the next
   * session: sent if that one is resumed, dropped if it is new (a new
   * session starts with no presence). See `SessionPresence` in
   * `actors/client/presence.ts`.
   */
  resendPresence(): void;
}

/** What the plugin actor (its machine) is created with. */
export interface PluginInput {
  /** The plugin name (and storage namespace). */
  name: string;
  /** The plugin's internal API: run its ops from the machine. */
  api: Api;
  /** The client: send stanzas and IQs. */
  host: PluginHost;
  /** The options given to `registerPlugin(plugin, options)` (or `{}`). */
  options: Readonly<Record<string, unknown>>;
}

/** What `create` and the stanza handlers receive. */
export interface PluginContext extends PluginInput {
  /** The plugin actor (system id = the plugin name). */
  actor: AnyActorRef;
}

/**
 * A handler of the incoming stanzas a plugin claims: a `handle` function,
 * or an `event` for the plugin actor. With `event`, each stanza reaches the
 * actor as `{ type: event, stanza, replyTo }`, sent by the connection
 * machine; for an IQ get/set the actor answers with
 * `sendTo(replyTo, { type: "router.answer", request, payload })` (or
 * `error` instead of `payload`: one with a `condition` is that stanza error,
 * anything else `internal-server-error`). Give one of the two.
 */
export interface PluginStanzaHandler {
  /** `iq`, `message` or `presence`. */
  kind: StanzaKind;
  /** What the stanza must match (type, payload name, namespace). */
  match: HandlerMatch;
  /**
   * Handle one stanza. For an IQ get/set, return the result payload (or
   * nothing for an empty result) or throw an error with a `condition` (an
   * `XMPPError`) to answer with that error. The peer gets the condition
   * only (no text); anything thrown but a `StanzaError` is also the client's
   * `error` event, with the detail.
   *
   * @param stanza The incoming stanza.
   * @param plugin The plugin's context.
   * @returns The IQ result payload, if any.
   */
  handle?(
    stanza: Element,
    plugin: PluginContext,
  ): Element | void | Promise<Element | void>;
  /** The event type the plugin actor receives (instead of `handle`). */
  event?: string;
}

/** What {@linkcode definePlugin} takes. */
export interface PluginDefinition<N extends string, F> {
  /**
   * The plugin name, e.g. `xep_0092`: lowercase letters, digits and `_`,
   * starting with a letter. It is also the storage namespace of its ops.
   */
  name: N;
  /**
   * The ops of its internal API and their defaults: a storage op (turned
   * into one request to the bound storage actor) or a function handler
   * `(jid, node, ifrom, args)`, as slixmpp's `register_default`.
   */
  ops?: Record<string, StorageOp | ApiHandler>;
  /** The plugin actor's logic (receives {@linkcode PluginInput}). */
  machine?: AnyActorLogic;
  /** Service discovery features it brings (e.g. `urn:xmpp:bob`). */
  features?: string[];
  /**
   * Which storage keys of its namespace are its own: a migration copies only
   * those and counts the others as skipped (e.g. a stray `README.txt` in a
   * file storage directory). Default: every key.
   */
  isKey?: (key: string) => boolean;
  /** Plugins loaded first (as slixmpp's `dependencies`). */
  dependencies?: Plugin[];
  /**
   * Check the options of `registerPlugin(plugin, options)` before anything
   * is spawned; throw a `TypeError`/`RangeError` to refuse them.
   * @param options The options given.
   */
  checkOptions?(options: Readonly<Record<string, unknown>>): void;
  /** The incoming stanzas it claims. */
  handlers?: PluginStanzaHandler[];
  /**
   * Children added to every outgoing available presence (a `<presence/>`
   * with no `type`, sent through `client.send` or `host.send`, directed
   * ones included), after the user's own children, each plugin's in load
   * order; a child the presence already has (same name and namespace) is
   * not added again. Called at each send: keep it cheap and synchronous.
   * @param plugin The plugin's context.
   * @returns The children to add.
   */
  presence?(plugin: PluginContext): Element[];
  /**
   * Called on this plugin when another plugin is loaded after it (its
   * features are then in `host.features`): e.g. to recompute a hash of the
   * features.
   * @param plugin This plugin's context.
   * @param name The name of the plugin just loaded.
   */
  pluginLoaded?(plugin: PluginContext, name: string): void;
  /**
   * Build the object users call (`client.plugin[name]`).
   * @param plugin The plugin's context.
   * @returns The facade.
   */
  create(plugin: PluginContext): F;
}

/** A plugin ready for `client.registerPlugin()`; see {@linkcode definePlugin}. */
export interface Plugin<N extends string = string, F = unknown>
  extends Readonly<PluginDefinition<N, F>> {
  /** Marks a value made by {@linkcode definePlugin}. */
  readonly plugin: true;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Define a plugin: validate the definition and freeze it.
 *
 * @param definition Name, ops, machine, handlers, features and facade.
 * @returns The plugin, for `client.registerPlugin(plugin)`.
 * @throws {TypeError} For a bad name, op name or handler.
 *
 * @example A storage-backed counter plugin
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient, definePlugin } from "../../mod.ts";
 * const counter = definePlugin({
 *   name: "counter",
 *   ops: {
 *     get_count: { request: () => ({ type: "storage.get", key: "n" }) },
 *     set_count: { request: (n) => ({ type: "storage.set", key: "n", value: n as number }) },
 *   },
 *   create: ({ api }) => ({
 *     async bump(): Promise<number> {
 *       const n = ((await api.run<number | undefined>("get_count")) ?? 0) + 1;
 *       await api.run("set_count", { args: n });
 *       return n;
 *     },
 *   }),
 * });
 * const xmpp = createClient({ jid: "alice@localhost" });
 * const c = xmpp.registerPlugin(counter);
 * await c.bump();
 * strictEqual(await c.bump(), 2);
 * await xmpp.stop();
 * ```
 */
export function definePlugin<N extends string, F>(
  definition: PluginDefinition<N, F>,
): Plugin<N, F> {
  const d = definition;
  if (typeof d?.name !== "string" || !NAME.test(d.name)) {
    throw new TypeError(
      `Cannot define plugin: name must match ${NAME.source}, got ${
        JSON.stringify(d?.name)
      }`,
    );
  }
  if (typeof d.create !== "function") {
    throw new TypeError(
      `Cannot define plugin ${d.name}: create must be a function`,
    );
  }
  for (const [op, handler] of Object.entries(d.ops ?? {})) {
    if (!NAME.test(op)) {
      throw new TypeError(
        `Cannot define plugin ${d.name}: op name ${
          JSON.stringify(op)
        } must match ${NAME.source}`,
      );
    }
    if (
      typeof handler !== "function" &&
      typeof (handler as StorageOp)?.request !== "function"
    ) {
      throw new TypeError(
        `Cannot define plugin ${d.name}: op ${op} must be a function or a storage op`,
      );
    }
  }
  for (const p of d.dependencies ?? []) {
    if (p?.plugin !== true) {
      throw new TypeError(
        `Cannot define plugin ${d.name}: every dependency must be a definePlugin() result`,
      );
    }
  }
  for (const h of d.handlers ?? []) {
    const fn = typeof h?.handle === "function";
    const event = h?.event;
    if (fn === (typeof event === "string" && event !== "")) {
      throw new TypeError(
        `Cannot define plugin ${d.name}: every stanza handler needs a handle function or an event for its actor`,
      );
    }
  }
  return Object.freeze({
    ...d,
    ops: Object.freeze({ ...d.ops }),
    features: Object.freeze([...(d.features ?? [])]) as string[],
    handlers: Object.freeze([...(d.handlers ?? [])]) as PluginStanzaHandler[],
    dependencies: Object.freeze([...(d.dependencies ?? [])]) as Plugin[],
    plugin: true as const,
  });
}
