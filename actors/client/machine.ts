/**
 * The root actor of a client (system id `client`): it spawns the plugin
 * actors and the `replies` actor that receives every storage answer meant for
 * the promise facade. The connection joins it as a child when started.
 *
 * @module
 */
import { fromCallback, setup, spawnChild } from "../../src/deps.ts";
import { bobMachine } from "../bob/machine.ts";
import type { StorageReply } from "../storage/protocol.ts";
import type { StorageLogic } from "../storage/define.ts";

/** What the client actor is created with. */
export interface ClientInput {
  /** Called with every reply addressed to the facade. */
  onReply: (reply: StorageReply) => void;
  /** The storage each plugin starts with. */
  storage: () => StorageLogic;
  /** Timeout of storage requests and migration steps in ms. */
  timeout: number;
}

/** Events the client actor accepts. */
export type ClientEvent = { type: "client.load_plugin"; name: "xep_0231" };

/**
 * The replies actor: a callback actor (one cheap hop) that hands each storage
 * reply to the facade's pending-request table.
 */
export const repliesLogic = fromCallback<StorageReply, ClientInput["onReply"]>(
  ({ input, receive }) => receive(input),
);

/** The client machine. */
export const clientMachine = setup({
  types: {
    input: {} as ClientInput,
    context: {} as ClientInput,
    events: {} as ClientEvent,
  },
  actors: { xep_0231: bobMachine, replies: repliesLogic },
  actions: {
    loadPlugin: spawnChild("xep_0231", {
      id: "xep_0231",
      systemId: "xep_0231",
      input: ({ context }: { context: ClientInput }) => ({
        name: "xep_0231",
        storage: context.storage(),
        timeout: context.timeout,
      }),
    }),
  },
}).createMachine({
  id: "client",
  context: ({ input }) => input,
  invoke: {
    id: "replies",
    systemId: "replies",
    src: "replies",
    input: ({ context }: { context: ClientInput }) => context.onReply,
  },
  initial: "running",
  states: {
    running: {
      on: { "client.load_plugin": { actions: "loadPlugin" } },
    },
  },
});
