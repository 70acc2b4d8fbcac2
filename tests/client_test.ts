import { assert, assertStrictEquals } from "./deps.ts";
import { createClient, xml } from "../mod.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";

Deno.test({
  name:
    "createClient() connects to Prosody with STARTTLS, pings, messages, and keeps BoB local",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const server = await startProsody();
    const common = {
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    };
    const seen = new Set<string>();
    const alice = createClient({
      jid: "alice@localhost/laptop",
      ...common,
      inspect(ev) {
        if (ev.type === "@xstate.snapshot") {
          seen.add(JSON.stringify((ev.snapshot as { value?: unknown }).value));
        }
      },
    });
    const bob = createClient({ jid: "bob@localhost/phone", ...common });
    try {
      await Promise.all([alice.start(), bob.start()]);
      assertStrictEquals(alice.jid, "alice@localhost/laptop");
      // One inspection observer sees the connection machine's states too.
      for (
        const state of [
          "connecting",
          "starttls",
          "authenticating",
          "binding",
          "online",
        ]
      ) {
        assert(
          [...seen].some((v) => v?.includes(`"${state}"`)),
          `saw ${state}: ${[...seen]}`,
        );
      }
      const pong = await alice.iq(
        xml(
          "iq",
          { type: "get", to: "localhost" },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
      );
      assertStrictEquals(pong.attrs.type, "result");

      const got = new Promise<string>((resolve) =>
        bob.on("stanza", (s) => {
          if (s.name === "message") resolve(s.getChildText("body") ?? "");
        })
      );
      alice.send(
        xml("message", { to: bob.jid, type: "chat" }, xml("body", {}, "hi")),
      );
      assertStrictEquals(await got, "hi");

      const bits = alice.registerPlugin("xep_0231");
      const cid = await bits.setBob(
        new TextEncoder().encode("online"),
        "text/plain",
      );
      assertStrictEquals((await bits.getBob({ cid })).type, "text/plain");
    } finally {
      await alice.stop();
      await bob.stop();
      await server.stop();
    }
  },
});
