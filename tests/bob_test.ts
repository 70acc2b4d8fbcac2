import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import {
  type BobPlugin,
  cidOf,
  createClient,
  fileStorage,
  idbStorage,
  ItemNotFound,
  memoryStorage,
  type StorageLogic,
} from "../mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function withBob(
  storage: StorageLogic | undefined,
  fn: (bob: BobPlugin) => Promise<void>,
) {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    if (storage) await bob.api.bind(storage);
    await fn(bob);
  } finally {
    await xmpp.stop();
  }
}

async function example(bob: BobPlugin) {
  const cid = await bob.setBob(enc.encode("coucou"), "text/plain", {
    maxAge: 86400,
  });
  assertStrictEquals(
    cid,
    "sha1+" + "5ed25af7b1ed23fb00122e13d7f74c4d8262acd8" + "@bob.xmpp.org",
  );
  const got = await bob.getBob({ cid });
  assertEquals(
    { ...got, data: dec.decode(got.data) },
    { cid, type: "text/plain", data: "coucou", maxAge: 86400 },
  );
  await bob.delBob(cid);
  await assertRejects(() => bob.getBob({ cid }), ItemNotFound);
}

Deno.test("BobPlugin runs the README example in memory storage", () =>
  withBob(undefined, example));

Deno.test("BobPlugin runs the README example in file storage", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withBob(fileStorage({ dir }), async (bob) => {
      await example(bob);
      assertEquals([...Deno.readDirSync(dir)], []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BobPlugin runs the README example in IndexedDB storage", () =>
  withBob(idbStorage({ dbName: `bob-${crypto.randomUUID()}` }), example));

Deno.test("fileStorage() writes the slixmpp how-to layout, one file named by the cid", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withBob(fileStorage({ dir }), async (bob) => {
      const cid = await bob.setBob(enc.encode("coucou"), "text/plain", {
        maxAge: 86400,
      });
      assertStrictEquals(
        await Deno.readTextFile(`${dir}/${cid}`),
        `{"data": "Y291Y291", "type": "text/plain", "cid": "${cid}", "max_age": 86400}`,
      );
      const noAge = await bob.setBob(enc.encode("x"), "text/plain");
      assertStrictEquals(
        await Deno.readTextFile(`${dir}/${noAge}`),
        `{"data": "eA==", "type": "text/plain", "cid": "${noAge}", "max_age": null}`,
      );
      assertEquals((await bob.getBob({ cid: noAge })).maxAge, undefined);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BobPlugin.setBob() rejects bad input and stores nothing", async () => {
  await withBob(undefined, async (bob) => {
    const data = enc.encode("x");
    await assertRejects(
      // @ts-expect-error: data must be bytes
      () => bob.setBob("x", "text/plain"),
      TypeError,
      /data must be a Uint8Array/,
    );
    await assertRejects(
      () => bob.setBob(data, ""),
      TypeError,
      /type must be a non-empty string/,
    );
    await assertRejects(
      () => bob.setBob(data, "  "),
      TypeError,
      /type must be/,
    );
    // @ts-expect-error: type must be a string
    await assertRejects(() => bob.setBob(data, 7), TypeError, /type must be/);
    await assertRejects(
      () => bob.setBob(data, "text/plain", { maxAge: -1 }),
      RangeError,
    );
    await assertRejects(
      () => bob.setBob(data, "text/plain", { maxAge: 1.5 }),
      RangeError,
    );
    for (const cid of ["../x", "a/b", "sha1+00\0@bob.xmpp.org", "/tmp/x"]) {
      await assertRejects(
        () => bob.setBob(data, "text/plain", { cid }),
        TypeError,
        /cid must/,
      );
    }
    const wrong = cidOf(enc.encode("y"));
    await assertRejects(
      () => bob.setBob(data, "text/plain", { cid: wrong }),
      TypeError,
      /does not match the data/,
    );
    assertEquals(
      await bob.api.run("get_bob", { args: cidOf(data) }).catch((e) => e.name),
      "ItemNotFound",
    );
  });
});

Deno.test("BobPlugin.getBob() and delBob() reject malformed cids", async () => {
  await withBob(undefined, async (bob) => {
    for (const cid of ["../x", "a/b", "\0", "/etc/passwd", ""]) {
      await assertRejects(() => bob.getBob({ cid }), TypeError, /cid must/);
      await assertRejects(() => bob.delBob(cid), TypeError, /cid must/);
      await assertRejects(
        () => bob.api.run("get_bob", { args: cid }),
        TypeError,
        /cid must/,
      );
    }
    // Deleting a cid that is not there is not an error.
    await bob.delBob(cidOf(enc.encode("never stored")));
  });
});

Deno.test("BobPlugin.setBob() with a max-age deletes the entry once it expires", async () => {
  await withBob(undefined, async (bob) => {
    const cid = await bob.setBob(enc.encode("short-lived"), "text/plain", {
      maxAge: 1,
    });
    const keep = await bob.setBob(enc.encode("kept"), "text/plain", {
      maxAge: 0,
    });
    assertStrictEquals((await bob.getBob({ cid })).maxAge, 1);
    // Still there well before the second is up (max-age is in seconds)...
    await new Promise((r) => setTimeout(r, 400));
    assertStrictEquals((await bob.getBob({ cid })).cid, cid);
    // ...and gone once the 1 s timer fires; poll so a loaded machine does not flake.
    let gone = false;
    for (let i = 0; i < 60 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 50));
      gone = await bob.getBob({ cid }).then(
        () => false,
        (e) => e instanceof ItemNotFound,
      );
    }
    assert(gone, "the entry expired");
    assertStrictEquals((await bob.getBob({ cid: keep })).maxAge, 0);
  });
});

Deno.test("Client.registerPlugin() is idempotent and plugin[] needs it first", async () => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    assertThrows(() => xmpp.plugin["xep_0231"], TypeError, /registerPlugin/);
    const a = xmpp.registerPlugin("xep_0231");
    assertStrictEquals(xmpp.registerPlugin("xep_0231"), a);
    assertStrictEquals(xmpp.plugin["xep_0231"], a);
    assertThrows(
      () => xmpp.registerPlugin("xep_9999" as "xep_0231"),
      TypeError,
      /unknown plugin/,
    );
  } finally {
    await xmpp.stop();
  }
  assert(xmpp.actor.getSnapshot().status === "stopped");
});

Deno.test("createClient() uses the storage factory it is given", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({
    jid: "alice@localhost",
    storage: () => fileStorage({ dir }),
  });
  try {
    const cid = await xmpp.registerPlugin("xep_0231").setBob(
      enc.encode("f"),
      "text/plain",
    );
    assert(Deno.statSync(`${dir}/${cid}`).isFile);
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("memoryStorage() keeps entries per client", async () => {
  await withBob(memoryStorage(), async (bob) => {
    const cid = await bob.setBob(enc.encode("m"), "text/plain");
    assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "m");
  });
});

Deno.test("BoB migration out of a file storage skips a stray file (its key filter is isCid)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withBob(fileStorage({ dir }), async (bob) => {
      const cid = await bob.setBob(enc.encode("kept"), "text/plain");
      await Deno.writeTextFile(`${dir}/README.txt`, "not a bob");
      const report = await bob.api.bind(memoryStorage(), { migrate: true });
      assertStrictEquals(report.skipped, 1);
      assertStrictEquals(report.copied, 1);
      assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "kept");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
