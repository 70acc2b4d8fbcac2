import { DenoConnection } from "../actors/connection/deno.ts";
import type { SaslMechanism } from "../src/sasl.ts";
import { saslPrep } from "../src/sasl.ts";
import { SASLError } from "../src/errors.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { assertEquals, assertRejects, assertThrows } from "./_helpers.ts";
import { fc, saslprep } from "./deps.ts";
import { builtinSaslPrep } from "../src/saslprep.ts";
import { pure } from "./support/property.ts";

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
          allowUnencrypted: true,
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

Deno.test("builtinSaslPrep() (the browser build's subset) agrees with @mongodb-js/saslprep on Latin, Hebrew, Arabic, spaces, controls and mapped characters", () => {
  const alphabet = [
    ..."aZ09 ~!é",
    "\u00A0",
    "\u2003",
    "\u3000",
    "\u00AD",
    "\u200B",
    "\uFEFF",
    "\u2168",
    "\uFB01",
    "\u0007",
    "\u0085",
    "\uE000",
    "\u05D0",
    "\u05D1",
    "\u0627",
    "\u0628",
    "\u0661",
    "\u0041\u030A",
    "\u2FF0",
    "\u200E",
  ];
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...alphabet), { maxLength: 8 }),
      (parts) => {
        const text = parts.join("");
        const ours = attempt(() => builtinSaslPrep(text));
        const theirs = attempt(() => saslprep(text, { allowUnassigned: true }));
        // The library crashes on a string that maps to nothing; we give "".
        if (theirs === "(crashed)") return;
        assertEquals(ours, theirs, JSON.stringify(text));
      },
    ),
    pure,
  );
});

function attempt(fn: () => string): string {
  try {
    return fn();
  } catch (e) {
    return /Cannot read properties/.test(String(e)) ? "(crashed)" : "(refused)";
  }
}
