import {
  assert,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import {
  ApiError,
  type BobData,
  cidOf,
  createClient,
  memoryStorage,
  TimeoutError,
} from "../mod.ts";

const enc = new TextEncoder();

Deno.test("createClient() refuses a timeout setTimeout cannot honour, naming the option", () => {
  for (const timeout of [Infinity, 2 ** 31, NaN, -1, 0, "5" as unknown]) {
    assertThrows(
      () =>
        createClient({ jid: "alice@localhost", timeout: timeout as number }),
      RangeError,
      /Invalid option timeout/,
    );
  }
});

Deno.test("a migration with the largest valid timeout works (2^31-1 ms)", async () => {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 2 ** 31 - 1 });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const cid = await bob.setBob(enc.encode("x"), "text/plain");
    await bob.api.bind(memoryStorage(), { migrate: true });
    assertStrictEquals((await bob.getBob({ cid })).cid, cid);
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.run() refuses a NaN, infinite or negative timeout with a RangeError", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    for (const timeout of [NaN, Infinity, -1]) {
      await assertRejects(
        () => bob.api.run("get_bob", { args: cidOf(enc.encode("x")), timeout }),
        RangeError,
        /Invalid option timeout/,
      );
    }
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.run() of a function handler that never settles times out like a storage call", async () => {
  const xmpp = createClient({ jid: "alice@localhost", timeout: 100 });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    bob.api.register(() => new Promise(() => {}), "get_bob");
    await assertRejects(
      () => bob.getBob({ cid: cidOf(enc.encode("x")) }),
      TimeoutError,
      /get_bob: handler did not settle within 100 ms/,
    );
    // A per-call timeout applies too.
    await assertRejects(
      () => bob.api.run("get_bob", { args: "x", timeout: 20 }),
      TimeoutError,
      /within 20 ms/,
    );
  } finally {
    await xmpp.stop();
  }
});

Deno.test("getBob() checks what a registered get_bob function returns", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    const data = enc.encode("real");
    const cid = cidOf(data);
    const answers: unknown[] = [
      { cid: "nope" },
      { cid, type: "text/plain", data: enc.encode("forged") }, // wrong bytes
      {
        cid: cidOf(enc.encode("other")),
        type: "text/plain",
        data: enc.encode("other"),
      },
      { cid, type: "", data },
      { cid, type: "text/plain", data, maxAge: -7 },
    ];
    let next = 0;
    bob.api.register(() => answers[next++], "get_bob");
    for (let i = 0; i < answers.length; i++) {
      await assertRejects(
        () => bob.getBob({ cid }),
        ApiError,
        /handler returned an invalid entry/,
      );
    }
    // A valid answer passes (async too).
    bob.api.register(
      (): Promise<BobData> =>
        Promise.resolve({ cid, type: "text/plain", data }),
      "get_bob",
    );
    assertStrictEquals((await bob.getBob({ cid })).type, "text/plain");
  } finally {
    await xmpp.stop();
  }
});

Deno.test("api.run() of Object.prototype names rejects as an unknown op, never throws", async () => {
  const xmpp = createClient({ jid: "alice@localhost" });
  try {
    const bob = xmpp.registerPlugin("xep_0231");
    for (
      const op of ["toString", "constructor", "hasOwnProperty", "__proto__"]
    ) {
      let promise: Promise<unknown> | undefined;
      try {
        promise = bob.api.run(op);
      } catch (e) {
        throw new Error(`api.run(${op}) threw synchronously: ${e}`);
      }
      const err = await promise.then(() => null, (e) => e);
      assert(err instanceof ApiError, `${op}: ${err}`);
      assert(/unknown op/.test(err.message), err.message);
    }
  } finally {
    await xmpp.stop();
  }
});
