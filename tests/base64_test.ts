/**
 * Base64/hex without the ES2026 `Uint8Array` methods (Node 20–24, Bun,
 * Safari < 18.2): the fallback in `src/base64.ts` agrees with the native
 * methods, refuses what they refuse, and the library runs with the native
 * methods removed.
 */
import { assert, assertEquals, assertStrictEquals, fc } from "./deps.ts";
import { Buffer } from "node:buffer";
import { bufferCodec } from "../src/base64_node.ts";
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
      const buffer = bufferCodec(Buffer);
      assertStrictEquals(buffer.encode(bytes), native);
      assertEquals(buffer.decode(native), Uint8Array.fromBase64(native));
    }),
    { numRuns: 200 },
  );
});

/** What `decode` makes of `text`: its bytes, or the error. */
function attempt(decode: (t: string) => Uint8Array, text: string) {
  try {
    return decode(text);
  } catch (e) {
    return e as Error;
  }
}

const DECODERS: [string, (t: string) => Uint8Array][] = [
  ["atob", _decodeBase64Fallback],
  ["Buffer", bufferCodec(Buffer).decode],
];

function sameAsNative(text: string) {
  const native = attempt((t) => Uint8Array.fromBase64(t), text);
  for (const [name, decode] of DECODERS) {
    const ours = attempt(decode, text);
    if (native instanceof Error) {
      assert(
        ours instanceof Error,
        `${name}: ${JSON.stringify(text)} accepted`,
      );
    } else assertEquals(ours, native, `${name}: ${JSON.stringify(text)}`);
  }
}

Deno.test("base64 fallbacks accept and refuse the same texts as fromBase64", () => {
  for (
    const text of [
      "",
      "aGk=",
      "aGk",
      "aG==",
      "aG=",
      " a G k = ",
      "aGk=\n",
      "aGk\t=",
      "aGk\v",
      "a",
      "a===",
      "aGk==",
      "a=Gk",
      "aGk=aGk=",
      "aGk*",
      "aGVsbG8-",
      "aGVsbG8_",
      "é",
      "====",
    ]
  ) sameAsNative(text);
  // hostile input: any mix of the alphabet, padding, whitespace and junk
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.constantFrom(..."aZ09+/=  \t\n\r\f\v-_*é\0"),
        maxLength: 24,
      }),
      sameAsNative,
    ),
    { numRuns: 3000 },
  );
});

Deno.test("the library runs without Uint8Array toBase64/fromBase64/toHex", async () => {
  // A runtime without the ES2026 methods, simulated: they are deleted before
  // the library loads (and the runtime's node:crypto hidden, so the cid's hex
  // comes from @noble/hashes + the hex helper). BoB set/get (base64 in the
  // record, hex in the cid), the element codec and SCRAM all go through
  // src/base64.ts.
  const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
  for (const buffer of ["with Buffer", "without Buffer"]) {
    const code = `
    ${buffer === "without Buffer" ? "delete globalThis.Buffer;" : ""}
    delete Uint8Array.prototype.toBase64;
    delete Uint8Array.prototype.toHex;
    delete Uint8Array.fromBase64;
    globalThis.process.getBuiltinModule = undefined;
    const { createClient } = await import(${url("../mod_browser.ts")});
    ${
      buffer === "with Buffer"
        ? `globalThis.Buffer ??= (await import("node:buffer")).Buffer;
           await import(${url("../src/base64_node.ts")});`
        : ""
    }
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
      buffer,
    );
  }
});
