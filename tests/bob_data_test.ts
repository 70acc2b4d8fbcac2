import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import {
  assertBob,
  type BobData,
  fromRecord,
  isMimeType,
  toRecord,
} from "../src/bob_data.ts";
import { cidOf } from "../src/cid.ts";
import { StorageError } from "../src/errors.ts";
import { createClient, fileStorage } from "../mod.ts";

const enc = new TextEncoder();
const data = enc.encode("coucou");
const cid = cidOf(data);
const upper = cid.toUpperCase();

function bob(type: string, extra: Partial<BobData> = {}): BobData {
  return { cid, type, data, ...extra };
}

const BAD_TYPES = [
  "text/plain\r\nX-Injected: 1",
  "text/plain\n",
  "text/plain\0",
  "text/pl\u0007ain",
  "text/plain\t",
  "text\u007f/plain",
  "text/plain\u0085",
  "tëxt/plain",
  "text",
  "text/",
  "/plain",
  "text/plain/extra",
  "text /plain",
  " text/plain",
  "text/plain ",
  "text/pl ain",
  "-text/plain",
  "text/.plain",
  "text/plain;",
  "text/plain; charset",
  "text/plain; charset=",
  "text/plain; charset=utf 8",
  'text/plain; charset="utf-8',
  'text/plain; charset="a\rb"',
  "text/plain, text/html",
  "a".repeat(128) + "/plain",
  "text/" + "b".repeat(128),
  "*/*",
  "",
  "   ",
];

const GOOD_TYPES = [
  "text/plain",
  "image/png",
  "IMAGE/PNG",
  "application/vnd.oasis.opendocument.text",
  "application/atom+xml",
  "application/x-www-form-urlencoded",
  "video/3gpp",
  "a/b",
  "text/plain;charset=utf-8",
  "text/plain; charset=utf-8",
  'text/plain; charset="utf-8"; format=flowed',
  'multipart/mixed; boundary="a b;c=d\\"e"',
  "a".repeat(127) + "/" + "b".repeat(127),
];

Deno.test("isMimeType() accepts RFC 6838 type/subtype (with RFC 2045 parameters) only", async (t) => {
  await t.step("accepts", () => {
    for (const type of GOOD_TYPES) {
      assert(isMimeType(type), `refused ${JSON.stringify(type)}`);
    }
  });
  await t.step("refuses", () => {
    for (const type of BAD_TYPES) {
      assert(!isMimeType(type), `accepted ${JSON.stringify(type)}`);
    }
    assert(!isMimeType(42));
    assert(!isMimeType(null));
  });
});

Deno.test("assertBob() refuses a MIME type with CR, LF, NUL or control characters, or not type/subtype", () => {
  for (const type of BAD_TYPES) {
    assertThrows(
      () => assertBob(bob(type), "set bob"),
      TypeError,
      type.trim() === ""
        ? /Cannot set bob: type must be a non-empty string/
        : /Cannot set bob: type must be a MIME type like type\/subtype, got /,
    );
  }
  for (const type of GOOD_TYPES) assertBob(bob(type), "set bob");
});

Deno.test("BobPlugin.setBob() refuses a header-injecting MIME type at set time", async () => {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const plugin = xmpp.registerPlugin("xep_0231");
    await assertRejects(
      () => plugin.setBob(data, "text/plain\r\nX-Injected: 1"),
      TypeError,
      /type must be a MIME type/,
    );
    await assertRejects(
      () => plugin.api.run("set_bob", { args: bob("text/plain\0") }),
      Error,
      /type must be a MIME type/,
    );
  } finally {
    await xmpp.stop();
  }
});

Deno.test("fromRecord() refuses a record with a bad max_age or type", async (t) => {
  const good = { data: data.toBase64(), type: "text/plain", cid, max_age: 5 };
  // Copies: not the frozen object toRecord built.
  assertEquals(fromRecord({ ...good }, cid), {
    ...bob("text/plain"),
    maxAge: 5,
  });
  assertEquals(fromRecord({ ...good, max_age: null }, cid), bob("text/plain"));
  assertEquals(fromRecord({ ...good, max_age: 0 }, cid).maxAge, 0);
  const bad: [string, unknown][] = [
    ["max_age -7", { ...good, max_age: -7 }],
    ["max_age 1.5", { ...good, max_age: 1.5 }],
    [
      "max_age Infinity (1e400 in JSON)",
      JSON.parse(
        `{"data": "${good.data}", "type": "text/plain", "cid": "${cid}", "max_age": 1e400}`,
      ),
    ],
    ["max_age NaN", { ...good, max_age: NaN }],
    ["max_age 2^53", { ...good, max_age: 2 ** 53 }],
    ['max_age "NaN"', { ...good, max_age: "NaN" }],
    ['max_age "5"', { ...good, max_age: "5" }],
    ['type ""', { ...good, type: "" }],
    ["type with CRLF", { ...good, type: "text/plain\r\nX: y" }],
    ["type not type/subtype", { ...good, type: "plain" }],
    ["type not a string", { ...good, type: 7 }],
    ["an array", [good]],
  ];
  for (const [name, record] of bad) {
    await t.step(name, () => {
      assertThrows(
        () => fromRecord(record, cid),
        StorageError,
        new RegExp(`Cannot read bob ${cid.replace(/[+.]/g, "\\$&")}: `),
      );
    });
  }
});

Deno.test("fileStorage() entry with max_age -7 reads as a StorageError, not data", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  try {
    const plugin = xmpp.registerPlugin("xep_0231");
    await plugin.api.bind(fileStorage({ dir }));
    await Deno.writeTextFile(
      `${dir}/${cid}`,
      `{"data": "${data.toBase64()}", "type": "text/plain", "cid": "${cid}", "max_age": -7}`,
    );
    await assertRejects(
      () => plugin.getBob({ cid }),
      StorageError,
      /max-age/,
    );
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("toRecord() keeps the canonical cid; fromRecord() matches a cid in any case", () => {
  const record = toRecord(bob("text/plain", { cid: upper }));
  assertStrictEquals(record.cid, cid);
  // A record written under either case reads back, canonical.
  const copy = { ...record };
  assertStrictEquals(fromRecord(copy, upper).cid, cid);
  assertStrictEquals(fromRecord({ ...copy, cid: upper }, cid).cid, cid);
});

Deno.test({
  name: "BobPlugin: a cid in any case names one entry",
  async fn() {
    const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
    try {
      const plugin = xmpp.registerPlugin("xep_0231");
      assertStrictEquals(
        await plugin.setBob(data, "text/plain", { cid: upper }),
        cid,
      );
      assertStrictEquals((await plugin.getBob({ cid })).cid, cid);
      assertStrictEquals((await plugin.getBob({ cid: upper })).cid, cid);
      await plugin.delBob(upper);
      await assertRejects(() => plugin.getBob({ cid }), Error, /no data/);
    } finally {
      await xmpp.stop();
    }
  },
});
