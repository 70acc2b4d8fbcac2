/**
 * What a hostile peer or server can send the vCard, avatar, last activity
 * and idle plugins (a scripted server, so nothing is filtered on the way):
 * a hash that is not its photo's, bad base64, an oversized vCard, an answer
 * from the wrong JID, a spoofed `from`, a malformed hash, a flood, bad
 * `since` and `seconds`. Each is a typed error, nothing is stored, and the
 * client goes on.
 */
import { assert, assertRejects, assertStrictEquals } from "./deps.ts";
import { fakeLogin, type FakeSession, startFakeServer } from "./_helpers.ts";
import { createClient, TimeoutError, VerificationError } from "../mod.ts";
import { avatarHash } from "../src/vcard.ts";

const MALLORY = "mallory@localhost";

function vcardText(body: string): string {
  return `<vCard xmlns="vcard-temp">${body}</vCard>`;
}

function photo(bytes: Uint8Array): string {
  return `<PHOTO><TYPE>image/png</TYPE><BINVAL>${bytes.toBase64()}</BINVAL></PHOTO>`;
}

function hashPresence(from: string, hash: string, extra = ""): string {
  return `<presence from="${from}" to="alice@localhost/fake"><x xmlns="vcard-temp:x:update"><photo>${hash}</photo></x>${extra}</presence>`;
}

interface Iq {
  id: string;
  to: string | undefined;
  text: string;
}

Deno.test("hostile input to xep_0153/0054/0012/0319: typed errors, nothing stored, the client goes on", async (t) => {
  let session!: FakeSession;
  const ready = Promise.withResolvers<void>();
  const iqs: Iq[] = [];
  // What the scripted server answers each IQ the client sends.
  let answer: (iq: Iq) => string = () => "";
  let iqSeen: ((iq: Iq) => void) | undefined;
  const server = startFakeServer(async (s) => {
    await fakeLogin(s);
    session = s;
    ready.resolve();
    let buf = "";
    for (;;) {
      buf += await s.readUntil(">");
      if (buf.includes("</stream:stream>")) {
        await s.write("</stream:stream>");
        return;
      }
      const end = buf.indexOf("</iq>");
      if (end === -1) continue;
      const text = buf.slice(0, end + 5);
      buf = buf.slice(end + 5);
      const iq = {
        id: /id="([^"]+)"/.exec(text)![1],
        to: /to="([^"]+)"/.exec(text)?.[1],
        text,
      };
      iqs.push(iq);
      iqSeen?.(iq);
      const reply = answer(iq);
      if (reply) await s.write(reply);
    }
  });
  const xmpp = createClient({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${server.port}`,
    allowPlainWithoutTls: true,
    reconnect: { enabled: false },
    iqTimeout: 1000,
  });
  const errors: Error[] = [];
  let onError: ((e: Error) => void) | undefined;
  xmpp.on("error", (e) => {
    errors.push(e);
    onError?.(e);
  });
  const nextError = () =>
    new Promise<Error>((resolve) => {
      onError = (e) => {
        onError = undefined;
        resolve(e);
      };
    });
  try {
    const avatar = xmpp.registerPlugin("xep_0153");
    const vcard = xmpp.plugin.xep_0054;
    const last = xmpp.registerPlugin("xep_0012");
    const idle = xmpp.registerPlugin("xep_0319");
    await xmpp.start();
    await ready.promise;
    const real = new Uint8Array([1, 2, 3, 4]);
    const claimed = avatarHash(new Uint8Array([9, 9, 9]));
    const vcardAnswer = (body: string) => ({ id, to }: Iq) =>
      `<iq type="result" id="${id}" from="${to}">${vcardText(body)}</iq>`;

    const nothingStored = async (jid: string) => {
      assertStrictEquals(await avatar.getHash(jid), undefined);
    };

    await t.step("a hash that is not the photo's", async () => {
      answer = vcardAnswer(photo(real));
      const err = nextError();
      await session.write(hashPresence(`${MALLORY}/x`, claimed));
      const e = await err;
      assert(e instanceof VerificationError, String(e));
      assert(/does not match its photo/.test(e.message));
      await nothingStored(MALLORY);
      assertStrictEquals(iqs.at(-1)!.to, MALLORY);
    });

    await t.step("bad base64 in BINVAL", async () => {
      await vcard.api.run("del_vcard", { jid: MALLORY });
      answer = vcardAnswer("<PHOTO><BINVAL>@@not*base64@@</BINVAL></PHOTO>");
      const err = nextError();
      await session.write(hashPresence(`${MALLORY}/x`, claimed));
      const e = await err;
      assert(e instanceof VerificationError && /not base64/.test(e.message));
      await nothingStored(MALLORY);
      // The vCard itself is not cached either.
      const cached = await vcard.getVcard(MALLORY, { local: true });
      assertStrictEquals(cached.children.length, 0);
    });

    await t.step("an oversized vCard", async () => {
      answer = vcardAnswer(`<NOTE>${"x".repeat(300_000)}</NOTE>`);
      const err = nextError();
      await session.write(hashPresence(`${MALLORY}/x`, claimed));
      const e = await err;
      assert(
        e instanceof VerificationError && /over \d+ bytes/.test(e.message),
      );
      await nothingStored(MALLORY);
      const cached = await vcard.getVcard(MALLORY, { local: true });
      assertStrictEquals(cached.children.length, 0);
    });

    await t.step("a vCard answer from the wrong JID is not taken", async () => {
      answer = ({ id }) =>
        `<iq type="result" id="${id}" from="eve@localhost">${
          vcardText(photo(new Uint8Array([9, 9, 9])))
        }</iq>`;
      const err = nextError();
      await session.write(hashPresence(`${MALLORY}/x`, claimed));
      assert((await err) instanceof TimeoutError);
      await nothingStored(MALLORY);
    });

    await t.step(
      "a spoofed from: checked against the claimed JID's own vCard",
      async () => {
        // "bob" announces mallory's image; bob's real vCard has another.
        answer = vcardAnswer(photo(real));
        const err = nextError();
        await session.write(hashPresence("bob@localhost/x", claimed));
        assert((await err) instanceof VerificationError);
        assertStrictEquals(iqs.at(-1)!.to, "bob@localhost");
        await nothingStored("bob@localhost");
        // Our own JID in from: ignored (we know our own hash).
        const before = iqs.length;
        await session.write(hashPresence("alice@localhost/evil", claimed));
        // A MUC occupant's presence: ignored too.
        await session.write(
          hashPresence(
            "room@muc.localhost/nick",
            claimed,
            '<x xmlns="http://jabber.org/protocol/muc#user"/>',
          ),
        );
        // (A later stanza is handled after these: they were skipped.)
        answer = vcardAnswer(photo(real));
        const ok = new Promise((r) => {
          const off = avatar.onAvatar((jid) => {
            off();
            r(jid);
          });
        });
        await session.write(hashPresence(`${MALLORY}/x`, avatarHash(real)));
        assertStrictEquals(await ok, MALLORY);
        assertStrictEquals(iqs.length, before + 1);
        assertStrictEquals(await avatar.getHash(MALLORY), avatarHash(real));
      },
    );

    await t.step("a malformed hash: refused before any query", async () => {
      const before = iqs.length;
      const err = nextError();
      await session.write(
        hashPresence("carol@localhost/x", "../../etc/passwd"),
      );
      const e = await err;
      assert(e instanceof VerificationError && /SHA-1/.test(e.message));
      assertStrictEquals(iqs.length, before);
      await nothingStored("carol@localhost");
    });

    await t.step(
      "a flood of hashes from one peer: one vCard query",
      async () => {
        const before = iqs.length;
        answer = vcardAnswer(photo(real));
        let flood = "";
        for (let i = 0; i < 200; i++) {
          flood += hashPresence(
            "dave@localhost/x",
            avatarHash(new Uint8Array([i, 1])),
          );
        }
        const err = nextError();
        await session.write(flood);
        assert((await err) instanceof VerificationError);
        assertStrictEquals(iqs.length, before + 1);
        await nothingStored("dave@localhost");
      },
    );

    await t.step(
      "idle: a malformed since is a TypeError, a good one is read",
      async () => {
        const seen: [string, Date][] = [];
        idle.onIdle((jid, since) => seen.push([jid, since]));
        const err = nextError();
        await session.write(
          `<presence from="${MALLORY}/x"><idle xmlns="urn:xmpp:idle:1" since="yesterday"/></presence>`,
        );
        assert((await err) instanceof TypeError);
        const got = new Promise((r) => idle.onIdle(r));
        await session.write(
          `<presence from="${MALLORY}/x"><idle xmlns="urn:xmpp:idle:1" since="2026-12-07T16:00:00Z"/></presence>`,
        );
        await got;
        assertStrictEquals(seen.length, 1);
        assertStrictEquals(
          seen[0][1].toISOString(),
          "2026-12-07T16:00:00.000Z",
        );
      },
    );

    await t.step(
      "last activity: a bad seconds answer is a TypeError",
      async () => {
        for (const seconds of ["-5", "abc", "1e9", ""]) {
          answer = ({ id, to }) =>
            `<iq type="result" id="${id}" from="${to}"><query xmlns="jabber:iq:last" seconds="${seconds}"/></iq>`;
          await assertRejects(
            () => last.getLastActivity(`${MALLORY}/x`),
            TypeError,
          );
        }
        // A query from a stranger: forbidden, with no detail.
        answer = () => "";
        const replied = new Promise<Iq>((r) => iqSeen = r);
        await last.setLastActivity({ seconds: 5, status: "secret" });
        await session.write(
          `<iq type="get" id="q1" from="${MALLORY}/x" to="alice@localhost/fake"><query xmlns="jabber:iq:last"/></iq>`,
        );
        const reply = (await replied).text;
        assert(/type="error"/.test(reply) && /forbidden/.test(reply), reply);
        assert(!reply.includes("secret"));
      },
    );
    // Nothing but the errors the steps caused.
    assert(
      errors.every((e) =>
        e instanceof VerificationError || e instanceof TimeoutError ||
        e instanceof TypeError
      ),
    );
  } finally {
    await xmpp.stop();
    await server.close();
  }
});
