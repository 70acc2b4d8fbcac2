import { assert, assertMatch } from "./deps.ts";
import { runScript } from "./support/run.ts";

Deno.test("deno task demo:inspect runs the demo with no server, the inspector open, and prints its URL", async () => {
  const out = await runScript("examples/demo.ts", {
    args: ["--inspect"],
    env: { XMPP_SERVICE: "", INSPECT_WAIT: "0", INSPECT_SECONDS: "0" },
  });
  assert(out.code === 0, out.stderr);
  assertMatch(
    out.stdout,
    /inspector -> http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{16,}\//,
  );
  assertMatch(out.stdout, /get_bob {2}-> coucou after the swap, from memory/);
  assertMatch(out.stdout, /the inspector stays open until Ctrl-C/);
});
