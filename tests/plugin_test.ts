import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import {
  ClientStoppedError,
  createClient,
  definePlugin,
  fileStorage,
  StanzaError,
  xml,
} from "../mod.ts";
import { versionPlugin } from "../examples/version_plugin.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";

Deno.test({
  name:
    "a third-party plugin (XEP-0092) answers and asks through Prosody, from its own storage-backed op",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const server = await startProsody();
    const common = {
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    };
    const alice = createClient({ jid: "alice@localhost/a", ...common });
    const bob = createClient({ jid: "bob@localhost/b", ...common });
    const dir = await Deno.makeTempDir();
    // Registered before the connection exists: its handler is installed
    // when the connection is created.
    const version = alice.registerPlugin(versionPlugin);
    const pluginActor = alice.actor.system.get("xep_0092");
    try {
      assertStrictEquals(alice.registerPlugin(versionPlugin), version);
      assertStrictEquals(alice.plugin["xep_0092"], version);
      assertEquals(alice.features, ["jabber:iq:version"]);
      assertStrictEquals(pluginActor.getSnapshot().status, "active");
      await Promise.all([alice.start(), bob.start()]);
      // Registered after start: installed at once.
      const asker = bob.registerPlugin(versionPlugin);

      // Nothing stored yet: the plugin answers service-unavailable.
      const err = await assertRejects(
        () => asker.query(alice.jid),
        StanzaError,
      );
      assertStrictEquals(err.condition, "service-unavailable");

      await version.setVersion({ name: "alice-bot", version: "1.2" });
      assertEquals(await asker.query(alice.jid), {
        name: "alice-bot",
        version: "1.2",
      });

      // Its own registry and storage namespace, hot-swappable like BoB's.
      assertStrictEquals(
        alice.actor.system.get("xep_0092.api"),
        version.api.actor,
      );
      await version.api.bind(fileStorage({ dir }), { migrate: true });
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["self"]);
      assertEquals(await asker.query(alice.jid), {
        name: "alice-bot",
        version: "1.2",
      });

      // Override the op with a plain function, as in slixmpp: it sees ifrom.
      const asked: (string | undefined)[] = [];
      version.api.register((_jid, _node, ifrom) => {
        asked.push(ifrom);
        return { name: "override", version: "9" };
      }, "get_version");
      assertEquals(await asker.query(alice.jid), {
        name: "override",
        version: "9",
      });
      assertEquals(asked, [bob.jid]);

      // BoB lives beside it with its own registry and storage.
      const bits = alice.registerPlugin("xep_0231");
      assertEquals(alice.features, [
        "http://jabber.org/protocol/disco#info", // BoB depends on disco
        "http://jabber.org/protocol/disco#items",
        "jabber:iq:version",
        "urn:xmpp:bob",
      ]);
      assert(bits.api.storage !== version.api.storage);
    } finally {
      await alice.stop();
      await bob.stop();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
    // The plugin actors stopped with the client; calls now fail at once.
    assertStrictEquals(pluginActor.getSnapshot().status, "stopped");
    assertStrictEquals(version.api.actor.getSnapshot().status, "stopped");
    await assertRejects(
      () => versionAfterStop(alice),
      ClientStoppedError,
      /stopped/,
    );
  },
});

function versionAfterStop(client: ReturnType<typeof createClient>) {
  return client.registerPlugin(versionPlugin).getVersion();
}

Deno.test("definePlugin() validates; registerPlugin() refuses unknown names, name clashes and a stopped client", async () => {
  assertThrows(
    () => definePlugin({ name: "Bad Name", create: () => ({}) }),
    TypeError,
    /name must match/,
  );
  assertThrows(
    // @ts-expect-error: create is required
    () => definePlugin({ name: "p" }),
    TypeError,
    /create must be a function/,
  );
  assertThrows(
    () =>
      definePlugin({
        name: "p",
        ops: { "no-dash": () => 1 },
        create: () => ({}),
      }),
    TypeError,
    /op name/,
  );
  assertThrows(
    // @ts-expect-error: an op is a function or a storage op
    () => definePlugin({ name: "p", ops: { x: 42 }, create: () => ({}) }),
    TypeError,
    /storage op/,
  );
  const xmpp = createClient({ jid: "alice@localhost" });
  // @ts-expect-error: not a built-in name
  assertThrows(() => xmpp.registerPlugin("xep_9999"), TypeError, /unknown/);
  assertThrows(() => xmpp.plugin["xep_0092"], TypeError, /registerPlugin/);
  const a = definePlugin({ name: "same", create: () => ({ which: "a" }) });
  const b = definePlugin({ name: "same", create: () => ({ which: "b" }) });
  assertStrictEquals(xmpp.registerPlugin(a).which, "a");
  assertThrows(() => xmpp.registerPlugin(b), TypeError, /another plugin/);
  await xmpp.stop();
  const c = definePlugin({ name: "other", create: () => ({}) });
  assertThrows(() => xmpp.registerPlugin(c), TypeError, /stopped/);
});

Deno.test("a plugin with a machine gets its api and host as input; function ops run as slixmpp defaults", async () => {
  const { setup } = await import("../src/deps.ts");
  const seen: string[] = [];
  const machine = setup({
    types: {
      input: {} as { name: string; api: { run: (op: string) => unknown } },
      context: {} as { name: string },
    },
  }).createMachine({
    context: ({ input }) => {
      seen.push(input.name);
      return { name: input.name };
    },
    initial: "on",
    states: { on: {} },
  });
  const echo = definePlugin({
    name: "echo",
    machine,
    ops: { echo: (_j, _n, _f, args: string) => `echo ${args}` },
    handlers: [{
      kind: "iq",
      match: { type: "get", name: "q", xmlns: "urn:example:echo" },
      handle: () => xml("q", { xmlns: "urn:example:echo" }),
    }],
    create: ({ api, actor }) => ({
      actor,
      say: (s: string) => api.run<string>("echo", { args: s }),
    }),
  });
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const p = xmpp.registerPlugin(echo);
    assertEquals(seen, ["echo"]);
    assertStrictEquals(await p.say("hi"), "echo hi");
    assertStrictEquals(p.actor.getSnapshot().value, "on");
  } finally {
    await xmpp.stop();
  }
  assertStrictEquals(
    xmpp.actor.system.get("echo")?.getSnapshot().status ?? "stopped",
    "stopped",
  );
});
