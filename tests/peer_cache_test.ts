import { assert, assertStrictEquals, assertThrows } from "./deps.ts";
import {
  type BobData,
  cidOf,
  createClient,
  DEFAULT_PEER_CACHE_MAX_BYTES,
  DEFAULT_PEER_CACHE_MAX_ENTRIES,
} from "../mod.ts";
import { PeerCache } from "../internals.ts";

const enc = new TextEncoder();
const entry = (text: string, maxAge?: number): BobData => {
  const data = enc.encode(text);
  const bob: BobData = { cid: cidOf(data), type: "text/plain", data };
  if (maxAge !== undefined) bob.maxAge = maxAge;
  return bob;
};

Deno.test("PeerCache keeps the most recently used entries within its count and byte bounds", () => {
  const cache = new PeerCache({ maxEntries: 3, maxBytes: 10 });
  const [a, b, c, d] = ["aaa", "bbb", "ccc", "ddd"].map((t) => entry(t));
  for (const e of [a, b, c]) assert(cache.add(e));
  assertStrictEquals(cache.stats.entries, 3);
  assertStrictEquals(cache.stats.bytes, 9);
  cache.get(a.cid); // a is now the most recent: b goes first
  assert(cache.add(d));
  assertStrictEquals(cache.get(b.cid), undefined);
  assert(cache.get(a.cid) && cache.get(c.cid) && cache.get(d.cid));
  // Bytes: an entry of 8 bytes pushes out until it fits.
  const big = entry("12345678");
  assert(cache.add(big));
  assertStrictEquals(cache.stats.entries, 1);
  assertStrictEquals(cache.stats.bytes, 8);
  // Larger than the whole cache: not kept, nothing evicted.
  assert(!cache.add(entry("12345678901")));
  assertStrictEquals(cache.stats.entries, 1);
});

Deno.test("PeerCache never changes a held entry, never keeps max-age 0, and honours max-age", () => {
  let now = 1_000_000;
  const cache = new PeerCache({}, () => now);
  assertStrictEquals(cache.maxEntries, DEFAULT_PEER_CACHE_MAX_ENTRIES);
  assertStrictEquals(cache.maxBytes, DEFAULT_PEER_CACHE_MAX_BYTES);
  const first = entry("x", 60);
  assert(cache.add(first));
  assert(!cache.add({ ...first, type: "text/html", maxAge: 999999 }));
  assertStrictEquals(cache.get(first.cid)?.type, "text/plain");
  assert(!cache.add(entry("zero", 0)));
  now += 60_000;
  assertStrictEquals(cache.get(first.cid), undefined);
  assertStrictEquals(cache.stats.bytes, 0);
  // 0 disables.
  assert(!new PeerCache({ maxEntries: 0 }).add(entry("y")));
  assert(!new PeerCache({ maxBytes: 0 }).add(entry("y")));
  assertThrows(() => new PeerCache({ maxEntries: -1 }), RangeError);
  assertThrows(() => new PeerCache({ maxBytes: 1.5 }), RangeError);
});

Deno.test("registerPlugin(xep_0231) checks peerCache options and shows its stats", async () => {
  const xmpp = createClient({ jid: "alice@localhost/a" });
  try {
    assertThrows(
      () => xmpp.registerPlugin("xep_0231", { peerCache: { maxBytes: NaN } }),
      RangeError,
      /peerCache\.maxBytes/,
    );
    const bob = xmpp.registerPlugin("xep_0231", {
      peerCache: { maxEntries: 7 },
    });
    assertStrictEquals(bob.peerCache.maxEntries, 7);
    assertStrictEquals(bob.peerCache.entries, 0);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("getBob() hands out a copy of peer data: changing it does not change the cache", async () => {
  const xmpp = createClient({ jid: "alice@localhost/a" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const data = enc.encode("peer bytes");
    const cid = cidOf(data);
    const { xml } = await import("../mod.ts");
    const seen = new Promise((r) => bob.on("bob.data", r));
    bob.actor.send({
      type: "bob.inline",
      replyTo: bob.actor,
      stanza: xml(
        "message",
        { from: "mallory@evil.example/x" },
        xml(
          "data",
          { xmlns: "urn:xmpp:bob", cid, type: "text/plain" },
          data.toBase64(),
        ),
      ),
    });
    await seen;
    const first = await bob.getBob({ cid });
    first.data.fill(0);
    const second = await bob.getBob({ cid });
    assertStrictEquals(new TextDecoder().decode(second.data), "peer bytes");
  } finally {
    await xmpp.stop();
  }
});
