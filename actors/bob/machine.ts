/**
 * The XEP-0231 Bits of Binary plugin actor.
 *
 * It owns the plugin's internal API registry (a child registry machine whose
 * namespace is `xep_0231`) and, through it, the three ops `set_bob`,
 * `get_bob` and `del_bob`, registered as defaults that go to the bound
 * storage. The local data path does not pass through this machine: the
 * facade resolves each call from the registry's snapshot (see
 * `actors/registry.ts`). The network side (IQ get/result, BoB in messages and
 * presences, disco feature) lands here as further states.
 *
 * @module
 */
import { setup } from "../../src/deps.ts";
import { registryMachine } from "../registry/machine.ts";
import type { StorageLogic } from "../storage/define.ts";

/** What the BoB plugin actor is created with. */
export interface BobInput {
  /** The plugin name and storage namespace. */
  name: string;
  /** The storage bound at start. */
  storage: StorageLogic;
  /** Timeout of each migration step in ms. */
  timeout: number;
}

/** Events the BoB plugin actor accepts. */
export type BobEvent = { type: "bob.stop" };

/**
 * The BoB plugin machine: `active` until stopped; its child `api` is the
 * plugin's registry (system id `<name>.api`).
 */
export const bobMachine = setup({
  types: {
    input: {} as BobInput,
    context: {} as BobInput,
    events: {} as BobEvent,
  },
  actors: { registry: registryMachine },
}).createMachine({
  id: "xep_0231",
  context: ({ input }) => input,
  invoke: {
    id: "api",
    src: "registry",
    systemId: "xep_0231.api",
    input: ({ context }) => ({
      ns: context.name,
      storage: context.storage,
      timeout: context.timeout,
    }),
  },
  initial: "active",
  states: {
    active: { on: { "bob.stop": "stopped" } },
    stopped: { type: "final" },
  },
});
