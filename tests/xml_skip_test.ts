/**
 * A hostile stanza costs that stanza, not the stream: `XmlStream` skips a
 * stanza over `maxStanzaSize` or `maxStanzaDepth` (reporting it to
 * `onSkipped` with its opening tag), builds nothing for its content, and
 * resynchronises after its end tag, however the stream is cut. Markup that
 * RFC 6120 forbids is still a stream error, inside a skipped stanza too.
 *
 * @module
 */
import type { Element } from "../src/deps.ts";
import type { StreamError } from "../src/errors.ts";
import {
  type SkippedStanza,
  XmlStream,
  type XmlStreamOptions,
} from "../src/xml_stream.ts";
import { pure } from "./support/property.ts";
import { assert, assertEquals, fc } from "./deps.ts";

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='s1' version='1.0'>";

function collect(options?: XmlStreamOptions) {
  const out = {
    log: [] as string[],
    elements: [] as Element[],
    skipped: [] as SkippedStanza[],
    errors: [] as StreamError[],
  };
  const stream = new XmlStream({
    onStart: () => out.log.push("start"),
    onElement: (e) => {
      out.elements.push(e);
      out.log.push(e.attrs.id ?? e.name);
    },
    onSkipped: (s) => {
      out.skipped.push(s);
      out.log.push(`skipped ${s.limit} ${s.head?.attrs.id ?? "?"}`);
    },
    onEnd: () => out.log.push("end"),
    onError: (e) => {
      out.errors.push(e);
      out.log.push(`error ${e.condition}`);
    },
  }, options);
  return { stream, out };
}

/** Every split of `doc` into chunks of `size` (and a few odd ones). */
function feedings(doc: string): string[][] {
  const out: string[][] = [[doc]];
  for (const size of [1, 2, 3, 7, 64, 1000]) {
    const parts: string[] = [];
    for (let i = 0; i < doc.length; i += size) {
      parts.push(doc.slice(i, i + size));
    }
    out.push(parts);
  }
  return out;
}

function deep(id: string, depth: number, name = "x"): string {
  return `<message from='bob@localhost/r' id='${id}' type='chat'>${
    `<${name} a='1'>`.repeat(depth - 1)
  }${`</${name}>`.repeat(depth - 1)}</message>`;
}

const AFTER =
  "<message from='bob@localhost/r' id='after'><body>still &amp; here</body></message>";

Deno.test("XmlStream skips a stanza 141 deep and delivers the next, however it is cut", () => {
  const doc = HEADER + "<presence id='before'/>" + deep("deep", 141) + AFTER +
    "</stream:stream>";
  for (const parts of feedings(doc)) {
    const { stream, out } = collect();
    for (const p of parts) stream.write(p);
    assertEquals(out.log, [
      "start",
      "before",
      "skipped depth deep",
      "after",
      "end",
    ], `chunks of ${parts[0].length}`);
    const after = out.elements[1];
    assertEquals(after.getChildText("body"), "still & here");
    assertEquals(after.getNS(), "jabber:client");
    const head = out.skipped[0].head!;
    assertEquals(head.name, "message");
    assertEquals(head.attrs.from, "bob@localhost/r");
    assertEquals(head.children.length, 0);
    assert(/depth of 128/.test(out.skipped[0].reason), out.skipped[0].reason);
  }
});

Deno.test("XmlStream skips at the depth limit when the chunk ends at the element too deep", () => {
  const stanza = deep("d", 10);
  // cut right before, at and after the "<" and the name of the 10th level
  const tooDeep = stanza.indexOf("<x", stanza.indexOf("<x") + 8 * 8);
  for (const at of [tooDeep - 1, tooDeep, tooDeep + 1, tooDeep + 2]) {
    const { stream, out } = collect({ maxStanzaDepth: 9 });
    stream.write(HEADER + stanza.slice(0, at));
    stream.write(stanza.slice(at) + AFTER);
    assertEquals(out.log, ["start", "skipped depth d", "after"], `cut ${at}`);
  }
  // exactly at the limit: delivered
  const { stream, out } = collect({ maxStanzaDepth: 10 });
  stream.write(HEADER + stanza + AFTER);
  assertEquals(out.log, ["start", "d", "after"]);
});

Deno.test("XmlStream skips nested elements of the same name as the stanza and ends at the right end tag", () => {
  const doc = HEADER + deep("same", 50, "message") + AFTER;
  for (const parts of feedings(doc)) {
    const { stream, out } = collect({ maxStanzaDepth: 20 });
    for (const p of parts) stream.write(p);
    assertEquals(out.log, ["start", "skipped depth same", "after"]);
  }
});

Deno.test("XmlStream skips a giant text node without keeping it, and the next stanza arrives", () => {
  const { stream, out } = collect({ maxStanzaSize: 1 << 20 });
  stream.write(HEADER + "<message id='big' from='bob@localhost/r'><body>");
  const chunk = "QUJD".repeat(16 * 1024); // 64 KiB of base64
  // heap after warming up, then 64 MiB of text in one stanza
  for (let i = 0; i < 32; i++) stream.write(chunk);
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < 1024; i++) stream.write(chunk);
  const grown = Deno.memoryUsage().heapUsed - before;
  stream.write("</body></message>" + AFTER);
  assertEquals(out.log, ["start", "skipped size big", "after"]);
  // 64 MiB went through; far less than that may stay (the limit is 1 MiB)
  assert(grown < 16 * 1024 * 1024, `heap grew by ${grown} bytes`);
});

Deno.test("XmlStream skips an oversize stanza complete in one chunk, in framed mode too", () => {
  const big =
    "<iq type='set' id='q1' from='bob@localhost/r'><query xmlns='urn:x'>" +
    "z".repeat(5000) + "</query></iq>";
  const { stream, out } = collect({ maxStanzaSize: 1000 });
  stream.write(HEADER + "<presence id='p'/>" + big + AFTER);
  assertEquals(out.log, ["start", "p", "skipped size q1", "after"]);
  assertEquals(out.skipped[0].head?.attrs.type, "set");
  assertEquals(out.skipped[0].head?.children.length, 0);

  const framed = collect({ framed: true, maxStanzaSize: 1000 });
  framed.stream.write(big);
  framed.stream.write(AFTER);
  assertEquals(framed.out.log, ["skipped size q1", "after"]);
  // an incomplete frame is still an error
  framed.stream.write("<message id='half'><body>");
  assertEquals(framed.out.errors.map((e) => e.condition), ["not-well-formed"]);
});

Deno.test("XmlStream skips a stanza whose opening tag alone is over the size limit (no head)", () => {
  const doc = HEADER + `<message id='x' data='${"a".repeat(3000)}'>` +
    "<body>hi</body></message>" + AFTER;
  for (const parts of feedings(doc)) {
    const { stream, out } = collect({ maxStanzaSize: 1000 });
    for (const p of parts) stream.write(p);
    assertEquals(out.log, ["start", "skipped size ?", "after"]);
  }
});

Deno.test("XmlStream is not fooled by markup-like text in a skipped stanza's attributes and CDATA", () => {
  const tricky = `<message id='t' a='/>' b="it's > </message>"><x c='>'/>` +
    `<![CDATA[</message><presence id='fake'/>]]]]>` +
    "<x>".repeat(30) + "</x>".repeat(30) + "</message>";
  const doc = HEADER + tricky + AFTER;
  for (const parts of feedings(doc)) {
    const { stream, out } = collect({ maxStanzaDepth: 10 });
    for (const p of parts) stream.write(p);
    assertEquals(out.log, ["start", "skipped depth t", "after"]);
    assertEquals(out.skipped[0].head?.attrs.b, "it's > </message>");
  }
});

Deno.test("XmlStream still ends the stream for forbidden or broken markup in or after a skipped stanza", () => {
  for (
    const [name, bad, condition] of [
      ["DOCTYPE inside", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "restricted-xml"],
      ["PI inside", "<?evil x?>", "restricted-xml"],
      ["comment inside", "<!-- c -->", "restricted-xml"],
    ]
  ) {
    const { stream, out } = collect({ maxStanzaDepth: 4 });
    stream.write(
      HEADER + "<message id='m'><a><b><c><d>" + bad +
        "</d></c></b></a></message>" +
        AFTER,
    );
    assertEquals(out.errors.map((e) => e.condition), [condition], name);
    // reported when it broke the limit, before the bad markup
    assertEquals(out.skipped.length, 1, name);
  }
  // after the resync the parser still checks the end tags
  const { stream, out } = collect({ maxStanzaDepth: 4 });
  stream.write(
    HEADER + deep("m", 10) + "<message id='n'><body>x</wrong></message>",
  );
  assertEquals(out.log, ["start", "skipped depth m", "error not-well-formed"]);
});

// ---------------------------------------------------------------------------
// property: any mix of good and oversize/too-deep stanzas, cut anywhere

interface Tree {
  name: string;
  attrs: [string, string][];
  children: (Tree | string)[];
}

const text = fc.array(
  fc.constantFrom("a", " ", "&amp;", "&lt;", ">", "]", "]]", "'", '"', "é"),
  { maxLength: 6 },
).map((p) => p.join(""));
const cdata = fc.string({
  unit: fc.constantFrom("a", "<", ">", "]", "/", "!"),
  maxLength: 8,
}).map((s) => `<![CDATA[${s.replaceAll("]]>", "]] >")}]]>`);
const attrValue = fc.string({
  unit: fc.constantFrom("a", ">", "/", "'", " ", "&amp;"),
  maxLength: 6,
});

const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.record({
    name: fc.constantFrom("x", "message", "y:z", "body"),
    attrs: fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), attrValue), {
      maxLength: 2,
    }),
    children: fc.array(
      fc.oneof(
        { depthSize: "small" },
        { weight: 2, arbitrary: text },
        { weight: 1, arbitrary: cdata },
        { weight: 2, arbitrary: tie("tree") },
      ),
      { maxLength: 3 },
    ),
  }),
}));

function serialize(t: Tree | string): string {
  if (typeof t === "string") return t;
  const seen = new Set<string>();
  const attrs = t.attrs.filter(([k]) => !seen.has(k) && seen.add(k)).map((
    [k, v],
  ) => v.includes("'") ? ` ${k}="${v}"` : ` ${k}='${v}'`).join("");
  const inner = t.children.map(serialize).join("");
  return inner
    ? `<${t.name}${attrs}>${inner}</${t.name}>`
    : `<${t.name}${attrs}/>`;
}

function depthOf(t: Tree | string): number {
  return typeof t === "string"
    ? 0
    : 1 + Math.max(0, ...t.children.map(depthOf));
}

/** A stanza: a tree under a `<message id=…>`, optionally pushed deeper. */
const stanza = fc.tuple(tree, fc.nat({ max: 8 }), fc.nat({ max: 600 })).map((
  [t, extra, pad],
) => ({ t, extra, pad }));

Deno.test("property: XmlStream delivers every stanza within the limits and skips exactly the others, however the stream is cut", () => {
  fc.assert(
    fc.property(
      fc.array(stanza, { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.integer({ min: 2, max: 8 }),
      fc.integer({ min: 200, max: 1500 }),
      (stanzas, cuts, maxStanzaDepth, maxStanzaSize) => {
        const expected: string[] = ["start"];
        let doc = HEADER;
        stanzas.forEach(({ t, extra, pad }, i) => {
          const wrapped = "<w>".repeat(extra) + serialize(t) +
            "</w>".repeat(extra);
          const s = `<message id='s${i}'>${
            "p".repeat(pad)
          }${wrapped}</message>`;
          doc += s + "\n";
          const depth = 1 + extra + depthOf(t);
          const big = s.length > maxStanzaSize;
          const tooDeep = depth > maxStanzaDepth;
          // over both limits: whichever the scan meets first
          expected.push(
            big && tooDeep
              ? `skipped either s${i}`
              : big
              ? `skipped size s${i}`
              : tooDeep
              ? `skipped depth s${i}`
              : `s${i}`,
          );
        });
        doc += "</stream:stream>";
        expected.push("end");
        const at = [...new Set(cuts.map((c) => c % (doc.length + 1)))].sort((
          a,
          b,
        ) => a - b);
        const { stream, out } = collect({ maxStanzaDepth, maxStanzaSize });
        let prev = 0;
        for (const c of [...at, doc.length]) {
          stream.write(doc.slice(prev, c));
          prev = c;
        }
        assertEquals(
          out.log.map((entry, i) =>
            expected[i]?.startsWith("skipped either ")
              ? entry.replace(/^skipped (size|depth) /, "skipped either ")
              : entry
          ),
          expected,
        );
      },
    ),
    pure,
  );
});
