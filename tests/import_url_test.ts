import { assert, assertMatch, assertStrictEquals } from "./deps.ts";
import { serveStatic } from "../examples/browser/serve.ts";

// A project with no deno.json imports the library by URL: it must not need
// the library's import map (every third-party import is a full npm:
// specifier), and a plain static server must do (`.ts` served as
// application/typescript).

const CONSUMER = (base: string) => `
import { strictEqual } from "node:assert/strict";
import { createClient, fileStorage, memoryStorage } from "${base}mod.ts";

const dir = Deno.args[0];
const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
const bob = xmpp.registerPlugin("xep_0231");
const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain");
console.log("stored " + cid);

// Hot swap, twice, with migration: memory -> memory -> files.
await bob.api.bind(memoryStorage(), { migrate: true });
await bob.api.bind(fileStorage({ dir }), { migrate: true });
const got = await bob.getBob({ cid });
strictEqual(new TextDecoder().decode(got.data), "coucou");
strictEqual([...Deno.readDirSync(dir)].length, 1);
console.log("read back after the swaps: " + new TextDecoder().decode(got.data));
await xmpp.stop();
`;

async function caches(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  return [info.modulesCache, info.typescriptCache].filter(Boolean);
}

Deno.test("mod.ts imported by URL from a project with no deno.json runs BoB with a hot swap", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const site = serveStatic(root);
  const host = new URL(site.url).host;
  const project = await Deno.makeTempDir({ prefix: "xmpp-actors-consumer-" });
  try {
    // The consumer's project: one script, no config, no lock.
    await Deno.writeTextFile(`${project}/main.ts`, CONSUMER(site.url));
    await Deno.mkdir(`${project}/bobs`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-import=${host}`,
        `--allow-read=${project}`,
        `--allow-write=${project}`,
        "main.ts",
        `${project}/bobs`,
      ],
      cwd: project,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assertStrictEquals(out.code, 0, stderr);
    assertMatch(
      stdout,
      /stored sha1\+5ed25af7b1ed23fb00122e13d7f74c4d8262acd8@bob\.xmpp\.org/,
    );
    assertMatch(stdout, /read back after the swaps: coucou/);
    // It came from our server, the library's TypeScript as such.
    assert(site.requests.includes("/mod.ts"));
    assert(site.requests.includes("/src/deps.ts"), String(site.requests));
    const head = await fetch(`${site.url}mod.ts`, { method: "HEAD" });
    await head.body?.cancel();
    assertMatch(head.headers.get("content-type")!, /^application\/typescript/);
    // No config appeared in the consumer's project.
    const files = [...Deno.readDirSync(project)].map((e) => e.name).sort();
    assertStrictEquals(files.join(","), "bobs,main.ts");
  } finally {
    await site.close();
    await Deno.remove(project, { recursive: true });
    // Drop what Deno cached from this one-off origin (a new port each run).
    const port = new URL(site.url).port;
    for (const cache of await caches()) {
      await Deno.remove(`${cache}/http/127.0.0.1_PORT${port}`, {
        recursive: true,
      }).catch(() => {});
    }
  }
});
