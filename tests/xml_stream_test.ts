import type { Element } from "../src/deps.ts";
import { XmlStream, type XmlStreamOptions } from "../src/xml_stream.ts";
import type { StreamError } from "../src/errors.ts";
import { assert, assertEquals } from "./_helpers.ts";

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='s1' version='1.0'>";

function collect(options?: XmlStreamOptions) {
  const out = {
    starts: [] as Element[],
    elements: [] as Element[],
    ends: 0,
    errors: [] as StreamError[],
  };
  const stream = new XmlStream({
    onStart: (h) => out.starts.push(h),
    onElement: (e) => out.elements.push(e),
    onEnd: () => out.ends++,
    onError: (e) => out.errors.push(e),
  }, options);
  return { stream, out };
}

Deno.test("XmlStream parses a stream whose chunks split anywhere", () => {
  const doc = HEADER +
    "<message from='a@b' id='1'><body>x &amp; y</body></message>\n" +
    "<iq type='result' id='2'><![CDATA[<!DOCTYPE not-markup>]]></iq>" +
    "</stream:stream>";
  for (let size = 1; size <= 7; size++) {
    const { stream, out } = collect();
    for (let i = 0; i < doc.length; i += size) {
      stream.write(doc.slice(i, i + size));
    }
    assertEquals(out.errors.length, 0, `split ${size}`);
    assertEquals(out.starts.length, 1);
    assertEquals(out.starts[0].attrs.id, "s1");
    assertEquals(out.elements.map((e) => e.name), ["message", "iq"]);
    assertEquals(out.elements[0].getChildText("body"), "x & y");
    assertEquals(out.elements[0].getNS(), "jabber:client");
    assertEquals(out.elements[1].getText(), "<!DOCTYPE not-markup>");
    assertEquals(out.ends, 1);
  }
});

Deno.test("XmlStream rejects forbidden markup with restricted-xml", async (t) => {
  const cases: [string, string][] = [
    ["DOCTYPE", "<!DOCTYPE stream [<!ENTITY x 'y'>]><message/>"],
    ["ENTITY", "<!ENTITY lol 'lol'>"],
    ["processing instruction", "<?xml-stylesheet href='x'?>"],
    ["second XML declaration", "<?xml version='1.0'?>"],
    ["comment", "<!-- hi -->"],
    ["unknown entity", "<message><body>&lol;</body></message>"],
  ];
  for (const [name, bad] of cases) {
    await t.step(name, () => {
      for (const split of [1000, 1, 3]) {
        const { stream, out } = collect();
        const doc = HEADER + "<presence/>" + bad + "<message id='after'/>";
        for (let i = 0; i < doc.length; i += split) {
          stream.write(doc.slice(i, i + split));
        }
        assertEquals(out.errors.length, 1, `${name} split ${split}`);
        assertEquals(out.errors[0].condition, "restricted-xml");
        assertEquals(out.elements.map((e) => e.name), ["presence"]);
        assert(stream.failed);
      }
    });
  }
});

Deno.test("XmlStream reports malformed XML as not-well-formed", () => {
  const { stream, out } = collect();
  stream.write(HEADER + "<message><body></message>");
  assertEquals(out.errors.map((e) => e.condition), ["not-well-formed"]);
  stream.write("<message/>"); // ignored after failure
  assertEquals(out.elements.length, 0);
});

Deno.test("XmlStream survives a stray closing tag before any element", () => {
  const { stream, out } = collect();
  stream.write("</x>");
  assertEquals(out.errors.map((e) => e.condition), ["not-well-formed"]);
});

Deno.test("XmlStream rejects a stanza over maxStanzaSize with policy-violation", () => {
  const { stream, out } = collect({ maxStanzaSize: 1000 });
  stream.write(HEADER);
  // many small stanzas in one big chunk are fine
  stream.write("<presence/>".repeat(500));
  assertEquals(out.elements.length, 500);
  // one big stanza, fed in small chunks, is not
  stream.write("<message><body>");
  for (let i = 0; i < 100; i++) stream.write("x".repeat(50));
  assertEquals(out.errors.map((e) => e.condition), ["policy-violation"]);
  assertEquals(out.elements.length, 500);
});

Deno.test("XmlStream rejects one huge chunk holding an oversize stanza", () => {
  const { stream, out } = collect({ maxStanzaSize: 20_000 });
  stream.write(HEADER + "<message><body>" + "y".repeat(100_000));
  assertEquals(out.errors.map((e) => e.condition), ["policy-violation"]);
});

Deno.test("XmlStream.reset() starts a new stream (stream restart)", () => {
  const { stream, out } = collect();
  stream.write(HEADER + "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  stream.reset();
  stream.write(HEADER + "<stream:features/>");
  assertEquals(out.starts.length, 2);
  assertEquals(out.elements.map((e) => e.name), ["success", "stream:features"]);
});

Deno.test("XmlStream in framed mode parses one element per write (RFC 7395)", () => {
  const { stream, out } = collect({ framed: true, maxStanzaSize: 100 });
  stream.write(
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='localhost' id='x' version='1.0'/>",
  );
  stream.write("<message xmlns='jabber:client'><body>hi</body></message>");
  assertEquals(out.starts.length, 0);
  assertEquals(out.elements.map((e) => e.name), ["open", "message"]);
  stream.write("<!DOCTYPE x>");
  assertEquals(out.errors.map((e) => e.condition), ["restricted-xml"]);
  const big = collect({ framed: true, maxStanzaSize: 100 });
  big.stream.write("<message>" + "z".repeat(200) + "</message>");
  assertEquals(big.out.errors.map((e) => e.condition), ["policy-violation"]);
  const end = collect({ framed: true });
  end.stream.write("</xmpp-actors-frames>");
  assertEquals(end.out.errors.map((e) => e.condition), ["not-well-formed"]);
});

Deno.test("XmlStream rejects an oversize stanza that arrives complete in one chunk", () => {
  const { stream, out } = collect({ maxStanzaSize: 1000 });
  stream.write(HEADER);
  stream.write(
    "<presence/><message><body>" + "x".repeat(2000) + "</body></message>",
  );
  assertEquals(out.elements.map((e) => e.name), ["presence"]);
  assertEquals(out.errors.map((e) => e.condition), ["policy-violation"]);
});

Deno.test("XmlStream rejects a stanza nested deeper than maxStanzaDepth with policy-violation", () => {
  for (const framed of [false, true]) {
    const { stream, out } = collect({ maxStanzaDepth: 8, framed });
    if (!framed) stream.write(HEADER);
    // depth 8 (message + 7 levels) passes
    stream.write(
      "<message>" + "<x>".repeat(7) + "</x>".repeat(7) + "</message>",
    );
    assertEquals(out.elements.length, 1);
    assertEquals(out.errors.length, 0);
    const deep = "<message>" + "<x>".repeat(10_000) + "</x>".repeat(10_000) +
      "</message>";
    if (framed) stream.write(deep);
    else {for (let i = 0; i < deep.length; i += 1000) {
        stream.write(deep.slice(i, i + 1000));
      }}
    assertEquals(out.errors.map((e) => e.condition), ["policy-violation"]);
    assert(/depth/.test(out.errors[0].message), out.errors[0].message);
    assertEquals(out.elements.length, 1);
  }
});

Deno.test("XmlStream caps the depth by default, so a 10,000-deep stanza never reaches user code", () => {
  const { stream, out } = collect();
  stream.write(
    HEADER + "<message>" + "<x>".repeat(10_000) + "</x>".repeat(10_000) +
      "</message>",
  );
  assertEquals(out.elements.length, 0);
  assertEquals(out.errors.map((e) => e.condition), ["policy-violation"]);
});
