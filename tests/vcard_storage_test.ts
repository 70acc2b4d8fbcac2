/**
 * The vCard, avatar, last activity and idle plugins over the other storage
 * backends: one Redis shared by two clients (a hash verified by one is read
 * by the other, nothing unverified ever written), a hot swap memory →
 * Redis, and IndexedDB (fake-indexeddb in Deno; the browser test of the
 * IndexedDB actor itself is tests/browser_*).
 */
import { assertStrictEquals } from "./deps.ts";
import { createClient, idbStorage } from "../mod.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import { avatarHash, emptyVcard, vcardWithPhoto } from "../src/vcard.ts";
import { hasRedis, requireServers, startRedis } from "./support/redis.ts";

const photo = new Uint8Array([5, 6, 7]);

Deno.test({
  name:
    "two clients share vCards and avatar hashes in one Redis; memory → Redis hot swap loses nothing",
  ignore: !hasRedis() && !requireServers(),
  async fn() {
    const redis = await startRedis();
    const one = createClient({ jid: "alice@localhost/one" });
    const two = createClient({ jid: "alice@localhost/two" });
    try {
      const a1 = one.registerPlugin("xep_0153");
      const a2 = two.registerPlugin("xep_0153");
      const card = vcardWithPhoto(emptyVcard(), {
        type: "image/png",
        data: photo,
      });
      // One fills its memory storage, then moves to Redis with a migration.
      for (let i = 0; i < 20; i++) {
        await one.plugin.xep_0054.api.run("set_vcard", {
          jid: `u${i}@localhost`,
          args: card,
        });
        await a1.api.run("set_hash", {
          jid: `u${i}@localhost`,
          args: avatarHash(photo),
        });
      }
      const prefix = "vcard-test:";
      await Promise.all([
        one.plugin.xep_0054.api.bind(redisStorage({ url: redis.url, prefix }), {
          migrate: true,
        }),
        a1.api.bind(redisStorage({ url: redis.url, prefix }), {
          migrate: true,
        }),
      ]);
      await Promise.all([
        two.plugin.xep_0054.api.bind(redisStorage({ url: redis.url, prefix })),
        a2.api.bind(redisStorage({ url: redis.url, prefix })),
      ]);
      // The other client reads what the first verified and stored.
      for (let i = 0; i < 20; i++) {
        assertStrictEquals(
          await a2.getHash(`u${i}@localhost`),
          avatarHash(photo),
        );
        const v = await two.plugin.xep_0054.getVcard(`u${i}@localhost`, {
          local: true,
        });
        assertStrictEquals(
          v.getChild("PHOTO")?.getChildText("TYPE"),
          "image/png",
        );
      }
      // Namespaces per plugin: the same bare JID under two keys spaces.
      await a2.api.run("set_hash", { jid: "u0@localhost", args: "" });
      assertStrictEquals(await a1.getHash("u0@localhost"), "");
      assertStrictEquals(
        (await one.plugin.xep_0054.getVcard("u0@localhost", { local: true }))
          .getChild("PHOTO") !== undefined,
        true,
      );
    } finally {
      await Promise.all([one.stop(), two.stop()]);
      await redis.stop();
    }
  },
});

Deno.test("last activity and idle kept in IndexedDB", async () => {
  const xmpp = createClient({ jid: "alice@localhost/a" });
  try {
    const last = xmpp.registerPlugin("xep_0012");
    const idle = xmpp.registerPlugin("xep_0319");
    await last.api.bind(idbStorage({ dbName: "vcard-test-last" }));
    await idle.api.bind(idbStorage({ dbName: "vcard-test-idle" }));
    const since = new Date("2026-12-07T16:00:00Z");
    await idle.idle(since);
    assertStrictEquals(
      (await idle.getIdle())?.toISOString(),
      since.toISOString(),
    );
    await last.setLastActivity({ seconds: 10, status: "idb" });
    assertStrictEquals((await last.getLastActivity()).status, "idb");
  } finally {
    await xmpp.stop();
  }
});
