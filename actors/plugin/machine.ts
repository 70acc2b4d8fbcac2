/**
 * The plugin actor of a plugin defined without a machine of its own: it is
 * `active` until the client stops it. Plugins with behaviour worth drawing
 * (timers, conversations) bring their own machine, as BoB does.
 *
 * @module
 */
import { setup } from "../../src/deps.ts";
import type { AnyStateMachine } from "../../src/types.ts";
import type { PluginInput } from "./define.ts";

/** The default plugin machine: one state, `active`. */
export const pluginMachine: AnyStateMachine = setup({
  types: { input: {} as PluginInput, context: {} as PluginInput },
}).createMachine({
  id: "plugin",
  context: ({ input }) => input,
  initial: "active",
  states: { active: {} },
});
