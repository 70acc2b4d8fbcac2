/**
 * The Redis storage's connection is closed even when its first connection
 * never succeeded: node-redis keeps retrying a first connect, and a client
 * that was never connected must be destroyed too, or its reconnect timer
 * keeps a Node or Bun process alive for ever (found by the npm package
 * test, whose Node session then never exits).
 */
import { assertRejects, assertStrictEquals } from "./deps.ts";
import { createClient, StorageError } from "../mod.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import { redisSettings } from "../actors/storage/redis/options.ts";
import {
  type Client,
  connect,
  type DenoDeps,
} from "../actors/storage/redis/connection.ts";

/** A client whose first connect never ends, as with a Redis that never answers. */
function stuckClient() {
  const calls: string[] = [];
  const client = {
    on: () => client,
    connect: () => {
      calls.push("connect");
      return new Promise<never>(() => {});
    },
    destroy: () => void calls.push("destroy"),
  } as unknown as Client;
  return { client, calls };
}

Deno.test("connect(): close() destroys a client still making its first connection", async () => {
  const { client, calls } = stuckClient();
  let made!: () => void;
  const created = new Promise<void>((r) => made = r);
  const conn = connect(
    redisSettings({ url: "redis://127.0.0.1:1" }),
    (_deps: DenoDeps) => {
      made();
      return client;
    },
  );
  await created; // the client module is loaded, the client made
  await Promise.resolve();
  assertStrictEquals(calls.join(), "connect");
  conn.close();
  assertStrictEquals(calls.join(), "connect,destroy");
  conn.close(); // once only
  assertStrictEquals(calls.join(), "connect,destroy");
});

Deno.test("connect(): close() before the client module loads destroys the client once made", async () => {
  const { client, calls } = stuckClient();
  let made!: () => void;
  const created = new Promise<void>((r) => made = r);
  const conn = connect(
    redisSettings({ url: "redis://127.0.0.1:1" }),
    () => {
      made();
      return client;
    },
  );
  conn.close();
  await created;
  await conn.started;
  assertStrictEquals(calls.join(), "destroy");
});

Deno.test("redisStorage(): a Redis nobody listens on fails bind with a StorageError", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  const bob = xmpp.registerPlugin("xep_0231");
  await assertRejects(
    () =>
      bob.api.bind(
        redisStorage({ url: `redis://127.0.0.1:${port}`, connectTimeout: 200 }),
      ),
    StorageError,
  );
  await xmpp.stop();
});
