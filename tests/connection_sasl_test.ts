import { assert, assertEquals } from "./_helpers.ts";
import type { Element } from "../src/deps.ts";
import { SASLError } from "../src/errors.ts";
import { saslMachine, type SaslOutput } from "../actors/connection/sasl.ts";
import { harness } from "./support/harness.ts";

const b64 = (text: string) => new TextEncoder().encode(text).toBase64();
const unb64 = (text: string) =>
  new TextDecoder().decode(Uint8Array.fromBase64(text));

// RFC 7677 §3: SCRAM-SHA-256 with user "user", password "pencil".
const NONCE = "rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST =
  "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const CLIENT_FINAL =
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

function start(input: Record<string, unknown> = {}) {
  const h = harness(saslMachine, {
    offered: ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"],
    allowed: ["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"],
    secure: true,
    allowPlainWithoutTls: false,
    username: "user",
    password: "pencil",
    cache: new Map(),
    nonce: NONCE,
    ...input,
  });
  const written = () =>
    h.seen.filter((e) => e.type === "sasl.write").map((e) =>
      e.element as Element
    );
  const state = () => h.child.getSnapshot().value as string;
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert(pred(), "condition not reached");
  };
  return { ...h, written, state, until };
}

Deno.test("saslMachine runs the RFC 7677 SCRAM-SHA-256 exchange: exchanging ⇄ proving → verifying → done", async () => {
  const s = start();
  const [auth] = s.written();
  assertEquals(auth.attrs.mechanism, "SCRAM-SHA-256");
  assertEquals(unb64(auth.getText()), `n,,n=user,r=${NONCE}`);
  assertEquals(s.state(), "exchanging");
  s.child.send({ type: "sasl.challenge", payload: b64(SERVER_FIRST) });
  assertEquals(s.state(), "proving");
  await s.until(() => s.written().length === 2);
  assertEquals(unb64(s.written()[1].getText()), CLIENT_FINAL);
  assertEquals(s.state(), "exchanging");
  s.child.send({ type: "sasl.success", payload: b64(SERVER_FINAL) });
  const out = s.output() as SaslOutput;
  assert(out.ok);
  assertEquals(out.mechanism, "SCRAM-SHA-256");
  assertEquals(out.cache.size, 1, "the salted password is handed back");
  s.stop();

  // A reconnect with that cache skips PBKDF2 and computes the same proof.
  const again = start({ cache: out.cache });
  again.child.send({ type: "sasl.challenge", payload: b64(SERVER_FIRST) });
  await again.until(() => again.written().length === 2);
  assertEquals(unb64(again.written()[1].getText()), CLIENT_FINAL);
  again.stop();
});

Deno.test("saslMachine fails on a server signature that does not verify", async () => {
  const s = start();
  s.child.send({ type: "sasl.challenge", payload: b64(SERVER_FIRST) });
  await s.until(() => s.written().length === 2);
  s.child.send({
    type: "sasl.success",
    payload: b64("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="),
  });
  const out = s.output() as SaslOutput;
  assert(!out.ok);
  assertEquals(out.error.condition, "server-signature-mismatch");
  s.stop();
});

Deno.test("saslMachine accepts the server-final message as a challenge, then success", async () => {
  const s = start();
  s.child.send({ type: "sasl.challenge", payload: b64(SERVER_FIRST) });
  await s.until(() => s.written().length === 2);
  s.child.send({ type: "sasl.challenge", payload: b64(SERVER_FINAL) });
  assertEquals(s.written()[2].getText(), "", "an empty <response/>");
  assertEquals(s.state(), "exchanging");
  s.child.send({ type: "sasl.success", payload: "" });
  assert((s.output() as SaslOutput).ok);
  s.stop();
});

Deno.test("saslMachine fails on <failure/> and on a foreign nonce", async () => {
  const s = start();
  s.child.send({
    type: "sasl.failure",
    error: new SASLError("not-authorized"),
  });
  const out = s.output() as SaslOutput;
  assert(!out.ok);
  assertEquals(out.error.condition, "not-authorized");
  s.stop();

  const foreign = start();
  foreign.child.send({
    type: "sasl.challenge",
    payload: b64("r=not-ours,s=QSXCR+Q6sek8bf92,i=4096"),
  });
  await foreign.until(() => foreign.output() !== undefined);
  const err = foreign.output() as SaslOutput;
  assert(!err.ok);
  assertEquals(err.error.condition, "malformed-request");
  assertEquals(foreign.written().length, 1, "no proof sent");
  foreign.stop();
});

Deno.test("saslMachine chooses by preference and refuses PLAIN in clear", () => {
  const sha1 = start({ allowed: ["SCRAM-SHA-1", "PLAIN"] });
  assertEquals(sha1.written()[0].attrs.mechanism, "SCRAM-SHA-1");
  sha1.stop();

  const clear = start({ offered: ["PLAIN"], secure: false });
  const out = clear.output() as SaslOutput;
  assert(!out.ok);
  assertEquals(out.error.condition, "invalid-mechanism");
  assertEquals(clear.written().length, 0, "no credentials sent");
  clear.stop();

  const plain = start({
    offered: ["PLAIN"],
    secure: false,
    allowPlainWithoutTls: true,
  });
  assertEquals(unb64(plain.written()[0].getText()), "\0user\0pencil");
  plain.child.send({ type: "sasl.success", payload: "" });
  const ok = plain.output() as SaslOutput;
  assert(ok.ok && ok.mechanism === "PLAIN");
  plain.stop();
});
