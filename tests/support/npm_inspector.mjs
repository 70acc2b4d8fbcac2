// The live inspector from the installed npm package (tests/npm_package_test.ts
// runs this on Node 22, the PATH Node and Bun): node:http and ws under the
// hostile checks of inspector_hostile.mjs, which Deno runs too.
import { createClient, createInspector } from "@xmpp-actors/runtime";
import { hostileInspectorChecks } from "./inspector_hostile.mjs";

// Node 20 has no WebSocket client without a flag: ws (a dependency of the
// package) plays the page and the /source sender there.
const WebSocket = globalThis.WebSocket ?? (await import("ws")).WebSocket;
const done = await hostileInspectorChecks({
  createInspector,
  createClient,
  WebSocket,
});
console.log(`inspector ok ${done.join(" ")}`);
