/**
 * Limits on what goes in and out of a session, against a real Prosody: an
 * incoming stanza nested too deep is skipped and reported as a
 * `policy-violation` error (it never reaches user code, the session stays
 * up), and an outgoing stanza that the server
 * would reject (forbidden characters, too large, too deep, a raw string) is
 * refused by `send()`/`iq()` while the session stays up.
 *
 * @module
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import type {
  Connection,
  ConnectionOptions,
} from "../actors/connection/connection.ts";
import { type Element, xml } from "../src/deps.ts";
import { StanzaError } from "../src/errors.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "./_helpers.ts";

const ignore = !hasProsody() && !requireServers();

function ping(): Element {
  return xml(
    "iq",
    { type: "get", to: "localhost" },
    xml("ping", { xmlns: "urn:xmpp:ping" }),
  );
}

function deep(depth: number): Element {
  const root = xml("message", { to: "bob@localhost/deep", type: "chat" });
  let el = root;
  for (let i = 1; i < depth; i++) {
    const child = xml("x");
    el.append(child);
    el = child;
  }
  return root;
}

/** A deep stanza as raw text (no recursion needed to build it). */
function deepText(to: string, depth: number): string {
  return `<message to='${to}' type='chat'>${"<x>".repeat(depth)}${
    "</x>".repeat(depth)
  }</message>`;
}

Deno.test({
  name: "Connection limits against a real Prosody",
  ignore,
  async fn(t) {
    const server = await startProsody();
    const open: Connection[] = [];
    const make = (jid: string, extra: Partial<ConnectionOptions> = {}) => {
      const c = new DenoConnection({
        jid,
        password: "pw",
        service: `xmpp://127.0.0.1:${server.c2sPort}`,
        tls: { caCerts: [server.caPem] },
        reconnect: { enabled: false },
        ...extra,
      });
      open.push(c);
      return c;
    };
    try {
      await t.step(
        "a 10,000-deep stanza from a contact is skipped: no listener sees it, the session stays up",
        async () => {
          const alice = make("alice@localhost/deep");
          const bob = make("bob@localhost/deep");
          await Promise.all([alice.start(), bob.start()]);
          const seen: string[] = [];
          bob.on("stanza", (s) => seen.push(s.toString()));
          const statuses: string[] = [];
          bob.on("status", (s) => statuses.push(s));
          const reported = new Promise<Error>((r) => bob.on("error", r));
          // The raw text goes past the facade's own check, as a hostile
          // client's would.
          alice.actor.send({
            type: "connection.send",
            stanza: {
              toString: () => deepText("bob@localhost/deep", 10_000),
            } as unknown as Element,
          });
          const error = await reported;
          assertEquals(seen, []);
          assert(error instanceof StanzaError, String(error));
          assertEquals(error.condition, "policy-violation");
          assert(/depth/.test(error.message), error.message);
          assertEquals(statuses, []);
          assertEquals((await bob.iq(ping())).attrs.type, "result");
          assertEquals((await alice.iq(ping())).attrs.type, "result");
          await alice.stop();
          await bob.stop();
        },
      );

      await t.step(
        "a stanza at the depth limit is delivered",
        async () => {
          const alice = make("alice@localhost/d2");
          const bob = make("bob@localhost/d2", { maxStanzaDepth: 40 });
          await Promise.all([alice.start(), bob.start()]);
          const got = new Promise<Element>((r) =>
            bob.on("stanza", (s) => s.name === "message" && r(s))
          );
          const m = deep(40);
          m.attrs.to = "bob@localhost/d2";
          alice.send(m);
          assertEquals((await got).getChild("x")?.name, "x");
          assertEquals(bob.status, "online");
          await alice.stop();
          await bob.stop();
        },
      );

      await t.step(
        "send() refuses what the server would kill the session for, and the session stays usable",
        async () => {
          const alice = make("alice@localhost/out");
          const bob = make("bob@localhost/out");
          await Promise.all([alice.start(), bob.start()]);
          const msg = (body: string) =>
            xml(
              "message",
              { to: "bob@localhost/out", type: "chat" },
              xml("body", {}, body),
            );
          for (const body of ["a\u0000b", "\u0001", "\uFFFE", "x\uD800y"]) {
            assertThrows(() => alice.send(msg(body)), TypeError, /XML 1\.0/);
          }
          assertThrows(
            () =>
              alice.send(
                xml("message", { to: "bob@localhost/out", id: "a\u0000" }),
              ),
            TypeError,
            /XML 1\.0/,
          );
          assertThrows(
            () => alice.send(msg("x".repeat(2 * 1024 * 1024))),
            RangeError,
            /bytes/,
          );
          assertThrows(() => alice.send(deep(5000)), RangeError, /depth/);
          assertThrows(
            () => alice.send("<presence/>" as unknown as Element),
            TypeError,
          );
          await assertRejects(
            alice.iq(
              xml(
                "iq",
                { type: "get", to: "localhost" },
                xml("ping", { xmlns: "urn:xmpp:ping" }, "\u0000"),
              ),
            ),
            TypeError,
          );
          // still online, and usable
          assertEquals(alice.status, "online");
          assertEquals((await alice.iq(ping())).attrs.type, "result");
          const got = new Promise<string>((r) =>
            bob.on("stanza", (s) => {
              if (s.name === "message") r(s.getChildText("body") ?? "");
            })
          );
          alice.send(msg("still here \u{1F600}"));
          assertEquals(await got, "still here \u{1F600}");
          assertEquals(alice.status, "online");
          await alice.stop();
          await bob.stop();
        },
      );

      await t.step(
        "a handler's reply that cannot be sent becomes internal-server-error",
        async () => {
          const alice = make("alice@localhost/h");
          const bob = make("bob@localhost/h");
          await Promise.all([alice.start(), bob.start()]);
          const errors: Error[] = [];
          bob.on("error", (e) => errors.push(e));
          bob.handle(
            "iq",
            { type: "get", xmlns: "urn:example:nul" },
            () => xml("q", { xmlns: "urn:example:nul" }, "\u0000"),
          );
          const err = await assertRejects(
            alice.iq(
              xml(
                "iq",
                { type: "get", to: "bob@localhost/h" },
                xml("q", { xmlns: "urn:example:nul" }),
              ),
            ),
          );
          assertEquals(
            (err as { condition?: string }).condition,
            "internal-server-error",
          );
          assert(errors[0] instanceof TypeError, String(errors[0]));
          assertEquals(bob.status, "online");
          await alice.stop();
          await bob.stop();
        },
      );
    } finally {
      await Promise.all(open.map((c) => c.stop()));
      await server.stop();
    }
  },
});
