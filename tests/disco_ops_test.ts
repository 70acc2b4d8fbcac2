import { assert, assertEquals, assertRejects } from "./_helpers.ts";
import { ApiError, createClient, ItemNotFound } from "../mod.ts";
import { xml } from "../src/xml.ts";
import { DISCO_OPS } from "../internals.ts";
import { isDiscoKey } from "../actors/disco/store.ts";

const INFO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";

Deno.test("xep_0030 ops keep slixmpp's names and meaning", async (t) => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const disco = xmpp.registerPlugin("xep_0030");
  try {
    await t.step("own info: stored features plus every plugin's", async () => {
      await disco.run("add_feature", { feature: "urn:a" });
      await disco.run("add_feature", { feature: "urn:a" });
      xmpp.registerPlugin("xep_0231");
      const info = await disco.getInfo();
      assertEquals(info.features, ["urn:a", INFO, ITEMS, "urn:xmpp:bob"]);
      assertEquals(info.identities, [{
        category: "client",
        type: "bot",
        name: "xmpp-actors",
      }]);
    });
    await t.step(
      "identities: add, set, del (by category/type/lang)",
      async () => {
        await disco.run("add_identity", {
          category: "client",
          itype: "pc",
          name: "A",
        });
        await disco.run("add_identity", {
          category: "client",
          itype: "pc",
          lang: "fr",
          name: "B",
        });
        assertEquals((await disco.getInfo()).identities.length, 2);
        await disco.run("del_identity", {
          category: "client",
          itype: "pc",
          lang: "fr",
        });
        assertEquals((await disco.getInfo()).identities, [{
          category: "client",
          type: "pc",
          name: "A",
        }]);
        await disco.run("set_identities", {
          identities: [{ category: "client", itype: "phone" }],
        });
        assertEquals((await disco.getInfo()).identities, [{
          category: "client",
          type: "phone",
        }]);
        await disco.run("del_identities");
        // None stored: the default identity.
        assertEquals((await disco.getInfo()).identities[0].type, "bot");
      },
    );
    await t.step("features: set, del, del_features", async () => {
      await disco.run("set_features", { features: ["urn:b", "urn:c"] });
      await disco.run("del_feature", { feature: "urn:b" });
      assertEquals(
        (await disco.getInfo({ node: undefined })).features.slice(0, 1),
        ["urn:c"],
      );
      await disco.run("del_features");
      assertEquals((await disco.getInfo()).features, [
        INFO,
        ITEMS,
        "urn:xmpp:bob",
      ]);
    });
    await t.step(
      "nodes: unknown node is item-not-found, set_info makes one",
      async () => {
        await assertRejects(() => disco.getInfo({ node: "n1" }), ItemNotFound);
        await disco.run("set_info", { identities: [], features: ["urn:n1"] }, {
          node: "n1",
        });
        assertEquals((await disco.getInfo({ node: "n1" })).features, [
          "urn:n1",
        ]);
        // Not mixed into the node-less info.
        assert(!(await disco.getInfo()).features.includes("urn:n1"));
      },
    );
    await t.step(
      "items: add, replace same jid+node, del, set, del_items",
      async () => {
        assertEquals(await disco.getItems(), []);
        await disco.run("add_item", { ijid: "a@x", name: "A" });
        await disco.run("add_item", { ijid: "a@x", inode: "n", name: "An" });
        await disco.run("add_item", { ijid: "a@x", name: "A2" });
        assertEquals(await disco.getItems(), [
          { jid: "a@x", node: "n", name: "An" },
          { jid: "a@x", name: "A2" },
        ]);
        await disco.run("del_item", { ijid: "a@x", inode: "n" });
        assertEquals(await disco.getItems(), [{ jid: "a@x", name: "A2" }]);
        await disco.run("set_items", { items: [{ jid: "b@x" }] }, {
          node: "list",
        });
        assertEquals(await disco.getItems({ node: "list" }), [{ jid: "b@x" }]);
        await disco.run("del_items", undefined, { node: "list" });
        assertEquals(await disco.getItems({ node: "list" }), []);
        await assertRejects(
          () => disco.getItems({ node: "none" }),
          ItemNotFound,
        );
      },
    );
    await t.step("cache_info / get_cached_info per JID and node", async () => {
      const info = {
        identities: [{ category: "client", type: "pc" }],
        features: ["urn:z"],
      };
      await disco.run("cache_info", info, { jid: "bob@x/r" });
      assertEquals(
        await disco.run("get_cached_info", undefined, { jid: "bob@x/r" }),
        info,
      );
      assertEquals(
        await disco.run("get_cached_info", undefined, {
          jid: "bob@x/r",
          node: "n",
        }),
        undefined,
      );
      // supports / has_identity read the cache (cached defaults to true).
      assertEquals(
        await disco.run("supports", { feature: "urn:z" }, { jid: "bob@x/r" }),
        true,
      );
      assertEquals(
        await disco.run("supports", { feature: "urn:q" }, { jid: "bob@x/r" }),
        false,
      );
      assertEquals(
        await disco.run("has_identity", { category: "client", itype: "pc" }, {
          jid: "bob@x/r",
        }),
        true,
      );
      // Local: our own info.
      assertEquals(
        await disco.run("supports", { feature: "urn:xmpp:bob" }),
        true,
      );
    });
    await t.step(
      "bad arguments are ApiErrors (cause TypeError) and change nothing",
      async () => {
        const before = await disco.getInfo();
        const typeError = async (p: Promise<unknown>) => {
          const e = await p.then(() => undefined, (e) => e);
          assert(
            e instanceof ApiError && e.cause instanceof TypeError,
            String(e),
          );
        };
        await typeError(disco.run("add_feature", { feature: 3 }));
        await typeError(disco.run("add_identity", { category: "x" }));
        await typeError(disco.run("set_info", { features: "x" }));
        await typeError(disco.run("set_items", { items: [{}] }));
        await assertRejects(
          () =>
            disco.run("cache_info", {
              identities: [],
              features: Array(5000).fill("f"),
            }, { jid: "e@x" }),
          Error,
        );
        assertEquals(await disco.getInfo(), before);
      },
    );
    await t.step("keys are disco keys only", () => {
      assert(isDiscoKey("info_" + "0".repeat(64)));
      assert(!isDiscoKey("../info_" + "0".repeat(64)));
      assert(!isDiscoKey("info_" + "0".repeat(63)));
    });
  } finally {
    await xmpp.stop();
  }
});

Deno.test("xep_0030: every op can be overridden by name, per JID and node", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const disco = xmpp.registerPlugin("xep_0030");
  try {
    for (const op of DISCO_OPS) {
      const seen: unknown[] = [];
      disco.api.register(
        (jid, node, ifrom, args) => {
          seen.push([jid, node, ifrom, args]);
          return op;
        },
        op,
        { jid: "x@y", node: "n" },
      );
      assertEquals(
        await disco.run(op, { a: 1 }, { jid: "x@y", node: "n" }),
        op,
      );
      assertEquals(seen, [["x@y", "n", undefined, { a: 1 }]]);
      disco.api.unregister(op, { jid: "x@y", node: "n" });
    }
    // A global override of get_info answers our queries (plus the
    // plugins' features for our own JID).
    disco.api.register(() => ({
      identities: [{ category: "client", type: "pc", name: "mine" }],
      features: ["urn:mine"],
    }), "get_info");
    const info = await disco.getInfo();
    assertEquals(info.identities[0].name, "mine");
    assertEquals(info.features, ["urn:mine", INFO, ITEMS]);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("xep_0030 state lives in the bound storage and moves with a migration", async () => {
  const { memoryStorage } = await import("../mod.ts");
  const xmpp = createClient({ jid: "alice@localhost" });
  const disco = xmpp.registerPlugin("xep_0030");
  try {
    await disco.run("add_feature", { feature: "urn:kept" }, { node: "n" });
    await disco.run("add_item", { ijid: "a@x" });
    const report = await disco.api.bind(memoryStorage(), { migrate: true });
    assertEquals(report.copied, 2);
    assertEquals((await disco.getInfo({ node: "n" })).features, ["urn:kept"]);
    assertEquals(await disco.getItems(), [{ jid: "a@x" }]);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("xep_0030 answers a hostile disco query with a clean error", async () => {
  // The IQ handler, driven directly (the network tests drive it over Prosody).
  const xmpp = createClient({ jid: "alice@localhost" });
  const disco = xmpp.registerPlugin("xep_0030");
  try {
    disco.api.register(
      () => {
        throw new Error("secret /var/lib detail");
      },
      "get_info",
      { jid: "alice@localhost", node: "boom" },
    );
    await assertRejects(
      () => disco.getInfo({ jid: "alice@localhost", node: "boom" }),
      Error,
    );
    // A query element is only read (node attr); nothing stored changes.
    const q = xml("query", { xmlns: INFO, node: "x".repeat(10000) });
    assert(q.attrs.node.length === 10000);
    await assertRejects(
      () => disco.getInfo({ node: q.attrs.node }),
      ItemNotFound,
    );
  } finally {
    await xmpp.stop();
  }
});
