/**
 * Property-based tests (fast-check) of the parts that take untrusted input:
 * the XML screen, cid and MIME validation, the file-key rule, and the storage
 * protocol of every backend against a Map model.
 *
 * The default run is fast and reproducible: a fixed seed and a bounded number
 * of runs per property. To search longer, set
 *
 *     XMPP_ACTORS_PROPERTY_RUNS=100000 deno test --allow-all tests/property_test.ts
 *
 * (runs per property; the storage properties, ~100× costlier per run, take a
 * hundredth of it, at least the default) and, to explore other inputs,
 * `XMPP_ACTORS_PROPERTY_SEED=<integer>`. A failure prints the seed and the
 * counterexample path to replay it.
 *
 * @module
 */
import { pure, sequences } from "./support/property.ts";
import { assert, assertEquals, assertStrictEquals, fc } from "./deps.ts";
import { createActor, type Element } from "../src/deps.ts";
import { XmlStream } from "../src/xml_stream.ts";
import { StreamError } from "../src/errors.ts";
import { cidMatches, cidOf, isCid, normalizeCid } from "../src/cid.ts";
import { assertBob, fromRecord, isMimeType } from "../src/bob_data.ts";
import { StorageError } from "../src/errors.ts";
import { fileStorage, isFileKey } from "../actors/storage/file.ts";
import { memoryStorage } from "../actors/storage/memory.ts";
import { idbStorage } from "../actors/storage/idb.ts";
import { redisStorage } from "../actors/storage/redis/storage.ts";
import {
  hasRedis,
  redisCli,
  requireServers,
  startRedis,
} from "./support/redis.ts";
import type { StorageLogic } from "../actors/storage/define.ts";
import type {
  JsonValue,
  StorageReply,
  StorageRequest,
} from "../actors/storage/protocol.ts";

/** The default seed: fixed, so the default run is reproducible. */
const storageRuns = sequences;

// ---------------------------------------------------------------------------
// (a) The XML screen

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

/** Pieces of XML (good and forbidden) and noise, to reach deep parser states. */
const xmlPiece = fc.oneof(
  fc.constantFrom(
    HEADER,
    "<?xml version='1.0'?>",
    "<?xml",
    "<?pi x?>",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    "<!--c-->",
    "<![CDATA[",
    "]]>",
    "<message to='a@b' id='1'>",
    "</message>",
    "<body>",
    "</body>",
    "<iq type='get' id='x'/>",
    "<presence/>",
    "</stream:stream>",
    "<",
    ">",
    "/>",
    "</",
    "<!",
    "<?",
    "&amp;",
    "&lt;",
    "&lol;",
    "&#0;",
    "&#x10FFFF;",
    "&#xD800;",
    "&",
    "'",
    '"',
    "=",
    " a='1'",
    " a='1' a='2'",
    " xmlns:x='y'",
    "x:y",
    "\0",
    "\uFFFE",
    "\uD800",
    " ",
    "\n",
    "text",
  ),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.string({ unit: "binary-ascii", maxLength: 8 }),
);

/** Text content: plain characters, entities, and a few odd ones. */
const xmlText = fc.array(
  fc.oneof(
    fc.constantFrom(
      "x",
      " ",
      "&amp;",
      "&lt;",
      "&#233;",
      "&#x1F600;",
      "é",
      "]]>",
    ),
    fc.string({ unit: "binary", maxLength: 3 }).map((t) =>
      t.replace(/[<&]/g, "")
    ),
  ),
  { maxLength: 6 },
).map((p) => p.join(""));

/** A well-formed stanza-like element (most of the time). */
const stanza: fc.Arbitrary<string> = fc.letrec<{ el: string }>((tie) => ({
  el: fc.tuple(
    fc.constantFrom("message", "iq", "presence", "body", "x:data", "a"),
    fc.array(
      fc.tuple(fc.constantFrom("id", "to", "type", "xmlns", "a"), xmlText),
      { maxLength: 3 },
    ),
    fc.array(
      fc.oneof({ depthSize: "small", maxDepth: 4 }, xmlText, tie("el")),
      { maxLength: 3 },
    ),
  ).map(([name, attrs, kids]) => {
    const a = attrs.map(([k, v]) => ` ${k}='${v.replace(/'/g, "")}'`).join("");
    return kids.length
      ? `<${name}${a}>${kids.join("")}</${name}>`
      : `<${name}${a}/>`;
  }),
})).el;

/**
 * A document as parts (frames in framed mode): XML-ish pieces, raw bytes
 * decoded as the transport does, or a stream of stanzas with some noise.
 */
const xmlParts = fc.oneof(
  { weight: 2, arbitrary: fc.array(xmlPiece, { maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => [
      new TextDecoder().decode(b),
    ]),
  },
  {
    weight: 2,
    arbitrary: fc.array(xmlPiece, { maxLength: 40 }).map((p) => [HEADER, ...p]),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.array(
        fc.oneof({ weight: 6, arbitrary: stanza }, {
          weight: 1,
          arbitrary: xmlPiece,
        }),
        { maxLength: 12 },
      ),
      fc.boolean(),
    ).map((
      [p, close],
    ) => [HEADER, ...p, ...(close ? ["</stream:stream>"] : [])]),
  },
);

/** Split `text` at the given cut points (any positions, code units). */
function chunked(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) =>
    a - b
  );
  const out: string[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(text.slice(prev, c));
    prev = c;
  }
  out.push(text.slice(prev));
  return out;
}

/**
 * Whether src/xml_stream.ts ignores the parser's `start` event after an
 * error. Until it does, the property below tolerates that one event and the
 * named test that reproduces it stays off. (src/xml_stream.ts is not this
 * branch's to change.)
 */
const START_AFTER_ERROR_FIXED = true;

// Found by the property below (XMPP_ACTORS_PROPERTY_RUNS=20000): text before
// the stream header is an error, and then the header still reaches onStart,
// on a stream that is dead. The "start" listener in XmlStream.reset() lacks
// the `if (this.#failed) return;` that the "element" listener has.
Deno.test({
  name: "XmlStream calls no handler after onError",
  ignore: !START_AFTER_ERROR_FIXED,
  fn() {
    const log: string[] = [];
    const stream = new XmlStream({
      onStart: () => log.push("start"),
      onElement: () => log.push("element"),
      onEnd: () => log.push("end"),
      onError: (e) => log.push(e.condition),
    });
    stream.write("a<b>");
    assertEquals(log, ["not-well-formed"]);
  },
});

Deno.test("property: XmlStream.write() never throws and yields elements or one StreamError", () => {
  fc.assert(
    fc.property(
      xmlParts,
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom(undefined, 16, 200),
      (parts, cuts, framed, asFrames, maxStanzaSize) => {
        // Framed mode: each part one frame (the HEADER part is then an
        // error, as it should be), or any cut. Stream mode: any cut.
        if (framed && asFrames && parts[0] === HEADER) parts = parts.slice(1);
        const doc = parts.join("");
        const log: string[] = [];
        const stream = new XmlStream({
          onStart: (h: Element) => {
            assert(!framed, "onStart in framed mode");
            assertStrictEquals(typeof h.name, "string");
            log.push("start");
          },
          onElement: (el: Element) => {
            assertStrictEquals(typeof el.name, "string");
            log.push("element");
          },
          onEnd: () => log.push("end"),
          onError: (err) => {
            assert(err instanceof StreamError, `not a StreamError: ${err}`);
            assert(
              ["not-well-formed", "restricted-xml", "policy-violation"]
                .includes(err.condition),
              err.condition,
            );
            log.push("error");
          },
        }, { framed, maxStanzaSize });
        const chunks = framed && asFrames ? parts : chunked(doc, cuts);
        for (const chunk of chunks) {
          const started = performance.now();
          stream.write(chunk); // throws: the property fails
          assert(performance.now() - started < 1000, "write() took over 1 s");
        }
        // At most one error, and nothing after it.
        if (!START_AFTER_ERROR_FIXED) {
          // Known: see "XmlStream calls no handler after onError" below.
          const err = log.indexOf("error");
          if (err !== -1) {
            log.splice(
              0,
              log.length,
              ...log.filter((e, i) => i <= err || e !== "start"),
            );
          }
        }
        const err = log.indexOf("error");
        if (err !== -1) {
          assertStrictEquals(log.length, err + 1, `after error: ${log}`);
          assert(stream.failed);
          stream.write("<message/>");
          assertStrictEquals(log.length, err + 1);
        }
      },
    ),
    pure,
  );
});

/** Character data that is well-formed XML (no `<`, bare `&` or `]]>`). */
const goodText = fc.array(
  fc.oneof(
    fc.constantFrom(
      "&amp;",
      "&lt;",
      "&gt;",
      "&quot;",
      "&apos;",
      "&#233;",
      "&#x1F600;",
    ),
    fc.string({
      unit: fc.constantFrom(
        "a",
        "Z",
        "0",
        " ",
        "\n",
        ">",
        '"',
        "é",
        "\u{1F600}",
        "]",
      ),
      maxLength: 4,
    }),
  ),
  { maxLength: 5 },
).map((p) => p.join("").replace(/]]>/g, "]]&gt;"));

/** A well-formed stanza and the names of its top-level element. */
const goodStanza: fc.Arbitrary<string> = fc.letrec<{ el: string }>((tie) => ({
  el: fc.tuple(
    fc.constantFrom("message", "iq", "presence", "body", "data"),
    fc.uniqueArray(
      fc.tuple(fc.constantFrom("id", "to", "type", "cid", "a"), goodText),
      { maxLength: 3, selector: ([k]) => k },
    ),
    fc.array(
      fc.oneof(
        { depthSize: "small", maxDepth: 4 },
        goodText,
        goodText.map((t) => `<![CDATA[${t.replace(/]]/g, "")}<!x>]]>`),
        tie("el"),
      ),
      { maxLength: 3 },
    ),
  ).map(([name, attrs, kids]) => {
    const a = attrs.map(([k, v]) => ` ${k}='${v.replace(/'/g, "&apos;")}'`)
      .join("");
    return kids.length
      ? `<${name}${a}>${kids.join("")}</${name}>`
      : `<${name}${a}/>`;
  }),
})).el;

Deno.test("property: XmlStream yields every well-formed stanza once, however the stream is cut", () => {
  fc.assert(
    fc.property(
      fc.array(goodStanza, { maxLength: 10 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.boolean(),
      fc.boolean(),
      (stanzas, cuts, framed, close) => {
        const log: string[] = [];
        const stream = new XmlStream({
          onStart: () => log.push("start"),
          onElement: (el) => log.push(el.name),
          onEnd: () => log.push("end"),
          onError: (e) => log.push(`error ${e.condition}: ${e.text}`),
        }, { framed });
        const names = stanzas.map((st) => st.slice(1).match(/^[a-z]+/)![0]);
        if (framed) {
          for (const st of stanzas) stream.write(st);
          assertEquals(log, names);
        } else {
          const doc = HEADER + stanzas.join("") +
            (close ? "</stream:stream>" : "");
          for (const chunk of chunked(doc, cuts)) stream.write(chunk);
          assertEquals(log, ["start", ...names, ...(close ? ["end"] : [])]);
        }
      },
    ),
    pure,
  );
});

// ---------------------------------------------------------------------------
// (b) cid and MIME validation

const HEX = "0123456789abcdefABCDEF";
const ALGO = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";

/** The XEP-0231 cid form, written as a plain scan (the oracle of isCid). */
function cidOracle(s: string): boolean {
  const plus = s.indexOf("+");
  if (plus < 1 || plus > 32) return false;
  for (let i = 0; i < plus; i++) if (!ALGO.includes(s[i])) return false;
  const at = s.indexOf("@", plus);
  if (at === -1) return false;
  const hex = s.slice(plus + 1, at);
  if (hex.length < 8 || hex.length > 128) return false;
  for (const c of hex) if (!HEX.includes(c)) return false;
  return s.slice(at + 1).toLowerCase() === "bob.xmpp.org" &&
    /^[\x20-\x7e]*$/.test(s.slice(at + 1));
}

/** Flip the case of ASCII letters where `flips` says so. */
function recase(s: string, flips: boolean[]): string {
  return [...s].map((c, i) =>
    flips[i % Math.max(1, flips.length)]
      ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())
      : c
  ).join("");
}

/** Edit a string: insert, delete or replace one character. */
function mutate(s: string, pos: number, op: number, ch: string): string {
  const i = pos % (s.length + 1);
  if (op === 0) return s.slice(0, i) + ch + s.slice(i);
  if (op === 1) return s.slice(0, i) + s.slice(i + 1);
  return s.slice(0, i) + ch + s.slice(i + 1);
}

const oneChar = fc.oneof(
  fc.constantFrom(
    "+",
    "@",
    ".",
    "/",
    "\\",
    "\0",
    "\n",
    "\r",
    " ",
    ";",
    "=",
    '"',
    "g",
    "G",
    "0",
    "-",
    "\u212a", // KELVIN SIGN: lowercases to ASCII "k"
    "\u0130", // LATIN CAPITAL I WITH DOT ABOVE
    "\u017f", // LATIN SMALL LONG S: uppercases to ASCII "S"
  ),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);

/** Well-formed cids of any hash name, digest length and case. */
const anyCaseCid = fc.tuple(
  fc.string({ unit: fc.constantFrom(...ALGO), minLength: 1, maxLength: 32 }),
  fc.string({ unit: fc.constantFrom(...HEX), minLength: 8, maxLength: 128 }),
  fc.array(fc.boolean(), { maxLength: 12 }),
).map(([algo, hex, flips]) => recase(`${algo}+${hex}@bob.xmpp.org`, flips));

/** Candidates: near-misses of valid cids, and arbitrary strings. */
const cidCandidate = fc.oneof(
  anyCaseCid,
  fc.tuple(anyCaseCid, fc.nat(), fc.nat({ max: 2 }), oneChar).map((
    [s, p, o, c],
  ) => mutate(s, p, o, c)),
  fc.tuple(
    fc.string({ unit: fc.constantFrom(...ALGO), minLength: 0, maxLength: 34 }),
    fc.string({ unit: fc.constantFrom(...HEX), minLength: 6, maxLength: 130 }),
  ).map(([a, h]) => `${a}+${h}@bob.xmpp.org`),
  fc.string({ unit: "binary", maxLength: 60 }),
);

Deno.test("property: cidOf() output validates, is canonical, and matches its data in any case", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 256 }),
      fc.array(fc.boolean(), { maxLength: 12 }),
      (data, flips) => {
        const cid = cidOf(data);
        assert(isCid(cid));
        assertStrictEquals(normalizeCid(cid), cid);
        const other = recase(cid, flips);
        assert(isCid(other));
        assertStrictEquals(normalizeCid(other), cid);
        assert(cidMatches(other, data));
      },
    ),
    pure,
  );
});

Deno.test("property: isCid() accepts exactly the spec form; normalizeCid() is its canonical, idempotent form", () => {
  fc.assert(
    fc.property(cidCandidate, (s) => {
      const valid = cidOracle(s);
      assertStrictEquals(isCid(s), valid, JSON.stringify(s));
      if (valid) {
        const n = normalizeCid(s);
        assertStrictEquals(n, s.toLowerCase());
        assert(isCid(n));
        assertStrictEquals(normalizeCid(n), n);
        assertStrictEquals(normalizeCid(s.toUpperCase()), n);
      } else {
        let threw = false;
        try {
          normalizeCid(s);
        } catch (e) {
          threw = e instanceof TypeError;
        }
        assert(threw, `normalizeCid accepted ${JSON.stringify(s)}`);
      }
    }),
    pure,
  );
});

const NAME_FIRST =
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const NAME_CHARS = NAME_FIRST + "!#$&-^_.+";
const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return c.length === 1 && code > 0x20 && code < 0x7f &&
    !TSPECIALS.includes(c);
}

/**
 * The oracle of isMimeType: RFC 6838 restricted names, RFC 2045 parameters,
 * printable ASCII only, at most 255 characters; a hand-written scanner.
 */
function mimeOracle(s: string): boolean {
  if (s.length > 255) return false;
  let i = 0;
  const name = () => {
    const start = i;
    if (i >= s.length || !NAME_FIRST.includes(s[i])) return false;
    i++;
    while (i < s.length && NAME_CHARS.includes(s[i])) i++;
    return i - start <= 127;
  };
  const token = () => {
    const start = i;
    while (i < s.length && isTokenChar(s[i])) i++;
    return i > start;
  };
  const quoted = () => {
    if (s[i] !== '"') return false;
    i++;
    while (i < s.length) {
      const c = s[i];
      const code = c.charCodeAt(0);
      if (c === '"') {
        i++;
        return true;
      }
      if (code < 0x20 || code > 0x7e) return false;
      if (c === "\\") {
        const next = s.charCodeAt(i + 1);
        if (!(next >= 0x20 && next <= 0x7e)) return false;
        i += 2;
      } else i++;
    }
    return false;
  };
  if (!name() || s[i++] !== "/" || !name()) return false;
  while (i < s.length) {
    while (s[i] === " ") i++;
    if (s[i++] !== ";") return false;
    while (s[i] === " ") i++;
    if (!token() || s[i++] !== "=") return false;
    if (s[i] === '"' ? !quoted() : !token()) return false;
  }
  return true;
}

const restrictedName = fc.tuple(
  fc.constantFrom(...NAME_FIRST),
  fc.string({ unit: fc.constantFrom(...NAME_CHARS), maxLength: 20 }),
).map(([a, b]) => a + b);
const tokenArb = fc.string({
  unit: fc.constantFrom(..."abcXYZ019!#$%&'*+-.^_`{|}~"),
  minLength: 1,
  maxLength: 8,
});
const quotedArb = fc.string({
  unit: fc.oneof(
    fc.constantFrom("a", " ", ";", "=", "/", "\\\\", '\\"', "\\a"),
  ),
  maxLength: 6,
}).map((s) => `"${s}"`);
const mimeArb = fc.tuple(
  restrictedName,
  restrictedName,
  fc.array(
    fc.tuple(
      fc.constantFrom(";", "; ", " ;", " ; "),
      tokenArb,
      fc.oneof(tokenArb, quotedArb),
    ),
    { maxLength: 3 },
  ),
).map(([t, s, ps]) =>
  `${t}/${s}` + ps.map(([sep, k, v]) => `${sep}${k}=${v}`).join("")
);

const mimeCandidate = fc.oneof(
  mimeArb,
  fc.tuple(mimeArb, fc.nat(), fc.nat({ max: 2 }), oneChar).map((
    [s, p, o, c],
  ) => mutate(s, p, o, c)),
  fc.string({ unit: "binary-ascii", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
);

Deno.test("property: isMimeType() accepts exactly type/subtype (+ parameters); assertBob() and fromRecord() agree", () => {
  const data = new TextEncoder().encode("x");
  const cid = cidOf(data);
  fc.assert(
    fc.property(mimeCandidate, (type) => {
      const valid = mimeOracle(type);
      assertStrictEquals(isMimeType(type), valid, JSON.stringify(type));
      if (valid) {
        assert([...type].every((c) => c >= " " && c <= "~"), "not printable");
        assertBob({ cid, type, data });
        assertStrictEquals(
          fromRecord({ data: data.toBase64(), type, cid, max_age: null }, cid)
            .type,
          type,
        );
        return;
      }
      let threw: unknown;
      try {
        assertBob({ cid, type, data });
      } catch (e) {
        threw = e;
      }
      assert(
        threw instanceof TypeError,
        `assertBob accepted ${JSON.stringify(type)}`,
      );
      threw = undefined;
      try {
        fromRecord({ data: data.toBase64(), type, cid, max_age: null }, cid);
      } catch (e) {
        threw = e;
      }
      assert(
        threw instanceof StorageError,
        `fromRecord accepted ${JSON.stringify(type)}`,
      );
    }),
    pure,
  );
});

// ---------------------------------------------------------------------------
// Driving storage actors through their protocol

/** JSON values (fast-check's type and ours differ only in name). */
function jsonArb(maxDepth: number): fc.Arbitrary<JsonValue> {
  return fc.jsonValue({ maxDepth }) as unknown as fc.Arbitrary<JsonValue>;
}

type Store = { send(e: StorageRequest): void; stop(): void };

/** A client of one storage actor: sends requests, collects replies by id. */
function storageClient(store: Store, defaultNs = "xep_0231") {
  let next = 1;
  const waiting = new Map<number, (r: StorageReply) => void>();
  const replyTo = {
    send(reply: StorageReply) {
      const resolve = waiting.get(reply.id);
      assert(resolve, `reply to an unknown or answered id ${reply.id}`);
      waiting.delete(reply.id);
      resolve(reply);
    },
  };
  return (
    req:
      | { type: "storage.get" | "storage.del"; key: string; ns?: string }
      | { type: "storage.set"; key: string; value: JsonValue; ns?: string }
      | { type: "storage.keys"; ns?: string },
  ): Promise<StorageReply> => {
    const id = next++;
    const reply = new Promise<StorageReply>((resolve) =>
      waiting.set(id, resolve)
    );
    store.send({ ns: defaultNs, ...req, id, replyTo } as StorageRequest);
    return reply;
  };
}

// ---------------------------------------------------------------------------
// (c) The file-key rule

/** Keys built to escape: separators, dots, NUL, unicode, very long. */
const hostileKey = fc.oneof(
  fc.array(
    fc.oneof(
      fc.constantFrom(
        "..",
        ".",
        "/",
        "\\",
        "\0",
        "a",
        "é",
        "\u{1F600}",
        "\uD800",
        "\uDC00",
        "%2e",
        "~",
        "\n",
        " ",
        "sha1+da39a3ee5e6b4b0d3255bfef95601890afd80709@bob.xmpp.org",
      ),
      fc.string({ unit: "binary", maxLength: 4 }),
    ),
    { maxLength: 12 },
  ).map((p) => p.join("")),
  fc.tuple(
    fc.constantFrom("a", "é", "\u{1F600}", "\u00ff"),
    fc.integer({ min: 60, max: 300 }),
  )
    .map(([c, n]) => c.repeat(n)),
  fc.string({ unit: "binary", maxLength: 300 }),
);

Deno.test("property: no key reaches outside the file storage directory; accepted keys round-trip", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/store`;
  const store = createActor(fileStorage({ dir })).start();
  const ask = storageClient(store);
  try {
    await fc.assert(
      fc.asyncProperty(
        hostileKey,
        jsonArb(1),
        async (key, value) => {
          const accepted = isFileKey(key);
          if (accepted) {
            // Lexically, the path is one name directly inside the directory.
            assert(!key.includes("/") && key !== "." && key !== "..");
          }
          const set = await ask({ type: "storage.set", key, value });
          if (!accepted) {
            assert(
              set.type === "storage.error" && set.error instanceof TypeError,
              `set ${JSON.stringify(key)}: ${JSON.stringify(set)}`,
            );
            for (const type of ["storage.get", "storage.del"] as const) {
              const r = await ask({ type, key });
              assert(
                r.type === "storage.error" && r.error instanceof TypeError,
              );
            }
          } else {
            assertStrictEquals(
              set.type,
              "storage.result",
              `set ${JSON.stringify(key)}: ${
                set.type === "storage.error" ? set.error.message : ""
              }`,
            );
            const got = await ask({ type: "storage.get", key });
            assert(got.type === "storage.result");
            assertEquals(got.value, JSON.parse(JSON.stringify(value)));
            const keys = await ask({ type: "storage.keys" });
            assert(keys.type === "storage.result");
            assert(
              (keys.value as string[]).includes(key),
              "keys() lacks the key",
            );
            assertStrictEquals(
              (await ask({ type: "storage.del", key })).type,
              "storage.result",
            );
          }
          // Nothing was created anywhere but directly inside the directory.
          assertEquals([...Deno.readDirSync(root)].map((e) => e.name), [
            "store",
          ]);
          for (const e of Deno.readDirSync(dir)) {
            assert(e.isFile, `not a file: ${JSON.stringify(e.name)}`);
          }
          assertEquals([...Deno.readDirSync(dir)], []);
        },
      ),
      pure,
    );
  } finally {
    store.stop();
    await Deno.remove(root, { recursive: true });
  }
});

// ---------------------------------------------------------------------------
// (d) The storage protocol against a Map model

const KEYS = [
  "k",
  "K",
  "key-2",
  "é",
  cidOf(new Uint8Array([1])),
  cidOf(new Uint8Array([2])),
];

type Command =
  | { type: "storage.get" | "storage.del"; key: string; ns: string }
  | { type: "storage.set"; key: string; value: JsonValue; ns: string }
  | { type: "storage.keys"; ns: string };

function commands(namespaces: string[]) {
  const key = fc.constantFrom(...KEYS);
  const ns = fc.constantFrom(...namespaces);
  return fc.array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          type: fc.constant("storage.set" as const),
          key,
          value: jsonArb(2),
          ns,
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          type: fc.constant("storage.get" as const),
          key,
          ns,
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          type: fc.constant("storage.del" as const),
          key,
          ns,
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          type: fc.constant("storage.keys" as const),
          ns,
        }),
      },
    ),
    { maxLength: 30 },
  );
}

/** What the model answers; values are compared as JSON. */
function modelStep(
  model: Map<string, Map<string, JsonValue>>,
  cmd: Command,
): JsonValue | string[] | undefined {
  let space = model.get(cmd.ns);
  if (!space) model.set(cmd.ns, space = new Map());
  switch (cmd.type) {
    case "storage.set":
      space.set(cmd.key, JSON.parse(JSON.stringify(cmd.value)));
      return undefined;
    case "storage.get":
      return space.get(cmd.key);
    case "storage.del":
      space.delete(cmd.key);
      return undefined;
    case "storage.keys":
      return [...space.keys()].sort();
  }
}

function asJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

async function checkAgainstModel(
  logic: () => Promise<{ logic: StorageLogic; cleanup?: () => Promise<void> }>,
  namespaces: string[],
) {
  await fc.assert(
    fc.asyncProperty(
      commands(namespaces),
      fc.boolean(),
      async (cmds, pipelined) => {
        const { logic: made, cleanup } = await logic();
        const store = createActor(made).start();
        const ask = storageClient(store);
        try {
          const model = new Map<string, Map<string, JsonValue>>();
          const expected = cmds.map((c) => modelStep(model, c));
          let replies: StorageReply[];
          if (pipelined) {
            // Everything sent at once: replies must still follow the order.
            replies = await Promise.all(cmds.map((c) => ask(c)));
          } else {
            replies = [];
            for (const c of cmds) replies.push(await ask(c));
          }
          replies.forEach((reply, i) => {
            const where = `#${i} ${JSON.stringify(cmds[i])}`;
            assert(
              reply.type === "storage.result",
              `${where}: ${
                reply.type === "storage.error" ? reply.error.message : ""
              }`,
            );
            let got = reply.value;
            if (cmds[i].type === "storage.keys") {
              got = [...(got as string[])].sort();
            } else if (got === null && expected[i] === undefined) {
              got = undefined; // a backend may answer a missing key with null
            }
            assertEquals(asJson(got), asJson(expected[i]), where);
          });
          // The final state, read back.
          for (const ns of namespaces) {
            const keys = await ask({ type: "storage.keys", ns });
            assert(
              keys.type === "storage.result",
              keys.type === "storage.error" ? keys.error.message : "",
            );
            assertEquals(
              [...(keys.value as string[])].sort(),
              [...(model.get(ns)?.keys() ?? [])].sort(),
            );
          }
        } finally {
          store.stop();
          await cleanup?.();
        }
      },
    ),
    storageRuns,
  );
}

Deno.test("property: memoryStorage() answers any request sequence like a Map", () =>
  checkAgainstModel(
    () => Promise.resolve({ logic: memoryStorage() }),
    ["xep_0231", "other"],
  ));

Deno.test("property: fileStorage() answers any request sequence like a Map", () =>
  checkAgainstModel(async () => {
    const dir = await Deno.makeTempDir();
    return {
      logic: fileStorage({ dir }),
      cleanup: () => Deno.remove(dir, { recursive: true }),
    };
  }, ["xep_0231"]));

let idbCount = 0;
Deno.test("property: idbStorage() answers any request sequence like a Map", () =>
  checkAgainstModel(
    () =>
      Promise.resolve({
        logic: idbStorage({ dbName: `property-${idbCount++}` }),
      }),
    ["xep_0231", "other"],
  ));

Deno.test({
  name: "property: redisStorage() answers any request sequence like a Map",
  ignore: !hasRedis() && !requireServers(),
  async fn() {
    const redis = await startRedis();
    let run = 0;
    try {
      await checkAgainstModel(
        () =>
          Promise.resolve({
            logic: redisStorage({ url: redis.url, prefix: `p${run++}:` }),
            // An empty database for the next run.
            cleanup: () => redisCli(redis.port, "flushdb").then(() => {}),
          }),
        ["xep_0231", "other"],
      );
    } finally {
      await redis.stop();
    }
  },
});
