import { assertMatch, assertStrictEquals } from "./deps.ts";
import { createClient, xml } from "../mod.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { runScript } from "./support/run.ts";

Deno.test({
  name: "examples/echo_bot.ts answers a chat message with the same body",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const server = await startProsody();
    const ca = await Deno.makeTempFile();
    const service = `xmpp://127.0.0.1:${server.c2sPort}`;
    const alice = createClient({
      jid: "alice@localhost/test",
      password: "pw",
      service,
      tls: { caCerts: [server.caPem] },
    });
    try {
      await Deno.writeTextFile(ca, server.caPem);
      const bot = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          new URL("../examples/echo_bot.ts", import.meta.url).pathname,
        ],
        stdout: "piped",
        stderr: "piped",
        env: {
          XMPP_SERVICE: service,
          XMPP_JID: "bob@localhost/bot",
          XMPP_PASSWORD: "pw",
          XMPP_CA: ca,
          XMPP_MAX_ECHOES: "1",
        },
      }).spawn();
      // Wait until the bot says it is online.
      const reader = bot.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let printed = "";
      while (!printed.includes("online")) {
        const { value, done } = await reader.read();
        if (done) break;
        printed += value;
      }
      assertMatch(printed, /echo bot online as bob@localhost\/bot/);

      await alice.start();
      const echoed = new Promise<string>((resolve) =>
        alice.on("stanza", (s) => {
          if (s.name === "message") resolve(s.getChildText("body") ?? "");
        })
      );
      alice.send(
        xml(
          "message",
          { to: "bob@localhost/bot", type: "chat" },
          xml("body", {}, "ping?"),
        ),
      );
      assertStrictEquals(await echoed, "ping?");

      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        printed += value;
      }
      const status = await bot.status;
      await bot.stderr.cancel();
      assertStrictEquals(status.code, 0);
      assertMatch(printed, /echoed 1 message\(s\), bye/);
    } finally {
      await alice.stop();
      await Deno.remove(ca);
      await server.stop();
    }
  },
});

Deno.test("examples/bob_loader.ts runs the how-to with plain functions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await runScript("examples/bob_loader.ts", { args: [dir] });
    assertStrictEquals(out.code, 0, out.stderr);
    assertMatch(
      out.stdout,
      /a new bob file appeared: .*sha1\+5ed25af7b1ed23fb00122e13d7f74c4d8262acd8@bob\.xmpp\.org/,
    );
    assertMatch(out.stdout, /read back: coucou/);
    assertMatch(out.stdout, /deleted: 0 file\(s\) left/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "examples/version_plugin.ts stores its version locally, and answers itself through Prosody",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const local = await runScript("examples/version_plugin.ts");
    assertStrictEquals(local.code, 0, local.stderr);
    assertMatch(local.stdout, /local: xmpp-actors 0\.1\.0/);

    const server = await startProsody();
    const ca = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(ca, server.caPem);
      const out = await runScript("examples/version_plugin.ts", {
        env: {
          XMPP_SERVICE: `xmpp://127.0.0.1:${server.c2sPort}`,
          XMPP_JID: "carol@localhost/v",
          XMPP_PASSWORD: "pw",
          XMPP_CA: ca,
        },
      });
      assertStrictEquals(out.code, 0, out.stderr);
      assertMatch(out.stdout, /carol@localhost\/v: xmpp-actors 0\.1\.0/);
    } finally {
      await Deno.remove(ca);
      await server.stop();
    }
  },
});
