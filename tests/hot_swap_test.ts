import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { createActor } from "../src/deps.ts";
import {
  cidOf,
  ClientStoppedError,
  createClient,
  defineStorage,
  fileStorage,
  idbStorage,
  type JsonValue,
  memoryStorage,
  StorageError,
} from "../mod.ts";
import type { StorageReply } from "../internals.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const payload = (i: number) => enc.encode(`entry ${i}`);

Deno.test("api.bind({ migrate }) swaps memory → file → idb → memory under 1,000 concurrent calls", async () => {
  const dir = await Deno.makeTempDir();
  // Count the calls entering (the registry, or the direct path), and every
  // storage answer the registry gets for a call, by request id (a call's leg
  // on the new storage has the negated id).
  const answers = new Map<number, number>();
  let entered = 0;
  let routed = 0;
  const xmpp = createClient({
    jid: "alice@localhost",
    password: "pw",
    inspect(ev) {
      if (ev.type !== "@xstate.event") return;
      // A call enters as api.call to the registry, or (the direct path) as
      // its storage request to the bound storage, with no source.
      if (
        ev.sourceRef === undefined &&
        /^storage\.(get|set|del)$/.test(ev.event.type)
      ) entered++;
      if ((ev.actorRef as { id?: string }).id !== "xep_0231.api") return;
      if (ev.event.type === "api.call") entered++;
      if (
        ev.event.type === "storage.result" ||
        ev.event.type === "storage.error"
      ) {
        const id = (ev.event as StorageReply).id;
        if (Math.abs(id) < 2 ** 40) answers.set(id, (answers.get(id) ?? 0) + 1);
      }
    },
  });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const setBefore: string[] = [];
    for (let i = 0; i < 100; i++) {
      setBefore.push(await bob.setBob(payload(i), "text/plain"));
    }

    const calls: Promise<unknown>[] = [];
    const binds: Promise<unknown>[] = [];
    const setDuring: Promise<string>[] = [];
    const targets = [
      () => fileStorage({ dir }),
      () => idbStorage({ dbName: `swap-${crypto.randomUUID()}` }),
      () => memoryStorage(),
    ];
    for (let i = 0; i < 1000; i++) {
      if (i % 300 === 150) {
        binds.push(bob.api.bind(targets[binds.length](), { migrate: true }));
      }
      if (bob.api.actor.getSnapshot().matches("migrating")) routed++;
      if (i % 2 === 0) {
        const p = bob.setBob(payload(1000 + i), "text/plain");
        setDuring.push(p);
        calls.push(p);
      } else {
        const cid = setBefore[i % setBefore.length];
        calls.push(
          bob.getBob({ cid }).then((got) => {
            assertStrictEquals(got.cid, cid);
          }),
        );
      }
      // Let some calls complete and others pile up, across bind boundaries.
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 0));
    }
    const results = await Promise.allSettled([...calls, ...binds]);
    const failed = results.filter((r) => r.status === "rejected");
    assertEquals(failed, [], "zero failed calls");
    assertStrictEquals(binds.length, 3);
    assert(routed > 0, "some calls were made during a migration");

    // Now on the last (memory) storage: everything set before or during is there.
    for (const cid of [...setBefore, ...await Promise.all(setDuring)]) {
      const got = await bob.getBob({ cid });
      assert(dec.decode(got.data).startsWith("entry "));
    }
    // Every call entered once; each storage request was answered once.
    assert(entered >= 1000 + setBefore.length);
    assert(answers.size >= 1000 + setBefore.length);
    for (const [id, n] of answers) {
      assertStrictEquals(n, 1, `request ${id} answered ${n} times`);
    }
    assertStrictEquals(bob.api.actor.getSnapshot().value, "ready");
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("api.bind() without migrate: calls in flight finish on the old storage, which is then stopped", async () => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const old = bob.api.storage;
    const slowDb = `slow-${crypto.randomUUID()}`;
    await bob.api.bind(idbStorage({ dbName: slowDb }));
    const idb = bob.api.storage;
    // In flight on the (async) idb storage when the next bind happens.
    const inFlight = bob.setBob(payload(1), "text/plain");
    await bob.api.bind(memoryStorage());
    const cid = await inFlight;
    assertStrictEquals(old.getSnapshot().status, "stopped");
    // Without migration the new storage starts empty; the old one got the write.
    assertEquals(
      await bob.getBob({ cid }).catch((e) => e.name),
      "ItemNotFound",
    );
    await bob.api.bind(idbStorage({ dbName: slowDb }));
    assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "entry 1");
    // The old owned storage stops once its drain is answered.
    assertStrictEquals(idb.getSnapshot().status, "stopped");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.bind() of a running ref leaves it running and shareable between clients", async () => {
  const shared = createActor(memoryStorage()).start();
  const a = createClient({ jid: "alice@localhost", password: "pw" });
  const b = createClient({ jid: "bob@localhost", password: "pw" });
  try {
    const bobA = a.registerPlugin("xep_0231");
    const bobB = b.registerPlugin("xep_0231");
    await bobA.api.bind(shared);
    await bobB.api.bind(shared);
    const cid = await bobA.setBob(payload(7), "text/plain");
    assertStrictEquals(
      dec.decode((await bobB.getBob({ cid })).data),
      "entry 7",
    );
    await bobA.api.bind(memoryStorage(), { migrate: true });
    await a.stop();
    assertStrictEquals(shared.getSnapshot().status, "active");
    assertStrictEquals(
      dec.decode((await bobB.getBob({ cid })).data),
      "entry 7",
    );
  } finally {
    await a.stop();
    await b.stop();
    shared.stop();
  }
});

Deno.test("api.bind({ migrate }) that fails keeps the old storage and serves queued calls from it", async () => {
  const xmpp = createClient({
    jid: "alice@localhost",
    password: "pw",
    timeout: 200,
  });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const cid = await bob.setBob(payload(3), "text/plain");
    const old = bob.api.storage;
    const broken = fileStorage({ dir: "/proc/definitely/not/writable" });
    const bind = bob.api.bind(broken, { migrate: true });
    const queued = bob.getBob({ cid });
    const err = await bind.then(() => null, (e: Error) => e);
    assert(
      err instanceof Error && /migration failed/.test(err.message),
      String(err),
    );
    assertStrictEquals(dec.decode((await queued).data), "entry 3");
    assertStrictEquals(bob.api.storage, old);
    assertStrictEquals(bob.api.actor.getSnapshot().value, "ready");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.bind() calls made during a migration are served at once; writes reach the new storage", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.api.bind(idbStorage({ dbName: `q-${crypto.randomUUID()}` }));
    const before = await bob.setBob(payload(1), "text/plain");
    const bind = bob.api.bind(fileStorage({ dir }), { migrate: true });
    assert(bob.api.actor.getSnapshot().matches("migrating"));
    const during = bob.setBob(payload(2), "text/plain");
    const next = bob.api.bind(memoryStorage(), { migrate: true }); // waits its turn
    await bind;
    const cid = await during;
    assert(
      Deno.statSync(`${dir}/${cid}`).isFile,
      "served by the new (file) storage",
    );
    assert(
      Deno.statSync(`${dir}/${before}`).isFile,
      "copied to the new storage",
    );
    await next;
    assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "entry 2");
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("api.bind(): an old storage that never answers its drain is stopped after the timeout", async () => {
  const xmpp = createClient({
    jid: "alice@localhost",
    password: "pw",
    timeout: 100,
  });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const never = () => new Promise<never>(() => {});
    await bob.api.bind(
      defineStorage(() => ({
        get: never,
        set: never,
        del: never,
        keys: never,
      })),
    );
    const stuck = bob.api.storage;
    // A get in flight forever: the stuck storage can never answer a drain.
    const lost = bob.getBob({ cid: cidOf(payload(1)) }).catch((e) => e);
    await bob.api.bind(memoryStorage());
    assertStrictEquals(stuck.getSnapshot().status, "active");
    assertStrictEquals((await lost).name, "TimeoutError");
    // Stopped once the retire timeout (100 ms) fires; allow a loaded machine slack.
    for (let i = 0; i < 100 && stuck.getSnapshot().status !== "stopped"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assertStrictEquals(stuck.getSnapshot().status, "stopped");
    // The new storage serves calls.
    const cid = await bob.setBob(payload(2), "text/plain");
    assertStrictEquals(dec.decode((await bob.getBob({ cid })).data), "entry 2");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.bind({ migrate }) whose old storage lists garbage keys rejects with StorageError and keeps the old storage bound and intact", async () => {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 500 });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const map = new Map<string, JsonValue>();
    const garbages: unknown[] = [null, "not a list", { 0: "a" }, [1, 2], 7];
    for (const garbage of garbages) {
      await bob.api.bind(defineStorage(() => ({
        get: (_ns, k) => map.get(k),
        set: (_ns, k, v) => void map.set(k, v),
        del: (_ns, k) => void map.delete(k),
        keys: () => garbage as string[],
      })));
      const old = bob.api.storage;
      const cid = await bob.setBob(payload(1), "text/plain");
      const err = await bob.api.bind(memoryStorage(), { migrate: true }).then(
        () => null,
        (e: Error) => e,
      );
      assert(err instanceof StorageError, String(err));
      assert(/storage\.keys/.test(err.message), err.message);
      assertStrictEquals(bob.api.storage, old);
      assertStrictEquals(old.getSnapshot().status, "active");
      assertStrictEquals(bob.api.actor.getSnapshot().value, "ready");
      assertStrictEquals(
        dec.decode((await bob.getBob({ cid })).data),
        "entry 1",
      );
      assert(map.has(cid), "the entry is still in the old storage");
    }
  } finally {
    await xmpp.stop();
  }
});

Deno.test("client.stop() rejects pending storage calls with ClientStoppedError", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  const bob = xmpp.registerPlugin("xep_0231");
  await bob.api.bind(defineStorage(() => ({
    get: () => new Promise<never>(() => {}),
    set: () => {},
    del: () => {},
    keys: () => [],
  })));
  const pending = bob.getBob({ cid: cidOf(payload(1)) }).catch((e) => e);
  await xmpp.stop();
  const err = await pending;
  assert(err instanceof ClientStoppedError, String(err));
  assertStrictEquals(err.condition, "service-unavailable");
});
