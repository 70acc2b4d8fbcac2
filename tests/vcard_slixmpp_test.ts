/**
 * xep_0054, xep_0153, xep_0012, xep_0319 interop with slixmpp 1.8.3 through
 * one Prosody, both ways: avatars published in vCards and announced in
 * presence (each side checks the other's hash against the photo), vCards
 * read, last activity asked, idle in presence.
 *
 * Accounts: alice (ours), bob (slixmpp, `tests/support/slixmpp_vcard_peer.py`).
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { createClient, xml } from "../mod.ts";
import { avatarHash } from "../src/vcard.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import {
  hasSlixmpp,
  type SlixmppPeer,
  startSlixmppPeer,
} from "./support/slixmpp.ts";

const PEER = new URL("./support/slixmpp_vcard_peer.py", import.meta.url)
  .pathname;

Deno.test({
  name:
    "vCard, avatar, last activity and idle interop with slixmpp 1.8.3, both ways",
  ignore: (!hasProsody() || !hasSlixmpp()) && !requireServers(),
  async fn(t) {
    const server = await startProsody();
    const alice = createClient({
      jid: "alice@localhost/ours",
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    });
    let slix: SlixmppPeer | undefined;
    try {
      const [peer] = await Promise.all([
        startSlixmppPeer({
          script: PEER,
          port: server.c2sPort,
          jid: "bob@localhost/slix",
        }),
        alice.start(),
      ]);
      slix = peer;
      const avatar = alice.registerPlugin("xep_0153");
      const last = alice.registerPlugin("xep_0012", {
        authorize: (from) => from === peer.jid,
      });
      const idle = alice.registerPlugin("xep_0319");

      await t.step(
        "slixmpp's avatar: announced, checked, stored here",
        async () => {
          const image = Uint8Array.from(
            { length: 2048 },
            (_, i) => (i * 13) & 255,
          );
          const theirs = await peer.call<string>("set_avatar", {
            data: image.toBase64(),
            type: "image/png",
          });
          assertStrictEquals(theirs, avatarHash(image));
          const seen = new Promise<[string, string]>((resolve) => {
            const off = avatar.onAvatar((jid, hash) => {
              off();
              resolve([jid, hash]);
            });
          });
          await peer.call("presence", { to: alice.jid });
          assertEquals(await seen, ["bob@localhost", avatarHash(image)]);
          assertStrictEquals(
            await avatar.getHash("bob@localhost"),
            avatarHash(image),
          );
          const card = await alice.plugin.xep_0054.getVcard("bob@localhost", {
            local: true,
          });
          assertStrictEquals(
            card.getChild("PHOTO")?.getChildText("TYPE"),
            "image/png",
          );
        },
      );

      await t.step(
        "our avatar: slixmpp sees the hash and the same photo",
        async () => {
          const image = Uint8Array.from(
            { length: 3000 },
            (_, i) => (i * 5 + 1) & 255,
          );
          await avatar.setAvatar(image, "image/jpeg");
          const card = alice.plugin.xep_0054.makeVcard();
          void card;
          alice.send(xml("presence", { to: peer.jid }));
          assertStrictEquals(
            await peer.call<string>("wait_avatar", { jid: "alice@localhost" }),
            avatarHash(image),
          );
          const got = await peer.call<{ photo_sha1: string }>("get_vcard", {
            jid: "alice@localhost",
          });
          assertStrictEquals(got.photo_sha1, avatarHash(image));
        },
      );

      await t.step("last activity both ways", async () => {
        await last.setLastActivity({ seconds: 300, status: "out" });
        const ours = await peer.call<{ seconds: number; status: string }>(
          "last_activity",
          { jid: alice.jid },
        );
        assert(ours.seconds >= 300, String(ours.seconds));
        assertStrictEquals(ours.status, "out");
        await peer.call("set_last", { seconds: 120, status: "lunch" });
        const theirs = await last.getLastActivity(peer.jid);
        assert(theirs.seconds >= 120, String(theirs.seconds));
        assertStrictEquals(theirs.status, "lunch");
      });

      await t.step("idle in presence both ways", async () => {
        const since = new Date("2026-12-07T16:00:00Z");
        await idle.idle(since);
        alice.send(xml("presence", { to: peer.jid }));
        const read = await peer.call<string>("wait_idle", { jid: alice.jid });
        assertStrictEquals(new Date(read).toISOString(), since.toISOString());
        const seen = new Promise<[string, Date]>((resolve) => {
          const off = idle.onIdle((jid, at) => {
            off();
            resolve([jid, at]);
          });
        });
        await peer.call("idle", { since: "2026-12-07T15:00:00+00:00" });
        await peer.call("presence", { to: alice.jid });
        const [from, at] = await seen;
        assertStrictEquals(from, peer.jid);
        assertStrictEquals(at.toISOString(), "2026-12-07T15:00:00.000Z");
      });
    } finally {
      await slix?.close();
      await alice.stop();
      await server.stop();
    }
  },
});
