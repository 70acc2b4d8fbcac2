import { assert, assertStrictEquals } from "./deps.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";

// Every ```ts block of README.md runs as a user would run it, so the README
// cannot rot. A block imports "./mod.ts" or "./internals.ts" (rewritten to
// this checkout). A block
// that dials `xmpp://127.0.0.1:5222` and reads `ca.pem` gets the harness's
// Prosody port and CA instead.

const root = new URL("../", import.meta.url);
const readme = await Deno.readTextFile(new URL("README.md", root));
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => ({
  code: m[1],
  line: readme.slice(0, m.index).split("\n").length,
}));
const needsServer = (code: string) => code.includes("xmpp://127.0.0.1:5222");

Deno.test("README.md has TypeScript blocks, and none asserts with console.assert", () => {
  assert(blocks.length >= 4, `found ${blocks.length} blocks`);
  for (const b of blocks) {
    assert(
      !b.code.includes("console.assert"),
      `README.md:${b.line}: console.assert never throws in Deno`,
    );
  }
});

async function runBlock(code: string, line: number) {
  const dir = await Deno.makeTempDir({ prefix: "readme-" });
  try {
    const file = `${dir}/block_${line}.ts`;
    await Deno.writeTextFile(
      file,
      code.replaceAll(
        '"./mod.ts"',
        JSON.stringify(new URL("mod.ts", root).href),
      ).replaceAll(
        '"./internals.ts"',
        JSON.stringify(new URL("internals.ts", root).href),
      ),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", file],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assertStrictEquals(out.code, 0, `README.md:${line} failed:\n${err}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const { code, line } of blocks.filter((b) => !needsServer(b.code))) {
  Deno.test(`README.md block at line ${line} runs`, () => runBlock(code, line));
}

const serverBlocks = blocks.filter((b) => needsServer(b.code));
Deno.test({
  name: "README.md blocks that connect run against Prosody",
  ignore: serverBlocks.length === 0 || (!hasProsody() && !requireServers()),
  async fn() {
    const server = await startProsody();
    const ca = await Deno.makeTempFile({ suffix: ".pem" });
    try {
      await Deno.writeTextFile(ca, server.caPem);
      for (const { code, line } of serverBlocks) {
        await runBlock(
          code.replaceAll(
            "xmpp://127.0.0.1:5222",
            `xmpp://127.0.0.1:${server.c2sPort}`,
          ).replaceAll('"ca.pem"', JSON.stringify(ca)),
          line,
        );
      }
    } finally {
      await Deno.remove(ca);
      await server.stop();
    }
  },
});
