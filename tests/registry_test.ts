import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import { ApiError, type BobData, createClient, ItemNotFound } from "../mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * The slixmpp how-to's BobLoader, in TypeScript: one JSON file per cid with
 * the same fields, registered through the plugin's internal API.
 */
class BobLoader {
  constructor(readonly dir: string) {
    Deno.mkdirSync(dir, { recursive: true });
  }
  setBob = (_jid?: string, _node?: string, _ifrom?: string, args?: BobData) => {
    const payload = {
      data: btoa(String.fromCharCode(...args!.data)),
      type: args!.type,
      cid: args!.cid,
      max_age: args!.maxAge ?? null,
    };
    Deno.writeTextFileSync(`${this.dir}/${args!.cid}`, JSON.stringify(payload));
  };
  getBob = async (
    _jid?: string,
    _node?: string,
    _ifrom?: string,
    cid?: string,
  ) => {
    const payload = JSON.parse(await Deno.readTextFile(`${this.dir}/${cid}`));
    return {
      cid: payload.cid,
      type: payload.type,
      data: Uint8Array.from(atob(payload.data), (c) => c.charCodeAt(0)),
      maxAge: payload.max_age ?? undefined,
    } satisfies BobData;
  };
  delBob = (_jid?: string, _node?: string, _ifrom?: string, cid?: string) => {
    try {
      Deno.removeSync(`${this.dir}/${cid}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  };
}

Deno.test("api.register() replaces set/get/del_bob with the how-to's BobLoader", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const loader = new BobLoader(`${dir}/bobcache`);
    bob.api.register(loader.setBob, "set_bob");
    bob.api.register(loader.getBob, "get_bob");
    bob.api.register(loader.delBob, "del_bob");

    const cid = await bob.setBob(enc.encode("coucou"), "text/plain");
    const file = `${dir}/bobcache/${cid}`;
    assert(Deno.statSync(file).isFile, "a new bob file should appear");
    const content = await bob.getBob({ cid });
    assertStrictEquals(dec.decode(content.data), "coucou");
    await bob.delBob(cid);
    assertThrows(() => Deno.statSync(file), Deno.errors.NotFound);
    // The default storage was bypassed: nothing is in memory.
    bob.api.restoreDefault("get_bob");
    await assertRejects(() => bob.getBob({ cid }), ItemNotFound);
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("api.run() passes (jid, node, ifrom, args) and picks node, then jid, then global", async () => {
  const xmpp = createClient({ jid: "alice@localhost/desk", password: "pw" });
  try {
    const { api } = xmpp.registerPlugin("xep_0231");
    const calls: unknown[][] = [];
    api.register((...a) => (calls.push(a), "global"), "probe");
    api.register(() => "jid", "probe", { jid: "bob@localhost" });
    api.register(() => "node", "probe", { jid: "bob@localhost", node: "n1" });

    assertStrictEquals(
      await api.run("probe", { ifrom: "x@y", args: 1 }),
      "global",
    );
    // The JID defaults to the client's, as slixmpp's defaults to the bound JID.
    assertEquals(calls[0], ["alice@localhost/desk", undefined, "x@y", 1]);
    assertStrictEquals(await api.run("probe", { jid: "bob@localhost" }), "jid");
    assertStrictEquals(
      await api.run("probe", { jid: "bob@localhost", node: "n2" }),
      "jid",
    );
    assertStrictEquals(
      await api.run("probe", { jid: "bob@localhost", node: "n1" }),
      "node",
    );
    assertStrictEquals(
      await api.run("probe", { jid: "carol@localhost", node: "n1" }),
      "global",
    );

    api.unregister("probe", { jid: "bob@localhost", node: "n1" });
    assertStrictEquals(
      await api.run("probe", { jid: "bob@localhost", node: "n1" }),
      "jid",
    );
    api.unregister("probe", { jid: "bob@localhost" });
    assertStrictEquals(
      await api.run("probe", { jid: "bob@localhost" }),
      "global",
    );
    assertThrows(
      () => api.register(() => 1, "probe", { node: "n" }),
      TypeError,
      /needs a jid/,
    );
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api scoped handlers override BoB storage for one JID only", async () => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const special: BobData = {
      cid: "sha1+00000000@bob.xmpp.org",
      type: "x/y",
      data: enc.encode("s"),
    };
    bob.api.register(() => special, "get_bob", { jid: "bob@localhost" });
    const cid = await bob.setBob(enc.encode("stored"), "text/plain");
    assertStrictEquals(
      (await bob.api.run<BobData>("get_bob", {
        jid: "bob@localhost",
        args: cid,
      })).type,
      "x/y",
    );
    assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "stored");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.restoreDefault() brings the storage default back after register/unregister", async () => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const cid = await bob.setBob(enc.encode("d"), "text/plain");
    bob.api.register(() => undefined, "get_bob");
    await assertRejects(() => bob.getBob({ cid }), ItemNotFound);
    bob.api.unregister("get_bob");
    await assertRejects(
      () => bob.getBob({ cid }),
      ApiError,
      /get_bob: no handler registered/,
    );
    bob.api.restoreDefault("get_bob");
    assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "d");

    // At a JID scope it installs the default there, ahead of the global handler.
    bob.api.register(() => undefined, "get_bob");
    bob.api.restoreDefault("get_bob", { jid: "alice@localhost" });
    assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "d");

    // registerDefault() changes what restoreDefault() restores.
    bob.api.registerDefault(() => "new default", "probe");
    bob.api.register(() => "override", "probe");
    bob.api.restoreDefault("probe");
    assertStrictEquals(await bob.api.run("probe"), "new default");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.run() errors are typed and name the op", async (t) => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const { api } = xmpp.registerPlugin("xep_0231");
    await t.step("unknown op", async () => {
      const e = await assertRejects(
        () => api.run("frobnicate_bob"),
        ApiError,
        /frobnicate_bob: unknown op/,
      );
      assertStrictEquals((e as ApiError).op, "frobnicate_bob");
    });
    await t.step("a handler that throws", async () => {
      const cause = new Error("disk full");
      api.register(() => {
        throw cause;
      }, "set_bob");
      const e = await assertRejects(
        () => xmpp.plugin["xep_0231"].setBob(enc.encode("x"), "text/plain"),
        ApiError,
        /Cannot run set_bob: handler failed: disk full/,
      );
      assertStrictEquals((e as ApiError).op, "set_bob");
      assertStrictEquals(e.cause, cause);
    });
    await t.step("a handler that rejects", async () => {
      api.register(() => Promise.reject(new RangeError("nope")), "del_bob");
      const e = await assertRejects(
        () => xmpp.plugin["xep_0231"].delBob("sha1+00000000@bob.xmpp.org"),
        ApiError,
        /del_bob/,
      );
      assert(e.cause instanceof RangeError);
    });
    await t.step("a handler that throws ItemNotFound keeps it", async () => {
      api.register(() => {
        throw new ItemNotFound("gone");
      }, "get_bob");
      await assertRejects(
        () => api.run("get_bob", { args: "x" }),
        ItemNotFound,
        /gone/,
      );
    });
    await t.step("register() needs a function and an op", () => {
      assertThrows(
        () => api.register("x" as unknown as () => void, "set_bob"),
        TypeError,
        /handler must be a function/,
      );
      assertThrows(() => api.register(() => 1, ""), TypeError, /op must be/);
    });
  } finally {
    await xmpp.stop();
  }
});
