import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { createActor, fromCallback } from "../src/deps.ts";
import {
  createClient,
  fileStorage,
  idbStorage,
  memoryStorage,
  StorageError,
} from "../mod.ts";
import { registryMachine, type StorageReply } from "../internals.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function rejection(p: Promise<unknown>): Promise<Error> {
  return await p.then(
    () => {
      throw new Error("expected a rejection, the promise resolved");
    },
    (e: Error) => e,
  );
}

Deno.test("api.bind() of a storage that cannot start rejects with StorageError and keeps the old storage and its data", async (t) => {
  const file = await Deno.makeTempFile();
  const xmpp = createClient({ jid: "alice@localhost", timeout: 500 });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const cid = await bob.setBob(enc.encode("kept"), "text/plain");
    const old = bob.api.storage;
    const check = async () => {
      assertStrictEquals(bob.api.storage, old);
      assertStrictEquals(old.getSnapshot().status, "active");
      assertStrictEquals(bob.api.actor.getSnapshot().value, "ready");
      assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "kept");
      await bob.setBob(enc.encode("later"), "text/plain");
    };
    for (const migrate of [false, true]) {
      await t.step(
        `fileStorage({ dir: <a regular file> }), migrate: ${migrate}`,
        async () => {
          const err = await rejection(
            bob.api.bind(fileStorage({ dir: file }), { migrate }),
          );
          assert(err instanceof StorageError, String(err));
          assert(/cannot start/.test(err.message), err.message);
          await check();
        },
      );
      await t.step(
        `idbStorage() without IndexedDB, migrate: ${migrate}`,
        async () => {
          const g = globalThis as { indexedDB?: unknown };
          const saved = g.indexedDB;
          delete g.indexedDB;
          try {
            const err = await rejection(
              bob.api.bind(idbStorage(), { migrate }),
            );
            assert(err instanceof StorageError, String(err));
            assert(/no indexedDB/.test(err.message), err.message);
          } finally {
            g.indexedDB = saved;
          }
          await check();
        },
      );
    }
    await t.step("a stopped running ref", async () => {
      const dead = createActor(memoryStorage()).start();
      dead.stop();
      const err = await rejection(bob.api.bind(dead));
      assert(err instanceof StorageError, String(err));
      await check();
    });
    await t.step("a storage that never answers storage.ready", async () => {
      const silent = fromCallback(() => {});
      const err = await rejection(bob.api.bind(silent, { migrate: true }));
      assert(err instanceof StorageError, String(err));
      assert(/storage\.ready within 500 ms/.test(err.message), err.message);
      await check();
    });
  } finally {
    await xmpp.stop();
    await Deno.remove(file);
  }
});

Deno.test("api.bind(api.storage) rebinding the bound storage is a no-op that resolves", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const cid = await bob.setBob(enc.encode("same"), "text/plain");
    const current = bob.api.storage;
    for (const migrate of [false, true]) {
      const report = await bob.api.bind(current, { migrate });
      assertStrictEquals(report.migrated, false);
      assertStrictEquals(bob.api.storage, current);
      assertStrictEquals(current.getSnapshot().status, "active");
      assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "same");
    }
    // It stays owned: a later bind still retires (stops) it.
    await bob.api.bind(memoryStorage());
    for (let i = 0; i < 50 && current.getSnapshot().status !== "stopped"; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assertStrictEquals(current.getSnapshot().status, "stopped");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.bind({ migrate, isKey }) out of a file storage skips and counts stray files", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", timeout: 1000 });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.api.bind(fileStorage({ dir }));
    const cids: string[] = [];
    for (let i = 0; i < 20; i++) {
      cids.push(await bob.setBob(enc.encode(`entry ${i}`), "text/plain"));
    }
    Deno.writeTextFileSync(
      `${dir}/README.txt`,
      "Cache of BoB data, one file per cid.\n",
    );
    Deno.writeTextFileSync(`${dir}/notes.json`, "{}");

    // With a filter that takes every key, the README is an unreadable
    // entry, so the migration fails and keeps the file storage.
    const old = bob.api.storage;
    const err = await rejection(
      bob.api.bind(memoryStorage(), { migrate: true, isKey: () => true }),
    );
    assert(err instanceof StorageError, String(err));
    assert(/README\.txt/.test(err.message), err.message);
    assertStrictEquals(bob.api.storage, old);

    // BoB's own filter (isCid, from its plugin definition) is the default.
    const report = await bob.api.bind(memoryStorage(), { migrate: true });
    assertEquals(
      { copied: report.copied, skipped: report.skipped, total: report.total },
      { copied: 20, skipped: 2, total: 22 },
    );
    for (const [i, cid] of cids.entries()) {
      assertStrictEquals(
        dec.decode((await bob.getBob({ cid })).data),
        `entry ${i}`,
      );
    }
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registryMachine input isKey is the default key filter of every migration", async () => {
  const registry = createActor(registryMachine, {
    input: {
      ns: "t",
      storage: memoryStorage(),
      timeout: 1000,
      isKey: (k: string) => k.startsWith("ok-"),
    },
  }).start();
  try {
    const ask = (event: Record<string, unknown>) =>
      new Promise<unknown>((resolve, reject) =>
        registry.send({ ...event, id: 1, resolve, reject })
      );
    const storage = registry.getSnapshot().context.storage;
    await new Promise<StorageReply>((resolve) =>
      storage.send({
        type: "storage.set_many",
        id: 1,
        ns: "t",
        entries: [["ok-1", 1], ["bad", 2], ["ok-2", 3]],
        replyTo: { send: resolve },
      })
    );
    const report = await ask({
      type: "api.bind",
      storage: memoryStorage(),
      migrate: true,
    }) as { copied: number; skipped: number };
    assertEquals([report.copied, report.skipped], [2, 1]);
  } finally {
    registry.stop();
  }
});

Deno.test("client.stop() during a migration rejects the bind and pending calls with ClientStoppedError and leaks nothing", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const storage = bob.api.storage;
    const entries: [string, string][] = [];
    for (let i = 0; i < 20_000; i++) entries.push([`k${i}`, `v${i}`]);
    await new Promise((resolve) =>
      storage.send({
        type: "storage.set_many",
        id: 1,
        ns: "xep_0231",
        entries,
        replyTo: { send: resolve },
      })
    );
    // Keys that are not cids: take them all (BoB's own filter would skip them).
    const bind = rejection(
      bob.api.bind(fileStorage({ dir }), { migrate: true, isKey: () => true }),
    );
    await new Promise((r) => setTimeout(r, 5));
    assert(bob.api.actor.getSnapshot().matches({ migrating: "copying" }));
    await xmpp.stop();
    const err = await bind;
    assertStrictEquals(err.name, "ClientStoppedError");
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
