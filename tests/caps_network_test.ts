import { assert, assertEquals, assertRejects } from "./deps.ts";
import { StanzaError, xml } from "../mod.ts";
import type { CapsEvent } from "../mod.ts";
import type { Element } from "../src/deps.ts";
import { hasProsody, requireServers } from "./support/prosody.ts";
import { type PeerClient, withPeers } from "./support/peers.ts";

const ignore = !hasProsody() && !requireServers();
const NS_CAPS = "http://jabber.org/protocol/caps";
const INFO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";

/** The disco#info gets a client receives (counted from its stanza event). */
function countInfoQueries(client: PeerClient): { n: number } {
  const count = { n: 0 };
  client.on("stanza", (s: Element) => {
    if (
      s.name === "iq" && s.attrs.type === "get" &&
      s.getChild("query", INFO) !== undefined
    ) count.n++;
  });
  return count;
}

/** An IQ to `jid` and its (error) answer: what was sent before has arrived. */
async function roundTrip(client: PeerClient, jid: string): Promise<void> {
  await client.iq(
    xml(
      "iq",
      { type: "get", to: jid },
      xml("ping", { xmlns: "urn:xmpp:ping" }),
    ),
  )
    .catch(() => {});
}

/** The next caps event about `jid`. */
function nextCaps(client: PeerClient, jid: string): Promise<CapsEvent> {
  return new Promise((resolve) => {
    const off = client.plugin["xep_0115"].onCaps((e) => {
      if (e.jid !== jid) return;
      off();
      resolve(e);
    });
  });
}

Deno.test({
  name:
    "caps over Prosody: our <c/> in presence, a peer's caps verified once and then served from the cache; disco of server and peer",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob }) => {
      alice.registerPlugin("xep_0115");
      const bobCaps = bob.registerPlugin("xep_0115");
      bob.registerPlugin("xep_0231");
      const bobVer = await bobCaps.update();
      const queries = countInfoQueries(bob);
      const presences: Element[] = [];
      alice.handle("presence", {}, (p) => void presences.push(p));

      // Bob's directed presence carries his caps; alice asks node#ver once.
      let seen = nextCaps(alice, bob.jid);
      bob.send(xml("presence", { to: alice.jid }));
      assertEquals((await seen).outcome, "verified");
      assertEquals(queries.n, 1);
      const cs = presences.at(-1)!.getChildren("c", NS_CAPS);
      assertEquals(cs.length, 1);
      assertEquals(cs[0].attrs.ver, bobVer);
      assertEquals(
        await alice.plugin["xep_0115"].getCaps(bob.jid),
        await bob.plugin["xep_0030"].getInfo(),
      );
      assertEquals(
        await alice.plugin["xep_0115"].api.run("supports", {
          jid: bob.jid,
          args: { feature: "urn:xmpp:bob" },
        }),
        true,
      );

      // Again, with the user's own <c/> (kept, not doubled): from the cache.
      seen = nextCaps(alice, bob.jid);
      bob.send(
        xml(
          "presence",
          { to: alice.jid },
          xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: "n", ver: bobVer }),
        ),
      );
      assertEquals((await seen).outcome, "cache");
      assertEquals(queries.n, 1);
      assertEquals(presences.at(-1)!.getChildren("c", NS_CAPS).length, 1);

      // A plugin loaded later changes bob's ver; his broadcast presence is
      // sent again with it (seen by alice once she is subscribed: here we
      // check the ver and the directed path).
      bob.registerPlugin("xep_0128");
      await bob.plugin["xep_0128"].addExtendedInfo({
        type: "result",
        fields: [
          { var: "FORM_TYPE", type: "hidden", values: ["urn:x:test"] },
          { var: "k", values: ["v"] },
        ],
      });
      const ver2 = await bobCaps.update();
      assert(ver2 !== bobVer);
      seen = nextCaps(alice, bob.jid);
      bob.send(xml("presence", { to: alice.jid }));
      assertEquals((await seen).outcome, "verified");
      assertEquals(
        (await alice.plugin["xep_0115"].getCaps(bob.jid))?.forms?.length,
        1,
      );

      // Bob's broadcast presence comes back to him from the server; when a
      // plugin load changes his ver it is sent again with the new one.
      const own: string[] = [];
      let ownWake = () => {};
      bob.handle("presence", {}, (p) => {
        if (p.attrs.from !== bob.jid) return;
        own.push(p.getChild("c", NS_CAPS)?.attrs.ver);
        ownWake();
      });
      const ownNext = async (n: number) => {
        while (own.length < n) await new Promise<void>((r) => ownWake = r);
        return own[n - 1];
      };
      bob.send(xml("presence", {}, xml("status", {}, "here")));
      assertEquals(await ownNext(1), ver2);
      bob.registerPlugin({
        ...(await import("../mod.ts")).definePlugin({
          name: "late",
          features: ["urn:late"],
          create: () => ({}),
        }),
      });
      const ver3 = await ownNext(2);
      assert(ver3 !== ver2);
      assertEquals(ver3, bobCaps.ver);

      // disco#info and disco#items of the server and of a peer.
      const disco = alice.plugin["xep_0030"];
      const server = await disco.info("localhost");
      assert(
        server.identities.some((i) =>
          i.category === "server" && i.type === "im"
        ),
      );
      assert(server.features.includes(INFO));
      assert(Array.isArray(await disco.items("localhost")));
      const peer = await disco.info(bob.jid);
      assert(peer.features.includes("urn:xmpp:bob"));
      assert(peer.features.includes(NS_CAPS));
      assert(peer.features.includes(ITEMS));
      // Cached as answered: cached lookups ask nothing.
      const before = queries.n;
      await disco.info(bob.jid, { cached: true });
      assertEquals(queries.n, before);
      await bob.plugin["xep_0030"].run("add_item", {
        ijid: "bob@localhost/b",
        inode: "music",
        name: "Music",
      });
      assertEquals(await disco.items(bob.jid), [{
        jid: "bob@localhost/b",
        node: "music",
        name: "Music",
      }]);
      const missing = await assertRejects(
        () => disco.items(bob.jid, { node: "nothing" }),
        StanzaError,
      );
      assertEquals(missing.condition, "item-not-found");
      const missingInfo = await assertRejects(
        () => disco.info(bob.jid, { node: "nothing" }),
        StanzaError,
      );
      assertEquals(missingInfo.condition, "item-not-found");
    }),
});

Deno.test({
  name:
    "caps over Prosody: a lying peer (forged ver, mismatched answer, duplicates, flood) poisons nothing",
  ignore,
  fn: () =>
    withPeers(async ({ alice, carol }) => {
      const caps = alice.registerPlugin("xep_0115");
      // Carol answers disco#info by hand, with whatever the test wants.
      let answer = () =>
        xml("query", { xmlns: INFO }, xml("feature", { var: "urn:evil" }));
      const gate: { hold?: Promise<void> } = {};
      let asked = 0;
      carol.handle(
        "iq",
        { type: "get", name: "query", xmlns: INFO },
        async () => {
          asked++;
          await gate.hold;
          return answer();
        },
      );
      const EXODUS_VER = "QgayPKawpkPSDYmwT/WM94uAlu0=";
      const present = (ver: string, hash = "sha-1") =>
        carol.send(
          xml(
            "presence",
            { to: alice.jid },
            xml("c", { xmlns: NS_CAPS, hash, node: "urn:evil", ver }),
          ),
        );

      // A forged ver (its answer does not hash to it): refused.
      let seen = nextCaps(alice, carol.jid);
      present(EXODUS_VER);
      assertEquals((await seen).outcome, "refused");
      assertEquals(await caps.getCaps(undefined, EXODUS_VER), undefined);
      assertEquals(await caps.getCaps(carol.jid), undefined);

      // Duplicate features whose S hashes to the ver are still refused.
      answer = () =>
        xml(
          "query",
          { xmlns: INFO },
          xml("feature", { var: "urn:a" }),
          xml("feature", { var: "urn:a" }),
        );
      const dupVer = new Uint8Array(
        await crypto.subtle.digest(
          "SHA-1",
          new TextEncoder().encode("urn:a<urn:a<"),
        ),
      ).toBase64();
      seen = nextCaps(alice, carol.jid);
      present(dupVer);
      assertEquals((await seen).outcome, "refused");
      assertEquals(await caps.getCaps(undefined, dupVer), undefined);

      // Flood: 40 presences with 40 vers while carol holds her answers:
      // at most maxLookups (8) queries are in flight.
      let release!: () => void;
      gate.hold = new Promise((r) => release = r);
      asked = 0;
      const outcomes: CapsEvent[] = [];
      const off = caps.onCaps((e) => void outcomes.push(e));
      for (let i = 0; i < 40; i++) {
        const v = new Uint8Array(20);
        v[0] = i + 1;
        present(v.toBase64());
      }
      // Every presence is accounted for: 32 skipped while 8 queries wait.
      const until = async (done: () => boolean) => {
        while (!done()) await new Promise((r) => setTimeout(r, 5));
      };
      await until(() => outcomes.length === 32 || asked > 8);
      assert(asked <= 8, `${asked} queries in flight`);
      assert(outcomes.every((e) => e.outcome === "skipped"));
      await until(() => asked === 8);
      release();
      await until(() => outcomes.length === 40);
      assertEquals(asked, 8);
      assert(outcomes.slice(32).every((e) => e.outcome === "refused"));
      off();
      // Nothing of the flood is kept: not as caps, not in disco's cache.
      for (const { ver } of outcomes) {
        assertEquals(await caps.getCaps(undefined, ver), undefined);
        assertEquals(
          await alice.plugin["xep_0030"].run("get_cached_info", undefined, {
            jid: carol.jid,
            node: `urn:evil#${ver}`,
          }),
          undefined,
        );
      }
      // Unknown hashes and legacy caps are left alone (no query).
      asked = 0;
      present(EXODUS_VER, "md5");
      carol.send(
        xml(
          "presence",
          { to: alice.jid },
          xml("c", {
            xmlns: NS_CAPS,
            node: "urn:evil",
            ver: "1.0",
          }),
        ),
      );
      await roundTrip(alice, carol.jid);
      assertEquals(asked, 0);
    }),
});
