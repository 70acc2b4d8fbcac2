// Actors named for a person: what the inspector shows of a client must say
// whose it is and, for a storage, what kind and where — never a secret.
import { assert, assertStrictEquals } from "./deps.ts";
import {
  createClient,
  defineStorage,
  fileStorage,
  idbStorage,
  memoryStorage,
  redisStorage,
} from "../mod.ts";
import { Collector, type InspectorFrame, storageId } from "../internals.ts";
import {
  hasRedis,
  redisCli,
  requireServers,
  startRedis,
} from "./support/redis.ts";

const enc = new TextEncoder();

/** What a page opening now is sent: the running actors, the recent events. */
function open(collector: Collector): {
  actors: InspectorFrame[];
  text: string;
} {
  let text = "";
  const detach = collector.attach({ send: (m) => text ||= m });
  detach();
  const init = JSON.parse(text) as { actors: InspectorFrame[] };
  return { actors: init.actors, text };
}

function byName(actors: InspectorFrame[], name: string): InspectorFrame {
  const found = actors.filter((a) => a.name === name);
  assertStrictEquals(
    found.length,
    1,
    `one actor named ${name} in ${actors.map((a) => a.name)}`,
  );
  return found[0];
}

/** The storage actors under the registry `<plugin>.api`, by name. */
function storagesOf(actors: InspectorFrame[], plugin: string): string[] {
  const registry = byName(actors, `${plugin}.api`);
  return actors.filter((a) =>
    a.parentId === registry.sessionId && a.name?.startsWith("storage")
  ).map((a) => a.name!).sort();
}

Deno.test("a storage actor is named for its kind and place in the inspector; after a hot swap the new one is named for its kind", async () => {
  const collector = new Collector();
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", inspect: collector });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    assertStrictEquals(bob.api.storage.id, "storage:memory");
    assert(
      storagesOf(open(collector).actors, "xep_0231").includes(
        "storage:memory",
      ),
    );

    await bob.api.bind(fileStorage({ dir }));
    const cid = await bob.setBob(enc.encode("kept"), "text/plain");
    assertStrictEquals(bob.api.storage.id, `storage:file:${dir}`);
    assert(
      storagesOf(open(collector).actors, "xep_0231").includes(
        `storage:file:${dir}`,
      ),
    );

    // Hot swap to the same kind and place: both run during the migration,
    // so the new one gets a suffix (XState keeps children by id).
    await bob.api.bind(fileStorage({ dir }), { migrate: true });
    assertStrictEquals(bob.api.storage.id, `storage:file:${dir}#2`);
    // Then to another kind: named for it.
    await bob.api.bind(idbStorage({ dbName: "names", storeName: "bob" }), {
      migrate: true,
    });
    assertStrictEquals(bob.api.storage.id, "storage:idb:names/bob");
    assertStrictEquals(
      new TextDecoder().decode((await bob.getBob({ cid })).data),
      "kept",
    );
    await bob.api.bind(memoryStorage(), { migrate: true });
    assertStrictEquals(bob.api.storage.id, "storage:memory");
    // Once the old ones have retired, the registry holds the new one only.
    let names: string[] = [];
    for (let i = 0; i < 100; i++) {
      names = storagesOf(open(collector).actors, "xep_0231");
      if (names.length === 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assertStrictEquals(names.join(), "storage:memory");
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("defineStorage({ name }) names the actor storage:<name>; a storage without a name is storage", async () => {
  const backend = () => ({
    get: () => undefined,
    set: () => {},
    del: () => {},
    keys: () => [],
  });
  assertStrictEquals(storageId(defineStorage(backend)), "storage");
  assertStrictEquals(
    storageId(defineStorage(backend, { name: "map" })),
    "storage:map",
  );
  // A name that carries a URL's password shows it redacted.
  assert(
    !storageId(
      defineStorage(backend, { name: "sql:postgres://u:hunter2@db/x" }),
    ).includes("hunter2"),
  );
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.api.bind(defineStorage(backend, { name: "map" }));
    assertStrictEquals(bob.api.storage.id, "storage:map");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("two clients' trees are told apart by JID in the inspector", async () => {
  const collector = new Collector();
  const alice = createClient({ jid: "alice@localhost", inspect: collector });
  const bob = createClient({ jid: "bob@localhost", inspect: collector });
  try {
    alice.registerPlugin("xep_0231");
    bob.registerPlugin("xep_0231");
    // The connections exist from first use (no server needed to name them).
    void alice.connection;
    void bob.connection;
    const { actors } = open(collector);
    const rootName = new Map(
      actors.filter((a) => a.parentId === undefined).map((
        a,
      ) => [a.sessionId, a.name]),
    );
    for (const jid of ["alice@localhost", "bob@localhost"]) {
      const root = byName(actors, `client:${jid}`);
      assertStrictEquals(root.parentId, undefined);
      byName(actors, `connection:${jid}`);
      // Every actor of the client's tree hangs from the root named for it.
      const tree = actors.filter((a) => a.rootId === root.sessionId);
      assert(tree.some((a) => a.name === "xep_0231.api"));
      assert(tree.some((a) => a.name === "storage:memory"));
    }
    // No root is anonymous: each says whose it is.
    for (const name of rootName.values()) {
      assert(/^(client|connection):[a-z]+@localhost$/.test(name ?? ""), name);
    }
  } finally {
    await alice.stop();
    await bob.stop();
  }
});

Deno.test("a Redis URL's user and password never reach an actor id", () => {
  const logic = redisStorage({
    url: "redis://admin:hunter2@redis.example:6380/3",
    prefix: "p:",
  });
  assertStrictEquals(storageId(logic), "storage:redis:redis.example:6380/p:");
  assertStrictEquals(
    storageId(redisStorage({ url: "rediss://:hunter2@[::1]" })),
    "storage:redis:[::1]:6379/xmpp-actors:",
  );
});

Deno.test({
  name:
    "redisStorage() behind a password: the bound actor is storage:redis:<host>:<port>/<prefix> and no frame holds the password",
  ignore: !hasRedis() && !requireServers(),
  async fn() {
    const secret = "s3cret-Pw-4-names";
    const redis = await startRedis();
    await redisCli(redis.port, "config", "set", "requirepass", secret);
    const collector = new Collector();
    const xmpp = createClient({ jid: "alice@localhost", inspect: collector });
    let detach = () => {};
    try {
      const bob = xmpp.registerPlugin("xep_0231");
      // A page listens all along: every frame is seen.
      const frames: string[] = [];
      const sink = {
        send: (m: string) => {
          frames.push(m);
          queueMicrotask(() => collector.ack(sink));
        },
      };
      detach = collector.attach(sink);
      await bob.api.bind(
        redisStorage({
          url: `redis://default:${secret}@127.0.0.1:${redis.port}`,
          prefix: "names:",
        }),
      );
      const cid = await bob.setBob(
        enc.encode("behind a password"),
        "text/plain",
      );
      // The password worked: the entry is in Redis.
      assert(
        (await redisCli(
          redis.port,
          "--no-auth-warning",
          "-a",
          secret,
          "keys",
          "names:*",
        )).includes(cid),
      );
      const name = `storage:redis:127.0.0.1:${redis.port}/names:`;
      assertStrictEquals(bob.api.storage.id, name);
      const { actors, text } = open(collector);
      assert(storagesOf(actors, "xep_0231").includes(name));
      for (const f of [text, ...frames]) assert(!f.includes(secret), f);
    } finally {
      detach();
      await xmpp.stop();
      await redis.stop();
    }
  },
});
