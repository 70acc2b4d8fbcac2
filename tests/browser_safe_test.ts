import { assert } from "./deps.ts";

// The browser entry must bundle with no reference to the Deno API.
const BROWSER_SAFE = ["mod_browser.ts", "internals.ts"];

Deno.test("the browser-safe modules bundle for the browser with no Deno API", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  try {
    const entry = `${dir}/entry.ts`;
    await Deno.writeTextFile(
      entry,
      BROWSER_SAFE.map((f) => `export * from "${root}${f}";\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--platform",
        "browser",
        entry,
        "-o",
        `${dir}/bundle.js`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const js = await Deno.readTextFile(`${dir}/bundle.js`);
    const deno = js.match(/\bDeno\.[A-Za-z]+/g) ?? [];
    assert(
      deno.length === 0,
      `Deno API in the browser bundle: ${[...new Set(deno)]}`,
    );
    // @xmpp/xml pulls in Node's EventEmitter through the `events` module;
    // the browser build (bench/bundle.ts) aliases it. Nothing else from node:.
    const code = js.replace(/\/\*[\s\S]*?\*\//g, "");
    const node = new Set(
      [...code.matchAll(
        /(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](node:[a-z_/]+)["']/g,
      )]
        .map((m) => m[1]),
    );
    assert(
      [...node].every((n) => n === "node:events"),
      `node: modules in the browser bundle: ${[...node]}`,
    );
    assert(js.includes("xep_0231"), "the bundle holds the client");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
