import { DenoConnection } from "../actors/connection/deno.ts";
import type { SaslMechanism } from "../src/sasl.ts";
import { saslPrep } from "../src/sasl.ts";
import { SASLError } from "../src/errors.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { assertEquals, assertRejects, assertThrows } from "./_helpers.ts";

// Typed: soft hyphen (mapped to nothing), no-break space (to space),
// a + combining diaeresis (NFKC: ä), ROMAN NUMERAL NINE (NFKC: IX).
const TYPED = "I\u00ADX\u00A0pa\u0308sswo\u0308rd\u2168";
const PREPARED = "IX p\u00e4ssw\u00f6rdIX";

Deno.test("saslPrep() maps, normalizes and refuses as RFC 4013 says", () => {
  assertEquals(saslPrep(TYPED), PREPARED);
  assertEquals(saslPrep("user"), "user");
  assertThrows(() => saslPrep("a\u0007b"), SASLError); // control character
  assertThrows(
    () => new DenoConnection({ jid: "a@localhost", password: "x\u0000" }),
    TypeError,
  );
});

Deno.test({
  name:
    "SASLprep: a password with non-ASCII and mapped characters logs in (SCRAM-SHA-1 and PLAIN)",
  ignore: !hasProsody() && !requireServers(),
  async fn(t) {
    const server = await startProsody({ accounts: { dave: PREPARED } });
    try {
      for (const mech of ["SCRAM-SHA-1", "PLAIN"] as SaslMechanism[]) {
        await t.step(mech, async () => {
          const c = new DenoConnection({
            jid: "dave@localhost",
            password: TYPED,
            service: `xmpp://127.0.0.1:${server.c2sPort}`,
            tls: { starttls: false },
            allowPlainWithoutTls: true,
            saslMechanisms: [mech],
          });
          try {
            await c.start();
            assertEquals(c.actor.getSnapshot().context.mechanism, mech);
          } finally {
            await c.stop();
          }
        });
      }
      await t.step("a wrong password still fails", async () => {
        const c = new DenoConnection({
          jid: "dave@localhost",
          password: "IX p\u00e4ssw\u00f6rd",
          service: `xmpp://127.0.0.1:${server.c2sPort}`,
          tls: { starttls: false },
        });
        try {
          await assertRejects(c.start(), SASLError);
        } finally {
          await c.stop();
        }
      });
    } finally {
      await server.stop();
    }
  },
});
