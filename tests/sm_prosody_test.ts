/**
 * XEP-0198 against a real Prosody (mod_smacks): a link cut mid-stream while
 * messages and IQs are in flight, and a resume that fails because the
 * server restarted.
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import type { ConnectionOptions } from "../actors/connection/connection.ts";
import { type Element, xml } from "../src/deps.ts";
import { ConnectionError } from "../src/errors.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { startProxy } from "./support/proxy.ts";
import { assert, assertEquals, assertRejects } from "./_helpers.ts";

const ignore = !hasProsody() && !requireServers();
const NS = "urn:example:echo";

function connect(
  jid: string,
  port: number,
  extra: Partial<ConnectionOptions> = {},
): DenoConnection {
  return new DenoConnection({
    jid,
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    tls: { starttls: false },
    allowPlainWithoutTls: true,
    reconnect: { initialDelay: 10, maxDelay: 100, jitter: 0 },
    ...extra,
  });
}

function until(test: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (test()) return resolve();
      if (Date.now() > deadline) return reject(new Error("timed out"));
      setTimeout(tick, 5);
    };
    tick();
  });
}

Deno.test({
  name:
    "XEP-0198 with Prosody: a link cut mid-stream loses nothing (1000 messages, 100 IQs, exactly once, in order)",
  ignore,
  async fn() {
    const server = await startProsody();
    const alicePath = startProxy(server.c2sPort);
    const bobPath = startProxy(server.c2sPort);
    const alice = connect("alice@localhost/cut", alicePath.port);
    const bob = connect("bob@localhost/cut", bobPath.port);
    try {
      await Promise.all([alice.start(), bob.start()]);
      const bodies: number[] = [];
      bob.on("stanza", (s) => {
        if (s.name === "message") bodies.push(Number(s.getChildText("body")));
      });
      bob.handle(
        "iq",
        { type: "get", name: "echo", xmlns: NS },
        (iq) => xml("echo", { xmlns: NS }, iq.getChildText("echo") ?? ""),
      );
      const resumed: string[] = [];
      alice.on("resumed", (j) => resumed.push(`alice ${j}`));
      bob.on("resumed", (j) => resumed.push(`bob ${j}`));
      const failed: Element[] = [];
      alice.on("failedStanzas", (ss) => failed.push(...ss));
      bob.on("failedStanzas", (ss) => failed.push(...ss));

      const iqs: Promise<string>[] = [];
      const sendBatch = (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          alice.send(
            xml(
              "message",
              { to: "bob@localhost/cut", type: "chat" },
              xml("body", {}, String(i)),
            ),
          );
          if (i % 10 === 9) {
            iqs.push(
              alice.iq(
                xml(
                  "iq",
                  { type: "get", to: "bob@localhost/cut" },
                  xml("echo", { xmlns: NS }, String(i)),
                ),
              ).then((r) => r.getChildText("echo") ?? ""),
            );
          }
        }
      };
      let acked = 0;
      alice.on("acked", (ss) => acked += ss.length);
      // Why two phases: Prosody 0.12.3 fails a resumed stream with
      // not-well-formed ("invalid token" on the first well-formed bytes after
      // <resumed/>) when the old link is cut while it is still reading a
      // burst from the client; after a resume it feeds the new socket's bytes
      // to the old connection's parser (mod_c2s `session.data` keeps the first
      // `stream`). So the server takes phase 1 whole before the cut.
      // Phase 1: 500 messages and 50 IQs pile up at the server for bob
      // (his link holds them back); wait until the server has taken them all.
      bobPath.hold();
      sendBatch(0, 500);
      await until(() => acked >= 550);
      // Phase 2: 500 more and 50 IQs leave alice, and both links die at once.
      sendBatch(500, 1000);
      alicePath.cut();
      bobPath.cut();
      const answers = await Promise.all(iqs);
      await until(() => bodies.length >= 1000);
      await new Promise((r) => setTimeout(r, 200)); // any duplicate would show
      assertEquals(bodies.length, 1000, "every message exactly once");
      assertEquals(
        bodies,
        Array.from({ length: 1000 }, (_, i) => i),
        "in order",
      );
      assertEquals(answers.length, 100);
      assertEquals(
        answers,
        Array.from({ length: 100 }, (_, i) => String(i * 10 + 9)),
      );
      assertEquals(resumed.sort(), [
        "alice alice@localhost/cut",
        "bob bob@localhost/cut",
      ]);
      assertEquals(failed.length, 0);
    } finally {
      await Promise.all([alice.stop(), bob.stop()]);
      await alicePath.close();
      await bobPath.close();
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "XEP-0198 with Prosody: a failed resume (server restarted) starts a new session and reports the unacked once",
  ignore,
  async fn() {
    const server = await startProsody();
    const alice = connect("alice@localhost/r", server.c2sPort, {
      streamManagement: { ackEvery: 1000, ackInterval: 60_000 },
    });
    const carol = connect("carol@localhost/r", server.c2sPort);
    try {
      await Promise.all([alice.start(), carol.start()]);
      carol.handle(
        "iq",
        { name: "hold", xmlns: NS },
        () => new Promise(() => {}),
      );
      const reached = new Promise<void>((r) =>
        carol.on("stanza", (s) => s.getChild("hold") && r())
      );
      const reports: { bodies: string[]; error: Error }[] = [];
      alice.on(
        "failedStanzas",
        (ss, error) =>
          reports.push({
            bodies: ss.map((s) => s.getChildText("body") ?? s.name),
            error,
          }),
      );
      const statuses: string[] = [];
      alice.on("status", (s) => statuses.push(s));
      for (const b of ["1", "2", "3"]) {
        alice.send(xml("message", { to: "bob@localhost" }, xml("body", {}, b)));
      }
      const held = assertRejects(
        alice.iq(
          xml(
            "iq",
            { type: "get", to: "carol@localhost/r" },
            xml("hold", { xmlns: NS }),
          ),
        ),
        ConnectionError,
      );
      await reached;
      await server.kill();
      const online = new Promise<string>((r) => alice.on("online", r));
      await server.restart();
      assertEquals(await online, "alice@localhost/r");
      await held;
      assert(statuses.includes("resuming"), statuses.join());
      assertEquals(statuses.at(-1), "online");
      assertEquals(reports.length, 1);
      assertEquals(reports[0].bodies, ["1", "2", "3", "iq"]);
      assert(reports[0].error instanceof ConnectionError);
      // the new session works and nothing is reported again
      const pong = await alice.iq(
        xml(
          "iq",
          { type: "get", to: "localhost" },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
      );
      assertEquals(pong.attrs.type, "result");
      await alice.stop();
      assertEquals(reports.length, 1, "nothing reported twice");
    } finally {
      await Promise.all([alice.stop(), carol.stop()]);
      await server.stop();
    }
  },
});

for (
  const [sm, ws] of [[true, false], [false, false], [false, true]] as const
) {
  Deno.test({
    name:
      `stop() with Prosody flushes what was sent: 500 × 60 KB then await stop() all arrive (stream management ${
        sm ? "on" : "off"
      }${ws ? ", WebSocket" : ""})`,
    ignore,
    async fn() {
      const server = await startProsody();
      const streamManagement = { enabled: sm };
      // generous: Prosody takes ~15 s for 30 MB of large stanzas here
      const alice = connect("alice@localhost/flush", server.c2sPort, {
        streamManagement,
        stopTimeout: 120_000,
        ...(ws ? { service: server.wsUrl } : {}),
      });
      const bob = connect("bob@localhost/flush", server.c2sPort, {
        streamManagement,
      });
      try {
        await Promise.all([alice.start(), bob.start()]);
        const arrived: number[] = [];
        let marked!: () => void;
        const marker = new Promise<void>((r) => marked = r);
        bob.on("stanza", (s) => {
          if (s.name !== "message") return;
          if (s.attrs.id === "marker") marked();
          else arrived.push(Number(s.attrs.id));
        });
        const failed: Element[] = [];
        alice.on("failedStanzas", (ss) => failed.push(...ss));
        const body = "x".repeat(60_000);
        for (let i = 0; i < 500; i++) {
          alice.send(
            xml(
              "message",
              { to: "bob@localhost/flush", id: String(i) },
              xml("body", {}, body),
            ),
          );
        }
        const result = await alice.stop();
        // Prosody handled alice's stream up to her close before this one:
        // everything it accepted from her reaches bob before the marker.
        bob.send(xml("message", { to: "bob@localhost/flush", id: "marker" }));
        await marker;
        assertEquals(arrived, Array.from({ length: 500 }, (_, i) => i));
        assertEquals(failed.length, 0);
        assertEquals(result, { complete: true, undelivered: [] });
      } finally {
        await Promise.all([alice.stop(), bob.stop()]);
        await server.stop();
      }
    },
  });
}

Deno.test({
  name:
    "XEP-0198 with Prosody ackDelay: the server asks once per delay, not once per stanza (count of <a/> bob writes over 100 IQs)",
  ignore,
  async fn() {
    const server = await startProsody();
    const written: Record<number, number> = {};
    try {
      for (const ackDelay of [0, 10_000]) {
        const bobPath = startProxy(server.c2sPort);
        const alice = connect(`alice@localhost/d${ackDelay}`, server.c2sPort);
        const bob = connect(`bob@localhost/d${ackDelay}`, bobPath.port, {
          streamManagement: { ackDelay },
        });
        try {
          await Promise.all([alice.start(), bob.start()]);
          bob.handle(
            "iq",
            { type: "get", name: "echo", xmlns: NS },
            (iq) => xml("echo", { xmlns: NS }, iq.getChildText("echo") ?? ""),
          );
          const before = count(bobPath.clientBytes());
          for (let i = 0; i < 100; i++) {
            const r = await alice.iq(
              xml(
                "iq",
                { type: "get", to: bob.jid! },
                xml("echo", { xmlns: NS }, String(i)),
              ),
            );
            assertEquals(r.getChildText("echo"), String(i));
          }
          written[ackDelay] = count(bobPath.clientBytes()) - before;
        } finally {
          await Promise.all([alice.stop(), bob.stop()]);
          await bobPath.close();
        }
      }
      // Prosody asks after every stanza it sends bob unless it waits for an
      // answer: with 0 each request is answered (the answer rides with the
      // IQ result); with a delay longer than the run (a few hundred ms
      // here), the first request is answered once it is due, and Prosody
      // asks nothing more meanwhile.
      assert(written[0] >= 90, `ackDelay 0: ${written[0]} answers`);
      assert(written[10_000] <= 1, `ackDelay 10 s: ${written[10_000]}`);
    } finally {
      await server.stop();
    }
  },
});

function count(bytes: Uint8Array): number {
  return new TextDecoder().decode(bytes).split("<a xmlns=").length - 1;
}
