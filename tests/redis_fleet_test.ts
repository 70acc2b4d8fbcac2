import { assert, assertStrictEquals } from "./deps.ts";
import { createClient } from "../mod.ts";
import { hasProsody, startProsody } from "./support/prosody.ts";
import {
  hasRedis,
  redisCli,
  requireServers,
  startRedis,
} from "./support/redis.ts";

const ignore = !(hasRedis() && hasProsody()) && !requireServers();
const PEER = new URL("./support/redis_peer.ts", import.meta.url).pathname;
const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client process (tests/support/redis_peer.ts) driven line by line. */
class Peer {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: string[] = [];
  #wake: (() => void) | undefined;
  #stderr: Promise<string>;

  constructor(args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", PEER, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#stderr = new Response(this.#child.stderr).text();
    this.#read(this.#child.stdout);
  }

  async #read(stdout: ReadableStream<Uint8Array>): Promise<void> {
    {
      let buf = "";
      for await (const chunk of stdout) {
        buf += dec.decode(chunk, { stream: true });
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          this.#lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          this.#wake?.();
        }
      }
      this.#wake?.();
    }
  }

  /** The next line the peer prints (30 s at most). */
  async line(): Promise<string> {
    const deadline = Date.now() + 30_000;
    while (this.#lines.length === 0) {
      if (Date.now() > deadline) {
        throw new Error(`peer is silent; stderr: ${await this.stderr()}`);
      }
      await Promise.race([
        new Promise<void>((r) => this.#wake = r),
        sleep(100),
      ]);
    }
    return this.#lines.shift()!;
  }

  async ask(command: string): Promise<string> {
    await this.#writer.write(enc.encode(command + "\n"));
    return this.line();
  }

  stderr(): Promise<string> {
    return Promise.race([this.#stderr, sleep(500).then(() => "(open)")]);
  }

  async close(): Promise<void> {
    try {
      await this.ask("quit");
    } catch { /* gone already */ }
    await this.#writer.close().catch(() => {});
    try {
      this.#child.kill("SIGKILL");
    } catch { /* exited */ }
    await this.#child.status;
    await this.#stderr.catch(() => {});
  }
}

Deno.test({
  name:
    "fleet: two client processes share one Redis — a BoB stored by one is served through Prosody by the other; max-age expires in Redis for both",
  ignore,
  async fn() {
    const redis = await startRedis();
    const server = await startProsody();
    const peers: Peer[] = [];
    const carol = createClient({
      jid: "carol@localhost/c",
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    });
    const caFile = `${server.dir}/test-ca.pem`;
    await Deno.writeTextFile(caFile, server.caPem);
    try {
      // Process A stores (offline); process B, online as bob, serves.
      const a = new Peer([redis.url, "alice@localhost/a"]);
      const b = new Peer([
        redis.url,
        "bob@localhost/b",
        String(server.c2sPort),
        caFile,
      ]);
      peers.push(a, b);
      assertStrictEquals(await a.line(), "ready");
      assertStrictEquals(await b.line(), "ready");
      const stored = await a.ask("set shared-by-a");
      assert(stored.startsWith("cid "), stored);
      const cid = stored.slice(4);
      assertStrictEquals(await b.ask(`get ${cid}`), "hit shared-by-a");

      // Carol asks bob (process B) over XMPP for what process A stored.
      await carol.start();
      const mine = carol.registerPlugin("xep_0231");
      const got = await mine.getBob({ cid, jid: "bob@localhost/b" });
      assertStrictEquals(dec.decode(got.data), "shared-by-a");

      // max-age 2: a Redis TTL. A stores it and exits, so no scheduler of
      // A's deletes it: the expiry is Redis's, seen by B and by a new A.
      const brief = (await a.ask("set brief 2")).slice(4);
      await a.close();
      const ttl = Number(
        await redisCli(redis.port, "pttl", `xmpp-actors:xep_0231:${brief}`),
      );
      assert(ttl > 0 && ttl <= 2000, `pttl ${ttl}`);
      assertStrictEquals(await b.ask(`get ${brief}`), "hit brief");
      await sleep(2200);
      assertStrictEquals(await b.ask(`get ${brief}`), "miss");
      const a2 = new Peer([redis.url, "alice@localhost/a2"]);
      peers.push(a2);
      assertStrictEquals(await a2.line(), "ready");
      assertStrictEquals(await a2.ask(`get ${brief}`), "miss");
      assertStrictEquals(await a2.ask(`get ${cid}`), "hit shared-by-a");
    } finally {
      await carol.stop();
      for (const p of peers) await p.close();
      await server.stop();
      await redis.stop();
    }
  },
});
