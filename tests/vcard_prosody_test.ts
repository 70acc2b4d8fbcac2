/**
 * xep_0054, xep_0153, xep_0012, xep_0319 against Prosody (mod_vcard,
 * mod_lastactivity): vCards stored by the server, avatar hashes announced
 * in presence and checked against the photo, last activity asked of a
 * client and of the server, idle in presence.
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "./deps.ts";
import { StanzaError, VerificationError, xml } from "../mod.ts";
import { avatarHash, vcardWithPhoto } from "../src/vcard.ts";
import { hasProsody, requireServers } from "./support/prosody.ts";
import { withPeers } from "./support/peers.ts";

const ignore = !hasProsody() && !requireServers();

/** The first value a listener registration reports. */
function next<T extends unknown[]>(
  on: (listener: (...args: T) => void) => () => void,
): Promise<T> {
  return new Promise((resolve) => {
    const off = on((...args) => {
      off();
      resolve(args);
    });
  });
}

Deno.test({
  name:
    "vCard over Prosody: publish ours, read it back, read a peer's (cached)",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob }) => {
      const mine = alice.registerPlugin("xep_0054");
      const theirs = bob.registerPlugin("xep_0054");
      const card = mine.makeVcard();
      card.append(xml("FN", {}, "Alice Liddell"));
      card.append(xml("NICKNAME", {}, "alice"));
      await mine.publishVcard(card);
      // Ours, from the server (our bare JID is not local).
      const back = await mine.getVcard("alice@localhost");
      assertStrictEquals(back.getChildText("FN"), "Alice Liddell");
      // A peer's, from the server, then cached under its bare JID.
      const got = await theirs.getVcard("alice@localhost");
      assertStrictEquals(got.getChildText("NICKNAME"), "alice");
      const cached = await theirs.getVcard("alice@localhost", { local: true });
      assertStrictEquals(cached.getChildText("FN"), "Alice Liddell");
      // A vCard get sent to alice's full JID is answered by alice.
      const direct = await bob.iq(
        xml(
          "iq",
          { type: "get", to: alice.jid },
          xml("vCard", { xmlns: "vcard-temp" }),
        ),
      );
      assertStrictEquals(
        direct.getChild("vCard", "vcard-temp")?.getChildText("FN"),
        "Alice Liddell",
      );
      // A set sent to alice's full JID changes nothing.
      const evil = mine.makeVcard();
      evil.append(xml("FN", {}, "Mallory"));
      const refused = await assertRejects(
        () => bob.iq(xml("iq", { type: "set", to: alice.jid }, evil)),
        StanzaError,
      );
      assertStrictEquals(refused.condition, "service-unavailable");
      assertStrictEquals(
        (await mine.getVcard()).getChildText("FN"),
        "Alice Liddell",
      );
      assert(alice.features.includes("vcard-temp"));
    }),
});

Deno.test({
  name:
    "avatar over Prosody: our hash in presence, a peer's checked against its photo",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob, carol }) => {
      const a = alice.registerPlugin("xep_0153");
      const b = bob.registerPlugin("xep_0153");
      const c = carol.registerPlugin("xep_0153");
      const errors: Error[] = [];
      bob.on("error", (e) => errors.push(e));

      const image = new Uint8Array(3000).map((_, i) => (i * 7) & 255);
      await a.setAvatar(image, "image/png");
      const hash = avatarHash(image);
      assertStrictEquals(await a.getHash(), hash);
      // Its vCard on the server holds the photo.
      const card = await alice.plugin.xep_0054.getVcard("alice@localhost");
      assertStrictEquals(
        card.getChild("PHOTO")?.getChildText("TYPE"),
        "image/png",
      );

      // alice's presence carries the hash; bob checks it and stores it.
      const seen = next(b.onAvatar);
      alice.send(xml("presence", { to: bob.jid }));
      assertEquals(await seen, ["alice@localhost", hash]);
      assertStrictEquals(await b.getHash("alice@localhost"), hash);

      // carol announces a hash that is not her photo's: never stored.
      const other = new Uint8Array([1, 2, 3]);
      const cv = vcardWithPhoto(carol.plugin.xep_0054.makeVcard(), {
        type: "image/png",
        data: other,
      });
      await carol.plugin.xep_0054.publishVcard(cv);
      const lie = xml(
        "presence",
        { to: bob.jid },
        xml("x", { xmlns: "vcard-temp:x:update" }, xml("photo", {}, hash)),
      );
      const failed = new Promise<Error>((resolve) => {
        const off = bob.on("error", (e) => {
          if (e instanceof VerificationError) {
            off();
            resolve(e);
          }
        });
      });
      carol.send(lie);
      const err = await failed;
      assert(/does not match its photo/.test(err.message), err.message);
      assertStrictEquals(await b.getHash("carol@localhost"), undefined);
      // Her true hash is accepted.
      await c.resetHash();
      const real = next(b.onAvatar);
      carol.send(xml("presence", { to: bob.jid }));
      assertEquals(await real, ["carol@localhost", avatarHash(other)]);
    }),
});

Deno.test({
  name:
    "last activity over Prosody: a client answers who it authorizes, the server for the account",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob, carol }) => {
      const a = alice.registerPlugin("xep_0012", {
        authorize: (from) => from?.startsWith("bob@localhost/") ?? false,
      });
      const b = bob.registerPlugin("xep_0012");
      carol.registerPlugin("xep_0012");
      // Nothing stored yet: service-unavailable.
      const none = await assertRejects(
        () => b.getLastActivity(alice.jid),
        StanzaError,
      );
      assertStrictEquals(none.condition, "service-unavailable");
      await a.setLastActivity({ seconds: 600, status: "reading" });
      const got = await b.getLastActivity(alice.jid);
      assert(got.seconds >= 600, String(got.seconds));
      assertStrictEquals(got.status, "reading");
      // carol is not authorized: forbidden, and nothing of it leaks.
      const denied = await assertRejects(
        () => carol.plugin.xep_0012.getLastActivity(alice.jid),
        StanzaError,
      );
      assertStrictEquals(denied.condition, "forbidden");
      assertStrictEquals(denied.text, undefined);
      // The server answers for a bare JID only to subscribers.
      const server = await assertRejects(
        () => b.getLastActivity("alice@localhost"),
        StanzaError,
      );
      assertStrictEquals(server.condition, "forbidden");
      // By default only our own account may ask.
      await carol.plugin.xep_0012.setLastActivity({ seconds: 1 });
      const refused2 = await assertRejects(
        () => b.getLastActivity(carol.jid),
        StanzaError,
      );
      assertStrictEquals(refused2.condition, "forbidden");
    }),
});

Deno.test({
  name: "idle over Prosody: <idle since/> in our presence, read from a peer's",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob }) => {
      const a = alice.registerPlugin("xep_0319");
      const b = bob.registerPlugin("xep_0319");
      const since = new Date("2026-12-07T16:00:00Z");
      await a.idle(since);
      const seen = next(b.onIdle);
      alice.send(xml("presence", { to: bob.jid }));
      const [from, at] = await seen;
      assertStrictEquals(from, alice.jid);
      assertStrictEquals(at.toISOString(), since.toISOString());
      // Going idle set our last activity too (as slixmpp).
      const last = await alice.plugin.xep_0012.getLastActivity();
      assert(last.seconds > 0);
      await a.active();
      await assertRejects(() => alice.plugin.xep_0012.getLastActivity());
      assert(alice.features.includes("urn:xmpp:idle:1"));
    }),
});
