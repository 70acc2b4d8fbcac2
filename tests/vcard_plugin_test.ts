/**
 * xep_0054, xep_0153, xep_0012, xep_0319 without a server: every op
 * overridden by name, storage keys, a hot swap memory → file with nothing
 * lost, the presence hook, and the pure helpers' refusals.
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import {
  createClient,
  definePlugin,
  fileStorage,
  memoryStorage,
  xml,
} from "../mod.ts";
import {
  avatarHash,
  emptyVcard,
  jidKey,
  NS_VCARD_UPDATE,
  photoOf,
  vcardFromText,
  vcardWithPhoto,
} from "../src/vcard.ts";
import { NS_IDLE, parseDateTime, parseSeconds } from "../src/idle.ts";
import { isFileKey } from "../actors/storage/file.ts";

const JID = "alice@localhost/a";

function card(fn: string) {
  const v = emptyVcard();
  v.append(xml("FN", {}, fn));
  return v;
}

Deno.test("every op of xep_0054/0153/0012/0319 can be overridden by name", async (t) => {
  const xmpp = createClient({ jid: JID });
  try {
    const vcard = xmpp.registerPlugin("xep_0054");
    const avatar = xmpp.registerPlugin("xep_0153");
    const last = xmpp.registerPlugin("xep_0012");
    const idle = xmpp.registerPlugin("xep_0319");
    const calls: unknown[][] = [];
    const spy = (name: string, result?: unknown) =>
    (
      jid: string | undefined,
      node: string | undefined,
      ifrom: string | undefined,
      args: unknown,
    ) => {
      calls.push([name, jid, node, ifrom, args]);
      return result;
    };

    await t.step("xep_0054 get_vcard, set_vcard, del_vcard", async () => {
      vcard.api.register(spy("get_vcard", card("From override")), "get_vcard");
      assertStrictEquals(
        (await vcard.getVcard()).getChildText("FN"),
        "From override",
      );
      vcard.api.register(spy("set_vcard"), "set_vcard");
      const mine = card("x");
      await vcard.api.run("set_vcard", { jid: "bob@localhost", args: mine });
      vcard.api.register(spy("del_vcard"), "del_vcard");
      await vcard.api.run("del_vcard", { jid: "bob@localhost" });
      assertEquals(calls.map((c) => c[0]), [
        "get_vcard",
        "set_vcard",
        "del_vcard",
      ]);
      // slixmpp's argument order: (jid, node, ifrom, args).
      assertEquals(calls[1].slice(1), [
        "bob@localhost",
        undefined,
        undefined,
        mine,
      ]);
      // Our own vCard is read for the client's JID.
      assertStrictEquals(calls[0][1], JID);
      // An override that returns something else is refused.
      vcard.api.register(() => "not a vCard", "get_vcard");
      await assertRejects(() => vcard.getVcard(), Error, /no vCard/);
      calls.length = 0;
    });

    await t.step("xep_0153 get_hash, set_hash, reset_hash", async () => {
      const h = avatarHash(new Uint8Array([1, 2, 3]));
      avatar.api.register(spy("get_hash", h), "get_hash");
      assertStrictEquals(await avatar.getHash("bob@localhost"), h);
      avatar.api.register(spy("set_hash"), "set_hash");
      await avatar.api.run("set_hash", { jid: "bob@localhost", args: h });
      avatar.api.register(spy("reset_hash"), "reset_hash");
      await avatar.resetHash("bob@localhost");
      assertEquals(calls.map((c) => c[0]), [
        "get_hash",
        "set_hash",
        "reset_hash",
      ]);
      assertEquals(calls[1].slice(1), [
        "bob@localhost",
        undefined,
        undefined,
        h,
      ]);
      avatar.api.register(() => "not a hash", "get_hash");
      await assertRejects(
        () => avatar.getHash("bob@localhost"),
        Error,
        /no hash/,
      );
      calls.length = 0;
    });

    await t.step("xep_0012 get/set/del_last_activity", async () => {
      last.api.register(
        spy("get_last_activity", { seconds: 42, status: "away" }),
        "get_last_activity",
      );
      assertEquals(await last.getLastActivity(), {
        seconds: 42,
        status: "away",
      });
      last.api.register(spy("set_last_activity"), "set_last_activity");
      await last.setLastActivity({ seconds: 5, status: "s" });
      last.api.register(spy("del_last_activity"), "del_last_activity");
      await last.delLastActivity();
      assertEquals(calls.map((c) => c[0]), [
        "get_last_activity",
        "set_last_activity",
        "del_last_activity",
      ]);
      assertEquals(calls[1][4], { seconds: 5, status: "s" });
      last.api.register(() => ({ seconds: -1 }), "get_last_activity");
      await assertRejects(() => last.getLastActivity(), Error, /seconds/);
      calls.length = 0;
    });

    await t.step("xep_0319 get_idle, set_idle", async () => {
      last.api.restoreDefault("set_last_activity");
      const since = new Date("2026-12-07T16:00:00Z");
      idle.api.register(spy("get_idle", since), "get_idle");
      assertStrictEquals(await idle.getIdle(), since);
      idle.api.register(spy("set_idle"), "set_idle");
      await idle.idle(since);
      assertEquals(calls.map((c) => c[0]), ["get_idle", "set_idle"]);
      assertEquals(calls[1].slice(2), [undefined, undefined, since]);
      idle.api.register(() => "yesterday", "get_idle");
      await assertRejects(() => idle.getIdle(), Error, /no Date/);
    });
  } finally {
    await xmpp.stop();
  }
});

Deno.test("the default ops keep state in storage under keys safe as file names", async () => {
  const xmpp = createClient({ jid: JID });
  try {
    const vcard = xmpp.registerPlugin("xep_0054");
    const avatar = xmpp.registerPlugin("xep_0153");
    const last = xmpp.registerPlugin("xep_0012");
    const idle = xmpp.registerPlugin("xep_0319");
    await vcard.api.run("set_vcard", {
      jid: "Bob@Localhost/phone",
      args: card("Bob"),
    });
    // Keyed by bare JID, case-folded: any resource reads it.
    assertStrictEquals(
      (await vcard.getVcard("bob@localhost/other", { local: true }))
        .getChildText("FN"),
      "Bob",
    );
    await vcard.api.run("del_vcard", { jid: "bob@localhost" });
    assertStrictEquals(
      (await vcard.getVcard("bob@localhost", { local: true })).children.length,
      0,
    );
    // A hash that is not a SHA-1 digest is refused by set_hash.
    await assertRejects(
      () => avatar.api.run("set_hash", { jid: "bob@localhost", args: "../x" }),
      Error,
      /SHA\-1/,
    );
    await last.setLastActivity({ seconds: 1000, status: "gone" });
    const got = await last.getLastActivity();
    assert(got.seconds >= 1000, `seconds ${got.seconds}`);
    assertStrictEquals(got.status, "gone");
    await last.delLastActivity();
    await assertRejects(
      () => last.getLastActivity(),
      Error,
      /No last activity/,
    );
    await idle.idle(new Date("2026-12-07T16:00:00Z"));
    await idle.active();
    assertStrictEquals(await idle.getIdle(), undefined);
  } finally {
    await xmpp.stop();
  }
  for (
    const jid of [
      "alice@localhost/a/b",
      ".hidden@localhost",
      "a\\5cb@localhost/..",
      "x%2Fy@localhost",
    ]
  ) {
    const key = jidKey(jid);
    assert(isFileKey(key), `${jid} → ${key}`);
  }
  // One key per JID: escaping keeps them apart.
  assertStrictEquals(jidKey("x%2Fy@localhost"), "x%252fy@localhost");
  assertStrictEquals(jidKey("x@localhost/y"), "x@localhost%2Fy");
  // A JID may be 3 × 1023 bytes, a file name 255: a long one is keyed by its
  // hash, still a file name, still one key per JID.
  const long = (c: string, n = 1000) =>
    `${c.repeat(n)}@localhost/${"r".repeat(900)}`;
  for (const jid of [long("a"), long("b"), long("é", 500)]) {
    assert(isFileKey(jidKey(jid)), jid.slice(0, 20));
  }
  assert(jidKey(long("a")) !== jidKey(long("b")));
  assertStrictEquals(jidKey(long("a")), jidKey(long("A")));
});

Deno.test("hot swap memory → file with live migration loses no vCard, hash, last activity or idle", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: JID });
  try {
    const vcard = xmpp.registerPlugin("xep_0054");
    const avatar = xmpp.registerPlugin("xep_0153");
    const last = xmpp.registerPlugin("xep_0012");
    const idle = xmpp.registerPlugin("xep_0319");
    const h = avatarHash(new Uint8Array([9]));
    for (let i = 0; i < 50; i++) {
      await vcard.api.run("set_vcard", {
        jid: `u${i}@localhost`,
        args: card(`User ${i}`),
      });
      await avatar.api.run("set_hash", { jid: `u${i}@localhost`, args: h });
    }
    const since = new Date("2026-12-07T16:00:00Z");
    await idle.idle(since); // sets our last activity too (no status)
    await last.setLastActivity({ seconds: 7, status: "here" });
    // Calls made during the migration are served too.
    const during = Promise.all([
      vcard.api.run("set_vcard", { jid: "late@localhost", args: card("Late") }),
      vcard.getVcard("u3@localhost", { local: true }),
    ]);
    await Promise.all([
      vcard.api.bind(fileStorage({ dir: `${dir}/vcard` }), { migrate: true }),
      avatar.api.bind(fileStorage({ dir: `${dir}/avatar` }), { migrate: true }),
      last.api.bind(fileStorage({ dir: `${dir}/last` }), { migrate: true }),
      idle.api.bind(fileStorage({ dir: `${dir}/idle` }), { migrate: true }),
    ]);
    assertStrictEquals((await during)[1].getChildText("FN"), "User 3");
    for (let i = 0; i < 50; i++) {
      const v = await vcard.getVcard(`u${i}@localhost`, { local: true });
      assertStrictEquals(v.getChildText("FN"), `User ${i}`);
      assertStrictEquals(await avatar.getHash(`u${i}@localhost`), h);
    }
    assertStrictEquals(
      (await vcard.getVcard("late@localhost", { local: true })).getChildText(
        "FN",
      ),
      "Late",
    );
    assertStrictEquals((await last.getLastActivity()).status, "here");
    assertEquals(await idle.getIdle(), since);
    // And it is on disk, one file per key.
    const files = [...Deno.readDirSync(`${dir}/vcard`)].map((e) => e.name);
    assert(files.includes("u7@localhost"), files.join(","));
    assert(files.includes("late@localhost"));
    // Back to memory: still nothing lost.
    await vcard.api.bind(memoryStorage(), { migrate: true });
    assertStrictEquals(
      (await vcard.getVcard("u49@localhost", { local: true })).getChildText(
        "FN",
      ),
      "User 49",
    );
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a vCard file tampered on disk is refused on read, not served", async () => {
  const dir = await Deno.makeTempDir();
  const xmpp = createClient({ jid: JID });
  try {
    const vcard = xmpp.registerPlugin("xep_0054");
    await vcard.api.bind(fileStorage({ dir }));
    await vcard.api.run("set_vcard", { jid: "bob@localhost", args: card("B") });
    await Deno.writeTextFile(
      `${dir}/bob@localhost`,
      JSON.stringify(
        '<!DOCTYPE x [<!ENTITY a "b">]><vCard xmlns="vcard-temp"/>',
      ),
    );
    await assertRejects(
      () => vcard.getVcard("bob@localhost", { local: true }),
      Error,
      /not one vCard/,
    );
  } finally {
    await xmpp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("presence hook: plugins' children in available presences, none duplicated, resendPresence", async () => {
  const xmpp = createClient({ jid: JID });
  const sent: string[] = [];
  try {
    const idle = xmpp.registerPlugin("xep_0319");
    let host: { resendPresence(): void } | undefined;
    xmpp.registerPlugin(definePlugin({
      name: "probe",
      presence: () => [xml("c", { xmlns: "urn:probe" })],
      create: (p) => {
        host = p.host;
      },
    }));
    // Record what reaches the connection (offline: queued in order).
    const conn = xmpp.connection as unknown as { send(el: unknown): void };
    const original = conn.send.bind(conn);
    conn.send = (el) => {
      sent.push(String(el));
      original(el);
    };
    xmpp.send(xml("presence", {}, xml("show", {}, "away")));
    assert(sent[0].includes('<c xmlns="urn:probe"/>'), sent[0]);
    assert(!sent[0].includes(NS_IDLE), "not idle yet");
    // Not in unavailable presences nor messages.
    xmpp.send(xml("presence", { type: "unavailable" }));
    xmpp.send(xml("message", { to: "bob@localhost" }, xml("body", {}, "hi")));
    assert(!sent[1].includes("urn:probe") && !sent[2].includes("urn:probe"));
    // After an unavailable presence there is nothing to re-send: going
    // idle must not make the user available again.
    const before = sent.length;
    await idle.idle(new Date("2026-12-07T15:00:00Z"));
    assertStrictEquals(sent.length, before);
    xmpp.send(xml("presence", {}, xml("show", {}, "away")));
    assert(sent.at(-1)!.includes('since="2026-12-07T15:00:00Z"'), sent.at(-1));
    // Going idle re-sends the last broadcast presence with <idle/>.
    await idle.idle(new Date("2026-12-07T16:00:00Z"));
    const again = sent.at(-1)!;
    assert(again.includes("<show>away</show>"), again);
    assert(again.includes('since="2026-12-07T16:00:00Z"'), again);
    // A child the user put there is not added twice.
    xmpp.send(
      xml(
        "presence",
        { to: "bob@localhost/b" },
        xml("c", { xmlns: "urn:probe" }),
      ),
    );
    assertStrictEquals(sent.at(-1)!.split("urn:probe").length, 2);
    // A directed presence is not what resendPresence re-sends.
    host!.resendPresence();
    assert(!sent.at(-1)!.includes('to="bob@localhost/b"'), sent.at(-1));
  } finally {
    await xmpp.stop();
  }
  // No presence sent yet: nothing to re-send.
  const fresh = createClient({ jid: JID });
  try {
    let host: { resendPresence(): void } | undefined;
    fresh.registerPlugin(definePlugin({
      name: "probe",
      presence: () => [xml("c", { xmlns: "urn:probe" })],
      create: (p) => {
        host = p.host;
      },
    }));
    const none: unknown[] = [];
    const conn = fresh.connection as unknown as { send(el: unknown): void };
    conn.send = (el) => void none.push(el);
    host!.resendPresence();
    assertStrictEquals(none.length, 0);
  } finally {
    await fresh.stop();
  }
});

Deno.test("avatar presence: empty <x/> until our hash is known, then <photo>", async () => {
  const xmpp = createClient({ jid: JID });
  try {
    const avatar = xmpp.registerPlugin("xep_0153");
    const sent: string[] = [];
    const conn = xmpp.connection as unknown as { send(el: unknown): void };
    const original = conn.send.bind(conn);
    conn.send = (el) => {
      sent.push(String(el));
      original(el);
    };
    xmpp.send(xml("presence"));
    assert(sent[0].includes(`<x xmlns="${NS_VCARD_UPDATE}"/>`), sent[0]);
    const h = avatarHash(new Uint8Array([7]));
    avatar.api.register(() => h, "get_hash");
    avatar.api.register(() => {}, "reset_hash");
    await avatar.resetHash();
    assert(sent.at(-1)!.includes(`<photo>${h}</photo>`), sent.at(-1));
  } finally {
    await xmpp.stop();
  }
});

Deno.test("pure helpers refuse malformed input", () => {
  const bad = vcardWithPhoto(emptyVcard(), { data: new Uint8Array([1]) });
  bad.getChild("PHOTO")!.getChild("BINVAL")!.children = ["%%%not base64"];
  assertThrows(() => photoOf(bad), TypeError, /not base64/);
  assertThrows(() => vcardFromText("<a/><b/>"), TypeError);
  assertThrows(() => vcardFromText('<vCard xmlns="other"/>'), TypeError);
  assertThrows(() => vcardFromText(42), TypeError);
  assertThrows(
    () =>
      vcardFromText(
        `<vCard xmlns="vcard-temp">${"x".repeat(2000)}</vCard>`,
        1000,
      ),
    TypeError,
  );
  for (const s of ["", "-1", "1.5", "1e3", "9999999999999999", " 1"]) {
    assertThrows(() => parseSeconds(s), TypeError);
  }
  for (
    const s of [
      "yesterday",
      "2026-12-07",
      "2026-13-40T99:00:00Z",
      "2026-12-07T16:00:00",
    ]
  ) {
    assertThrows(() => parseDateTime(s), TypeError);
  }
});
