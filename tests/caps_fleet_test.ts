import { assert, assertEquals } from "./deps.ts";
import { createClient, fileStorage, memoryStorage, xml } from "../mod.ts";
import type { Element } from "../src/deps.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import { recordKey } from "../actors/disco/store.ts";
import { hasProsody, startProsody } from "./support/prosody.ts";
import {
  hasRedis,
  redisCli,
  requireServers,
  startRedis,
} from "./support/redis.ts";

const ignore = !(hasRedis() && hasProsody()) && !requireServers();
const ignoreRedis = !hasRedis() && !requireServers();
const PEER = new URL("./support/caps_fleet_peer.ts", import.meta.url).pathname;
const INFO = "http://jabber.org/protocol/disco#info";

/** A fleet process, read line by line. */
function spawnPeer(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", PEER, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  return {
    async line(): Promise<string> {
      while (!buf.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`peer exited; buffered: ${buf}`);
        buf += value;
      }
      const i = buf.indexOf("\n");
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      return l;
    },
    async close() {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode("quit\n")).catch(() => {});
      await w.close().catch(() => {});
      await reader.cancel().catch(() => {});
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
      }, 5000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

Deno.test({
  name:
    "caps fleet: two processes share one Redis — the second resolves a contact's caps from the cache, one disco query in all",
  ignore,
  async fn() {
    const redis = await startRedis();
    const server = await startProsody();
    const caFile = `${server.dir}/test-ca.pem`;
    await Deno.writeTextFile(caFile, server.caPem);
    const bob = createClient({
      jid: "bob@localhost/b",
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    });
    const peers: ReturnType<typeof spawnPeer>[] = [];
    try {
      bob.registerPlugin("xep_0115");
      bob.registerPlugin("xep_0231");
      await bob.start();
      let queries = 0;
      bob.on("stanza", (s: Element) => {
        if (s.name === "iq" && s.getChild("query", INFO)) queries++;
      });
      const args = [String(server.c2sPort), caFile];
      const a = spawnPeer([redis.url, "alice@localhost/a", ...args]);
      const c = spawnPeer([redis.url, "carol@localhost/c", ...args]);
      peers.push(a, c);
      const aJid = (await a.line()).slice("ready ".length);
      const cJid = (await c.line()).slice("ready ".length);

      bob.send(xml("presence", { to: aJid }));
      assertEquals(await a.line(), `caps ${bob.jid} verified`);
      assertEquals(queries, 1);
      bob.send(xml("presence", { to: cJid }));
      assertEquals(await c.line(), `caps ${bob.jid} cache`);
      assertEquals(queries, 1);
      // What the processes share, in Redis.
      const key = recordKey("ver", bob.plugin["xep_0115"].ver!);
      assert(
        (await redisCli(redis.port, "exists", `xmpp-actors:xep_0115:${key}`))
          .trim() === "1",
      );
    } finally {
      for (const p of peers) await p.close();
      await bob.stop();
      await server.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "caps cache hot-swapped memory → file → Redis: nothing lost, nothing unverified",
  ignore: ignoreRedis,
  async fn() {
    const redis = await startRedis();
    const dir = await Deno.makeTempDir();
    const xmpp = createClient({ jid: "alice@localhost" });
    try {
      const caps = xmpp.registerPlugin("xep_0115");
      const own = await caps.update();
      const exodus = {
        identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
        features: [
          "http://jabber.org/protocol/caps",
          "http://jabber.org/protocol/disco#info",
          "http://jabber.org/protocol/disco#items",
          "http://jabber.org/protocol/muc",
        ],
      };
      const ver = "QgayPKawpkPSDYmwT/WM94uAlu0=";
      await caps.api.run("cache_caps", {
        args: { verstring: ver, info: exodus },
      });
      await caps.api.run("assign_verstring", {
        jid: "x@y/z",
        args: { verstring: ver },
      });
      // An entry planted in memory (not through cache_caps) travels as a
      // plain record but is never answered.
      const fake = "q07IKJEyjvHSyhy//CH0CxmKi8w=";
      await caps.api.run("set_record", {
        args: {
          key: recordKey("ver", fake),
          value: { ver: fake, info: exodus },
        },
      });
      const r1 = await caps.api.bind(fileStorage({ dir }), { migrate: true });
      const r2 = await caps.api.bind(redisStorage({ url: redis.url }), {
        migrate: true,
      });
      assertEquals(r1.copied, r2.copied);
      assertEquals(await caps.getCaps("x@y/z"), exodus);
      assertEquals(
        await caps.getCaps(undefined, own),
        await xmpp.plugin["xep_0030"].getInfo(),
      );
      assertEquals(await caps.getCaps(undefined, fake), undefined);
      // Tampered in Redis: not answered.
      await redisCli(
        redis.port,
        "set",
        `xmpp-actors:xep_0115:${recordKey("ver", ver)}`,
        JSON.stringify({
          ver,
          hash: "sha-1",
          info: { ...exodus, features: ["urn:evil"] },
        }),
      );
      assertEquals(await caps.getCaps("x@y/z"), undefined);
      await caps.api.bind(memoryStorage(), { migrate: true });
      assertEquals(
        await caps.getCaps(undefined, own),
        await xmpp.plugin["xep_0030"].getInfo(),
      );
    } finally {
      await xmpp.stop();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
