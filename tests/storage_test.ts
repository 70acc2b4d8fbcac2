import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import { createActor } from "../src/deps.ts";
import {
  cidOf,
  ClientStoppedError,
  createClient,
  defineStorage,
  fileStorage,
  memoryStorage,
  StorageError,
  TimeoutError,
} from "../mod.ts";
import type { StorageReply, StorageRequest } from "../internals.ts";
import { isFileKey } from "../actors/storage/file.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Send one request to a storage actor and wait for its reply. */
function ask(
  store: { send(e: StorageRequest): void },
  req: { type: string; key?: string; value?: unknown; ns?: string },
): Promise<StorageReply> {
  return new Promise((resolve) =>
    store.send(
      {
        ns: "xep_0231",
        id: 1,
        ...req,
        replyTo: { send: resolve },
      } as unknown as StorageRequest,
    )
  );
}

Deno.test("fileStorage() never touches a path outside its directory", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/store`;
  const store = createActor(fileStorage({ dir })).start();
  try {
    for (
      const key of [
        "../x",
        "a/b",
        "x\0y",
        `${root}/abs`,
        "..",
        ".",
        ".hidden",
        "a\\b",
        "",
      ]
    ) {
      for (
        const type of ["storage.get", "storage.set", "storage.del"] as const
      ) {
        const reply = await ask(store, { type, key, value: { a: 1 } });
        assertStrictEquals(
          reply.type,
          "storage.error",
          `${type} ${JSON.stringify(key)}`,
        );
        assert(
          reply.type === "storage.error" && reply.error instanceof TypeError,
        );
      }
    }
    assertEquals([...Deno.readDirSync(root)].map((e) => e.name), ["store"]);
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    store.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fileStorage(): a corrupt file reads as an error, other entries still work", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.api.bind(fileStorage({ dir }));
    const good = await bob.setBob(enc.encode("good"), "text/plain");
    const bad = await bob.setBob(enc.encode("bad"), "text/plain");
    const torn = await bob.setBob(enc.encode("torn"), "text/plain");
    await Deno.writeTextFile(`${dir}/${bad}`, '{"data": "YmFk", "ty');
    // Valid JSON whose bytes no longer hash to the cid (tampered or torn).
    await Deno.writeTextFile(
      `${dir}/${torn}`,
      JSON.stringify({
        data: "eHh4",
        type: "text/plain",
        cid: torn,
        max_age: null,
      }),
    );
    await assertRejects(
      () => bob.getBob({ cid: bad }),
      StorageError,
      /corrupt JSON/,
    );
    await assertRejects(
      () => bob.getBob({ cid: torn }),
      StorageError,
      /does not match its cid/,
    );
    assertStrictEquals(
      dec.decode((await bob.getBob({ cid: good })).data),
      "good",
    );
    // The corrupt entry can be overwritten and deleted.
    await bob.setBob(enc.encode("bad"), "text/plain");
    assertStrictEquals(
      dec.decode((await bob.getBob({ cid: bad })).data),
      "bad",
    );
    await bob.delBob(torn);
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileStorage() writes atomically: no temp files are left behind", async () => {
  const dir = await Deno.makeTempDir();
  const store = createActor(fileStorage({ dir })).start();
  try {
    for (let i = 0; i < 20; i++) {
      assertStrictEquals(
        (await ask(store, { type: "storage.set", key: "k", value: { i } }))
          .type,
        "storage.result",
      );
    }
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["k"]);
    assertEquals(await ask(store, { type: "storage.get", key: "k" }), {
      type: "storage.result",
      id: 1,
      value: { i: 19 },
    });
    // A failed write (the target is a directory) reports an error and cleans up.
    Deno.mkdirSync(`${dir}/adir`);
    const reply = await ask(store, {
      type: "storage.set",
      key: "adir",
      value: 1,
    });
    assert(
      reply.type === "storage.error" && reply.error instanceof StorageError,
    );
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "adir",
      "k",
    ]);
    assertEquals(await ask(store, { type: "storage.keys" }), {
      type: "storage.result",
      id: 1,
      value: ["k"],
    });
  } finally {
    store.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileStorage(): one directory serves one namespace", async () => {
  const dir = await Deno.makeTempDir();
  const store = createActor(fileStorage({ dir })).start();
  try {
    await ask(store, { type: "storage.set", key: "k", value: 1 });
    const reply = await ask(store, {
      ns: "other",
      type: "storage.get",
      key: "k",
    });
    assert(
      reply.type === "storage.error" &&
        /already serves xep_0231/.test(reply.error.message),
    );
  } finally {
    store.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assertThrows(() => fileStorage({ dir: "" }), TypeError, /dir must be/);
});

Deno.test("storage actors answer an unknown request type with an error", async () => {
  const store = createActor(memoryStorage()).start();
  try {
    const reply = await ask(store, { type: "storage.frob", key: "k" });
    assert(
      reply.type === "storage.error" &&
        /unknown type storage.frob/.test(reply.error.message),
    );
  } finally {
    store.stop();
  }
});

Deno.test("a storage actor that stopped fails calls at once; one that never answers times out", async (t) => {
  const xmpp = createClient({
    jid: "alice@localhost",
    password: "pw",
    timeout: 150,
  });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const cid = cidOf(enc.encode("x"));

    await t.step("stopped", async () => {
      const store = createActor(memoryStorage()).start();
      await bob.api.bind(store);
      store.stop();
      await assertRejects(
        () => bob.getBob({ cid }),
        StorageError,
        /storage actor is stopped/,
      );
      await assertRejects(
        () => bob.setBob(enc.encode("x"), "text/plain"),
        StorageError,
        /stopped/,
      );
    });

    await t.step("never answers", async () => {
      const never = () => new Promise<never>(() => {});
      await bob.api.bind(
        defineStorage(() => ({
          get: never,
          set: never,
          del: never,
          keys: never,
        })),
      );
      await assertRejects(
        () => bob.getBob({ cid }),
        TimeoutError,
        /get_bob: storage did not answer within 150 ms/,
      );
      await assertRejects(() => bob.delBob(cid), TimeoutError, /del_bob/);
    });

    await t.step("stops while a call is in flight", async () => {
      let release!: () => void;
      const store = createActor(defineStorage(() => ({
        get: () => new Promise((r) => release = () => r(undefined)),
        set: () => {},
        del: () => {},
        keys: () => [],
      }))).start();
      await bob.api.bind(store);
      const call = bob.getBob({ cid });
      store.stop();
      release();
      await assertRejects(() => call, TimeoutError);
    });

    await t.step("a backend that throws reports a StorageError", async () => {
      await bob.api.bind(defineStorage(() => ({
        get: () => {
          throw new Error("disk on fire");
        },
        set: () => Promise.reject(new Error("read-only")),
        del: () => {},
        keys: () => [],
      })));
      await assertRejects(
        () => bob.getBob({ cid }),
        StorageError,
        /get_bob: disk on fire/,
      );
      await assertRejects(
        () => bob.setBob(enc.encode("x"), "text/plain"),
        StorageError,
        /read-only/,
      );
    });
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.bind() rejects what is not a storage, and calls after stop() fail", async () => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  const bob = xmpp.registerPlugin("xep_0231");
  // @ts-expect-error: not a storage
  await assertRejects(() => bob.api.bind({}), TypeError, /Cannot bind storage/);
  await xmpp.stop();
  await assertRejects(
    () => bob.setBob(enc.encode("x"), "text/plain"),
    ClientStoppedError,
    /set_bob: the client is stopped/,
  );
  await assertRejects(() => bob.api.bind(memoryStorage()), Error, /stopped/);
});

Deno.test("a storage backend that cannot start: its bind rejects, its requests fail, and nothing crashes", async () => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const before = await bob.setBob(enc.encode("kept"), "text/plain");
    await assertRejects(
      () => bob.api.bind(fileStorage({ dir: "/proc/no/such/dir" })),
      StorageError,
      /Cannot start storage: .*No such file/,
    );
    // The old storage is still bound, with its data, and works.
    assertStrictEquals(
      dec.decode((await bob.getBob({ cid: before })).data),
      "kept",
    );
    const cid = await bob.setBob(enc.encode("x"), "text/plain");
    assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "x");
  } finally {
    await xmpp.stop();
  }
  // Driven directly, such a storage answers every request with the error.
  const store = createActor(fileStorage({ dir: "/proc/no/such/dir" })).start();
  const replies: StorageReply[] = [];
  store.send({
    type: "storage.get",
    id: 1,
    ns: "xep_0231",
    key: "k",
    replyTo: { send: (r: StorageReply) => replies.push(r) },
  });
  assertStrictEquals(replies[0]?.type, "storage.error");
  store.stop();
});

/**
 * Run `fn` with a writer that opens `fifo` after `ms`: were the storage to
 * open the FIFO for reading (a regression), that open would block the whole
 * process forever; the writer unblocks it so the test fails instead of hanging.
 */
async function withFifoUnblocker(
  fifo: string,
  ms: number,
  fn: () => Promise<void>,
): Promise<void> {
  const child = new Deno.Command("sh", {
    args: ["-c", `sleep ${ms / 1000}; : > "$0"`, fifo],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await fn();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }
}

function mkfifo(path: string): void {
  const out = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert(out.success, `mkfifo ${path} failed`);
}

Deno.test("fileStorage() get refuses a FIFO named like a key, without blocking", async () => {
  const dir = await Deno.makeTempDir();
  const store = createActor(fileStorage({ dir })).start();
  const cid = cidOf(enc.encode("fifo"));
  mkfifo(`${dir}/${cid}`);
  try {
    await withFifoUnblocker(`${dir}/${cid}`, 3000, async () => {
      const started = performance.now();
      const reply = await ask(store, { type: "storage.get", key: cid });
      assert(
        performance.now() - started < 1500,
        "get blocked on the FIFO",
      );
      assert(
        reply.type === "storage.error" &&
          reply.error instanceof StorageError,
        `expected a StorageError, got ${JSON.stringify(reply)}`,
      );
      assert(reply.error.message.includes(cid), reply.error.message);
      assert(/not a regular file/.test(reply.error.message));
    });
  } finally {
    store.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileStorage() get never follows a symlink", async (t) => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/store`;
  const store = createActor(fileStorage({ dir })).start();
  await ask(store, { type: "storage.keys" }); // the actor created dir
  const outside = `${root}/outside.json`;
  Deno.writeTextFileSync(outside, '{"secret": 1}');
  try {
    // Checked first: a regression fails here, before the links that would
    // block (a FIFO) or exhaust memory (/dev/zero) are read.
    for (
      const [name, target] of [
        ["to a file outside the directory", outside],
        ["to a FIFO", `${root}/fifo`],
        ["to /dev/zero", "/dev/zero"],
        ["dangling", `${root}/missing`],
      ]
    ) {
      const passed = await t.step(name, async () => {
        if (target.endsWith("/fifo")) mkfifo(target);
        const key = `link-${name.replace(/\W+/g, "-")}`;
        Deno.symlinkSync(target, `${dir}/${key}`);
        await withFifoUnblocker(`${root}/fifo`, 3000, async () => {
          const reply = await ask(store, { type: "storage.get", key });
          assert(
            reply.type === "storage.error" &&
              reply.error instanceof StorageError,
            `expected a StorageError, got ${JSON.stringify(reply)}`,
          );
          assert(reply.error.message.includes(key), reply.error.message);
          assert(/not a regular file/.test(reply.error.message));
        });
      });
      if (!passed) break;
    }
  } finally {
    store.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fileStorage() get refuses an entry larger than maxEntryBytes", async () => {
  const dir = await Deno.makeTempDir();
  const store = createActor(fileStorage({ dir, maxEntryBytes: 64 })).start();
  const big = createActor(fileStorage({ dir })).start();
  try {
    Deno.writeTextFileSync(`${dir}/small`, JSON.stringify({ a: "x" }));
    Deno.writeTextFileSync(
      `${dir}/large`,
      JSON.stringify({ a: "x".repeat(64) }),
    );
    // A sparse file past the default limit: refused without being read.
    Deno.writeFileSync(`${dir}/huge`, new Uint8Array());
    Deno.truncateSync(`${dir}/huge`, 2 ** 32);
    assertEquals(await ask(store, { type: "storage.get", key: "small" }), {
      type: "storage.result",
      id: 1,
      value: { a: "x" },
    });
    for (
      const [actor, key] of [[store, "large"], [store, "huge"], [
        big,
        "huge",
      ]] as const
    ) {
      const reply = await ask(actor, { type: "storage.get", key });
      assert(
        reply.type === "storage.error" &&
          reply.error instanceof StorageError &&
          reply.error.message.includes(key) &&
          /exceeds/.test(reply.error.message),
        `${key}: ${JSON.stringify(reply)}`,
      );
    }
  } finally {
    store.stop();
    big.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assertThrows(
    () => fileStorage({ dir: "/tmp", maxEntryBytes: -1 }),
    RangeError,
    /maxEntryBytes/,
  );
});

Deno.test("fileStorage() set refuses a value larger than maxEntryBytes", async () => {
  const dir = await Deno.makeTempDir();
  const store = createActor(fileStorage({ dir, maxEntryBytes: 64 })).start();
  try {
    const reply = await ask(store, {
      type: "storage.set",
      key: "k",
      value: { a: "x".repeat(64) },
    });
    assert(
      reply.type === "storage.error" &&
        reply.error instanceof StorageError &&
        /Cannot write k: .*exceeds/.test(reply.error.message),
      JSON.stringify(reply),
    );
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    store.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileStorage() keys() lists regular files only", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/store`;
  const store = createActor(fileStorage({ dir })).start();
  try {
    await ask(store, { type: "storage.set", key: "real", value: 1 });
    Deno.writeTextFileSync(`${root}/outside`, "1");
    Deno.symlinkSync(`${root}/outside`, `${dir}/link`);
    Deno.symlinkSync("/dev/zero", `${dir}/zero`);
    mkfifo(`${dir}/fifo`);
    Deno.mkdirSync(`${dir}/subdir`);
    assertEquals(await ask(store, { type: "storage.keys" }), {
      type: "storage.result",
      id: 1,
      value: ["real"],
    });
  } finally {
    store.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fileStorage() del never deletes through a link, nor a directory", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/store`;
  const store = createActor(fileStorage({ dir })).start();
  try {
    await ask(store, { type: "storage.keys" });
    Deno.writeTextFileSync(`${root}/outside`, "1");
    Deno.mkdirSync(`${root}/outdir`);
    Deno.writeTextFileSync(`${root}/outdir/inner`, "1");
    Deno.symlinkSync(`${root}/outside`, `${dir}/link`);
    Deno.symlinkSync(`${root}/outdir`, `${dir}/dirlink`);
    Deno.mkdirSync(`${dir}/subdir`);
    for (const key of ["link", "dirlink"]) {
      const reply = await ask(store, { type: "storage.del", key });
      assertStrictEquals(reply.type, "storage.result", key);
    }
    // The links are gone, what they pointed to is untouched.
    assertStrictEquals(Deno.readTextFileSync(`${root}/outside`), "1");
    assertStrictEquals(Deno.readTextFileSync(`${root}/outdir/inner`), "1");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["subdir"]);
    // A directory named like a key is not an entry: refused, kept.
    const reply = await ask(store, { type: "storage.del", key: "subdir" });
    assert(
      reply.type === "storage.error" &&
        reply.error instanceof StorageError &&
        /Cannot delete subdir: not a regular file/.test(reply.error.message),
      JSON.stringify(reply),
    );
    assert(Deno.statSync(`${dir}/subdir`).isDirectory);
  } finally {
    store.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fileStorage() refuses a key over 255 UTF-8 bytes or with a lone surrogate; every key it accepts round-trips", async () => {
  const dir = await Deno.makeTempDir();
  const store = createActor(fileStorage({ dir })).start();
  try {
    // Found by tests/property_test.ts: 128 "é" are 128 characters but 256
    // bytes, over NAME_MAX; the key was accepted and the write then failed.
    // A lone surrogate is written as U+FFFD: two keys, one file, and keys()
    // lists a name that was never set.
    for (
      const key of [
        "a\uD800b",
        "\uDC00",
        "é".repeat(128),
        "\u{1F600}".repeat(64),
        "a".repeat(256),
      ]
    ) {
      assert(!isFileKey(key), `accepted ${key.length} characters`);
      const reply = await ask(store, { type: "storage.set", key, value: 1 });
      assert(
        reply.type === "storage.error" && reply.error instanceof TypeError,
        JSON.stringify(reply),
      );
    }
    for (
      const key of ["é".repeat(127), "\u{1F600}".repeat(63), "a".repeat(255)]
    ) {
      assert(isFileKey(key));
      assertStrictEquals(
        (await ask(store, { type: "storage.set", key, value: 1 })).type,
        "storage.result",
      );
      assertEquals(await ask(store, { type: "storage.get", key }), {
        type: "storage.result",
        id: 1,
        value: 1,
      });
    }
  } finally {
    store.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
