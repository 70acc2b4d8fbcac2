/**
 * The root actor of a client (actor id `client:<jid>`).
 *
 * ```
 * running ─client.load_plugin─► spawn <name>.api (the plugin's registry)
 *         ─client.start_plugin─► spawn <name> (the plugin actor)
 *
 * (XState's types allow no `id` on a child spawned from logic given at run
 * time, though the runtime needs one to keep each child: the spawn options
 * are upcast to drop it from the type.)
 * ```
 *
 * A registry is given the client's JID as it stands when the plugin loads
 * (the facade sends it `api.jid` when the connection goes online). The
 * connection is created by the facade on first use, with the same
 * inspection observer.
 *
 * @module
 */
import { assertEvent, enqueueActions, setup } from "../../src/deps.ts";
import type { AnyActorLogic, AnyStateMachine } from "../../src/types.ts";
import { registryMachine } from "../registry/machine.ts";
import type { StorageLogic } from "../storage/define.ts";
import type { PluginInput } from "../plugin/define.ts";

/** What the client actor is created with. */
export interface ClientInput {
  /** The storage each plugin starts with. */
  storage: () => StorageLogic;
  /** Timeout of storage requests and migration steps in ms. */
  timeout: number;
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
  };

/** The client machine. */
export const clientMachine: AnyStateMachine = setup({
  types: {
    input: {} as ClientInput,
    context: {} as ClientInput,
    events: {} as ClientEvent,
  },
  actions: {
    spawnRegistry: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, "client.load_plugin");
      const id = `${event.name}.api`;
      const input = {
        ns: event.name,
        storage: context.storage(),
        timeout: context.timeout,
        isKey: event.isKey,
        jid: event.jid,
      };
      enqueue.spawnChild(
        registryMachine,
        { id, systemId: id, input } as {
          systemId: string;
          input: typeof input;
        },
      );
    }),
    spawnPlugin: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, "client.start_plugin");
      const { name: id, input } = event;
      enqueue.spawnChild(
        event.logic,
        { id, systemId: id, input } as { systemId: string; input: PluginInput },
      );
    }),
  },
}).createMachine({
  id: "client",
  context: ({ input }) => input,
  initial: "running",
  states: {
    running: {
      on: {
        "client.load_plugin": { actions: "spawnRegistry" },
        "client.start_plugin": { actions: "spawnPlugin" },
      },
    },
  },
});
