import { assert, assertEquals } from "./_helpers.ts";
import { ApiError, createClient, definePlugin, memoryStorage } from "../mod.ts";
import { CAPS_OPS, verString } from "../internals.ts";
import { xml } from "../src/xml.ts";
import type { Element } from "../src/deps.ts";
import { recordKey } from "../actors/disco/store.ts";
import { withPluginChildren } from "../actors/client/presence.ts";

const NS_CAPS = "http://jabber.org/protocol/caps";

// XEP-0115 §5.2.
const EXODUS = {
  identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
  features: [
    "http://jabber.org/protocol/caps",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "http://jabber.org/protocol/muc",
  ],
};
const EXODUS_VER = "QgayPKawpkPSDYmwT/WM94uAlu0=";

Deno.test("xep_0115: our ver is the hash of our disco info, recomputed on plugin load and on changes", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const caps = xmpp.registerPlugin("xep_0115");
  const disco = xmpp.plugin["xep_0030"];
  try {
    const v1 = await caps.update();
    assertEquals(v1, await verString(await disco.getInfo()));
    // Peers can ask node#ver.
    assertEquals(
      await disco.getInfo({
        node: `https://github.com/xmpp-actors/runtime#${v1}`,
      }),
      await disco.getInfo(),
    );
    xmpp.registerPlugin("xep_0231");
    const v2 = await caps.update();
    assert(v2 !== v1);
    assert((await disco.getInfo()).features.includes("urn:xmpp:bob"));
    // XEP-0128 forms enter the ver.
    const ext = xmpp.registerPlugin("xep_0128");
    await ext.addExtendedInfo({
      type: "result",
      fields: [
        {
          var: "FORM_TYPE",
          type: "hidden",
          values: ["urn:xmpp:dataforms:softwareinfo"],
        },
        { var: "software", values: ["xmpp-actors"] },
      ],
    });
    const v3 = await caps.update();
    assert(v3 !== v2);
    assertEquals(v3, await verString(await disco.getInfo()));
    assertEquals((await disco.getInfo()).forms?.length, 1);
    await ext.delExtendedInfo();
    assertEquals(await caps.update(), v2);
    // Our own caps are in the (verified) cache.
    assertEquals(await caps.getCaps(undefined, v2), await disco.getInfo());
  } finally {
    await xmpp.stop();
  }
});

Deno.test("withPluginChildren() adds each plugin's children after the user's, once, in load order", () => {
  const mk = (name: string, children: () => Element[]) => ({
    plugin: definePlugin({ name, presence: children, create: () => ({}) }),
    context: {} as never,
  });
  const plugins = [
    mk("one", () => [xml("c", { xmlns: NS_CAPS, ver: "v1" })]),
    mk("two", () => {
      throw new Error("broken plugin");
    }),
    mk("three", () => [
      xml("x", { xmlns: "vcard-temp:x:update" }),
      xml("c", { xmlns: NS_CAPS, ver: "dup" }),
    ]),
  ];
  const p = xml("presence", {}, xml("show", {}, "away"));
  const before = p.toString();
  const out = withPluginChildren(p, plugins);
  assertEquals(p.toString(), before); // the user's element is not changed
  assertEquals(
    out.toString(),
    '<presence><show>away</show><c xmlns="http://jabber.org/protocol/caps" ver="v1"/><x xmlns="vcard-temp:x:update"/></presence>',
  );
  // The user's own <c/> wins.
  const mine = xml("presence", {}, xml("c", { xmlns: NS_CAPS, ver: "mine" }));
  assertEquals(withPluginChildren(mine, plugins).getChildren("c").length, 1);
  assertEquals(
    withPluginChildren(mine, plugins).getChild("c")?.attrs.ver,
    "mine",
  );
});

Deno.test("xep_0115: cache_caps stores only what hashes to its ver", async (t) => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const caps = xmpp.registerPlugin("xep_0115");
  try {
    await t.step("the §5.2 example is cached under its ver", async () => {
      await caps.api.run("cache_caps", {
        args: { verstring: EXODUS_VER, info: EXODUS },
      });
      assertEquals(await caps.getCaps(undefined, EXODUS_VER), EXODUS);
    });
    const refused = async (args: unknown) => {
      const e = await caps.api.run("cache_caps", { args }).then(
        () => undefined,
        (e) => e,
      );
      assert(
        e instanceof ApiError || (e as Error).name === "VerificationError",
        String(e),
      );
    };
    await t.step("a forged ver is refused and nothing is stored", async () => {
      const forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
      await refused({ verstring: forged, info: EXODUS });
      assertEquals(await caps.getCaps(undefined, forged), undefined);
    });
    await t.step(
      "a mismatched info (one feature more) is refused",
      async () => {
        await refused({
          verstring: EXODUS_VER,
          info: { ...EXODUS, features: [...EXODUS.features, "urn:evil"] },
        });
        assertEquals(await caps.getCaps(undefined, EXODUS_VER), EXODUS);
      },
    );
    await t.step(
      "duplicates (§5.4) are refused even when the hash matches",
      async () => {
        const dup = {
          ...EXODUS,
          features: [...EXODUS.features, EXODUS.features[0]],
        };
        // Computed by hand (capsString would refuse): the hash of S with the duplicate.
        await refused({ verstring: EXODUS_VER, info: dup });
      },
    );
    await t.step(
      "malformed forms, huge answers, non-ver strings are refused",
      async () => {
        await refused({
          verstring: EXODUS_VER,
          info: { ...EXODUS, forms: [{ type: "result", fields: "x" }] },
        });
        await refused({
          verstring: EXODUS_VER,
          info: {
            identities: [],
            features: Array.from({ length: 2000 }, (_, i) => `f${i}`),
          },
        });
        await refused({ verstring: "../../etc/passwd", info: EXODUS });
        await refused({ verstring: EXODUS_VER, info: EXODUS, hash: "md5" });
      },
    );
    await t.step("a planted entry in the store is never returned", async () => {
      const other = "q07IKJEyjvHSyhy//CH0CxmKi8w=";
      await caps.api.run("set_record", {
        args: {
          key: recordKey("ver", other),
          value: { ver: other, hash: "sha-1", info: EXODUS },
        },
      });
      assertEquals(await caps.getCaps(undefined, other), undefined);
    });
    await t.step(
      "assign_verstring / get_verstring / supports / has_identity",
      async () => {
        await caps.api.run("assign_verstring", {
          jid: "bob@x/r",
          args: { verstring: EXODUS_VER },
        });
        assertEquals(
          await caps.api.run("get_verstring", { jid: "bob@x/r" }),
          EXODUS_VER,
        );
        assertEquals(await caps.getCaps("bob@x/r"), EXODUS);
        assertEquals(
          await caps.api.run("supports", {
            jid: "bob@x/r",
            args: { feature: "http://jabber.org/protocol/muc" },
          }),
          true,
        );
        assertEquals(
          await caps.api.run("has_identity", {
            jid: "bob@x/r",
            args: { category: "client", itype: "pc" },
          }),
          true,
        );
      },
    );
  } finally {
    await xmpp.stop();
  }
});

Deno.test("xep_0115: every op can be overridden by name", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const caps = xmpp.registerPlugin("xep_0115");
  try {
    for (const op of CAPS_OPS) {
      caps.api.register((jid, _node, _ifrom, args) => [op, jid, args], op, {
        jid: "x@y",
      });
      assertEquals(await caps.api.run(op, { jid: "x@y", args: 1 }), [
        op,
        "x@y",
        1,
      ]);
    }
  } finally {
    await xmpp.stop();
  }
});

Deno.test("xep_0115: the caps cache survives hot swaps memory → file, nothing unverified", async () => {
  const { fileStorage } = await import("../mod.ts");
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost" });
  const caps = xmpp.registerPlugin("xep_0115");
  try {
    await caps.api.run("cache_caps", {
      args: { verstring: EXODUS_VER, info: EXODUS },
    });
    const own = await caps.update();
    await caps.api.bind(fileStorage({ dir }), { migrate: true });
    assertEquals(await caps.getCaps(undefined, EXODUS_VER), EXODUS);
    assert(await caps.getCaps(undefined, own));
    // A file edited on disk is not returned.
    const path = `${dir}/${recordKey("ver", EXODUS_VER)}`;
    const entry = JSON.parse(await Deno.readTextFile(path));
    entry.info.features.push("urn:evil");
    await Deno.writeTextFile(path, JSON.stringify(entry));
    assertEquals(await caps.getCaps(undefined, EXODUS_VER), undefined);
    await caps.api.bind(memoryStorage(), { migrate: true });
    assertEquals(await caps.getCaps(undefined, EXODUS_VER), undefined);
    assert(await caps.getCaps(undefined, own));
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("xep_0115 options are checked", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    let threw = false;
    try {
      xmpp.registerPlugin("xep_0115", { hash: "md5" });
    } catch (e) {
      threw = e instanceof TypeError;
    }
    assert(threw);
  } finally {
    await xmpp.stop();
  }
});
