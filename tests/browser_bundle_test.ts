import {
  assert,
  assertMatch,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import {
  aliasEvents,
  breakdown,
  buildBrowser,
  BUNDLE_NAME,
  EVENTS_PACKAGE,
  overBudget,
  readBudget,
} from "../bench/bundle.ts";

Deno.test("aliasEvents() points node:events imports and requires at the events package", async (t) => {
  await t.step("both forms are rewritten", () => {
    const js = aliasEvents(
      'var events = __require("node:events");\n' +
        'import { EventEmitter } from "node:events";\n' +
        'import { x } from "events";\n',
    );
    assert(!js.includes("node:events"), js);
    assert(js.startsWith(`import __nodeEvents from "${EVENTS_PACKAGE}";`));
    assertMatch(js, /var events = __nodeEvents;/);
    assertStrictEquals(js.split(`from "${EVENTS_PACKAGE}"`).length, 4);
  });
  await t.step("any other node: module is refused", () => {
    assertThrows(
      () =>
        aliasEvents(
          'import "a";\nimport { EventEmitter } from "node:events";\n' +
            'import { readFile } from "node:fs";\n',
        ),
      Error,
      /Node modules left in the bundle: node:fs/,
    );
  });
  await t.step("comments do not count", () => {
    aliasEvents(
      '/** @example\n * import { ok } from "node:assert/strict";\n */\n' +
        'import { EventEmitter } from "node:events";\n',
    );
  });
  await t.step("nothing to alias is an error (the step would be stale)", () => {
    assertThrows(() => aliasEvents("export {};\n"), Error, /drop the alias/);
  });
});

Deno.test("deno task build:browser: one minified ES module with a source map, no Deno or Node API, within budget", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const built = await buildBrowser(dir);
    assertStrictEquals(built.js, `${dir}/${BUNDLE_NAME}`);
    const js = await Deno.readTextFile(built.js);
    const map = await Deno.readTextFile(built.map);

    // Minified: few lines, and linked to its map.
    assert(js.split("\n").length < 50, "minified");
    assertMatch(js, /\/\/# sourceMappingURL=xmpp-actors\.js\.map\s*$/);
    // No Deno API, no import of a Node module (events is bundled).
    const code = js.replace(/\/\*[\s\S]*?\*\//g, "");
    assertStrictEquals(code.match(/\bDeno\.[A-Za-z]+/g), null);
    assertStrictEquals(
      code.match(/(?:from|import|require)\s*\(?\s*["']node:/g),
      null,
    );
    // The source map reaches the original TypeScript (through both passes).
    const sources: string[] = JSON.parse(map).sources;
    assert(sources.some((s) => s.endsWith("actors/client/client.ts")));
    assert(sources.some((s) => s.includes("events/3.3.0/events.js")));

    // It runs: import it (Deno is a fine ES module host) and use BoB locally.
    const mod = await import(`file://${built.js}`);
    const xmpp = mod.createClient({ jid: "alice@localhost", password: "pw" });
    const bob = xmpp.registerPlugin("xep_0231");
    const cid = await bob.setBob(
      new TextEncoder().encode("coucou"),
      "text/plain",
    );
    assertStrictEquals(
      new TextDecoder().decode((await bob.getBob({ cid })).data),
      "coucou",
    );
    await xmpp.stop();

    // The budget, and what takes the space.
    const budget = await readBudget();
    const { raw, gzip, brotli } = built.sizes;
    const parts = Object.fromEntries(breakdown(js, map));
    console.log(
      `bundle: raw ${raw} B, gzip ${gzip} B, brotli ${brotli} B ` +
        `(budget ${budget.raw}/${budget.gzip}/${budget.brotli}); ` +
        `xmpp-actors ${parts["xmpp-actors (actors/, src/)"]} B, ` +
        `xstate ${parts.xstate} B`,
    );
    assert(gzip < raw && brotli < gzip, JSON.stringify(built.sizes));
    const over = overBudget(built.sizes, budget);
    assert(
      over.length === 0,
      `the browser bundle grew past bench/bundle_budget.json: ${
        over.join("; ")
      } (see what takes the space: deno task build:browser)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
