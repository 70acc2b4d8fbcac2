import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "./deps.ts";
import {
  type BobData,
  cidOf,
  cidUri,
  fileStorage,
  ItemNotFound,
  StanzaError,
  VerificationError,
  xml,
} from "../mod.ts";
import { hasProsody, requireServers } from "./support/prosody.ts";
import { withPeers } from "./support/peers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ignore = !hasProsody() && !requireServers();

Deno.test({
  name:
    "BoB over Prosody: serve and fetch — hit, miss, bad cid, max-age rules, disco",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob }) => {
      const mine = alice.registerPlugin("xep_0231");
      const theirs = bob.registerPlugin("xep_0231");
      const data = enc.encode("coucou");
      const cid = await theirs.setBob(data, "text/plain");

      // Hit: fetched, verified, cached (a later local read needs no peer).
      const got = await mine.getBob({ cid, jid: bob.jid });
      assertStrictEquals(dec.decode(got.data), "coucou");
      assertStrictEquals(got.type, "text/plain");
      assertStrictEquals((await mine.getBob({ cid })).cid, cid);

      // Miss: the peer's item-not-found is an ItemNotFound.
      const absent = cidOf(enc.encode("absent"));
      const miss = await assertRejects(
        () => mine.getBob({ cid: absent, jid: bob.jid }),
        ItemNotFound,
      );
      assertStrictEquals(miss.condition, "item-not-found");

      // A malformed cid: bad-request.
      const bad = await assertRejects(
        () =>
          alice.iq(
            xml(
              "iq",
              { type: "get", to: bob.jid },
              xml("data", { xmlns: "urn:xmpp:bob", cid: "../etc/passwd" }),
            ),
          ),
        StanzaError,
      );
      assertStrictEquals(bad.condition, "bad-request");

      // max-age 0: returned, never stored.
      const once = await theirs.setBob(enc.encode("once"), "text/plain", {
        maxAge: 0,
      });
      assertStrictEquals(
        (await mine.getBob({ cid: once, jid: bob.jid })).maxAge,
        0,
      );
      await assertRejects(() => mine.getBob({ cid: once }), ItemNotFound);

      // max-age n: cached, then expires on our side.
      const brief = await theirs.setBob(enc.encode("brief"), "text/plain", {
        maxAge: 1,
      });
      await mine.getBob({ cid: brief, jid: bob.jid });
      assertStrictEquals((await mine.getBob({ cid: brief })).maxAge, 1);
      let expired = false;
      for (let i = 0; i < 80 && !expired; i++) {
        await sleep(50);
        expired = await mine.getBob({ cid: brief }).then(
          () => false,
          (e) => e instanceof ItemNotFound,
        );
      }
      assert(expired, "the fetched entry expired after its max-age");

      // cached: false asks the peer even when stored.
      let asked = 0;
      bob.on("stanza", (s) => {
        if (s.name === "iq" && s.getChild("data", "urn:xmpp:bob")) asked++;
      });
      await mine.getBob({ cid, jid: bob.jid, cached: false });
      assertStrictEquals(asked, 1);

      // Disco: each side lists urn:xmpp:bob to the other.
      const info = await alice.plugin["xep_0030"].info(bob.jid);
      assert(info.features.includes("urn:xmpp:bob"), String(info.features));
      assertEquals(info.identities[0].category, "client");
    }),
});

Deno.test({
  name:
    "BoB over Prosody: a forged answer is refused and not stored; oversize is refused both ways",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob, carol }) => {
      const mine = alice.registerPlugin("xep_0231");
      const real = enc.encode("the real bytes");
      const cid = cidOf(real);
      // Carol lies: she answers any cid with other bytes.
      carol.handle(
        "iq",
        { type: "get", name: "data", xmlns: "urn:xmpp:bob" },
        (iq) =>
          xml(
            "data",
            {
              xmlns: "urn:xmpp:bob",
              cid: iq.getChild("data")!.attrs.cid,
              type: "text/plain",
            },
            enc.encode("forged!").toBase64(),
          ),
      );
      const err = await assertRejects(
        () => mine.getBob({ cid, jid: carol.jid }),
        VerificationError,
        /does not match its cid/,
      );
      assertStrictEquals(err.condition, "not-acceptable");
      await assertRejects(() => mine.getBob({ cid }), ItemNotFound);

      // Oversize: our setBob refuses; a peer allowed more serves it, we
      // refuse to take it.
      const big = new Uint8Array(70 * 1024).fill(7);
      await assertRejects(
        () => mine.setBob(big, "application/octet-stream"),
        RangeError,
        /over the 65536-byte limit/,
      );
      const generous = bob.registerPlugin("xep_0231", { maxSize: 128 * 1024 });
      const bigCid = await generous.setBob(big, "application/octet-stream");
      await assertRejects(
        () => mine.getBob({ cid: bigCid, jid: bob.jid }),
        VerificationError,
        /over the 65536-byte limit/,
      );
      await assertRejects(() => mine.getBob({ cid: bigCid }), ItemNotFound);
    }),
});

Deno.test({
  name:
    "BoB over Prosody: concurrent fetches of one cid share one IQ; a flood is bounded; serving never blocks other stanzas",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob, carol }) => {
      const mine = alice.registerPlugin("xep_0231");
      const theirs = bob.registerPlugin("xep_0231", { maxServing: 2 });
      const data = enc.encode("shared");
      const cid = await theirs.setBob(data, "text/plain");
      let asked = 0;
      bob.on("stanza", (s) => {
        if (s.name === "iq" && s.getChild("data", "urn:xmpp:bob")) asked++;
      });
      const all = await Promise.all(
        Array.from({ length: 10 }, () => mine.getBob({ cid, jid: bob.jid })),
      );
      assert(all.every((b) => dec.decode(b.data) === "shared"));
      assertStrictEquals(asked, 1);

      // A slow storage: at most 2 requests per peer in flight, the rest are
      // told to wait — and a ping still gets through meanwhile.
      let release!: () => void;
      const gate = new Promise<void>((r) => release = r);
      theirs.api.register(async (): Promise<BobData> => {
        await gate;
        return { cid, type: "text/plain", data };
      }, "get_bob");
      const carolBob = carol.registerPlugin("xep_0231");
      const flood = Array.from(
        { length: 6 },
        () =>
          carolBob.getBob({ cid, jid: bob.jid, cached: false }).then(
            () => "ok",
            (e: StanzaError) => e.condition,
          ),
      );
      await sleep(200);
      const pong = await carol.iq(
        xml(
          "iq",
          { type: "get", to: bob.jid },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
        { timeout: 5000 },
      ).then((r) => r.attrs.type, (e: StanzaError) => e.condition);
      // Bob answers pings with service-unavailable (no ping plugin): an answer
      // all the same, while two gets are stuck in his storage.
      assert(pong === "result" || pong === "service-unavailable", String(pong));
      release();
      const outcomes = await Promise.all(flood);
      // Dedup: carol's six calls were one fetch; it got through.
      assertEquals(outcomes, ["ok", "ok", "ok", "ok", "ok", "ok"]);
      // Now a real flood: distinct cids, so no dedup.
      let release2!: () => void;
      const gate2 = new Promise<void>((r) => release2 = r);
      theirs.api.register(async () => {
        await gate2;
        return undefined;
      }, "get_bob");
      const many = Array.from(
        { length: 6 },
        (_, i) =>
          carolBob.getBob({ cid: cidOf(enc.encode(`n${i}`)), jid: bob.jid })
            .then(() => "ok", (e: StanzaError) => e.condition),
      );
      await sleep(300);
      release2();
      const conditions = await Promise.all(many);
      assertEquals(
        conditions.filter((c) => c === "resource-constraint").length,
        4,
        String(conditions),
      );
      assertEquals(
        conditions.filter((c) => c === "item-not-found").length,
        2,
        String(conditions),
      );
    }),
});

Deno.test({
  name:
    "BoB over Prosody: <data/> in a message is verified, cached and announced; attach() builds one",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob }) => {
      const mine = alice.registerPlugin("xep_0231");
      const theirs = bob.registerPlugin("xep_0231");
      const cid = await theirs.setBob(enc.encode("<svg/>"), "image/svg+xml", {
        maxAge: 3600,
      });
      const seen = new Promise<{ from: string; bob: BobData }>((resolve) =>
        mine.on("bob.data", (e) => resolve(e))
      );
      const rejected = new Promise<Error>((resolve) =>
        mine.on("bob.rejected", (e) => resolve(e.error))
      );
      const msg = xml(
        "message",
        { to: alice.jid, type: "chat" },
        xml("body", {}, `look: ${cidUri(cid)}`),
      );
      bob.send(await theirs.attach(msg, cid));
      const arrived = await seen;
      assertStrictEquals(arrived.from, bob.jid);
      assertStrictEquals(arrived.bob.cid, cid);
      assertStrictEquals((await mine.getBob({ cid })).type, "image/svg+xml");

      // A forged inline <data/> is announced as rejected, and not stored.
      const fake = cidOf(enc.encode("real"));
      bob.send(
        xml(
          "message",
          { to: alice.jid },
          xml(
            "data",
            { xmlns: "urn:xmpp:bob", cid: fake, type: "text/plain" },
            enc.encode("fake").toBase64(),
          ),
        ),
      );
      assert((await rejected) instanceof VerificationError);
      await assertRejects(() => mine.getBob({ cid: fake }), ItemNotFound);
    }),
});

Deno.test({
  name:
    "BoB over Prosody: a hot swap memory → file with migration while a peer fetches in a loop loses no fetch",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob }) => {
      const dir = await Deno.makeTempDir();
      try {
        const mine = alice.registerPlugin("xep_0231");
        const theirs = bob.registerPlugin("xep_0231");
        const cids: string[] = [];
        for (let i = 0; i < 200; i++) {
          cids.push(
            await theirs.setBob(enc.encode(`entry ${i}`), "text/plain"),
          );
        }
        let failed = 0, done = 0, stop = false;
        const loop = (async () => {
          for (let i = 0; !stop; i++) {
            const cid = cids[i % cids.length];
            await mine.getBob({ cid, jid: bob.jid, cached: false }).then(
              (b) => {
                if (b.cid === cid) done++;
                else failed++;
              },
              () => failed++,
            );
          }
        })();
        // Counted, not timed: fetches before, during and after the swap.
        const until = async (n: number) => {
          while (done + failed < n) await sleep(5);
        };
        await until(10);
        await theirs.api.bind(fileStorage({ dir }), { migrate: true });
        await until(done + failed + 10);
        stop = true;
        await loop;
        assertStrictEquals(failed, 0);
        assert(done >= 20, `fetched ${done}`);
        assertStrictEquals([...Deno.readDirSync(dir)].length, 200);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }),
});
