/**
 * Property test of the XEP-0198 ack path (`actors/connection/sm.ts`) driven
 * by a random peer: random sequences of sends, acks with valid and invalid
 * `h` (too high, backwards, anywhere in 0…2³²−1), link cuts with resumes
 * and failed resumes, from counters anywhere (near 2³² too, so `h` wraps).
 *
 * Invariants: what is acknowledged is a prefix of what was sent, in order,
 * each stanza once; nothing is both acknowledged and lost; every stanza
 * sent ends up acknowledged, lost (reported) or still held, exactly once;
 * an invalid `h` acknowledges nothing and writes a `handled-count-too-high`
 * stream error; a valid one acknowledges exactly what it says.
 *
 * Seeded and bounded as every property test (tests/support/property.ts).
 *
 * @module
 */
import { assert, assertEquals, fc } from "./deps.ts";
import { type Element, xml } from "../src/deps.ts";
import { streamManagement } from "../actors/connection/sm.ts";
import { harness } from "./support/harness.ts";
import { sequences } from "./support/property.ts";

const MOD = 2 ** 32;

type Peer =
  | { op: "send"; n: number }
  | { op: "ack"; h: HChoice }
  | { op: "resume"; h: HChoice }
  | { op: "fail"; h?: HChoice }
  | { op: "restart" };

/** How the peer picks an `h`, relative to what it was sent. */
type HChoice =
  | { kind: "valid"; r: number }
  | { kind: "high"; x: number }
  | { kind: "back"; y: number }
  | { kind: "any"; h: number };

const hChoice: fc.Arbitrary<HChoice> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("valid" as const), r: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("high" as const), x: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("back" as const),
      y: fc.nat({ max: 20 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("any" as const),
      h: fc.nat({ max: MOD - 1 }),
    }),
  },
);

const peer: fc.Arbitrary<Peer> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("send" as const),
      n: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("ack" as const), h: hChoice }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("resume" as const), h: hChoice }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { op: fc.constant("fail" as const), h: hChoice },
      { requiredKeys: ["op"] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("restart" as const) }) },
);

/** The `h` a choice stands for, given the last ack and the pending count. */
function pick(c: HChoice, acked: number, pending: number): number {
  switch (c.kind) {
    case "valid":
      return (acked + (c.r % (pending + 1))) % MOD;
    case "high":
      // anything past what was sent, up to just before the last ack
      return (acked + pending + 1 + (c.x % (MOD - pending - 1))) % MOD;
    case "back":
      return (acked - 1 - c.y + MOD) % MOD;
    case "any":
      return c.h;
  }
}

const ids = (ss: unknown) => (ss as Element[]).map((s) => Number(s.attrs.id));

Deno.test("XEP-0198 ack path property: a random peer never gets an invalid h counted, nothing acked and lost, nothing lost silently", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.nat({ max: MOD - 1 }),
        fc.integer({ min: MOD - 8, max: MOD - 1 }),
      ),
      fc.array(peer, { maxLength: 60 }),
      (start, steps) => {
        const h = harness(streamManagement, {
          ackEvery: 1_000_000,
          ackInterval: 2 ** 31 - 1,
          maxUnacked: 1_000_000,
          state: {
            id: "s",
            jid: "a@b/c",
            handled: 0,
            acked: start,
            unacked: [],
          },
        });
        try {
          const sm = h.child;
          sm.send({ type: "sm.resumed", h: start });
          // the model
          let acked = start;
          let unacked: number[] = [];
          let enabled = true;
          let next = 0;
          const sentWhileEnabled: number[] = [];
          const ackedSeen: number[] = [];
          const lostSeen: number[] = [];
          for (const step of steps) {
            const from = h.seen.length;
            let expectInvalid = false;
            let expectAcked = 0;
            const lostSeenExpect: number[] = [];
            const judge = (value: number) => {
              const d = (value - acked + MOD) % MOD;
              if (d > unacked.length) {
                expectInvalid = true;
                lostSeenExpect.push(...unacked);
                unacked = [];
                enabled = false;
              } else {
                expectAcked = d;
                unacked = unacked.slice(d);
                acked = value;
              }
            };
            switch (step.op) {
              case "send":
                for (let i = 0; i < step.n; i++) {
                  const id = next++;
                  sm.send({
                    type: "sm.sent",
                    stanza: xml("message", { id: String(id) }),
                  });
                  if (enabled) {
                    unacked.push(id);
                    sentWhileEnabled.push(id);
                  }
                }
                break;
              case "ack": {
                if (!enabled) {
                  sm.send({ type: "sm.a", h: 0 });
                  break;
                }
                const value = pick(step.h, acked, unacked.length);
                judge(value);
                sm.send({ type: "sm.a", h: value });
                break;
              }
              case "resume": {
                if (!enabled) break;
                sm.send({ type: "sm.offline" });
                sm.send({ type: "sm.resume", id: "s" });
                const value = pick(step.h, acked, unacked.length);
                judge(value);
                sm.send({ type: "sm.resumed", h: value });
                break;
              }
              case "fail": {
                if (!enabled) break;
                sm.send({ type: "sm.offline" });
                const value = step.h === undefined
                  ? undefined
                  : pick(step.h, acked, unacked.length);
                if (value !== undefined) judge(value);
                if (!expectInvalid) {
                  lostSeenExpect.push(...unacked);
                  unacked = [];
                  enabled = false;
                }
                sm.send({
                  type: "sm.failed",
                  ...(value !== undefined ? { h: value } : {}),
                  error: new Error("failed"),
                });
                break;
              }
              case "restart":
                sm.send({ type: "sm.enable" });
                sm.send({ type: "sm.enabled" });
                lostSeenExpect.push(...unacked);
                unacked = [];
                acked = 0;
                enabled = true;
                break;
            }
            const events = h.seen.slice(from);
            const stepAcked = events.filter((e) => e.type === "sm.acked")
              .flatMap((e) => ids(e.stanzas));
            const stepLost = events.filter((e) => e.type === "sm.lost")
              .flatMap((e) => ids(e.stanzas));
            const tooHigh = events.some((e) =>
              e.type === "sm.write" &&
              (e.elements as Element[]).some((el) =>
                el.name === "stream:error" &&
                el.getChild("handled-count-too-high", "urn:xmpp:sm:3") !==
                  undefined
              )
            );
            if (expectInvalid) {
              assertEquals(stepAcked, [], "an invalid h acks nothing");
              assert(tooHigh, "an invalid h is a stream error");
              assert(events.some((e) => e.type === "sm.error"));
            } else {
              assert(!tooHigh, "a valid h is no error");
              assertEquals(stepAcked.length, expectAcked);
            }
            assertEquals(stepLost, lostSeenExpect);
            ackedSeen.push(...stepAcked);
            lostSeen.push(...stepLost);
          }
          // acked ⊆ sent, in order, once
          const order = new Map(sentWhileEnabled.map((id, i) => [id, i]));
          for (let i = 0; i < ackedSeen.length; i++) {
            assert(order.has(ackedSeen[i]), "acked was sent");
            if (i) {
              assert(order.get(ackedSeen[i])! > order.get(ackedSeen[i - 1])!);
            }
          }
          // nothing both acked and lost; everything accounted for once
          const lost = new Set(lostSeen);
          assert(ackedSeen.every((id) => !lost.has(id)));
          let held: string[] = [];
          h.child.send({
            type: "sm.snapshot",
            id: "s",
            jid: "a@b/c",
            reply: (s: { unacked: string[] }) => held = s.unacked,
          });
          assertEquals(held.length, unacked.length);
          assertEquals(
            [...ackedSeen, ...lostSeen, ...unacked].sort((a, b) => a - b),
            [...sentWhileEnabled].sort((a, b) => a - b),
          );
        } finally {
          h.stop();
        }
      },
    ),
    sequences,
  );
});
