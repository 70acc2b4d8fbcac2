import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
} from "./deps.ts";
import {
  type BobData,
  createClient,
  type Element,
  ItemNotFound,
  xml,
} from "../mod.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { png } from "./support/png.ts";

const BOT = "bob@localhost/images";

Deno.test({
  name:
    "examples/image_bot.ts serves a directory as BoB: `show <name>` answers with the cid, inline when small; a peer fetches and verifies",
  ignore: !hasProsody() && !requireServers(),
  async fn() {
    const server = await startProsody();
    const dir = await Deno.makeTempDir();
    const ca = await Deno.makeTempFile();
    const service = `xmpp://127.0.0.1:${server.c2sPort}`;
    const alice = createClient({
      jid: "alice@localhost/viewer",
      password: "pw",
      service,
      tls: { caCerts: [server.caPem] },
    });
    const mine = alice.registerPlugin("xep_0231");
    try {
      // A noisy 48×48 image (a few KiB: fetched by cid) and a tiny one
      // (inline).
      const big = await png(48, 48, (x, y) => [x * y * 37, x * 91, y * 53]);
      const small = await png(4, 4, (x, y) => [x * 60, y * 60, 128]);
      assert(big.length > 1024 && small.length < 1024, `${big.length}`);
      await Deno.writeFile(`${dir}/big.png`, big);
      await Deno.writeFile(`${dir}/small.png`, small);
      await Deno.writeTextFile(ca, server.caPem);

      const bot = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          new URL("../examples/image_bot.ts", import.meta.url).pathname,
          dir,
        ],
        stdout: "piped",
        stderr: "piped",
        env: {
          XMPP_SERVICE: service,
          XMPP_JID: BOT,
          XMPP_PASSWORD: "pw",
          XMPP_CA: ca,
          XMPP_MAX_REPLIES: "4",
        },
      }).spawn();
      const reader = bot.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let printed = "";
      while (!printed.includes("small.png")) {
        const { value, done } = await reader.read();
        if (done) break;
        printed += value;
      }
      assertMatch(
        printed,
        /image bot online as bob@localhost\/images, serving 2 file\(s\)/,
      );

      await alice.start();
      const inbox: Element[] = [];
      let wake = () => {};
      alice.on("stanza", (s) => {
        if (s.name === "message" && s.getChild("body")) {
          inbox.push(s);
          wake();
        }
      });
      const ask = async (body: string): Promise<Element> => {
        const before = inbox.length;
        alice.send(
          xml("message", { to: BOT, type: "chat" }, xml("body", {}, body)),
        );
        while (inbox.length === before) {
          await new Promise<void>((r) => wake = r);
        }
        return inbox[before];
      };
      const inline: BobData[] = [];
      mine.on("bob.data", (e) => inline.push(e.bob));

      // Large: the cid only; we fetch it from the bot and verify it.
      const bigReply = await ask("show big.png");
      const bigCid = bigReply.getChildText("body")!.match(/cid:(\S+)/)![1];
      assertStrictEquals(bigReply.getChild("data", "urn:xmpp:bob"), undefined);
      const img = bigReply.getChild("html")!.getChild("body")!.getChild("img")!;
      assertStrictEquals(img.attrs.src, `cid:${bigCid}`);
      // Not here yet: fetched from the bot, verified, then cached.
      await assertRejects(() => mine.getBob({ cid: bigCid }), ItemNotFound);
      const got = await mine.getBob({ cid: bigCid, jid: BOT });
      assertStrictEquals(got.type, "image/png");
      assertEquals([...got.data], [...big]);
      assertStrictEquals((await mine.getBob({ cid: bigCid })).cid, bigCid);

      // Small: the data rides along, verified and cached on arrival.
      const smallReply = await ask("show small.png");
      const smallCid = smallReply.getChildText("body")!.match(/cid:(\S+)/)![1];
      const data = smallReply.getChild("data", "urn:xmpp:bob")!;
      assertStrictEquals(data.attrs.cid, smallCid);
      for (let i = 0; i < 50 && inline.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assertStrictEquals(inline[0]?.cid, smallCid);
      assertEquals([...(await mine.getBob({ cid: smallCid })).data], [
        ...small,
      ]);

      // Unknown name, and list.
      assertMatch(
        (await ask("show nope.png")).getChildText("body")!,
        /no such file: nope\.png/,
      );
      assertStrictEquals(
        (await ask("list")).getChildText("body"),
        "files: big.png, small.png",
      );

      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        printed += value;
      }
      const status = await bot.status;
      const stderr = await new Response(bot.stderr).text();
      assertStrictEquals(status.code, 0, stderr);
      assertMatch(printed, /answered 4 message\(s\), bye/);
    } finally {
      await alice.stop();
      await Deno.remove(ca);
      await Deno.remove(dir, { recursive: true });
      await server.stop();
    }
  },
});
