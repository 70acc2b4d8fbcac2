/**
 * Property test of the outgoing-stanza check (`checkStanza`, `src/stanza_check.ts`):
 * any element tree either passes the check and serializes to XML that
 * `XmlStream` parses back to an equal element, or is refused with a
 * `TypeError` or `RangeError`; it never crashes.
 *
 * Seeded and bounded as every property test (tests/support/property.ts):
 * `XMPP_ACTORS_PROPERTY_RUNS` (runs) and `XMPP_ACTORS_PROPERTY_SEED` (seed)
 * search longer or elsewhere.
 *
 * @module
 */
import { assert, assertEquals, fc } from "./deps.ts";
import { type Element, xml } from "../src/deps.ts";
import { XmlStream } from "../src/xml_stream.ts";
import { checkStanza } from "../src/stanza_check.ts";
import { pure } from "./support/property.ts";

const params = pure;

const LIMITS = { maxBytes: 4000, maxDepth: 6 };

/** Text: mostly ordinary, with XML specials, controls and lone surrogates. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.constantFrom(
        "a",
        "&",
        "<",
        ">",
        '"',
        "'",
        "]]>",
        "\t",
        "\n",
        " ",
        "\u00e9",
        "\u{1F600}",
      ),
      maxLength: 8,
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "\u0000",
      "\u0001",
      "\u000B",
      "\uFFFE",
      "\uFFFF",
      "\uD800",
      "\uDC00x",
    ),
  },
  { weight: 1, arbitrary: fc.constant("x".repeat(3000)) },
);

/** Names: mostly valid, some not (spaces, digits first, prefixes). */
const name = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom("message", "body", "iq", "x", "data", "a-b.c"),
  },
  { weight: 1, arbitrary: fc.constantFrom("", "1a", "a b", "a>", "p:x", ":") },
  { weight: 1, arbitrary: fc.constantFrom("xmlns", "xmlns:p", "xml:lang") },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 4 }) },
);

interface Tree {
  name: string;
  attrs: [string, string][];
  children: (Tree | string)[];
}

const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.record({
    name,
    attrs: fc.array(fc.tuple(name, text), { maxLength: 3 }),
    children: fc.array(
      fc.oneof({ depthSize: "small" }, text, tie("node")),
      { maxLength: 3 },
    ),
  }),
})).node;

function build(t: Tree): Element {
  const attrs: Record<string, string> = {};
  for (const [k, v] of t.attrs) attrs[k] = v;
  const el = xml(t.name, attrs);
  for (const c of t.children) {
    if (typeof c === "string") {
      if (c !== "") el.children.push(c);
    } else el.append(build(c));
  }
  return el;
}

/** Adjacent texts merge when parsed: compare in that normal form. */
function normal(el: Element): unknown {
  const children: unknown[] = [];
  for (const c of el.children as (Element | string)[]) {
    if (typeof c === "string") {
      if (typeof children.at(-1) === "string") {
        children[children.length - 1] += c;
      } else children.push(c);
    } else children.push(normal(c));
  }
  return { name: el.name, attrs: { ...el.attrs }, children };
}

function parseBack(text: string): Element[] {
  const elements: Element[] = [];
  const stream = new XmlStream({
    onElement: (e) => elements.push(e),
    onError: (e) => {
      throw e;
    },
  }, { framed: true, maxStanzaDepth: LIMITS.maxDepth });
  stream.write(text);
  return elements;
}

Deno.test("checkStanza(): any element tree passes and round-trips through XmlStream, or is refused with TypeError/RangeError", () => {
  let passed = 0;
  let refused = 0;
  fc.assert(
    fc.property(tree, (t) => {
      const el = build(t);
      let size: number;
      try {
        size = checkStanza(el, LIMITS);
      } catch (e) {
        assert(
          e instanceof TypeError || e instanceof RangeError,
          `unexpected ${e}`,
        );
        refused++;
        return;
      }
      passed++;
      const serialized = el.toString();
      assertEquals(size, new TextEncoder().encode(serialized).length);
      const back = parseBack(serialized);
      assertEquals(back.length, 1);
      assertEquals(normal(back[0]), normal(el));
    }),
    params,
  );
  // both outcomes are exercised
  assert(passed > 0 && refused > 0, `passed ${passed}, refused ${refused}`);
});
