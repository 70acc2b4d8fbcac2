/**
 * The inspector's `node:http` server (`actors/inspector/server_node.ts`, the
 * one Node and Bun get from `mod_node.ts`), run here under Deno's `node:http`
 * and npm `ws`: the same hostile checks as the npm package test runs on
 * Node 22, Node 20 and Bun (tests/support/inspector_hostile.mjs), and the
 * same page and assets as Deno's server; Deno's server passes those checks
 * too (the rules are one file, `actors/inspector/gate.ts`).
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { createClient } from "../mod.ts";
import { createInspector } from "../actors/inspector/server_node.ts";
import { createInspector as createDenoInspector } from "../actors/inspector/server.ts";
// @ts-types="./support/inspector_hostile.d.mts"
import { hostileInspectorChecks } from "./support/inspector_hostile.mjs";

Deno.test("createInspector() (node:http): token, Host, Origin, redaction and flood checks", async () => {
  const done = await hostileInspectorChecks({
    createInspector,
    createClient,
    WebSocket,
  });
  assertEquals(done, ["token", "host", "origin", "redaction", "flood"]);
});

const OURS = [
  "cache-control",
  "content-security-policy",
  "content-type",
  "referrer-policy",
  "x-content-type-options",
  "x-frame-options",
];

Deno.test("createInspector() (Deno.serve) passes the same checks", async () => {
  const done = await hostileInspectorChecks({
    createInspector: createDenoInspector,
    createClient,
    WebSocket,
  });
  assertEquals(done, ["token", "host", "origin", "redaction", "flood"]);
});

Deno.test("createInspector() (node:http) serves what Deno's server serves", async () => {
  await using node = await createInspector();
  await using deno = createDenoInspector();
  for (const asset of ["", "inspector.js", "inspector.css"]) {
    const [a, b] = await Promise.all(
      [node, deno].map((i) => fetch(`${i.url}${asset}`)),
    );
    assertStrictEquals(a.status, 200);
    // Ours, not the HTTP stack's (date, keep-alive, chunked, …).
    const ours = (h: Headers) => [...h].filter(([k]) => OURS.includes(k));
    assertEquals(ours(a.headers), ours(b.headers));
    assertStrictEquals(ours(a.headers).length, OURS.length);
    assertStrictEquals(await a.text(), await b.text());
  }
});

Deno.test("createInspector() (node:http): a source frame over maxPayload closes that source only (1009)", async () => {
  await using inspector = await createInspector({
    sources: { maxFrameLength: 1000 },
  });
  const src = new WebSocket(inspector.sourceUrl);
  await new Promise((r) => src.onopen = r);
  const closed = new Promise<number>((r) => src.onclose = (e) => r(e.code));
  src.send("x".repeat((1 << 20) + 1));
  assertStrictEquals(await closed, 1009);
  const page = await fetch(inspector.url);
  assertStrictEquals(page.status, 200);
  await page.body?.cancel();
  const again = new WebSocket(inspector.sourceUrl);
  assert(
    await new Promise((r) => {
      again.onopen = () => r(true);
      again.onerror = () => r(false);
    }),
  );
  const bye = new Promise((r) => again.onclose = r);
  again.close();
  await bye;
});
