/**
 * Property: whatever random peers send inline (`<data/>` in messages:
 * honest and forged bytes, any cid algorithm, repeated cids — ours among
 * them —, any type and max-age), our own entries never change, the peer
 * cache never exceeds its bounds, and every entry `getBob` returns hashes to
 * its cid under an algorithm we can check. Seed and runs: see
 * tests/support/property.ts.
 *
 * The stanzas go to the plugin actor as the connection machine hands
 * them over (`bob.inline`); tests/bob_trust_test.ts sends the same attacks
 * through Prosody.
 *
 * @module
 */
import { assert, assertStrictEquals, fc } from "./deps.ts";
import {
  type BobData,
  type BobPlugin,
  createClient,
  type Element,
  ItemNotFound,
  xml,
} from "../mod.ts";
import { createHash } from "node:crypto";
import { sequences } from "./support/property.ts";

const NS = "urn:xmpp:bob";
/** Spellings we verify, and node:crypto's name for each (the oracle). */
const VERIFIED: Array<[string, string]> = [
  ["sha1", "sha1"],
  ["sha-1", "sha1"],
  ["SHA-1", "sha1"],
  ["sha-224", "sha224"],
  ["sha224", "sha224"],
  ["sha-256", "sha256"],
  ["sha256", "sha256"],
  ["sha-384", "sha384"],
  ["sha384", "sha384"],
  ["sha-512", "sha512"],
  ["sha512", "sha512"],
];
const ORACLE = new Map(VERIFIED.map(([a, n]) => [a.toLowerCase(), n]));
const MAX_ENTRIES = 4;
const MAX_BYTES = 300;

function hexOf(nodeAlgo: string, data: Uint8Array): string {
  return createHash(nodeAlgo).update(data).digest("hex");
}

/** Whether `data` truly hashes to `cid` under a hash we verify. */
function verified(cid: string, data: Uint8Array): boolean {
  const m = /^([^+]+)\+([0-9a-f]+)@/i.exec(cid);
  const node = m && ORACLE.get(m[1].toLowerCase());
  return !!node && hexOf(node, data) === m![2].toLowerCase();
}

type Kind =
  | "honest"
  | "forged"
  | "md5"
  | "unknown"
  | "own"
  | "ownForged"
  | "repeat";
interface Cmd {
  kind: Kind;
  peer: string;
  algo: number;
  data: Uint8Array;
  other: Uint8Array;
  pick: number;
  type: string;
  maxAge: string | undefined;
  stanza: "message" | "presence";
}

// Small and large payloads, so that either bound (count or bytes) is the
// one reached.
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc.uint8Array({ maxLength: 160, size: "max" }),
);
const cmd: fc.Arbitrary<Cmd> = fc.record({
  kind: fc.constantFrom<Kind>(
    "honest",
    "honest",
    "honest",
    "forged",
    "md5",
    "unknown",
    "own",
    "ownForged",
    "repeat",
  ),
  peer: fc.constantFrom(
    "mallory@evil.example/x",
    "carol@localhost/c",
    "eve@evil.example/1",
  ),
  algo: fc.nat({ max: VERIFIED.length - 1 }),
  data: bytes,
  other: bytes,
  pick: fc.nat(),
  type: fc.constantFrom("text/plain", "text/html", "image/png"),
  maxAge: fc.constantFrom(undefined, "0", "1", "3600", "9999999999"),
  stanza: fc.constantFrom<"message" | "presence">("message", "presence"),
});
const ownEntry = fc.record({
  algo: fc.nat({ max: VERIFIED.length - 1 }),
  data: bytes,
  type: fc.constantFrom("image/png", "text/plain"),
  maxAge: fc.constantFrom(undefined, 0, 86400),
});

function nextOutcome(bob: BobPlugin): Promise<"data" | "rejected"> {
  return new Promise((resolve) => {
    const offs = [
      bob.on("bob.data", () => done("data")),
      bob.on("bob.rejected", () => done("rejected")),
    ];
    const done = (o: "data" | "rejected") => {
      for (const off of offs) off();
      resolve(o);
    };
  });
}

function deliver(bob: BobPlugin, stanza: Element): void {
  // As the connection machine hands it over (replyTo unused for inline).
  bob.actor.send({ type: "bob.inline", stanza, replyTo: bob.actor });
}

const same = (a: BobData, b: BobData) =>
  a.cid === b.cid && a.type === b.type && a.maxAge === b.maxAge &&
  a.data.toHex() === b.data.toHex();

Deno.test("property: inline <data/> from random peers never changes own entries, stays within the peer cache bounds, returns only verified data", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(ownEntry, {
        minLength: 1,
        maxLength: 3,
        selector: (e) => e.data.toHex(),
      }),
      fc.array(cmd, { minLength: 1, maxLength: 25 }),
      async (owns, cmds) => {
        const xmpp = createClient({ jid: "alice@localhost/a" });
        try {
          const bob = xmpp.registerPlugin("xep_0231", {
            peerCache: { maxEntries: MAX_ENTRIES, maxBytes: MAX_BYTES },
          });
          const own: BobData[] = [];
          for (const o of owns) {
            const [algo, node] = VERIFIED[o.algo];
            const cid = `${algo}+${hexOf(node, o.data)}@bob.xmpp.org`;
            const opts = o.maxAge === undefined
              ? { cid }
              : { cid, maxAge: o.maxAge };
            await bob.setBob(o.data, o.type, opts);
            // max-age 0 is stored too (it only tells peers not to cache).
            own.push(await bob.getBob({ cid }));
          }
          const sent = new Set<string>(own.map((b) => b.cid));
          const peerCids: Array<{ cid: string; data: Uint8Array }> = [];
          for (const c of cmds) {
            const [algo, node] = VERIFIED[c.algo];
            let cid: string, data: Uint8Array;
            switch (c.kind) {
              case "honest":
                cid = `${algo}+${hexOf(node, c.data)}@bob.xmpp.org`;
                data = c.data;
                break;
              case "forged":
                cid = `${algo}+${hexOf(node, c.other)}@bob.xmpp.org`;
                data = c.data;
                break;
              case "md5":
                cid = `md5+${hexOf("md5", c.data)}@bob.xmpp.org`;
                data = c.data;
                break;
              case "unknown":
                cid = `foo-7+${hexOf("sha1", c.data)}@bob.xmpp.org`;
                data = c.data;
                break;
              case "own":
              case "ownForged": {
                const o = own[c.pick % own.length];
                cid = c.pick % 2 ? o.cid.toUpperCase() : o.cid;
                data = c.kind === "own" ? o.data : c.other;
                break;
              }
              case "repeat": {
                if (peerCids.length === 0) continue;
                ({ cid, data } = peerCids[c.pick % peerCids.length]);
                break;
              }
            }
            const honest = verified(cid, data);
            if (honest) peerCids.push({ cid, data });
            sent.add(cid.toLowerCase());
            const attrs: Record<string, string> = {
              xmlns: NS,
              cid,
              type: c.type,
            };
            if (c.maxAge !== undefined) attrs["max-age"] = c.maxAge;
            const outcome = nextOutcome(bob);
            deliver(
              bob,
              xml(
                c.stanza,
                { from: c.peer, to: "alice@localhost/a" },
                xml("data", attrs, data.toBase64()),
              ),
            );
            assertStrictEquals(
              await outcome,
              honest ? "data" : "rejected",
              cid,
            );

            // Own entries: unchanged, through the facade and in storage.
            for (const o of own) {
              assert(same(await bob.getBob({ cid: o.cid }), o), o.cid);
              const stored = await bob.api.run<BobData>("get_bob", {
                args: o.cid,
              });
              assert(same(stored, o), `stored ${o.cid}`);
            }
            // Bounds.
            const stats = bob.peerCache;
            assert(stats.entries <= MAX_ENTRIES, JSON.stringify(stats));
            assert(stats.bytes <= MAX_BYTES, JSON.stringify(stats));
            // Whatever getBob returns is verified data.
            for (const s of sent) {
              const got = await bob.getBob({ cid: s }).catch((e) => {
                if (e instanceof ItemNotFound) return undefined;
                throw e;
              });
              if (got !== undefined) assert(verified(s, got.data), s);
            }
          }
        } finally {
          await xmpp.stop();
        }
      },
    ),
    // No shrinking: byte arrays shrink slowly, and a first counterexample
    // (with the seed) is enough to replay.
    { ...sequences, endOnFailure: true },
  );
});
