import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import {
  isSaslPayload,
  isSecretKey,
  redact,
  REDACTED,
  redactJson,
  redactText,
} from "../src/redact.ts";
import { preview } from "../actors/inspector/frames.ts";
import { Collector } from "../actors/inspector/collector.ts";
import { machineGraph, toDot, toMermaid } from "../src/diagram.ts";
import { encodeBase64Text, saslChallenge, saslStart } from "../src/sasl.ts";
import { createActor, setup, xml } from "../src/deps.ts";
import { NS_SASL } from "../src/errors.ts";
import { saslMachine } from "../actors/connection/sasl.ts";
import { connectionMachine } from "../actors/connection/machine.ts";

const PW = "pencil-Secret-9";

/** RFC 5802's example exchange, with our password. */
function scram() {
  const creds = { username: "user", password: PW };
  const start = saslStart("SCRAM-SHA-1", creds, "fyko+d2lbbFgONRv9qkxdawL");
  const serverFirst =
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
  const next = saslChallenge(start.session, serverFirst, creds);
  const proof = /p=([^,]+)$/.exec(next.message)![1];
  return {
    clientFirst: start.message,
    serverFirst,
    clientFinal: next.message,
    proof,
    serverFinal: `v=${next.session.expectedServerSignature}`,
    signature: next.session.expectedServerSignature!,
  };
}

Deno.test("redact() removes values under secret keys, at any depth", () => {
  const out = redact({
    type: "xstate.init",
    input: {
      jid: "alice@localhost",
      password: PW,
      nested: [{ accessToken: "t", api_key: "k", "Client-Key": "c" }],
      headers: new Map([["authorization", "Bearer x"], ["accept", "*/*"]]),
    },
  });
  assertEquals(out, {
    type: "xstate.init",
    input: {
      jid: "alice@localhost",
      password: REDACTED,
      nested: [{
        accessToken: REDACTED,
        api_key: REDACTED,
        "Client-Key": REDACTED,
      }],
      headers: new Map([["authorization", REDACTED], ["accept", "*/*"]]),
    },
  });
  for (
    const k of [
      "password",
      "passwd",
      "pass",
      "secret",
      "clientSecret",
      "token",
      "refresh_token",
      "proof",
      "saltedPassword",
      "serverKey",
      "storedKey",
      "serverSignature",
      "expectedServerSignature",
      "cookie",
      "credentials",
    ]
  ) assert(isSecretKey(k), k);
  for (const k of ["jid", "type", "cid", "data", "passive", "status", "id"]) {
    assert(!isSecretKey(k), k);
  }
});

Deno.test("redact() removes SASL payloads: PLAIN and SCRAM, in clear and base64", () => {
  const s = scram();
  const plain = `\0alice\0${PW}`;
  for (
    const secret of [
      plain,
      s.clientFirst,
      s.serverFirst,
      s.clientFinal,
      s.serverFinal,
    ]
  ) {
    assert(isSaslPayload(secret), secret);
    assert(isSaslPayload(encodeBase64Text(secret)), secret);
    assertStrictEquals(redactText(secret), REDACTED);
    assertStrictEquals(redactText(encodeBase64Text(secret)), REDACTED);
  }
  // Under any key, in events as the connection sends them.
  const events = redact([
    { type: "sasl.challenge", payload: encodeBase64Text(s.serverFirst) },
    { type: "sasl.success", payload: encodeBase64Text(s.serverFinal) },
    { type: "xstate.done.actor.x", output: { message: s.clientFinal } },
  ]);
  const text = JSON.stringify(events);
  for (const leak of [s.proof, s.signature, PW, "fyko+d2lbbFgONRv9qkxdawL"]) {
    assert(!text.includes(leak), leak);
  }
  // Ordinary text is left alone.
  for (
    const t of [
      "online",
      "alice@localhost/res",
      "sha1+8f35fef110ffc5df08d579a50083ff9308fb6242@bob.xmpp.org",
      "aGVsbG8gd29ybGQ=", // base64 of "hello world"
      "Cannot store bob: max-age must be non-negative",
      "",
    ]
  ) assertStrictEquals(redactText(t), t);
});

Deno.test("redact() empties SASL elements, as elements and as XML text", () => {
  const b64 = encodeBase64Text(`\0alice\0${PW}`);
  const auth = xml("auth", { xmlns: NS_SASL, mechanism: "PLAIN" }, b64);
  const response = xml("response", { xmlns: NS_SASL }, "anything");
  const message = xml(
    "message",
    { to: "bob@localhost" },
    xml("body", {}, "hi"),
  );
  const out = redact({ elements: [auth, response, message] });
  assertEquals(out, {
    elements: [
      {
        name: "auth",
        attrs: { xmlns: NS_SASL, mechanism: "PLAIN" },
        children: [REDACTED],
      },
      { name: "response", attrs: { xmlns: NS_SASL }, children: [REDACTED] },
      {
        name: "message",
        attrs: { to: "bob@localhost" },
        children: [{ name: "body", attrs: {}, children: ["hi"] }],
      },
    ],
  });
  // The original is untouched.
  assertStrictEquals(auth.getText(), b64);
  // Serialized, e.g. in a log line or a saved stream.
  const wire = `<stream:features/>${auth.toString()}${response.toString()}` +
    `<success xmlns="${NS_SASL}"/><message><body>hi</body></message>`;
  const red = redactText(wire);
  assert(!red.includes(b64) && !red.includes("anything"), red);
  assert(red.includes(`mechanism="PLAIN">${REDACTED}</auth>`), red);
  assert(red.includes("<body>hi</body>"), red);
  // JSON replacer: same rules.
  const json = JSON.stringify({ password: PW, auth, note: b64 }, redactJson);
  assert(!json.includes(PW) && !json.includes(b64), json);
});

Deno.test("redactText() removes passwords and secret parameters from URLs in any text", () => {
  assertStrictEquals(
    redactText(
      "Cannot connect to wss://alice:" + PW + "@example.org/ws: refused",
    ),
    `Cannot connect to wss://alice:${REDACTED}@example.org/ws: refused`,
  );
  assertStrictEquals(
    redactText("wss://h/ws?access_token=abc&lang=en&api%5Fkey=k#x"),
    `wss://h/ws?access_token=${REDACTED}&lang=en&api%5Fkey=${REDACTED}#x`,
  );
  for (
    const t of [
      "wss://example.org/xmpp-websocket",
      "xmpp://127.0.0.1:5222",
      "https://example.org/a?lang=en&page=2",
      "mailto:alice@example.org",
    ]
  ) assertStrictEquals(redactText(t), t);
});

Deno.test("redact() keeps errors' text without credentials, and copes with cycles", () => {
  const cyclic: Record<string, unknown> = { name: "x" };
  cyclic.self = cyclic;
  assertEquals(redact(cyclic), { name: "x", self: "[cycle]" });
  assertStrictEquals(
    redact(new Error(`login failed for \0alice\0${PW}`)),
    REDACTED,
  );
  assertStrictEquals(
    redact(new TypeError("Cannot connect: bad service")),
    "TypeError: Cannot connect: bad service",
  );
  // The SCRAM cache is keyed by the password: its keys go too.
  const cache = new Map([[
    `SCRAM-SHA-1\0salt\x004096\0${PW}`,
    new Uint8Array(20),
  ]]);
  assert(
    !JSON.stringify([...(redact(cache) as Map<string, unknown>).keys()])
      .includes(PW),
  );
});

Deno.test("preview() redacts before it cuts: a long PLAIN payload is not shown in part", () => {
  const long = "x".repeat(400);
  const b64 = encodeBase64Text(`\0alice\0${long}`);
  assert(b64.length > 200);
  const out = JSON.stringify(
    preview({
      type: "sasl.write",
      element: xml("auth", { xmlns: NS_SASL, mechanism: "PLAIN" }, b64),
      raw: b64,
      password: long,
      error: new Error(`\0alice\0${long}`),
    }),
  );
  assert(!out.includes(b64.slice(0, 40)), out);
  assert(!out.includes("xxxxxxxx"), out);
});

Deno.test("Collector: credentials in events reach a page neither from the history nor live", async () => {
  const collector = new Collector();
  const s = scram();
  const plain = encodeBase64Text(`\0alice\0${PW}`);
  const target = createActor(setup({}).createMachine({ id: "t" })).start();
  const events = [
    { type: "xstate.init", input: { jid: "alice@localhost", password: PW } },
    {
      type: "sasl.write",
      element: xml("auth", { xmlns: NS_SASL, mechanism: "PLAIN" }, plain),
    },
    {
      type: "transport.send",
      elements: [
        xml("response", { xmlns: NS_SASL }, encodeBase64Text(s.clientFinal)),
      ],
    },
    { type: "sasl.success", payload: encodeBase64Text(s.serverFinal) },
    { type: "xstate.done.actor.p", output: { message: s.clientFinal } },
  ];
  const feed = () => {
    for (const event of events) {
      collector.inspect(
        {
          type: "@xstate.event",
          actorRef: target,
          sourceRef: undefined,
          event,
          rootId: target.sessionId,
        } as Parameters<typeof collector.inspect>[0],
      );
    }
  };
  feed(); // before the page: kept in the history, shown in its init
  const got: string[] = [];
  const sink = { send: (m: string) => got.push(m) };
  const detach = collector.attach(sink);
  feed(); // live
  collector.ack(sink);
  for (let i = 0; i < 200 && got.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assertStrictEquals(got.length, 2);
  detach();
  target.stop();
  const all = got.join("\n");
  assert(all.includes("sasl.write") && all.includes("xstate.init"));
  for (const leak of [PW, plain, s.proof, s.signature]) {
    assert(!all.includes(leak), leak);
  }
});

Deno.test("machineGraph(), toMermaid() and toDot() draw structure only: no context, input or params", () => {
  const m = setup({
    actions: { login: (_, _p: { password: string }) => {} },
    actors: { child: saslMachine },
  }).createMachine({
    id: "m",
    context: { password: PW },
    initial: "a",
    states: {
      a: {
        entry: { type: "login", params: { password: PW } },
        invoke: { src: "child", input: { password: PW } as never },
        on: { GO: "b" },
      },
      b: {},
    },
  });
  for (
    const text of [
      JSON.stringify(machineGraph(m)),
      toMermaid(m),
      toDot(m),
      JSON.stringify(machineGraph(connectionMachine)),
    ]
  ) assert(!text.includes(PW));
});
