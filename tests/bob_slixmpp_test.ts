/**
 * XEP-0231 interop with slixmpp 1.8.3 through one Prosody, both ways: our
 * client and a slixmpp peer (`tests/support/slixmpp_bob_peer.py`, driven
 * over stdin) fetch each other's BoBs, cache each other's inline `<data/>`,
 * see `urn:xmpp:bob` in each other's disco#info, and a directory written by
 * the slixmpp how-to's `BobLoader` is served by our `fileStorage()`.
 *
 * Accounts: alice (ours, memory storage), bob (slixmpp), carol (ours, file
 * storage), dave (ours, a liar answering BoB gets with forged bytes).
 *
 * @module
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "./deps.ts";
import {
  type BobData,
  cidOf,
  cidUri,
  createClient,
  fileStorage,
  ItemNotFound,
  StanzaError,
  VerificationError,
  xml,
} from "../mod.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import {
  hasSlixmpp,
  runPython,
  type SlixmppPeer,
  SlixmppPeerError,
  startSlixmppPeer,
} from "./support/slixmpp.ts";

const PEER = new URL("./support/slixmpp_bob_peer.py", import.meta.url)
  .pathname;
const FILES = new URL("./support/slixmpp_bob_files.py", import.meta.url)
  .pathname;
const enc = new TextEncoder();
const b64 = (bytes: Uint8Array) => bytes.toBase64();

/** What the peer reports for a BoB. */
interface SlixBob {
  cid: string;
  type: string;
  data: string;
  max_age: number | null;
  from?: string;
}

/** 4 KiB holding every byte value: base64 must round-trip all of them. */
const BINARY = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + 3) % 256);

Deno.test({
  name:
    "BoB interop with slixmpp 1.8.3 through Prosody works both ways: fetch, inline data, files, disco",
  ignore: (!hasProsody() || !hasSlixmpp()) && !requireServers(),
  async fn(t) {
    const server = await startProsody({
      accounts: { alice: "pw", bob: "pw", carol: "pw", dave: "pw" },
    });
    const common = {
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    };
    const alice = createClient({ jid: "alice@localhost/ours", ...common });
    const carol = createClient({ jid: "carol@localhost/files", ...common });
    const dave = createClient({ jid: "dave@localhost/liar", ...common });
    const dirs: string[] = [];
    let slix: SlixmppPeer | undefined;
    try {
      const [peer] = await Promise.all([
        startSlixmppPeer({
          script: PEER,
          port: server.c2sPort,
          jid: "bob@localhost/slix",
        }),
        alice.start(),
        carol.start(),
        dave.start(),
      ]);
      slix = peer;
      const mine = alice.registerPlugin("xep_0231");
      const files = carol.registerPlugin("xep_0231");
      const getSlix = (args: Record<string, unknown>) =>
        peer.call<SlixBob>("get_bob", args);

      await t.step(
        "slixmpp fetches BoBs our client serves from memory storage",
        async () => {
          const cid = await mine.setBob(enc.encode("coucou"), "text/plain");
          assertEquals(await getSlix({ jid: alice.jid, cid, cached: false }), {
            cid,
            type: "text/plain",
            data: b64(enc.encode("coucou")),
            max_age: null,
          });
          const bin = await mine.setBob(BINARY, "application/octet-stream", {
            maxAge: 86400,
          });
          assertEquals(
            await getSlix({ jid: alice.jid, cid: bin, cached: false }),
            {
              cid: bin,
              type: "application/octet-stream",
              data: b64(BINARY),
              max_age: 86400,
            },
          );
          // A miss is our item-not-found.
          const err = await assertRejects(
            () =>
              getSlix({
                jid: alice.jid,
                cid: cidOf(enc.encode("absent")),
                cached: false,
              }),
            SlixmppPeerError,
          );
          assertStrictEquals(err.condition, "item-not-found");
        },
      );

      await t.step(
        "slixmpp fetches BoBs our client serves from file storage",
        async () => {
          const dir = await Deno.makeTempDir();
          dirs.push(dir);
          await files.api.bind(fileStorage({ dir }));
          const cid = await files.setBob(BINARY, "image/png", { maxAge: 60 });
          assert([...Deno.readDirSync(dir)].some((e) => e.name === cid));
          assertEquals(
            await getSlix({ jid: carol.jid, cid, cached: false }),
            { cid, type: "image/png", data: b64(BINARY), max_age: 60 },
          );
        },
      );

      await t.step(
        "a directory written by slixmpp's how-to BobLoader is served by our fileStorage()",
        async () => {
          const dir = await Deno.makeTempDir();
          dirs.push(dir);
          const [a, b] = JSON.parse(
            await runPython(FILES, ["write", dir]),
          ) as string[];
          await files.api.bind(fileStorage({ dir }));
          assertEquals(
            await getSlix({ jid: carol.jid, cid: a, cached: false }),
            {
              cid: a,
              type: "text/plain",
              data: b64(enc.encode("coucou")),
              max_age: 86400,
            },
          );
          assertEquals(
            await getSlix({ jid: carol.jid, cid: b, cached: false }),
            {
              cid: b,
              type: "text/plain",
              data: b64(enc.encode("x")),
              max_age: null,
            },
          );
        },
      );

      await t.step(
        "our client fetches, verifies and caches BoBs slixmpp serves",
        async () => {
          for (
            const [data, type, maxAge] of [
              [enc.encode("from slixmpp"), "text/plain", undefined],
              [BINARY.toReversed(), "application/octet-stream", 3600],
            ] as const
          ) {
            const cid = await peer.call<string>("set_bob", {
              data: b64(data),
              type,
              max_age: maxAge,
            });
            assertStrictEquals(cid, cidOf(data));
            const got = await mine.getBob({ cid, jid: peer.jid });
            assertEquals(got, {
              cid,
              type,
              data,
              ...(maxAge === undefined ? {} : { maxAge }),
            });
            // Cached: read back with no peer.
            assertEquals((await mine.getBob({ cid })).data, data);
          }
        },
      );

      await t.step(
        "slixmpp answers an unknown cid with undefined-condition, not item-not-found",
        async () => {
          // slixmpp 1.8.3's _handle_bob_iq appends get_bob's None to the
          // reply: the TypeError becomes "Slixmpp got into trouble."
          const err = await assertRejects(
            () =>
              mine.getBob({ cid: cidOf(enc.encode("nope")), jid: peer.jid }),
            StanzaError,
          );
          assertStrictEquals(err.condition, "undefined-condition");
          assert(!(err instanceof ItemNotFound));
        },
      );

      await t.step(
        "max-age 0 is not cached by us, but slixmpp caches it",
        async () => {
          const theirs = await peer.call<string>("set_bob", {
            data: b64(enc.encode("slix, once")),
            type: "text/plain",
            max_age: 0,
          });
          assertStrictEquals(
            (await mine.getBob({ cid: theirs, jid: peer.jid })).maxAge,
            0,
          );
          await assertRejects(() => mine.getBob({ cid: theirs }), ItemNotFound);

          const ours = await mine.setBob(
            enc.encode("ours, once"),
            "text/plain",
            {
              maxAge: 0,
            },
          );
          await getSlix({ jid: alice.jid, cid: ours, cached: false });
          // XEP-0231: max-age 0 means "do not cache"; slixmpp stores it.
          assertStrictEquals(
            (await getSlix({ cid: ours, cached: true })).max_age,
            0,
          );
        },
      );

      await t.step(
        "our client fetches from slixmpp's how-to BobLoader storage",
        async () => {
          const dir = await Deno.makeTempDir();
          dirs.push(dir);
          await peer.call("use_files", { dir });
          const data = enc.encode("stored in a slixmpp file");
          const cid = await peer.call<string>("set_bob", {
            data: b64(data),
            type: "text/plain",
            max_age: 120,
          });
          assert([...Deno.readDirSync(dir)].some((e) => e.name === cid));
          const got = await mine.getBob({ cid, jid: peer.jid, cached: false });
          assertEquals(got, { cid, type: "text/plain", data, maxAge: 120 });
        },
      );

      await t.step(
        "a message with <data/> from slixmpp is verified and cached by us",
        async () => {
          const data = enc.encode("<svg xmlns='http://www.w3.org/2000/svg'/>");
          const cid = cidOf(data);
          const seen = new Promise<{ from: string; bob: BobData }>((resolve) =>
            mine.on("bob.data", (e) => {
              if (e.bob.cid === cid) resolve(e);
            })
          );
          await peer.call("send_bob", {
            to: alice.jid,
            cid,
            type: "image/svg+xml",
            data: b64(data),
            max_age: 600,
            body: `look: ${cidUri(cid)}`,
          });
          const arrived = await seen;
          assertStrictEquals(arrived.from, peer.jid);
          assertEquals(arrived.bob, {
            cid,
            type: "image/svg+xml",
            data,
            maxAge: 600,
          });
          assertEquals(await mine.getBob({ cid }), arrived.bob);
        },
      );

      await t.step(
        "a message with <data/> from us is cached by slixmpp",
        async () => {
          const data = enc.encode("inline from xmpp-actors");
          const cid = await mine.setBob(data, "text/plain", { maxAge: 300 });
          const msg = xml(
            "message",
            { to: peer.jid, type: "chat" },
            xml("body", {}, `see ${cidUri(cid)}`),
          );
          alice.send(await mine.attach(msg, cid));
          const expected = {
            cid,
            type: "text/plain",
            data: b64(data),
            max_age: 300,
          };
          assertEquals(await peer.call("wait_bob", { cid }), {
            ...expected,
            from: alice.jid,
          });
          // In slixmpp's cache now: a cached get with no JID finds it.
          assertEquals(await getSlix({ cid, cached: true }), expected);
        },
      );

      await t.step(
        "disco#info of each side lists urn:xmpp:bob to the other",
        async () => {
          const theirs = await alice.plugin["xep_0030"].info(peer.jid);
          assert(
            theirs.features.includes("urn:xmpp:bob"),
            String(theirs.features),
          );
          const ours = await peer.call<{ features: string[] }>(
            "disco_info",
            { jid: alice.jid },
          );
          assert(ours.features.includes("urn:xmpp:bob"), String(ours.features));
          assert(
            ours.features.includes("http://jabber.org/protocol/disco#info"),
            String(ours.features),
          );
        },
      );

      await t.step(
        "slixmpp believes a forged BoB and caches it; our client refuses one",
        async () => {
          const real = enc.encode("the real bytes");
          const forged = enc.encode("forged!");
          const cid = cidOf(real);

          // Dave answers every BoB get with other bytes under the asked cid.
          dave.handle(
            "iq",
            { type: "get", name: "data", xmlns: "urn:xmpp:bob" },
            (iq) =>
              xml(
                "data",
                {
                  xmlns: "urn:xmpp:bob",
                  cid: iq.getChild("data")!.attrs.cid,
                  type: "text/plain",
                },
                b64(forged),
              ),
          );
          // slixmpp takes the forged bytes and caches them under the cid.
          assertStrictEquals(
            (await getSlix({ jid: dave.jid, cid, cached: false })).data,
            b64(forged),
          );
          assertStrictEquals(
            (await getSlix({ cid, cached: true })).data,
            b64(forged),
          );

          // slixmpp serves bytes under a cid they do not hash to (set_bob
          // takes any cid); we refuse them and store nothing.
          const other = cidOf(enc.encode("other real bytes"));
          await peer.call("set_bob", {
            data: b64(forged),
            type: "text/plain",
            cid: other,
          });
          const err = await assertRejects(
            () => mine.getBob({ cid: other, jid: peer.jid }),
            VerificationError,
            /does not match its cid/,
          );
          assertStrictEquals(err.condition, "not-acceptable");
          await assertRejects(() => mine.getBob({ cid: other }), ItemNotFound);

          // The same forgery inline in a message: announced as rejected.
          const rejected = new Promise<Error>((resolve) =>
            mine.on("bob.rejected", (e) => resolve(e.error))
          );
          const inline = cidOf(enc.encode("inline real"));
          await peer.call("send_bob", {
            to: alice.jid,
            cid: inline,
            type: "text/plain",
            data: b64(forged),
          });
          assert((await rejected) instanceof VerificationError);
          await assertRejects(() => mine.getBob({ cid: inline }), ItemNotFound);
        },
      );
    } finally {
      await slix?.close();
      await Promise.all([alice.stop(), carol.stop(), dave.stop()]);
      await server.stop();
      for (const dir of dirs) await Deno.remove(dir, { recursive: true });
    }
  },
});
