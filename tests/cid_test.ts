import { assert, assertStrictEquals, assertThrows } from "./deps.ts";
import {
  assertCid,
  cidAlgorithm,
  cidMatches,
  cidOf,
  cidVerifies,
  isCid,
  isVerifiableCid,
  normalizeCid,
  VERIFIED_CID_ALGORITHMS,
} from "../src/cid.ts";

const enc = new TextEncoder();

Deno.test("cidOf() is sha1+<40 lowercase hex>@bob.xmpp.org of the data", () => {
  assertStrictEquals(
    cidOf(new Uint8Array()),
    "sha1+da39a3ee5e6b4b0d3255bfef95601890afd80709@bob.xmpp.org",
  );
  assertStrictEquals(
    cidOf(enc.encode("abc")),
    "sha1+a9993e364706816aba3e25717850c26c9cd0d89d@bob.xmpp.org",
  );
});

Deno.test("isCid() accepts the XEP-0231 form and rejects paths", async (t) => {
  await t.step("accepts", () => {
    assert(isCid(cidOf(enc.encode("x"))));
    assert(isCid("sha-256+0123456789abcdef@bob.xmpp.org"));
  });
  await t.step("rejects", () => {
    for (
      const bad of [
        "../x",
        "a/b",
        "sha1+00\0@bob.xmpp.org",
        "/etc/passwd",
        "sha1+../../x@bob.xmpp.org",
        "sha1+abc/def@bob.xmpp.org",
        "",
        ".",
        "..",
        "sha1+0123456789@example.org",
        42,
        null,
      ]
    ) {
      assert(!isCid(bad), `accepted ${JSON.stringify(bad)}`);
    }
  });
  await t.step("assertCid() throws a TypeError naming the action", () => {
    assertThrows(
      () => assertCid("../x", "get bob"),
      TypeError,
      /Cannot get bob: cid must/,
    );
  });
});

Deno.test("normalizeCid() returns the canonical lowercase form", () => {
  const cid = cidOf(enc.encode("abc"));
  const upper = "SHA1+A9993E364706816ABA3E25717850C26C9CD0D89D@BOB.XMPP.ORG";
  assertStrictEquals(normalizeCid(upper), cid);
  assertStrictEquals(normalizeCid(cid), cid);
  assertStrictEquals(
    normalizeCid("sha1+A9993e364706816aba3e25717850c26c9cd0d89D@bob.xmpp.org"),
    cid,
  );
  assert(cidMatches(upper, enc.encode("abc")));
  assertThrows(
    () => normalizeCid("../x", "get bob"),
    TypeError,
    /Cannot get bob: cid must/,
  );
  assertThrows(() => normalizeCid(42), TypeError, /cid must/);
});

Deno.test("cidMatches() checks every hash we verify, in every spelling; cidVerifies() refuses the others", async () => {
  const { createHash } = await import("node:crypto");
  const data = enc.encode("verified bytes");
  const forged = enc.encode("forged bytes");
  const spellings: Array<[string, string]> = [
    ["sha1", "sha1"],
    ["sha-1", "sha1"],
    ["SHA-1", "sha1"],
    ["sha224", "sha224"],
    ["sha-224", "sha224"],
    ["sha256", "sha256"],
    ["sha-256", "sha256"],
    ["sha384", "sha384"],
    ["sha-384", "sha384"],
    ["sha512", "sha512"],
    ["sha-512", "sha512"],
  ];
  for (const [algo, node] of spellings) {
    const hex = createHash(node).update(data).digest("hex");
    const cid = `${algo}+${hex}@bob.xmpp.org`;
    assert(isVerifiableCid(cid), cid);
    assert(cidMatches(cid, data), cid);
    assert(cidVerifies(cid, data), cid);
    assert(!cidMatches(cid, forged), `forged under ${cid}`);
    assert(!cidVerifies(cid, forged), `forged under ${cid}`);
    // A digest of the wrong length never matches.
    assert(!cidMatches(`${algo}+${hex}00@bob.xmpp.org`, data), cid);
  }
  for (
    const cid of [
      `md5+${createHash("md5").update(data).digest("hex")}@bob.xmpp.org`,
      "md2+00112233445566778899aabbccddeeff@bob.xmpp.org",
      "shake256+00112233445566778899aabbccddeeff@bob.xmpp.org",
      "constructor+00112233@bob.xmpp.org",
      "foo+00112233@bob.xmpp.org",
    ]
  ) {
    assert(!isVerifiableCid(cid), cid);
    assert(!cidVerifies(cid, data), cid);
    // Not checkable: counts as matching for your own entries only.
    assert(cidMatches(cid, forged), cid);
  }
  assertStrictEquals(cidAlgorithm("SHA-256+00@bob.xmpp.org"), "sha-256");
  assert(VERIFIED_CID_ALGORITHMS.includes("sha-512"));
});

Deno.test("cidOf() and cidMatches() under Deno (the runtime's hash) agree with @noble/hashes (the browser build's) at every block boundary", async () => {
  const { sha1, sha256, sha512 } = await import("../src/deps.ts");
  for (
    const size of [0, 1, 16, 55, 56, 63, 64, 65, 119, 120, 128, 4096, 70_000]
  ) {
    const data = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
    const big = size > 65536 ? new Uint8Array(size).fill(7) : data;
    assertStrictEquals(cidOf(big), `sha1+${sha1(big).toHex()}@bob.xmpp.org`);
    for (
      const [name, hash] of [["sha-256", sha256], ["sha-512", sha512]] as const
    ) {
      const cid = `${name}+${hash(big).toHex()}@bob.xmpp.org`;
      assert(cidMatches(cid, big), cid);
      const other = big.slice();
      other[0] = size === 0 ? 0 : other[0] ^ 1;
      if (size > 0) assert(!cidMatches(cid, other), `altered under ${cid}`);
    }
  }
});
