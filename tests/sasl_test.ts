import { assertEquals, assertRejects, assertThrows } from "./_helpers.ts";
import {
  chooseMechanism,
  decodeBase64Text,
  encodeBase64Text,
  saslChallenge,
  saslChallengeAsync,
  saslStart,
  saslSuccess,
} from "../src/sasl.ts";
import { SASLError } from "../src/errors.ts";

const creds = { username: "user", password: "pencil" };

Deno.test("saslStart()/saslChallenge()/saslSuccess() follow the RFC 5802 SCRAM-SHA-1 example", () => {
  const start = saslStart("SCRAM-SHA-1", creds, "fyko+d2lbbFgONRv9qkxdawL");
  assertEquals(start.message, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  const final = saslChallenge(
    start.session,
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    creds,
  );
  assertEquals(
    final.message,
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
  );
  assertEquals(
    saslSuccess(final.session, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").step,
    "done",
  );
});

Deno.test("saslStart()/saslChallenge()/saslSuccess() follow the RFC 7677 SCRAM-SHA-256 example", () => {
  const start = saslStart("SCRAM-SHA-256", creds, "rOprNGfwEbeRWgbNEkqO");
  assertEquals(start.message, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  const final = saslChallenge(
    start.session,
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    creds,
  );
  assertEquals(
    final.message,
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  );
  assertEquals(
    saslSuccess(
      final.session,
      "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    ).step,
    "done",
  );
});

Deno.test("saslSuccess() rejects a wrong, missing or error server signature", () => {
  const start = saslStart("SCRAM-SHA-1", creds, "fyko+d2lbbFgONRv9qkxdawL");
  const { session } = saslChallenge(
    start.session,
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    creds,
  );
  const bad = assertThrows(
    () => saslSuccess(session, "v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    SASLError,
  );
  assertEquals(bad.condition, "server-signature-mismatch");
  assertThrows(() => saslSuccess(session, ""), SASLError);
  const e = assertThrows(
    () => saslSuccess(session, "e=invalid-proof"),
    SASLError,
  );
  assertEquals(e.condition, "not-authorized");
  // success before the challenge was answered is not trusted either
  assertThrows(() => saslSuccess(start.session, "v=x"), SASLError);
});

Deno.test("saslChallenge() rejects malformed server-first messages", async (t) => {
  const start = saslStart("SCRAM-SHA-1", creds, "abc");
  const cases: [string, string][] = [
    ["nonce not extending ours", "r=xyz123,s=QSXCR+Q6sek8bf92,i=4096"],
    ["nonce equal to ours", "r=abc,s=QSXCR+Q6sek8bf92,i=4096"],
    ["missing salt", "r=abcdef,i=4096"],
    ["bad iteration count", "r=abcdef,s=QSXCR+Q6sek8bf92,i=zero"],
    ["zero iterations", "r=abcdef,s=QSXCR+Q6sek8bf92,i=0"],
    ["salt not base64", "r=abcdef,s=!!!,i=4096"],
    ["mandatory extension", "m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096"],
  ];
  for (const [name, msg] of cases) {
    await t.step(name, () => {
      assertThrows(() => saslChallenge(start.session, msg, creds), SASLError);
    });
  }
  await t.step("challenge to PLAIN", () => {
    const plain = saslStart("PLAIN", creds);
    assertThrows(() => saslChallenge(plain.session, "x", creds), SASLError);
  });
});

Deno.test("saslChallenge() caches the salted password for reconnects", () => {
  const cache = new Map<string, Uint8Array>();
  const c = { ...creds, cache };
  const challenge =
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
  const a = saslChallenge(
    saslStart("SCRAM-SHA-1", c, "fyko+d2lbbFgONRv9qkxdawL").session,
    challenge,
    c,
  );
  assertEquals(cache.size, 1);
  const b = saslChallenge(
    saslStart("SCRAM-SHA-1", c, "fyko+d2lbbFgONRv9qkxdawL").session,
    challenge,
    c,
  );
  assertEquals(a.message, b.message);
});

Deno.test("saslStart() escapes = and , in SCRAM usernames and builds PLAIN", () => {
  assertEquals(
    saslStart("SCRAM-SHA-1", { username: "a=b,c", password: "x" }, "n").message,
    "n,,n=a=3Db=2Cc,r=n",
  );
  assertEquals(
    saslStart("PLAIN", { username: "alice", password: "pw" }).message,
    "\0alice\0pw",
  );
});

Deno.test("chooseMechanism() prefers SCRAM and allows PLAIN only over TLS unless told", () => {
  assertEquals(
    chooseMechanism(["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"], {
      secure: false,
    }),
    "SCRAM-SHA-256",
  );
  assertEquals(
    chooseMechanism(["PLAIN", "SCRAM-SHA-1"], { secure: true }),
    "SCRAM-SHA-1",
  );
  assertEquals(chooseMechanism(["PLAIN"], { secure: false }), undefined);
  assertEquals(chooseMechanism(["PLAIN"], { secure: true }), "PLAIN");
  assertEquals(
    chooseMechanism(["PLAIN"], { secure: false, allowPlainWithoutTls: true }),
    "PLAIN",
  );
  assertEquals(chooseMechanism(["DIGEST-MD5"], { secure: true }), undefined);
});

Deno.test("encodeBase64Text()/decodeBase64Text() round-trip UTF-8 and reject garbage", () => {
  assertEquals(encodeBase64Text(""), "=");
  assertEquals(decodeBase64Text("="), "");
  assertEquals(decodeBase64Text(encodeBase64Text("ünï,=")), "ünï,=");
  assertThrows(() => decodeBase64Text("@@@"), SASLError);
  assertThrows(() => decodeBase64Text("/w=="), SASLError); // 0xff: not UTF-8
});

Deno.test("saslChallengeAsync() gives the RFC 5802 and RFC 7677 proofs and the same errors", async () => {
  const sha1 = await saslChallengeAsync(
    saslStart("SCRAM-SHA-1", creds, "fyko+d2lbbFgONRv9qkxdawL").session,
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    creds,
  );
  assertEquals(
    sha1.message,
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
  );
  assertEquals(
    saslSuccess(sha1.session, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=").step,
    "done",
  );
  const sha256 = await saslChallengeAsync(
    saslStart("SCRAM-SHA-256", creds, "rOprNGfwEbeRWgbNEkqO").session,
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    creds,
  );
  assertEquals(
    sha256.message,
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  );
  await assertRejects(
    saslChallengeAsync(
      saslStart("SCRAM-SHA-1", creds, "abc").session,
      "r=xyz,s=QSXCR+Q6sek8bf92,i=4096",
      creds,
    ),
    SASLError,
  );
});
