import { assert, assertEquals } from "./deps.ts";
import { createClient, xml } from "../mod.ts";
import type { CapsEvent } from "../mod.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { hasSlixmpp, PYTHON } from "./support/slixmpp.ts";

const ignore = !(hasProsody() && hasSlixmpp()) && !requireServers();
const SCRIPT = new URL("./support/slixmpp_caps_peer.py", import.meta.url)
  .pathname;

Deno.test({
  name:
    "caps with slixmpp 1.8.3: each verifies the other's ver (forms included), and both hash the §5.3 example alike",
  ignore,
  async fn() {
    const server = await startProsody();
    const alice = createClient({
      jid: "alice@localhost/a",
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    });
    let child: Deno.ChildProcess | undefined;
    try {
      const caps = alice.registerPlugin("xep_0115");
      const ext = alice.registerPlugin("xep_0128");
      await ext.addExtendedInfo({
        type: "result",
        fields: [
          {
            var: "FORM_TYPE",
            type: "hidden",
            values: ["urn:xmpp:dataforms:softwareinfo"],
          },
          { var: "software", values: ["xmpp-actors"] },
          { var: "os", values: ["linux", "deno"] },
        ],
      });
      await alice.start();
      const ours = await caps.update();
      const events: CapsEvent[] = [];
      let wake: () => void = () => {};
      caps.onCaps((e) => {
        events.push(e);
        wake();
      });
      child = new Deno.Command(PYTHON, {
        args: [
          SCRIPT,
          "--port",
          String(server.c2sPort),
          "--jid",
          "bob@localhost/slix",
          "--target",
          alice.jid,
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const lines = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let buf = "";
      const line = async (): Promise<Record<string, unknown>> => {
        while (!buf.includes("\n")) {
          const { value, done } = await lines.read();
          if (done) throw new Error(`peer exited; buffered: ${buf}`);
          buf += value;
        }
        const i = buf.indexOf("\n");
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        return JSON.parse(l);
      };
      const first = await line();
      // slixmpp's ver of §5.3 is the XEP's (and ours, tests/caps_ver_test.ts).
      assertEquals(first.example, "q07IKJEyjvHSyhy//CH0CxmKi8w=");
      // Its presence reaches alice: we query and verify its ver.
      while (!events.some((e) => e.jid === first.jid)) {
        await new Promise<void>((r) => wake = r);
      }
      const theirs = events.find((e) => e.jid === first.jid)!;
      assertEquals(theirs.outcome, "verified");
      assertEquals(theirs.ver, first.ver);
      const info = await caps.getCaps(first.jid as string);
      assertEquals(info?.forms?.length, 1);
      // Ours reaches slixmpp: it queries, verifies and assigns our ver.
      alice.send(xml("presence", { to: first.jid as string }));
      const second = await line();
      assertEquals(second.ours, ours);
      assert((second.features as string[]).includes("urn:xmpp:bob") === false);
      assert(
        (second.features as string[]).includes(
          "http://jabber.org/protocol/caps",
        ),
      );
      assertEquals((await child.status).code, 0);
      child = undefined;
    } finally {
      if (child !== undefined) {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
        await child.status;
      }
      await alice.stop();
      await server.stop();
    }
  },
});
