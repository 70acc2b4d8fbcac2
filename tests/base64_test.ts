/**
 * Base64/hex without the ES2026 `Uint8Array` methods (Node 20–24, Bun,
 * Safari < 18.2): the fallback in `src/base64.ts` agrees with the native
 * methods, refuses what they refuse, and the library runs with the native
 * methods removed.
 */
import { assert, assertEquals, assertStrictEquals, fc } from "./deps.ts";
import {
  _decodeBase64Fallback,
  _encodeBase64Fallback,
  _encodeHexFallback,
} from "../src/base64.ts";
import { createHash } from "node:crypto";

Deno.test("base64 fallback encodes and decodes as the native methods do", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 20000 }), (bytes) => {
      const native = bytes.toBase64();
      assertStrictEquals(_encodeBase64Fallback(bytes), native);
      assertEquals(
        _decodeBase64Fallback(native),
        Uint8Array.fromBase64(native),
      );
      assertStrictEquals(_encodeHexFallback(bytes), bytes.toHex());
    }),
    { numRuns: 200 },
  );
});

Deno.test("base64 fallback accepts and refuses the same texts as fromBase64", () => {
  const texts = [
    "",
    "aGk=",
    "aGk",
    " a G k = ",
    "aGk=\n",
    "a",
    "aGk==",
    "a=Gk",
    "aGk*",
    "aGVsbG8-",
    "aGVsbG8_",
    "é",
    "====",
  ];
  for (const text of texts) {
    let native: Uint8Array | Error;
    try {
      native = Uint8Array.fromBase64(text);
    } catch (e) {
      native = e as Error;
    }
    let ours: Uint8Array | Error;
    try {
      ours = _decodeBase64Fallback(text);
    } catch (e) {
      ours = e as Error;
    }
    if (native instanceof Error) {
      assert(ours instanceof Error, `${JSON.stringify(text)} accepted`);
    } else assertEquals(ours, native, JSON.stringify(text));
  }
});

Deno.test("the library runs without Uint8Array toBase64/fromBase64/toHex", async () => {
  // A runtime without the ES2026 methods, simulated: they are deleted before
  // the library loads (and the runtime's node:crypto hidden, so the cid's hex
  // comes from @noble/hashes + the hex helper). BoB set/get (base64 in the
  // record, hex in the cid), the element codec and SCRAM all go through
  // src/base64.ts.
  const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  const code = `
    delete Uint8Array.prototype.toBase64;
    delete Uint8Array.prototype.toHex;
    delete Uint8Array.fromBase64;
    globalThis.process.getBuiltinModule = undefined;
    const { createClient } = await import(${url("../mod.ts")});
    const { bobElement, readBobElement } = await import(${
    url("../src/bob_element.ts")
  });
    const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
    const bob = xmpp.registerPlugin("xep_0231");
    const data = new TextEncoder().encode("coucou");
    const cid = await bob.setBob(data, "text/plain");
    const got = await bob.getBob({ cid });
    if (new TextDecoder().decode(got.data) !== "coucou") throw new Error("data");
    const back = readBobElement(bobElement({ cid, type: "text/plain", data }));
    if (new TextDecoder().decode(back.data) !== "coucou") throw new Error("element");
    await xmpp.stop();
    console.log(cid);
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  assertStrictEquals(out.code, 0, err);
  const hex = createHash("sha1").update("coucou").digest("hex");
  assertStrictEquals(
    new TextDecoder().decode(out.stdout).trim(),
    `sha1+${hex}@bob.xmpp.org`,
  );
});
