/**
 * The root actor of a client (actor id `client:<jid>`): one actor system per
 * client, with the connection as its child.
 *
 * ```
 * offline ─client.online (from the connection)─► online ─client.offline─► offline
 *   (entering online: api.jid to every registry, so calls without a jid
 *    use the bound full JID)
 * (in either state)
 *   client.load_plugin  ─► spawn <name>.api (the plugin's registry; only
 *                          for a plugin with ops)
 *   client.start_plugin ─► spawn <name> (the plugin actor)
 * spawned with it: connection:<jid>, for its whole life
 *
 * (XState's types allow no `id` on a child spawned from logic given at run
 * time, though the runtime needs one to keep each child: the spawn options
 * are upcast to drop it from the type.)
 * ```
 *
 * The facade reads what it loaded from the snapshot (`context.registries`,
 * `context.plugins`) right after sending: events sent from outside any
 * actor are processed at once, and `registerPlugin` checks that they were
 * (it throws if called from inside an action of this same system).
 *
 * @module
 */
import {
  assertEvent,
  assign,
  enqueueActions,
  fromCallback,
  setup,
} from "../../src/deps.ts";
import type {
  AnyActorLogic,
  AnyActorRef,
  AnyStateMachine,
} from "../../src/types.ts";
import { registryMachine } from "../registry/machine.ts";
import type { StorageLogic } from "../storage/define.ts";
import type { PluginInput } from "../plugin/define.ts";
import type { ConnectionInput } from "../connection/protocol.ts";

/** What the client actor is created with. */
export interface ClientInput {
  /** The storage each plugin starts with. */
  storage: () => StorageLogic;
  /** Timeout of storage requests and migration steps in ms. */
  timeout: number;
  /** The input of the invoked connection. */
  connection: ConnectionInput;
}

/** The client actor's context. */
export interface ClientContext extends ClientInput {
  /** The connection (actor id `connection:<jid>`). */
  connectionRef: AnyActorRef;
  /** The registry of each plugin that has one, by plugin name. */
  registries: Readonly<Record<string, AnyActorRef>>;
  /** The plugin actors, by name. */
  plugins: Readonly<Record<string, AnyActorRef>>;
}

/** Events the client actor accepts. */
export type ClientEvent =
  | {
    /** Spawn the internal API registry of plugin `name` (`<name>.api`). */
    type: "client.load_plugin";
    /** The plugin name, also its storage namespace. */
    name: string;
    /** Which keys of its namespace are its own (for migrations). */
    isKey?: (key: string) => boolean;
    /** The client's JID now: what calls naming no JID are for. */
    jid?: string;
  }
  | {
    /** Spawn the actor of plugin `name` (system id `<name>`). */
    type: "client.start_plugin";
    /** The plugin name. */
    name: string;
    /** The plugin actor's logic. */
    logic: AnyActorLogic;
    /** Its input. */
    input: PluginInput;
  }
  | {
    /** From the connection: the session is online as `jid`. */
    type: "client.online";
    jid: string;
  }
  | {
    /** From the connection: the session left `online`. */
    type: "client.offline";
  };

/** Replaced by the facade with the connection machine it configured. */
const noConnection = fromCallback(() => {});

const machine = setup({
  types: {
    input: {} as ClientInput,
    context: {} as ClientContext,
    events: {} as ClientEvent,
  },
  actors: { connection: noConnection },
  actions: {
    spawnRegistry: assign(({ context, event, spawn }) => {
      assertEvent(event, "client.load_plugin");
      const id = `${event.name}.api`;
      const input = {
        ns: event.name,
        storage: context.storage(),
        timeout: context.timeout,
        isKey: event.isKey,
        // Calls naming no JID are for the bound full JID once there is one.
        jid: (context.connectionRef.getSnapshot().context as {
          boundJid?: string;
        }).boundJid ?? context.connection.jid,
      };
      const ref = spawn(
        registryMachine,
        { id, systemId: id, input } as {
          systemId: string;
          input: typeof input;
        },
      );
      return { registries: { ...context.registries, [event.name]: ref } };
    }),
    spawnPlugin: assign(({ context, event, spawn }) => {
      assertEvent(event, "client.start_plugin");
      const { name: id, input } = event;
      const ref = spawn(
        event.logic,
        { id, systemId: id, input } as { systemId: string; input: PluginInput },
      );
      return { plugins: { ...context.plugins, [id]: ref } };
    }),
    /** Calls without a jid use the bound full JID from now on. */
    tellJid: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "client.online");
      for (const registry of Object.values(context.registries)) {
        enqueue.sendTo(registry, { type: "api.jid", jid: event.jid });
      }
    }),
  },
}).createMachine({
  id: "client",
  context: ({ input, spawn }) => ({
    ...input,
    // Spawned for the client's whole life, named for whose it is (an
    // invoked child's id cannot depend on input).
    connectionRef: spawn("connection", {
      id: `connection:${input.connection.jid}`,
      input: input.connection,
    }),
    registries: {},
    plugins: {},
  }),
  on: {
    "client.load_plugin": { actions: "spawnRegistry" },
    "client.start_plugin": { actions: "spawnPlugin" },
  },
  initial: "offline",
  states: {
    offline: {
      on: { "client.online": { target: "online", actions: "tellJid" } },
    },
    online: {
      on: {
        "client.online": { actions: "tellJid" },
        "client.offline": { target: "offline" },
      },
    },
  },
});

/** The client machine (provide its `connection` actor before use). */
export const clientMachine: AnyStateMachine = machine;
