import { assert, assertMatch } from "./deps.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { runScript } from "./support/run.ts";

Deno.test("the demo (deno task demo) runs the how-to end to end with no server", async () => {
  const out = await runScript("examples/demo.ts", {
    env: { XMPP_SERVICE: "" },
  });
  const text = out.stdout;
  assert(out.code === 0, out.stderr);
  assertMatch(
    text,
    /set_bob {2}-> cid sha1\+5ed25af7b1ed23fb00122e13d7f74c4d8262acd8@bob\.xmpp\.org/,
  );
  assertMatch(text, /"data": "Y291Y291", "type": "text\/plain"/);
  assertMatch(text, /get_bob {2}-> coucou after the swap, from memory/);
  assertMatch(text, /then get_bob fails: ItemNotFound/);
});

Deno.test({
  name: "the demo connects to a real server when XMPP_SERVICE is given",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const server = await startProsody();
    const ca = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(ca, server.caPem);
      const out = await runScript("examples/demo.ts", {
        env: {
          XMPP_SERVICE: `xmpp://127.0.0.1:${server.c2sPort}`,
          XMPP_JID: "alice@localhost/demo",
          XMPP_PASSWORD: "pw",
          XMPP_CA: ca,
        },
      });
      const text = out.stdout;
      assert(out.code === 0, out.stderr);
      assertMatch(
        text,
        /online {3}-> alice@localhost\/demo via xmpp:\/\/127\.0\.0\.1:/,
      );
      assertMatch(text, /ping {5}-> result/);
      assertMatch(text, /get_bob {2}-> coucou after the swap, from memory/);
    } finally {
      await Deno.remove(ca);
      await server.stop();
    }
  },
});
