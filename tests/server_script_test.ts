/**
 * `deno task server` (scripts/server.ts): a client logs in with what it
 * prints, Ctrl-C removes everything, and without Prosody it says what to
 * install.
 */
import { assert, assertMatch, assertStrictEquals } from "./deps.ts";
import { hasProsody, requireServers } from "./support/prosody.ts";
import { createClient } from "../mod.ts";

const script = new URL("../scripts/server.ts", import.meta.url).pathname;

Deno.test({
  name:
    "deno task server: prints its ports, a client logs in, SIGINT cleans up",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const dir = await Deno.makeTempDir();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--ca", `${dir}/ca.pem`],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    try {
      while (!out.includes("Ctrl-C")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const service = out.match(/xmpp:\/\/127\.0\.0\.1:\d+/)?.[0];
      const data = out.match(/data in (\S+)\)/)?.[1];
      assert(service && data, out);
      const xmpp = createClient({
        jid: "bob@localhost",
        password: "pw",
        service,
        tls: { caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)] },
      });
      await xmpp.start();
      await xmpp.stop();
      child.kill("SIGINT");
      assertStrictEquals((await child.status).code, 0);
      let gone = false;
      await Deno.stat(data).catch(() => gone = true);
      assert(gone, `${data} left behind`);
    } finally {
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task server: without Prosody it says what to install", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    env: { PATH: "/nonexistent" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertStrictEquals(out.code, 1);
  assertMatch(
    new TextDecoder().decode(out.stderr),
    /apt-get install -y prosody/,
  );
});
