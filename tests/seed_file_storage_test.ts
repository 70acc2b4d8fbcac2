import { assertMatch, assertStrictEquals } from "./deps.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { runScript } from "./support/run.ts";

const CID = "sha1\\+5ed25af7b1ed23fb00122e13d7f74c4d8262acd8@bob\\.xmpp\\.org";

Deno.test("examples/seed_file_storage.ts runs the slixmpp how-to locally, step by step", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await runScript("examples/seed_file_storage.ts", {
      args: [dir],
    });
    assertStrictEquals(out.code, 0, out.stderr);
    assertMatch(out.stdout, new RegExp(`3\\. set_bob -> .*/${CID}`));
    assertMatch(out.stdout, /4\. get_bob -> text\/plain: coucou/);
    assertMatch(out.stdout, /5\. no XMPP_SERVICE: local only/);
    assertMatch(out.stdout, /6\. del_bob -> file removed/);
    assertMatch(out.stdout, /7\. bound fileStorage.* with migrate: coucou/);
    // What is left: the entry the file storage actor holds, nothing else.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assertStrictEquals(left.join(","), "actor");
    const actor = [...Deno.readDirSync(`${dir}/actor`)].map((e) => e.name);
    assertStrictEquals(actor.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/ never assert with console.assert (it only prints in Deno)", async () => {
  const root = new URL("../examples/", import.meta.url).pathname;
  const offenders: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}${e.name}`;
      if (e.isDirectory) await walk(`${path}/`);
      else if (/\.(ts|js|html)$/.test(e.name)) {
        if ((await Deno.readTextFile(path)).includes("console.assert(")) {
          offenders.push(path);
        }
      }
    }
  };
  await walk(root);
  assertStrictEquals(offenders.join(", "), "");
});

Deno.test({
  name:
    "examples/seed_file_storage.ts against Prosody: a second session fetches the BoB from the file",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const server = await startProsody();
    const dir = await Deno.makeTempDir();
    const ca = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(ca, server.caPem);
      const out = await runScript("examples/seed_file_storage.ts", {
        args: [dir],
        env: {
          XMPP_SERVICE: `xmpp://127.0.0.1:${server.c2sPort}`,
          XMPP_JID: "carol@localhost/seed",
          XMPP_PASSWORD: "pw",
          XMPP_CA: ca,
        },
      });
      assertStrictEquals(out.code, 0, out.stderr);
      assertMatch(
        out.stdout,
        new RegExp(
          `5\\. carol@localhost/seed-reader fetched ${CID} from carol@localhost/seed via xmpp://`,
        ),
      );
      assertMatch(out.stdout, /^done$/m);
    } finally {
      await Deno.remove(ca);
      await Deno.remove(dir, { recursive: true });
      await server.stop();
    }
  },
});
