/**
 * Item 15 of issue 21: after `stop()`, every op rejects with the documented
 * `ClientStoppedError` (not an `ApiError`).
 *
 * @module
 */
import { assert, assertStrictEquals } from "./deps.ts";
import { ClientStoppedError, createClient, memoryStorage } from "../mod.ts";

async function rejection(p: () => Promise<unknown>): Promise<unknown> {
  try {
    await p();
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

Deno.test("after stop(): setBob, getBob, delBob, api.run and api.bind reject with ClientStoppedError", async (t) => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  const bob = xmpp.registerPlugin("xep_0231");
  const cid = await bob.setBob(new TextEncoder().encode("x"), "text/plain");
  await xmpp.stop();
  const ops: [string, () => Promise<unknown>][] = [
    ["setBob", () => bob.setBob(new TextEncoder().encode("y"), "text/plain")],
    ["getBob", () => bob.getBob({ cid })],
    ["getBob with jid", () => bob.getBob({ cid, jid: "bob@localhost/r" })],
    ["delBob", () => bob.delBob(cid)],
    ["api.run get_bob", () => bob.api.run("get_bob", { args: cid })],
    ["api.run unknown op", () => bob.api.run("nope")],
    ["api.bind", () => bob.api.bind(memoryStorage())],
    [
      "api.bind migrate",
      () => bob.api.bind(memoryStorage(), { migrate: true }),
    ],
  ];
  for (const [name, op] of ops) {
    await t.step(name, async () => {
      const e = await rejection(op);
      assert(
        e instanceof ClientStoppedError,
        `${name}: ${(e as Error)?.name}: ${(e as Error)?.message}`,
      );
      assertStrictEquals(
        (e as ClientStoppedError).condition,
        "service-unavailable",
      );
    });
  }
});
