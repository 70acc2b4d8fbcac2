import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { kvPlugin } from "./support/kv_plugin.ts";
import {
  type Api,
  createClient,
  defineStorage,
  type JsonValue,
  type StorageBackend,
} from "../mod.ts";
import type { EntriesBatch } from "../actors/storage/protocol.ts";

const kv = kvPlugin("race");

/** A promise and the function that resolves it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => open = r);
  return { wait, open };
}

/**
 * An async backend over `map` that applies its operations one at a time in
 * the order it received them (as the storage protocol asks), and can hold
 * them behind a gate: `hold()` makes every later operation wait.
 */
function serialBackend(map: Map<string, JsonValue>) {
  let tail: Promise<unknown> = Promise.resolve();
  const run = <T>(op: () => T): Promise<T> => {
    const p = tail.then(op);
    tail = p.catch(() => {});
    return p;
  };
  const backend: StorageBackend = {
    get: (_ns, k) => run(() => map.get(k)),
    set: (_ns, k, v) => run(() => void map.set(k, v)),
    del: (_ns, k) => run(() => void map.delete(k)),
    keys: () => run(() => [...map.keys()]),
    setMany: (_ns, entries) =>
      run(() => {
        for (const [k, v] of entries) map.set(k, v);
      }),
  };
  return {
    backend,
    hold(): () => void {
      const g = gate();
      run(() => g.wait);
      return g.open;
    },
  };
}

/** An old storage whose listing is taken now and answered when released. */
function heldListing(map: Map<string, JsonValue>) {
  const g = gate();
  const logic = defineStorage(() => ({
    get: (_ns, k) => map.get(k),
    set: (_ns, k, v) => void map.set(k, v),
    del: (_ns, k) => void map.delete(k),
    keys: () => [...map.keys()],
    async entries(): Promise<EntriesBatch> {
      const entries = [...map.entries()]; // what the copy read
      await g.wait;
      return { entries, next: null, total: entries.length };
    },
  }));
  return { logic, release: g.open };
}

async function until(api: Api, state: string) {
  for (let i = 0; i < 200; i++) {
    if (api.actor.getSnapshot().matches({ migrating: state })) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`registry never reached migrating.${state}`);
}

Deno.test("migration: a key written or deleted after the copy read it is not overwritten or brought back", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const api = xmpp.registerPlugin(kv);
    const oldMap = new Map<string, JsonValue>([["a", 1], ["b", 1], ["c", 1]]);
    const old = heldListing(oldMap);
    await api.bind(old.logic);
    const newMap = new Map<string, JsonValue>();
    const bind = api.bind(
      defineStorage(() => serialBackend(newMap).backend),
      { migrate: true },
    );
    await until(api, "copying");
    // The copy has read a=1, b=1, c=1 and waits; callers move on.
    await api.run("put", { args: ["a", 2] });
    await api.run("remove", { args: "b" });
    old.release();
    const report = await bind;
    assertEquals([report.copied, report.superseded], [1, 2]);
    assertStrictEquals(await api.run("read", { args: "a" }), 2);
    assertStrictEquals(await api.run("read", { args: "b" }), undefined);
    assertStrictEquals(await api.run("read", { args: "c" }), 1);
    assertEquals([...newMap.entries()].sort(), [["a", 2], ["c", 1]]);
    // The old storage got the writes too.
    assertEquals([...oldMap.entries()].sort(), [["a", 2], ["c", 1]]);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("migration: a write or delete racing with a copy batch in flight on the new storage lands after it", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const api = xmpp.registerPlugin(kv);
    await api.run("put", { args: ["a", 1] });
    await api.run("put", { args: ["b", 1] });
    const newMap = new Map<string, JsonValue>();
    const target = serialBackend(newMap);
    const release = target.hold(); // the copy's set_many waits behind this
    const bind = api.bind(defineStorage(() => target.backend), {
      migrate: true,
    });
    await until(api, "copying");
    await new Promise((r) => setTimeout(r, 5)); // the batch is sent, held
    const put = api.run("put", { args: ["a", 2] });
    const del = api.run("remove", { args: "b" });
    release();
    await Promise.all([put, del, bind]);
    assertStrictEquals(await api.run("read", { args: "a" }), 2);
    assertStrictEquals(await api.run("read", { args: "b" }), undefined);
    assertEquals([...newMap.entries()], [["a", 2]]);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("migration: a read that misses on the new storage, then asks the old one, does not see a key deleted meanwhile", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const api = xmpp.registerPlugin(kv);
    const oldMap = new Map<string, JsonValue>([["a", 1]]);
    const old = heldListing(oldMap); // the copy never gets to "a"
    await api.bind(old.logic);
    const target = serialBackend(new Map());
    // merge: a mirroring migration reads a key the new storage was not
    // given from the old storage alone (tests/migration_mirror_test.ts); a
    // merging one asks the new storage first, as here.
    const bind = api.bind(defineStorage(() => target.backend), {
      migrate: true,
      merge: true,
    });
    await until(api, "copying");
    const release = target.hold();
    const read = api.run("read", { args: "a" }); // held on the new storage
    const del = api.run("remove", { args: "a" }); // old: at once; new: after
    release();
    assertStrictEquals(await read, undefined);
    await del;
    old.release();
    const report = await bind;
    assertStrictEquals(report.superseded, 1);
    assertStrictEquals(await api.run("read", { args: "a" }), undefined);
    assert(!oldMap.has("a"));
  } finally {
    await xmpp.stop();
  }
});
