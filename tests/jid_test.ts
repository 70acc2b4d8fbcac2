import { assert, assertEquals, assertThrows } from "./_helpers.ts";
import {
  bareJid,
  formatJid,
  jidEquals,
  normalizeJid,
  parseJid,
} from "../src/jid.ts";

Deno.test("parseJid() splits and normalizes local, domain and resource", () => {
  assertEquals(parseJid("Alice@LocalHost/Lap/top"), {
    local: "alice",
    domain: "localhost",
    resource: "Lap/top",
  });
  assertEquals(parseJid("localhost"), { domain: "localhost" });
  assertEquals(parseJid("example.org."), { domain: "example.org" });
  assertEquals(parseJid("bob@localhost"), {
    local: "bob",
    domain: "localhost",
  });
  assertEquals(parseJid("localhost/r@x"), {
    domain: "localhost",
    resource: "r@x",
  });
});

Deno.test("parseJid() rejects invalid JIDs", async (t) => {
  for (
    const bad of [
      "",
      "@localhost",
      "alice@",
      "alice@localhost/",
      "a b@localhost",
      "a<b@localhost",
      "alice@local host",
      "x".repeat(1024) + "@localhost",
    ]
  ) {
    await t.step(JSON.stringify(bad.slice(0, 20)), () => {
      assertThrows(() => parseJid(bad), TypeError);
    });
  }
});

Deno.test("formatJid()/bareJid()/normalizeJid() format and strip resources", () => {
  assertEquals(
    formatJid({ local: "a", domain: "b", resource: "c" }),
    "a@b/c",
  );
  assertEquals(formatJid({ domain: "b" }), "b");
  assertEquals(bareJid("Alice@Localhost/x"), "alice@localhost");
  assertEquals(bareJid("localhost/x"), "localhost");
  assertEquals(normalizeJid("BOB@LOCALHOST/R"), "bob@localhost/R");
});

Deno.test("jidEquals() compares normalized JIDs; resources are case-sensitive", () => {
  assert(jidEquals("alice@LOCALHOST/r", "Alice@localhost/r"));
  assert(!jidEquals("alice@localhost/r", "alice@localhost/R"));
  assert(!jidEquals("alice@localhost", "alice@localhost/r"));
  assert(!jidEquals(undefined, "alice@localhost"));
  assert(!jidEquals("", ""));
  assert(jidEquals(parseJid("a@b"), "A@B"));
});
