/**
 * Issue 21, BoB side, written as the attackers would: a peer that knows a
 * cid (mallory) tries to retype, re-time, replace or poison entries; a
 * stranger floods inline data; a peer provokes errors to read our paths.
 * Everything runs against the harness Prosody (and Redis where said).
 *
 * @module
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "./deps.ts";
import {
  type BobPlugin,
  cidOf,
  DEFAULT_PEER_CACHE_MAX_BYTES,
  DEFAULT_PEER_CACHE_MAX_ENTRIES,
  type Element,
  fileStorage,
  ItemNotFound,
  redisStorage,
  StanzaError,
  VerificationError,
  xml,
} from "../mod.ts";
import { hasProsody, requireServers } from "./support/prosody.ts";
import { type PeerClient, withPeers as withPeersOf } from "./support/peers.ts";
import { hasRedis, redisCli, startRedis } from "./support/redis.ts";
import { DEFAULT_REDIS_PREFIX } from "../actors/storage/redis/options.ts";
import { createHash } from "node:crypto";

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NS = "urn:xmpp:bob";

type Client = PeerClient;

/** alice, mallory (the bob account) and carol on a fresh Prosody. */
function withPeers(
  fn: (p: { alice: Client; mallory: Client; carol: Client }) => Promise<void>,
): Promise<void> {
  return withPeersOf(
    ({ alice, bob, carol }) => fn({ alice, mallory: bob, carol }),
    {
      bob: "m",
    },
  );
}

const ignore = !hasProsody() && !requireServers();

/** A message carrying one `<data/>` (bytes base64, attributes as given). */
function inline(
  to: string,
  attrs: Record<string, string>,
  data: Uint8Array,
): Element {
  return xml(
    "message",
    { to, type: "chat" },
    xml("data", { xmlns: NS, ...attrs }, data.toBase64()),
  );
}

/** The next `bob.data` or `bob.rejected` at `bob` (one per inline `<data/>`). */
function nextOutcome(bob: BobPlugin): Promise<"data" | "rejected"> {
  return new Promise((resolve) => {
    const offs = [
      bob.on("bob.data", () => done("data")),
      bob.on("bob.rejected", () => done("rejected")),
    ];
    const done = (o: "data" | "rejected") => {
      for (const off of offs) off();
      resolve(o);
    };
  });
}

/** A cid of `algo` over `data`, hashed here (node:crypto is the oracle). */
function cidWith(algo: string, nodeAlgo: string, data: Uint8Array): string {
  const hex = createHash(nodeAlgo).update(data).digest("hex");
  return `${algo}+${hex}@bob.xmpp.org`;
}

/** Count the BoB IQ gets `who` receives. */
function countGets(who: Client): { n: number } {
  const c = { n: 0 };
  who.on("stanza", (s) => {
    if (s.name === "iq" && s.getChild("data", NS)) c.n++;
  });
  return c;
}

Deno.test({
  name:
    "BoB trust: a peer re-sending your cid inline with another type and max-age=1 changes nothing (file storage)",
  ignore,
  fn: () =>
    withPeers(async ({ alice, mallory, carol }) => {
      const dir = await Deno.makeTempDir();
      try {
        const mine = alice.registerPlugin("xep_0231");
        await mine.api.bind(fileStorage({ dir }));
        const png = enc.encode("\x89PNG pretend image");
        const cid = await mine.setBob(png, "image/png");
        const outcome = nextOutcome(mine);
        mallory.send(
          inline(alice.jid, { cid, type: "text/html", "max-age": "1" }, png),
        );
        // The bytes are honest: the data is announced (and may be cached
        // as peer data), but our entry is not touched.
        assertStrictEquals(await outcome, "data");
        await sleep(1500); // past the forged max-age
        const record = JSON.parse(await Deno.readTextFile(`${dir}/${cid}`));
        assertStrictEquals(record.type, "image/png");
        assertStrictEquals(record.max_age, null);
        const got = await mine.getBob({ cid });
        assertStrictEquals(got.type, "image/png");
        assertStrictEquals(got.maxAge, undefined);
        // What we serve is what we stored.
        const served = await carol.registerPlugin("xep_0231").getBob({
          cid,
          jid: alice.jid,
        });
        assertStrictEquals(served.type, "image/png");
        assertStrictEquals(served.maxAge, undefined);
        // Peer data never lands in our storage.
        assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [cid]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});

Deno.test({
  name:
    "BoB trust: an answer fetched with getBob({ cid, jid, cached: false }) never retypes, re-times or deletes your entry",
  ignore,
  fn: () =>
    withPeers(async ({ alice, mallory }) => {
      const mine = alice.registerPlugin("xep_0231");
      const data = enc.encode("my logo");
      const cid = await mine.setBob(data, "image/png");
      // Mallory answers with the honest bytes, another type and max-age 1.
      mallory.handle(
        "iq",
        { type: "get", name: "data", xmlns: NS },
        () =>
          xml(
            "data",
            { xmlns: NS, cid, type: "text/html", "max-age": "1" },
            data.toBase64(),
          ),
      );
      const fetched = await mine.getBob({
        cid,
        jid: mallory.jid,
        cached: false,
      });
      // The caller sees what mallory said…
      assertStrictEquals(fetched.type, "text/html");
      // …and our entry is untouched, also after mallory's max-age.
      await sleep(1500);
      const got = await mine.getBob({ cid });
      assertStrictEquals(got.type, "image/png");
      assertStrictEquals(got.maxAge, undefined);
    }),
});

Deno.test({
  name:
    "BoB trust: a peer re-sending your cid inline with max-age=1 leaves the Redis entry with no TTL",
  ignore: ignore || (!hasRedis() && !requireServers()),
  fn: async () => {
    const redis = await startRedis();
    try {
      await withPeers(async ({ alice, mallory }) => {
        const mine = alice.registerPlugin("xep_0231");
        await mine.api.bind(redisStorage({ url: redis.url }));
        const data = enc.encode("kept in redis");
        const cid = await mine.setBob(data, "text/plain");
        const key = `${DEFAULT_REDIS_PREFIX}xep_0231:${cid}`;
        assertStrictEquals(
          (await redisCli(redis.port, "TTL", key)).trim(),
          "-1",
        );
        const outcome = nextOutcome(mine);
        mallory.send(
          inline(alice.jid, { cid, type: "text/html", "max-age": "1" }, data),
        );
        assertStrictEquals(await outcome, "data");
        assertStrictEquals(
          (await redisCli(redis.port, "TTL", key)).trim(),
          "-1",
        );
        const record = JSON.parse(await redisCli(redis.port, "GET", key));
        assertStrictEquals(record.type, "text/plain");
        await sleep(1500);
        assertStrictEquals((await mine.getBob({ cid })).type, "text/plain");
      });
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "BoB trust: a peer's large max-age does not keep alive an entry you set to expire",
  ignore,
  fn: () =>
    withPeers(async ({ alice, mallory }) => {
      const mine = alice.registerPlugin("xep_0231");
      const data = enc.encode("short-lived");
      const cid = await mine.setBob(data, "text/plain", { maxAge: 1 });
      const expired = new Promise<string>((resolve) =>
        mine.on("bob.expired", (e) => resolve(e.cid))
      );
      const outcome = nextOutcome(mine);
      mallory.send(
        inline(
          alice.jid,
          { cid, type: "text/plain", "max-age": "999999" },
          data,
        ),
      );
      assertStrictEquals(await outcome, "data");
      const which = await Promise.race([
        expired,
        sleep(10_000).then(() => "still there after 10 s"),
      ]);
      assertStrictEquals(which, cid);
      // Gone from our storage; the peer copy does not resurrect it for
      // peers (IQ gets serve our storage only).
      await assertRejects(
        () =>
          alice.iq(
            xml(
              "iq",
              { type: "get", to: alice.jid },
              xml("data", { xmlns: NS, cid }),
            ),
          ),
        StanzaError,
      );
    }),
});

Deno.test({
  name:
    "BoB trust: forged bytes under sha-256+/sha256+/sha-1+/md5+ cids are never cached and never replace your entry",
  ignore,
  fn: () =>
    withPeers(async ({ alice, mallory, carol }) => {
      const mine = alice.registerPlugin("xep_0231");
      const theirs = carol.registerPlugin("xep_0231");
      const forged = enc.encode("forged by mallory");

      // Our own entry under a sha-256 cid: mallory's bytes must not replace it.
      const own = enc.encode("alice's own sha-256 entry");
      const ownCid = cidWith("sha-256", "sha256", own);
      assertStrictEquals(
        await mine.setBob(own, "text/plain", { cid: ownCid }),
        ownCid,
      );

      // Carol's real entries, under several algorithms.
      const real = enc.encode("carol's real bytes");
      const cids = {
        sha1dash: cidWith("sha-1", "sha1", real),
        sha256: cidWith("sha256", "sha256", real),
        sha384: cidWith("sha-384", "sha384", real),
        sha512: cidWith("sha-512", "sha512", real),
        md5: cidWith("md5", "md5", real),
      };
      for (const cid of Object.values(cids)) {
        await theirs.setBob(real, "text/plain", { cid });
      }

      // Mallory sends forged bytes under each of them, and under ours.
      for (const cid of [ownCid, ...Object.values(cids)]) {
        const outcome = nextOutcome(mine);
        mallory.send(inline(alice.jid, { cid, type: "text/html" }, forged));
        assertStrictEquals(await outcome, "rejected", cid);
      }
      const kept = await mine.getBob({ cid: ownCid });
      assertStrictEquals(dec.decode(kept.data), "alice's own sha-256 entry");
      assertStrictEquals(kept.type, "text/plain");
      for (const cid of Object.values(cids)) {
        await assertRejects(() => mine.getBob({ cid }), ItemNotFound);
      }

      // Fetching from carol still asks carol and gets the real bytes.
      const gets = countGets(carol);
      for (
        const cid of [cids.sha1dash, cids.sha256, cids.sha384, cids.sha512]
      ) {
        const got = await mine.getBob({ cid, jid: carol.jid });
        assertStrictEquals(dec.decode(got.data), "carol's real bytes", cid);
      }
      assertStrictEquals(gets.n, 4);

      // md5 cannot be trusted: never accepted from a peer, never asked for.
      await assertRejects(
        () => mine.getBob({ cid: cids.md5, jid: carol.jid }),
        VerificationError,
        /cannot be verified/,
      );
      assertStrictEquals(gets.n, 4);
      await assertRejects(() => mine.getBob({ cid: cids.md5 }), ItemNotFound);

      // An honest md5 inline <data/> is refused too (unverifiable).
      const outcome = nextOutcome(mine);
      mallory.send(
        inline(alice.jid, { cid: cids.md5, type: "text/plain" }, real),
      );
      assertStrictEquals(await outcome, "rejected");
      await assertRejects(() => mine.getBob({ cid: cids.md5 }), ItemNotFound);
    }),
});

Deno.test({
  name:
    "BoB trust: getBob({ cid, jid: carol }) asks carol even after mallory pushed forged data under that cid",
  ignore,
  fn: () =>
    withPeers(async ({ alice, mallory, carol }) => {
      const mine = alice.registerPlugin("xep_0231");
      const theirs = carol.registerPlugin("xep_0231");
      const real = enc.encode("real avatar");
      for (
        const [algo, nodeAlgo] of [["sha-1", "sha1"], ["sha-256", "sha256"]]
      ) {
        const cid = cidWith(algo, nodeAlgo, real);
        await theirs.setBob(real, "image/png", { cid });
        const outcome = nextOutcome(mine);
        mallory.send(
          inline(alice.jid, { cid, type: "text/html" }, enc.encode("<script>")),
        );
        await outcome;
        const gets = countGets(carol);
        const got = await mine.getBob({ cid, jid: carol.jid });
        assertStrictEquals(gets.n, 1, `carol was asked for ${cid}`);
        assertStrictEquals(dec.decode(got.data), "real avatar");
        assertStrictEquals(got.type, "image/png");
      }
    }),
});

async function flood(
  alice: Client,
  mallory: Client,
  mine: BobPlugin,
  count: number,
  size: number,
  dir: string,
) {
  let done = 0;
  const offs = [
    mine.on("bob.data", () => done++),
    mine.on("bob.rejected", () => done++),
  ];
  // With --v8-flags=--expose-gc the figures are after a full collection.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = Deno.memoryUsage().heapUsed;
  const externalBefore = Deno.memoryUsage().external;
  const batch = 250;
  for (let sent = 0; sent < count;) {
    const n = Math.min(batch, count - sent);
    for (let i = 0; i < n; i++, sent++) {
      const data = new Uint8Array(size);
      crypto.getRandomValues(data.subarray(0, Math.min(size, 65536)));
      new DataView(data.buffer).setUint32(0, sent);
      mallory.send(
        inline(alice.jid, {
          cid: cidOf(data),
          type: "application/octet-stream",
        }, data),
      );
    }
    // Wait for this batch to arrive before sending more.
    while (done < sent) await sleep(5);
  }
  // Array buffers are freed by a task after the collection: let it run.
  if (gc) {
    gc();
    await sleep(500);
    gc();
  }
  const after = Deno.memoryUsage().heapUsed;
  const externalAfter = Deno.memoryUsage().external;
  for (const off of offs) off();
  const files = [...Deno.readDirSync(dir)].length;
  console.log(
    `flood ${count} x ${size} B: heap ${(before / 1e6).toFixed(1)} MB -> ${
      (after / 1e6).toFixed(1)
    } MB, external ${(externalBefore / 1e6).toFixed(1)} MB -> ${
      (externalAfter / 1e6).toFixed(1)
    } MB; ${files} files in storage`,
  );
  assertStrictEquals(files, 0, "peer data never goes to storage");
  const stats = mine.peerCache;
  console.log(`peer cache: ${stats.entries} entries, ${stats.bytes} B`);
  assert(stats.entries <= stats.maxEntries, JSON.stringify(stats));
  assert(stats.bytes <= stats.maxBytes, JSON.stringify(stats));
  return stats;
}

// Three times each bound by default (the bounds are what is tested); the
// issue's figures (20,000 x 1 KiB, 2,000 x 60 KB) with XMPP_ACTORS_FLOOD=full.
const FULL_FLOOD = Deno.env.get("XMPP_ACTORS_FLOOD") === "full";
const SMALL_FLOOD = FULL_FLOOD ? 20_000 : 3 * DEFAULT_PEER_CACHE_MAX_ENTRIES;
const BIG_FLOOD = FULL_FLOOD
  ? 2_000
  : 3 * Math.ceil(DEFAULT_PEER_CACHE_MAX_BYTES / 60_000);

Deno.test({
  name:
    "BoB trust: a flood of 1 KiB and of 60 KB inline messages from a stranger keeps the peer cache within its bounds",
  ignore,
  fn: () =>
    withPeers(async ({ alice, mallory }) => {
      const dir = await Deno.makeTempDir();
      try {
        const mine = alice.registerPlugin("xep_0231");
        await mine.api.bind(fileStorage({ dir }));
        const small = await flood(alice, mallory, mine, SMALL_FLOOD, 1024, dir);
        assertStrictEquals(small.maxEntries, DEFAULT_PEER_CACHE_MAX_ENTRIES);
        assertStrictEquals(small.maxBytes, DEFAULT_PEER_CACHE_MAX_BYTES);
        // Count bound: as many as fit, the most recent ones.
        assertStrictEquals(small.entries, DEFAULT_PEER_CACHE_MAX_ENTRIES);
        const big = await flood(alice, mallory, mine, BIG_FLOOD, 60_000, dir);
        // Bytes bound: as many 60 KB entries as fit.
        assertStrictEquals(
          big.entries,
          Math.floor(DEFAULT_PEER_CACHE_MAX_BYTES / 60_000),
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});

Deno.test({
  name:
    "BoB trust: a throwing get_bob handler or a corrupt file gives the peer the condition only; the detail is a local error event",
  ignore,
  fn: () =>
    withPeers(async ({ alice, carol }) => {
      const dir = await Deno.makeTempDir();
      try {
        const mine = alice.registerPlugin("xep_0231");
        const errors: Error[] = [];
        alice.on("error", (e) => errors.push(e));
        const ask = (cid: string) =>
          assertRejects(
            () =>
              carol.iq(
                xml(
                  "iq",
                  { type: "get", to: alice.jid },
                  xml("data", { xmlns: NS, cid }),
                ),
              ),
            StanzaError,
          );

        // A BobLoader-style handler: one file per cid, read without care.
        mine.api.register(async (_jid, _node, _ifrom, cid) => {
          const raw = await Deno.readTextFile(`${dir}/${cid}`);
          return JSON.parse(raw);
        }, "get_bob");
        const missing = cidOf(enc.encode("not there"));
        const e1 = await ask(missing);
        assertStrictEquals(e1.condition, "internal-server-error");
        assertStrictEquals(e1.text, undefined);
        const raw1 = e1.stanza!.toString();
        assert(!raw1.includes(dir), raw1);
        assert(!raw1.includes("<text"), raw1);
        assert(
          errors.some((e) => e.message.includes(`${dir}/${missing}`)),
          errors.map((e) => e.message).join("\n"),
        );

        // The file storage, with a corrupt entry.
        mine.api.restoreDefault("get_bob");
        await mine.api.bind(fileStorage({ dir }));
        const corrupt = cidOf(enc.encode("corrupt"));
        await Deno.writeTextFile(`${dir}/${corrupt}`, "{not json");
        const e2 = await ask(corrupt);
        assertStrictEquals(e2.condition, "internal-server-error");
        const raw2 = e2.stanza!.toString();
        assert(!raw2.includes(dir), raw2);
        assert(!raw2.includes("<text"), raw2);
        assert(
          errors.some((e) => e.message.includes("corrupt JSON")),
          errors.map((e) => e.message).join("\n"),
        );

        // A missing cid: item-not-found, nothing more.
        const before = errors.length;
        const e3 = await ask(cidOf(enc.encode("absent")));
        assertStrictEquals(e3.condition, "item-not-found");
        const raw3 = e3.stanza!.toString();
        assert(!raw3.includes("<text"), raw3);
        assertStrictEquals(
          errors.length,
          before,
          "a miss is not a local error",
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});

Deno.test({
  name:
    "BoB trust: getBob() with a bare JID is a TypeError before anything is sent",
  ignore,
  fn: () =>
    withPeers(async ({ alice, carol }) => {
      const mine = alice.registerPlugin("xep_0231");
      carol.registerPlugin("xep_0231");
      const gets = countGets(carol);
      const cid = cidOf(enc.encode("anything"));
      await assertRejects(
        () => mine.getBob({ cid, jid: "carol@localhost" }),
        TypeError,
        /full JID/,
      );
      await sleep(200);
      assertStrictEquals(gets.n, 0);
    }),
});
