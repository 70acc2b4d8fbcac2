/**
 * Item 12 of issue 21: `null` means "no max-age" everywhere — in what a
 * registered `get_bob` function returns (the slixmpp how-to's BobLoader
 * translated literally answers `maxAge: p.max_age`, which is `null` for an
 * entry stored without max-age), in `setBob` options, in `set_bob` args, and
 * in the records of files and Redis.
 *
 * @module
 */
import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { type BobData, cidOf, createClient, fileStorage } from "../mod.ts";
import { bobElement } from "../internals.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import {
  hasRedis,
  redisCli,
  requireServers,
  startRedis,
} from "./support/redis.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * slixmpp's how-to BobLoader, line for line: `'max_age': args['max_age']`
 * on the way in, `max_age=payload['max_age']` on the way out (no `?? null`,
 * no `?? undefined`).
 */
class LiteralBobLoader {
  constructor(readonly dir: string) {}
  // deno-lint-ignore no-explicit-any
  setBob = (_j?: string, _n?: string, _f?: string, args?: any) => {
    const payload = {
      data: args.data.toBase64(),
      type: args.type,
      cid: args.cid,
      max_age: args.maxAge ?? null, // what slixmpp writes: None → null
    };
    Deno.writeTextFileSync(`${this.dir}/${args.cid}`, JSON.stringify(payload));
  };
  // deno-lint-ignore no-explicit-any
  getBob = (_j?: string, _n?: string, _f?: string, cid?: string): any => {
    const p = JSON.parse(Deno.readTextFileSync(`${this.dir}/${cid}`));
    return {
      data: Uint8Array.fromBase64(p.data),
      type: p.type,
      cid: p.cid,
      maxAge: p.max_age,
    };
  };
  delBob = (_j?: string, _n?: string, _f?: string, cid?: string) => {
    Deno.removeSync(`${this.dir}/${cid}`);
  };
}

Deno.test("the how-to's BobLoader translated literally (get_bob answers maxAge: null) works", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const loader = new LiteralBobLoader(dir);
    bob.api.register(loader.setBob, "set_bob");
    bob.api.register(loader.getBob, "get_bob");
    bob.api.register(loader.delBob, "del_bob");
    const cid = await bob.setBob(enc.encode("coucou"), "text/plain");
    assertStrictEquals(
      JSON.parse(Deno.readTextFileSync(`${dir}/${cid}`)).max_age,
      null,
    );
    const got = await bob.getBob({ cid });
    assertStrictEquals(dec.decode(got.data), "coucou");
    assertStrictEquals(got.maxAge, undefined);
    assert(!("maxAge" in got), "null is normalized away, not passed on");
    // Served to a peer: no max-age attribute, never max-age="null".
    assertStrictEquals(bobElement(got).attrs["max-age"], undefined);
    const aged = await bob.setBob(enc.encode("aged"), "text/plain", {
      maxAge: 86400,
    });
    assertStrictEquals((await bob.getBob({ cid: aged })).maxAge, 86400);
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setBob({ maxAge: null }) and set_bob args with maxAge: null store no max-age", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.api.bind(fileStorage({ dir }));
    const cid = await bob.setBob(enc.encode("a"), "text/plain", {
      maxAge: null,
    });
    assertStrictEquals(
      JSON.parse(Deno.readTextFileSync(`${dir}/${cid}`)).max_age,
      null,
    );
    assertStrictEquals((await bob.getBob({ cid })).maxAge, undefined);
    const data = enc.encode("b");
    const args = { cid: cidOf(data), type: "text/plain", data, maxAge: null };
    await bob.api.run("set_bob", { args });
    assertStrictEquals(
      JSON.parse(Deno.readTextFileSync(`${dir}/${args.cid}`)).max_age,
      null,
    );
    const got: BobData = await bob.getBob({ cid: args.cid });
    assertEquals(dec.decode(got.data), "b");
    assertStrictEquals(got.maxAge, undefined);
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('a file record with "max_age": null (as slixmpp writes it) reads as no max-age', async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    await bob.api.bind(fileStorage({ dir }));
    const data = enc.encode("from slixmpp");
    const cid = cidOf(data);
    Deno.writeTextFileSync(
      `${dir}/${cid}`,
      `{"data": "${data.toBase64()}", "type": "text/plain", "cid": "${cid}", "max_age": null}`,
    );
    const got = await bob.getBob({ cid });
    assertStrictEquals(dec.decode(got.data), "from slixmpp");
    assertStrictEquals(got.maxAge, undefined);
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: 'a Redis record with "max_age": null reads as no max-age',
  ignore: !hasRedis() && !requireServers(),
  async fn() {
    const redis = await startRedis();
    const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
    try {
      const bob = xmpp.registerPlugin("xep_0231");
      await bob.api.bind(redisStorage({ url: redis.url }));
      const data = enc.encode("in redis");
      const cid = cidOf(data);
      await redisCli(
        redis.port,
        "SET",
        `xmpp-actors:xep_0231:${cid}`,
        JSON.stringify({
          data: data.toBase64(),
          type: "text/plain",
          cid,
          max_age: null,
        }),
      );
      const got = await bob.getBob({ cid });
      assertStrictEquals(dec.decode(got.data), "in redis");
      assertStrictEquals(got.maxAge, undefined);
    } finally {
      await xmpp.stop();
      await redis.stop();
    }
  },
});
