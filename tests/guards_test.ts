import { assert } from "./deps.ts";
import type { AnyStateMachine } from "../mod.ts";
import {
  bobMachine,
  clientMachine,
  connectionMachine,
  copierMachine,
  pluginMachine,
  registryMachine,
  saslMachine,
} from "../internals.ts";

// What reading XML looks like in @xmpp/xml (ltx) code.
const XML_READS =
  /\.(getChild|getChildren|getChildText|getChildElements|getText|getName|getNS|attrs|is)\b|\.name\s*===/;

Deno.test("no guard of any machine reads XML: transitions are typed events", () => {
  const machines: AnyStateMachine[] = [
    connectionMachine,
    saslMachine,
    registryMachine,
    copierMachine,
    bobMachine,
    clientMachine,
    pluginMachine,
  ];
  let seen = 0;
  for (const machine of machines) {
    const guards = (machine.implementations.guards ?? {}) as Record<
      string,
      unknown
    >;
    for (const [name, guard] of Object.entries(guards)) {
      seen++;
      const source = String(guard);
      assert(
        !XML_READS.test(source),
        `${machine.id}: guard ${name} reads XML: ${source}`,
      );
    }
  }
  assert(seen >= 20, `checked ${seen} guards`);
});
