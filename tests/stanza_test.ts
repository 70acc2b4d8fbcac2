import { assert, assertEquals, assertThrows } from "./_helpers.ts";
import { type Element, xml } from "../src/deps.ts";
import { SASLError, StanzaError, StreamError } from "../src/errors.ts";
import {
  classify,
  errorReply,
  NS_BIND,
  NS_TLS,
  resultReply,
  streamErrorElement,
} from "../src/stanza.ts";
import { checkStanza } from "../src/stanza_check.ts";

const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

Deno.test("classify() reads stream features into typed fields", () => {
  const features = xml(
    "stream:features",
    {},
    xml("starttls", { xmlns: NS_TLS }, xml("required")),
    xml(
      "mechanisms",
      { xmlns: NS_SASL },
      xml("mechanism", {}, "SCRAM-SHA-1"),
      xml("mechanism", {}, " PLAIN "),
    ),
  );
  assertEquals(classify(features), {
    type: "stream.features",
    features: {
      starttls: { required: true },
      mechanisms: ["SCRAM-SHA-1", "PLAIN"],
      bind: false,
    },
  });
  const unprefixed = xml(
    "features",
    { xmlns: "http://etherx.jabber.org/streams" },
    xml("bind", { xmlns: NS_BIND }),
  );
  assertEquals(classify(unprefixed), {
    type: "stream.features",
    features: { mechanisms: [], bind: true },
  });
});

Deno.test("classify() turns stream errors, TLS and SASL answers into events", () => {
  const streamError = classify(
    xml(
      "stream:error",
      {},
      xml("conflict", { xmlns: NS_STREAMS }),
      xml("text", { xmlns: NS_STREAMS }, "Replaced"),
    ),
  );
  assert(streamError.type === "stream.error");
  assert(streamError.error instanceof StreamError);
  assertEquals(streamError.error.condition, "conflict");
  assertEquals(classify(xml("proceed", { xmlns: NS_TLS })), {
    type: "tls.proceed",
  });
  assertEquals(classify(xml("failure", { xmlns: NS_TLS })), {
    type: "tls.failure",
  });
  assertEquals(classify(xml("challenge", { xmlns: NS_SASL }, "cj1h")), {
    type: "sasl.challenge",
    payload: "cj1h",
  });
  assertEquals(classify(xml("success", { xmlns: NS_SASL })), {
    type: "sasl.success",
    payload: "",
  });
  const failure = classify(
    xml("failure", { xmlns: NS_SASL }, xml("not-authorized")),
  );
  assert(failure.type === "sasl.failure");
  assert(failure.error instanceof SASLError);
  assertEquals(failure.error.condition, "not-authorized");
});

Deno.test("classify() separates IQ answers, bind results and other stanzas", () => {
  const bound = classify(
    xml(
      "iq",
      { type: "result", id: "b1" },
      xml("bind", { xmlns: NS_BIND }, xml("jid", {}, "alice@localhost/r")),
    ),
  );
  assertEquals(bound, {
    type: "bind.result",
    id: "b1",
    jid: "alice@localhost/r",
  });
  const result = classify(
    xml("iq", { type: "result", id: "7", from: "bob@localhost/b" }),
  );
  assert(result.type === "iq.result");
  assertEquals([result.id, result.from], ["7", "bob@localhost/b"]);
  const error = classify(
    xml(
      "iq",
      { type: "error", id: "8" },
      xml(
        "error",
        { type: "cancel" },
        xml("item-not-found", { xmlns: NS_STANZAS }),
      ),
    ),
  );
  assert(error.type === "iq.error");
  assert(error.error instanceof StanzaError);
  assertEquals(error.error.name, "ItemNotFound");
  for (
    const [el, kind] of [
      [xml("iq", { type: "get", id: "9" }), "iq"],
      [xml("message", { type: "chat" }), "message"],
      [xml("presence"), "presence"],
    ] as const
  ) {
    const event = classify(el);
    assert(event.type === "stanza");
    assertEquals(event.kind, kind);
  }
  assertEquals(
    classify(xml("x", { xmlns: "urn:xmpp:sm:3" })).type,
    "stream.unknown",
  );
  assertEquals(
    classify(xml("challenge", { xmlns: "urn:example" })).type,
    "stream.unknown",
  );
});

Deno.test("streamErrorElement()/errorReply()/resultReply() build the answers", () => {
  assertEquals(
    streamErrorElement({ condition: "policy-violation", text: "too big" })
      .toString(),
    `<stream:error><policy-violation xmlns="${NS_STREAMS}"/><text xmlns="${NS_STREAMS}">too big</text></stream:error>`,
  );
  const request = xml("iq", { type: "get", id: "1", from: "a@b/c" });
  assertEquals(
    errorReply(request, "bad-request", "modify").toString(),
    `<iq type="error" id="1" to="a@b/c"><error type="modify"><bad-request xmlns="${NS_STANZAS}"/></error></iq>`,
  );
  assertEquals(
    resultReply(request, xml("q", { xmlns: "urn:x" })).toString(),
    '<iq type="result" id="1" to="a@b/c"><q xmlns="urn:x"/></iq>',
  );
  const whole = resultReply(request, xml("iq", {}, xml("q")));
  assertEquals([whole.attrs.type, whole.attrs.id], ["result", "1"]);
});

Deno.test("checkStanza() accepts ordinary stanzas and returns their size in bytes", () => {
  const limits = { maxBytes: 1000, maxDepth: 8 };
  const m = xml(
    "message",
    { to: "a@b", id: "x&y" },
    xml("body", {}, "h\u00e9 <\u{1F600}>"),
  );
  assertEquals(
    checkStanza(m, limits),
    new TextEncoder().encode(m.toString()).length,
  );
  const p = xml(
    "presence",
    { "xmlns:foo": "urn:foo" },
    xml("foo:bar", { "foo:a": "1", "xml:lang": "en" }),
  );
  assertEquals(checkStanza(p, limits), p.toString().length);
});

Deno.test("checkStanza() refuses characters XML 1.0 forbids, bad names and non-elements with TypeError", () => {
  const limits = { maxBytes: 1000, maxDepth: 8 };
  for (
    const text of [
      "\u0000",
      "a\u0008",
      "\u001F",
      "\uFFFE",
      "\uFFFF",
      "\uD800",
      "x\uDC00",
      "\uDBFF\uDBFF",
    ]
  ) {
    assertThrows(
      () => checkStanza(xml("message", {}, xml("body", {}, text)), limits),
      TypeError,
      /XML 1\.0/,
    );
    assertThrows(
      () => checkStanza(xml("message", { id: text }), limits),
      TypeError,
      /XML 1\.0/,
    );
  }
  for (const name of ["", "a b", "1x", "a>", "a:b:c", "p:x"]) {
    assertThrows(() => checkStanza(xml(name), limits), TypeError);
    assertThrows(
      () => checkStanza(xml("m", { [name]: "v" }), limits),
      TypeError,
    );
  }
  for (
    const bad of ["<message/>", null, 42, {
      name: "message",
      attrs: {},
      children: [],
    }]
  ) {
    assertThrows(() => checkStanza(bad, limits), TypeError);
  }
  const withObject = xml("message");
  withObject.children.push({ toString: () => "<evil/>" } as unknown as Element);
  assertThrows(() => checkStanza(withObject, limits), TypeError);
});

Deno.test("checkStanza() refuses a stanza over the size or depth limit with RangeError", () => {
  assertThrows(
    () =>
      checkStanza(xml("message", {}, "x".repeat(1000)), {
        maxBytes: 1000,
        maxDepth: 8,
      }),
    RangeError,
    /bytes/,
  );
  // 4-byte characters count as 4 bytes
  assertThrows(
    () =>
      checkStanza(xml("message", {}, "\u{1F600}".repeat(300)), {
        maxBytes: 1000,
        maxDepth: 8,
      }),
    RangeError,
    /bytes/,
  );
  let el = xml("message");
  const root = el;
  for (let i = 0; i < 8; i++) {
    const c = xml("x");
    el.append(c);
    el = c;
  }
  assertThrows(
    () => checkStanza(root, { maxBytes: 1000, maxDepth: 8 }),
    RangeError,
    /depth/,
  );
  assertEquals(
    typeof checkStanza(root, { maxBytes: 1000, maxDepth: 9 }),
    "number",
  );
});

Deno.test("classify() reads the XEP-0478 stanza size limit from stream features", () => {
  const features = xml(
    "stream:features",
    {},
    xml(
      "limits",
      { xmlns: "urn:xmpp:stream-limits:0" },
      xml("max-bytes", {}, "10000"),
    ),
  );
  const event = classify(features);
  assert(event.type === "stream.features");
  assertEquals(event.features.maxBytes, 10000);
});

Deno.test("classify() types XEP-0198 nonzas and see-other-host", () => {
  const sm = (name: string, attrs: Record<string, string> = {}) =>
    classify(xml(name, { xmlns: "urn:xmpp:sm:3", ...attrs }));
  assertEquals(sm("r"), { type: "sm.r" });
  assertEquals(sm("a", { h: "4294967295" }), { type: "sm.a", h: 4294967295 });
  assertEquals(sm("a", { h: "-1" }).type, "stream.unknown");
  assertEquals(sm("enabled", { id: "x", resume: "true", max: "60" }), {
    type: "sm.enabled",
    id: "x",
    resume: true,
    max: 60,
  });
  assertEquals(sm("resumed", { h: "3", previd: "x" }), {
    type: "sm.resumed",
    h: 3,
    previd: "x",
  });
  const failed = classify(
    xml(
      "failed",
      { xmlns: "urn:xmpp:sm:3", h: "2" },
      xml("item-not-found", {
        xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas",
      }),
    ),
  );
  assertEquals(failed, {
    type: "sm.failed",
    condition: "item-not-found",
    h: 2,
  });
  const features = classify(
    xml(
      "stream:features",
      {},
      xml("bind", { xmlns: "urn:ietf:params:xml:ns:xmpp-bind" }),
      xml("sm", { xmlns: "urn:xmpp:sm:3" }),
    ),
  );
  assert(features.type === "stream.features" && features.features.sm === true);
  const other = classify(
    xml(
      "stream:error",
      {},
      xml(
        "see-other-host",
        { xmlns: "urn:ietf:params:xml:ns:xmpp-streams" },
        "xmpp2.example.org:5333",
      ),
    ),
  );
  assert(other.type === "stream.error");
  assertEquals(other.seeOtherHost, "xmpp2.example.org:5333");
});

Deno.test("checkStanza() sizes every ASCII character right inside a long base64 text and attribute (the fast path), and still refuses a forbidden one at its end", () => {
  const limits = { maxBytes: 1 << 20, maxDepth: 8 };
  const base64 = "QUJD+/=".repeat(12_000); // 84 KB of what a BoB payload holds
  const utf8 = (el: Element) => new TextEncoder().encode(el.toString()).length;
  for (let c = 0; c < 0x80; c++) {
    const ch = String.fromCharCode(c);
    const allowed = c >= 0x20 || c === 9 || c === 10 || c === 13;
    for (const text of [ch + base64, base64 + ch, `${base64}${ch}${base64}`]) {
      const inText = xml("iq", {}, xml("data", {}, text));
      const inAttr = xml("iq", { id: text });
      if (allowed) {
        assertEquals(checkStanza(inText, limits), utf8(inText), `U+${c}`);
        assertEquals(checkStanza(inAttr, limits), utf8(inAttr), `U+${c}`);
      } else {
        assertThrows(() => checkStanza(inText, limits), TypeError, /XML 1\.0/);
        assertThrows(() => checkStanza(inAttr, limits), TypeError, /XML 1\.0/);
      }
    }
  }
  // past ASCII: the slow path counts UTF-8 bytes, lone surrogates refused
  const mixed = xml("iq", {}, xml("data", {}, `${base64}é€😀`));
  assertEquals(checkStanza(mixed, limits), utf8(mixed));
  assertThrows(
    () => checkStanza(xml("iq", {}, `${base64}\uD800`), limits),
    TypeError,
  );
});
