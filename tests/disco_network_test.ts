import { assert, assertEquals, assertRejects } from "./deps.ts";
import { StanzaError, xml } from "../mod.ts";
import type { Element } from "../src/deps.ts";
import { hasProsody, requireServers } from "./support/prosody.ts";
import { withPeers } from "./support/peers.ts";

const ignore = !hasProsody() && !requireServers();
const INFO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";

Deno.test({
  name:
    "disco over Prosody: a peer's queries are answered from the ops, never change our data, never see an error's detail",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob }) => {
      const disco = alice.registerPlugin("xep_0030");
      await disco.run("add_feature", { feature: "urn:node:f" }, {
        node: "urn:node",
      });
      await disco.run("add_item", { ijid: "x@localhost", inode: "n" });
      disco.api.register(
        () => {
          throw new Error("secret path /home/alice/.keys");
        },
        "get_info",
        { jid: alice.jid, node: "boom" },
      );
      const before = {
        info: await disco.getInfo(),
        node: await disco.getInfo({ node: "urn:node" }),
        items: await disco.getItems(),
      };
      const ask = (query: Element) =>
        bob.iq(xml("iq", { type: "get", to: alice.jid }, query));

      // Per node, as stored.
      const nodeAnswer = await ask(
        xml("query", { xmlns: INFO, node: "urn:node" }),
      );
      const q = nodeAnswer.getChild("query", INFO)!;
      assertEquals(q.attrs.node, "urn:node");
      assertEquals(
        q.getChildren("feature").map((f: Element) => f.attrs.var),
        ["urn:node:f"],
      );
      // Unknown node, oversized node name: item-not-found.
      for (const node of ["nothing", "n".repeat(3000)]) {
        const e = await assertRejects(
          () => ask(xml("query", { xmlns: INFO, node })),
          StanzaError,
        );
        assertEquals(e.condition, "item-not-found");
      }
      // A failing override: internal-server-error, and no text.
      const boom = await assertRejects(
        () => ask(xml("query", { xmlns: INFO, node: "boom" })),
        StanzaError,
      );
      assertEquals(boom.condition, "internal-server-error");
      assert(!String(boom.stanza ?? "").includes("secret"));
      // A set (or a query with children) cannot write anything.
      await assertRejects(
        () =>
          bob.iq(
            xml(
              "iq",
              { type: "set", to: alice.jid },
              xml("query", { xmlns: INFO }, xml("feature", { var: "urn:x" })),
            ),
          ),
        StanzaError,
      );
      await ask(
        xml("query", { xmlns: ITEMS }, xml("item", { jid: "evil@x" })),
      );
      assertEquals({
        info: await disco.getInfo(),
        node: await disco.getInfo({ node: "urn:node" }),
        items: await disco.getItems(),
      }, before);
      // What bob reads back with his own disco: our items.
      const theirs = bob.registerPlugin("xep_0030");
      assertEquals(await theirs.items(alice.jid), [{
        jid: "x@localhost",
        node: "n",
      }]);
    }),
});
