/**
 * `createClient()`: the facade over the client actor system. Promises in,
 * promises out; every moving part behind it is an actor.
 *
 * @module
 */
import { createActor, sendParent } from "../../src/deps.ts";
import type { AnyActorRef } from "../../src/types.ts";
import { type ClientContext, clientMachine } from "./machine.ts";
import { memoryStorage } from "../storage/memory.ts";
import { checkTimeout } from "../../src/options.ts";
import { ClientStoppedError } from "../../src/errors.ts";
import { Api } from "../registry/api.ts";
import type { Plugin, PluginContext, PluginHost } from "../plugin/define.ts";
import { pluginMachine } from "../plugin/machine.ts";
import {
  isAvailablePresence,
  SessionPresence,
  withPluginChildren,
} from "./presence.ts";
import {
  Connection,
  type ConnectionEvents,
  connectionLogic,
  type ConnectionOptions,
  type StanzaHandler,
  type StopResult,
} from "../connection/connection.ts";
import type { HandlerMatch, StanzaKind } from "../connection/protocol.ts";
import type { Element } from "../../src/deps.ts";

export type {
  ClientOptions,
  PluginMap,
  PluginName,
  PluginOptionsMap,
} from "./options.ts";
import {
  BUILTIN,
  type ClientOptions,
  type PluginMap,
  type PluginName,
  type PluginOptionsMap,
} from "./options.ts";

interface Loaded {
  plugin: Plugin;
  facade: unknown;
  context: PluginContext;
}

/**
 * An XMPP client. Local plugin use needs no connection.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * const cid = await bob.setBob(new Uint8Array([1, 2, 3]), "application/octet-stream");
 * strictEqual((await bob.getBob({ cid })).data.length, 3);
 * await xmpp.stop();
 * ```
 */
export class Client {
  /** The options the client was created with. */
  readonly options: Readonly<ClientOptions>;
  /** The root actor (actor id `client:<jid>`). */
  readonly actor: AnyActorRef;
  #unwatch: (() => void)[] = [];
  #loaded = new Map<string, Loaded>();
  #facades: Record<string, unknown> = Object.create(null);
  #connection: Connection;
  #host: PluginHost;
  #stopped = false;
  #presence = new SessionPresence(this);

  /**
   * Create a client and start its actors; see {@linkcode createClient}.
   * Every option is checked here, the connection's too (though no
   * connection is made until `start()`).
   * @param options See {@linkcode ClientOptions}.
   * @throws {TypeError} An invalid JID, service, password or combination of
   *   options (e.g. `ws://` to a host that is not loopback without
   *   `allowUnencrypted`), or a scheme without a transport.
   * @throws {RangeError} A numeric option out of range (the message names it).
   */
  constructor(options: ClientOptions) {
    if (
      typeof options?.jid !== "string" ||
      !options.jid.includes("@") && options.jid === ""
    ) {
      throw new TypeError(
        "Cannot create client: jid must be a non-empty string",
      );
    }
    const timeout = checkTimeout(options.timeout, "timeout", 5000);
    // The options are checked now; nothing is dialled until start().
    const connection = connectionLogic(Client.#connectionOptions(options), {
      announceOnline: sendParent(({ context }) => ({
        type: "client.online",
        jid: (context as { boundJid: string }).boundJid,
      })),
      announceOffline: sendParent({ type: "client.offline" }),
    });
    this.options = options;
    const { inspect } = options;
    this.actor = createActor(
      clientMachine.provide({ actors: { connection: connection.logic } }),
      {
        // Named for whose it is: two clients' trees differ in the inspector.
        id: `client:${options.jid}`,
        inspect: typeof inspect === "function" ? inspect : undefined,
        input: {
          storage: options.storage ?? memoryStorage,
          timeout,
          connection: connection.input,
        },
      },
    ).start();
    this.#connection = new Connection(undefined, this.#context().connectionRef);
    this.#presence.follow(this.#connection);
    // A watcher (the live inspector) observes on demand, not every event.
    if (typeof inspect === "object" && inspect !== null) {
      this.#unwatch.push(inspect.watch(this.actor));
    }
    // What plugins see of the client.
    // deno-lint-ignore no-this-alias
    const client = this;
    this.#host = {
      get jid() {
        return client.jid;
      },
      get features() {
        return client.features;
      },
      send: (stanza) => this.send(stanza),
      iq: (stanza, options) => this.iq(stanza, options),
      iqCaller: () => {
        const stopped = this.#refuse("send IQ");
        if (stopped) throw stopped;
        return this.connection.iqCaller;
      },
      plugin: (name) => this.#loaded.get(name)?.facade,
      resendPresence: () => this.#presence.resend(),
    };
  }

  /** The client's JID (the bound full JID once online). */
  get jid(): string {
    return this.#connection.jid ?? this.options.jid;
  }

  /**
   * The connection: the client machine's child from the start, idle (no
   * socket) until `start()`. Its `actor` is the connection machine.
   */
  get connection(): Connection {
    return this.#connection;
  }

  static #connectionOptions(options: ClientOptions): ConnectionOptions {
    const { timeout: _t, storage: _s, inspect, ...rest } = options;
    return {
      ...rest,
      inspect: typeof inspect === "function" ? inspect : undefined,
      password: rest.password ?? "",
    };
  }

  /** The error of a call made after `stop()`, if the client is stopped. */
  #refuse(what: string): ClientStoppedError | undefined {
    return this.#stopped
      ? new ClientStoppedError(`Cannot ${what}: the client is stopped`)
      : undefined;
  }

  /**
   * Connect: resolves once online (the bound full JID is then in `jid`).
   * A stopped client cannot be started again (its actors are gone): create
   * a new one.
   *
   * @throws {SASLError} Bad credentials.
   * @throws {TLSError} An untrusted certificate.
   * @throws {ConnectionError} The server could not be reached.
   * @throws {TimeoutError} The negotiation took longer than `negotiationTimeout`.
   * @throws {ClientStoppedError} The client is stopped (or `stop()` came first).
   */
  start(): Promise<void> {
    const stopped = this.#refuse("connect");
    if (stopped) return Promise.reject(stopped);
    return this.connection.start();
  }

  /**
   * Send a stanza (queued in order while not online). It is checked first:
   * see `Connection.send()`. An available presence is sent with the loaded
   * plugins' children added (`PluginDefinition.presence`).
   *
   * @param stanza An `@xmpp/xml` element (strings are refused).
   * @throws {TypeError} Not an element, or a character XML 1.0 forbids.
   * @throws {RangeError} Too large or too deep.
   * @throws {ClientStoppedError} The client is stopped.
   */
  send(stanza: Element): void {
    const stopped = this.#refuse("send");
    if (stopped) throw stopped;
    if (isAvailablePresence(stanza)) {
      this.connection.send(withPluginChildren(stanza, this.#loaded.values()));
    } else this.connection.send(stanza);
    // Kept as the user sent it: a resend gets fresh plugin children.
    this.#presence.sent(stanza);
  }

  /**
   * Send an IQ get/set and wait for its answer.
   *
   * @param stanza The IQ.
   * @param options Per-call timeout in ms.
   * @returns The result IQ.
   * @throws {StanzaError} An error answer.
   * @throws {TimeoutError} No answer in time.
   * @throws {ClientStoppedError} The client is stopped.
   * @throws {RangeError} A `timeout` that is not in 1…2³¹−1 ms, or a stanza
   *   too large or too deep.
   * @throws {TypeError} Not an IQ get/set element, or a forbidden character.
   */
  iq(stanza: Element, options?: { timeout?: number }): Promise<Element> {
    const stopped = this.#refuse("send IQ");
    if (stopped) return Promise.reject(stopped);
    return this.connection.iq(stanza, options);
  }

  /**
   * Handle incoming stanzas of a kind (and type, child name, namespace).
   *
   * @param kind `iq`, `message` or `presence`.
   * @param match What the stanza must match.
   * @param handler For IQs, returns the payload of the result.
   * @returns A function that removes the handler.
   * @throws {ClientStoppedError} The client is stopped.
   */
  handle(
    kind: StanzaKind,
    match: HandlerMatch,
    handler: StanzaHandler,
  ): () => void {
    const stopped = this.#refuse("add handler");
    if (stopped) throw stopped;
    return this.connection.handle(kind, match, handler);
  }

  /**
   * Listen to connection events (`stanza`, `online`, `offline`, `error`, `status`).
   * A listener that throws is reported as an `error` event.
   *
   * @param event The event name.
   * @param fn The listener.
   * @returns A function that removes the listener.
   */
  on<K extends keyof ConnectionEvents>(
    event: K,
    fn: ConnectionEvents[K],
  ): () => void {
    // A stopped client emits nothing more (and makes no new connection).
    if (this.#stopped) return () => {};
    return this.connection.on(event, fn);
  }

  /**
   * The loaded plugins, by name (`xmpp.plugin["xep_0231"]`).
   * Reading a plugin that was not registered throws a `TypeError`.
   */
  get plugin(): PluginMap & { readonly [name: string]: unknown } {
    return this.#pluginView;
  }

  // Reading a plugin name (`xep_NNNN`) that is not loaded throws, so a typo or
  // a missing registerPlugin() fails loudly; other keys read as usual.
  #pluginView = new Proxy(this.#facades, {
    get(target, name) {
      const p = target[name as string];
      if (
        p === undefined && typeof name === "string" && /^xep_\d+$/.test(name)
      ) {
        throw new TypeError(
          `Cannot use plugin ${name}: call registerPlugin(${
            JSON.stringify(name)
          }) first`,
        );
      }
      return p;
    },
  }) as PluginMap & { readonly [name: string]: unknown };

  /**
   * The service discovery features of the loaded plugins, sorted.
   */
  get features(): string[] {
    const all = new Set<string>();
    for (const { plugin } of this.#loaded.values()) {
      for (const f of plugin.features ?? []) all.add(f);
    }
    return [...all].sort();
  }

  /**
   * Load a plugin (idempotent: loading the same one again returns the same
   * facade): a built-in one by name (`"xep_0231"`), or any plugin made with
   * `definePlugin()`. It gets its own internal API registry (system id
   * `<name>.api`, storage namespace `<name>`) bound to the client's default
   * storage, its actor (system id `<name>`), and its stanza handlers on the
   * connection. Its `dependencies` are loaded first. `options` reach the
   * plugin as `options` in its context; they count only on the first load.
   *
   * @param plugin A built-in plugin name or a plugin definition.
   * @param options The plugin's options (e.g. `{ maxSize }` for BoB).
   * @returns The plugin facade.
   * @throws {TypeError} An unknown name, a different plugin under a name
   *   already loaded, or a stopped client.
   */
  registerPlugin<N extends PluginName>(
    plugin: N,
    options?: PluginOptionsMap[N],
  ): PluginMap[N];
  /**
   * Load a plugin made with `definePlugin()` (see the overload above).
   *
   * @param plugin The plugin definition.
   * @param options The plugin's options.
   * @returns Its facade.
   */
  registerPlugin<N extends string, F>(
    plugin: Plugin<N, F>,
    options?: Readonly<Record<string, unknown>>,
  ): F;
  registerPlugin(
    plugin: string | Plugin,
    options: object = {},
  ): unknown {
    const def: Plugin | undefined = typeof plugin === "string"
      ? (BUILTIN as Record<string, Plugin>)[plugin]
      : plugin?.plugin === true
      ? plugin
      : undefined;
    if (def === undefined) {
      throw new TypeError(
        typeof plugin === "string"
          ? `Cannot register plugin ${plugin}: unknown plugin`
          : "Cannot register plugin: expected a plugin name or definePlugin() result",
      );
    }
    const { name } = def;
    const loaded = this.#loaded.get(name);
    if (loaded !== undefined) {
      if (loaded.plugin !== def) {
        throw new TypeError(
          `Cannot register plugin ${name}: another plugin is loaded under that name`,
        );
      }
      return loaded.facade;
    }
    if (this.actor.getSnapshot().status !== "active") {
      throw new TypeError(
        `Cannot register plugin ${name}: the client is stopped`,
      );
    }
    def.checkOptions?.(options as Record<string, unknown>);
    for (const dep of def.dependencies ?? []) this.registerPlugin(dep);
    // A registry only for a plugin with ops (else on its API's first use).
    const registry = () => this.#registry(name, def.isKey);
    const hasOps = Object.keys(def.ops ?? {}).length > 0;
    const api = new Api({
      registry: hasOps ? registry() : registry,
      ns: name,
      timeout: this.#context().timeout,
    });
    for (const [op, handler] of Object.entries(def.ops ?? {})) {
      api.registerDefault(handler, op);
    }
    const input = {
      name,
      api,
      host: this.#host,
      options: Object.freeze({ ...options }) as Record<string, unknown>,
    };
    this.actor.send({
      type: "client.start_plugin",
      name,
      logic: def.machine ?? pluginMachine,
      input,
    });
    const context: PluginContext = {
      ...input,
      actor: this.#loadedRef("plugins", name),
    };
    const entry: Loaded = { plugin: def, facade: undefined, context };
    entry.facade = def.create(context);
    this.#loaded.set(name, entry);
    this.#facades[name] = entry.facade;
    this.#installHandlers(this.#connection, entry);
    for (const other of this.#loaded.values()) {
      if (other === entry || other.plugin.pluginLoaded === undefined) continue;
      try {
        other.plugin.pluginLoaded(other.context, name);
      } catch {
        // A failing hook must not fail the load.
      }
    }
    return entry.facade;
  }

  #context(): ClientContext {
    return this.actor.getSnapshot().context as ClientContext;
  }

  /**
   * What the client machine spawned for a plugin, from its snapshot. An
   * event sent from outside any actor is processed before `send()` returns;
   * one sent while this client's actors are mid-step (`registerPlugin`
   * called from an action of one of them) is not, and is refused.
   */
  #loadedRef(kind: "plugins" | "registries", name: string): AnyActorRef {
    const ref = this.#context()[kind][name];
    if (ref === undefined) {
      throw new Error(
        `Cannot register plugin ${name}: the client actor is busy (call registerPlugin outside its actions)`,
      );
    }
    return ref;
  }

  /** The registry of plugin `name`, spawned by the client machine if new. */
  #registry(name: string, isKey?: (key: string) => boolean): AnyActorRef {
    if (this.actor.getSnapshot().status !== "active") {
      // Stopped: an API made after stop() sees a stopped actor, and so
      // rejects every call with ClientStoppedError.
      return this.actor;
    }
    if (this.#context().registries[name] === undefined) {
      this.actor.send({ type: "client.load_plugin", name, isKey });
    }
    return this.#loadedRef("registries", name);
  }

  #installHandlers(connection: Connection, { plugin, context }: Loaded) {
    for (const { kind, match, event, handle } of plugin.handlers ?? []) {
      if (handle) connection.handle(kind, match, (s) => handle(s, context));
      else connection.handleActor(kind, match, context.actor, event!);
    }
  }

  /**
   * Stop the client: the stream is closed if open, pending requests fail
   * with `ClientStoppedError`, every actor stops (plugin actors with their
   * timers) (storages the caller passed in as running
   * refs are left running). This is final: afterwards `start()` and `iq()`
   * reject, and `send()` and `handle()` throw, with `ClientStoppedError`.
   * What was sent is flushed first, and what could not be confirmed is
   * reported (see `Connection.stop()`).
   *
   * @returns What was not confirmed ({@linkcode StopResult}).
   */
  async stop(): Promise<StopResult> {
    this.#stopped = true;
    try {
      return await this.#connection.stop();
    } finally {
      this.actor.stop();
      for (const unwatch of this.#unwatch.splice(0)) unwatch();
    }
  }
}

/**
 * Create a client. No connection is made until `start()` (local plugin use
 * needs none).
 *
 * @param options JID, password and runtime options.
 * @returns The client.
 * @throws {TypeError} An invalid JID, service, password or combination of
 *   options (e.g. `ws://` to a host that is not loopback without
 *   `allowUnencrypted`): every option is checked here, not at `start()`.
 * @throws {RangeError} A numeric option out of range (the message names it).
 *
 * @example Usage
 * ```ts
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * xmpp.registerPlugin("xep_0231");
 * await xmpp.stop();
 * ```
 */
export function createClient(options: ClientOptions): Client {
  return new Client(options);
}
