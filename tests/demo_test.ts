import { assert, assertMatch } from "./deps.ts";

Deno.test("the demo (deno task demo) runs the how-to end to end with no server", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../examples/demo.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { XMPP_SERVICE: "" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr));
  assertMatch(
    text,
    /set_bob {2}-> cid sha1\+5ed25af7b1ed23fb00122e13d7f74c4d8262acd8@bob\.xmpp\.org/,
  );
  assertMatch(text, /"data": "Y291Y291", "type": "text\/plain"/);
  assertMatch(text, /get_bob {2}-> coucou after the swap, from memory/);
  assertMatch(text, /then get_bob fails: ItemNotFound/);
});
