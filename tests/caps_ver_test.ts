import { assertEquals, assertRejects, assertThrows } from "./_helpers.ts";
import {
  CapsError,
  capsString,
  type DiscoInfo,
  discoInfoElement,
  MAX_INFO_ITEMS,
  parseDiscoInfo,
  verString,
} from "../src/caps_ver.ts";

// XEP-0115 §5.3, the complex example.
const COMPLEX: DiscoInfo = {
  identities: [
    { category: "client", type: "pc", lang: "en", name: "Psi 0.11" },
    { category: "client", type: "pc", lang: "el", name: "Ψ 0.11" },
  ],
  features: [
    "http://jabber.org/protocol/caps",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "http://jabber.org/protocol/muc",
  ],
  forms: [{
    type: "result",
    fields: [
      {
        var: "FORM_TYPE",
        type: "hidden",
        values: ["urn:xmpp:dataforms:softwareinfo"],
      },
      { var: "ip_version", values: ["ipv4", "ipv6"] },
      { var: "os", values: ["Mac"] },
      { var: "os_version", values: ["10.5.1"] },
      { var: "software", values: ["Psi"] },
      { var: "software_version", values: ["0.11"] },
    ],
  }],
};

Deno.test("verString() gives XEP-0115 §5.2's simple example", async () => {
  const info: DiscoInfo = {
    identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
    features: [
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/disco#items",
      "http://jabber.org/protocol/muc",
      "http://jabber.org/protocol/caps",
    ],
  };
  assertEquals(await verString(info), "QgayPKawpkPSDYmwT/WM94uAlu0=");
});

Deno.test("capsString()/verString() give XEP-0115 §5.3's complex example", async () => {
  assertEquals(
    capsString(COMPLEX),
    "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<",
  );
  assertEquals(await verString(COMPLEX), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
  // The same through the XML codec (order of fields and values shuffled).
  const parsed = parseDiscoInfo(discoInfoElement({
    ...COMPLEX,
    forms: [{
      type: "result",
      fields: [...COMPLEX.forms![0].fields].reverse().map((f) => ({
        ...f,
        values: [...f.values].reverse(),
      })),
    }],
  }));
  assertEquals(await verString(parsed), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
});

Deno.test("verString() hashes with sha-256 too and refuses unknown hashes", async () => {
  const a = await verString(COMPLEX, "sha-256");
  assertEquals(Uint8Array.fromBase64(a).length, 32);
  await assertRejects(() => verString(COMPLEX, "md5"), CapsError);
  await assertRejects(() => verString(COMPLEX, "__proto__"), CapsError);
});

Deno.test("capsString() refuses what XEP-0115 §5.4 calls ill-formed", async (t) => {
  await t.step("duplicate identity", () => {
    assertThrows(
      () =>
        capsString({
          ...COMPLEX,
          identities: [COMPLEX.identities[0], { ...COMPLEX.identities[0] }],
        }),
      CapsError,
      /duplicate identity/,
    );
  });
  await t.step("duplicate feature", () => {
    assertThrows(
      () => capsString({ ...COMPLEX, features: ["a", "b", "a"] }),
      CapsError,
      /duplicate feature/,
    );
  });
  await t.step("two forms with one FORM_TYPE", () => {
    assertThrows(
      () =>
        capsString({
          ...COMPLEX,
          forms: [COMPLEX.forms![0], COMPLEX.forms![0]],
        }),
      CapsError,
      /duplicate FORM_TYPE/,
    );
  });
  await t.step("FORM_TYPE with two different values", () => {
    assertThrows(
      () =>
        capsString({
          ...COMPLEX,
          forms: [{
            type: "result",
            fields: [{ var: "FORM_TYPE", type: "hidden", values: ["a", "b"] }],
          }],
        }),
      CapsError,
      /several values/,
    );
  });
  await t.step("too many features", () => {
    assertThrows(
      () =>
        capsString({
          identities: [],
          features: Array.from(
            { length: MAX_INFO_ITEMS + 1 },
            (_, i) => `f${i}`,
          ),
        }),
      CapsError,
      /more than/,
    );
  });
  await t.step("a huge string", () => {
    assertThrows(
      () => capsString({ identities: [], features: ["x".repeat(5000)] }),
      CapsError,
      /longer than/,
    );
  });
});

Deno.test("capsString() ignores forms without a hidden FORM_TYPE (§5.4 3.6)", () => {
  const base = capsString({ ...COMPLEX, forms: [] });
  assertEquals(
    capsString({
      ...COMPLEX,
      forms: [
        { type: "result", fields: [{ var: "x", values: ["1"] }] },
        {
          type: "result",
          fields: [{ var: "FORM_TYPE", values: ["urn:x"] }, {
            var: "y",
            values: [],
          }],
        },
      ],
    }),
    base,
  );
});

Deno.test("capsString() sorts by octets (code points), not UTF-16 units", () => {
  // U+FF5E sorts before U+1F600 in UTF-8 but after it in UTF-16 units.
  assertEquals(
    capsString({ identities: [], features: ["\u{1F600}", "\uFF5E"] }),
    "\uFF5E<\u{1F600}<",
  );
});
