import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
} from "./deps.ts";
import { createClient, xml } from "../mod.ts";
import { buildBrowser } from "../bench/bundle.ts";
import { serveStatic } from "../examples/browser/serve.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import {
  artifactDir,
  hasChromium,
  launchChromium,
  type Page,
} from "./support/browser.ts";
import { png } from "./support/png.ts";

// The browser bundle in Chromium, through examples/browser/index.html served
// from 127.0.0.1 (IndexedDB needs a real origin), against a real Prosody
// over WebSocket. (Page code is passed as strings: the tests are
// type-checked without the DOM.)

const enc = new TextEncoder();
const PAGE_JID = "alice@localhost/browser";
const DENO_JID = "bob@localhost/deno";

Deno.test({
  name:
    "the browser bundle in Chromium: fetch and show a BoB over Prosody, hot swap to IndexedDB, two tabs, reload offline",
  ignore: (!hasChromium() || !hasProsody()) && !requireServers(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const root = new URL("../", import.meta.url).pathname;
    const dist = await Deno.makeTempDir({ prefix: "xmpp-actors-dist-" });
    await buildBrowser(dist);
    const site = serveStatic(root, { mounts: { "/dist/": dist } });
    const server = await startProsody();
    const browser = await launchChromium();
    const deno = createClient({
      jid: DENO_JID,
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    });
    const serving = deno.registerPlugin("xep_0231");
    // The IQs asking the Deno client for a BoB.
    const asked: string[] = [];
    deno.on("stanza", (s) => {
      const data = s.name === "iq" && s.getChild("data", "urn:xmpp:bob");
      if (data) asked.push(data.attrs.cid);
    });
    const errors: string[] = [];
    const context = await browser.newContext();
    // Nothing but our own two servers is asked for anything.
    const foreign: string[] = [];
    context.on("request", (r) => {
      if (!r.url().startsWith(site.url)) foreign.push(r.url());
    });
    const open = async (query: string): Promise<Page> => {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${site.url}examples/browser/${query}`);
      await page.waitForFunction("globalThis.chat !== undefined");
      await page.evaluate("chat.ready");
      return page;
    };
    const account = (jid: string, extra = "") =>
      `?service=${
        encodeURIComponent(server.wsUrl)
      }&jid=${jid}&password=pw&connect=1${extra}`;
    const online = (page: Page) =>
      page.waitForSelector('#status[data-state="online"]');
    const artifacts = await artifactDir();

    try {
      await deno.start();
      deno.send(xml("presence"));

      // The chat page, connected over ws:// with its cache in IndexedDB.
      const chat = await open(account(PAGE_JID));
      await online(chat);
      assertStrictEquals(
        await chat.textContent("#status"),
        `online as ${PAGE_JID}`,
      );
      const image = await png(24, 16, (x, y) => [x * 10, y * 15, 200]);
      const small = await png(8, 8, (x, y) => [250, x * 30, y * 30]);

      await t.step(
        "a BoB served by a Deno client is fetched, verified, cached and shown",
        async () => {
          const cid = await serving.setBob(image, "image/png");
          deno.send(
            xml(
              "message",
              { to: PAGE_JID, type: "chat" },
              xml("body", {}, `look: cid:${cid}`),
            ),
          );
          const img = `#log img[data-cid="${cid}"]`;
          await chat.waitForSelector(img);
          await chat.waitForFunction(
            `document.querySelector('${img}').naturalWidth > 0`,
          );
          assertEquals(
            await chat.evaluate(
              `(() => { const i = document.querySelector('${img}'); return [i.naturalWidth, i.naturalHeight]; })()`,
            ),
            [24, 16],
          );
          assertEquals(asked, [cid]);
          // Cached: read back with no peer, and the bytes are the same.
          assertEquals(
            await chat.evaluate(
              `chat.bob.getBob({ cid: "${cid}" }).then((b) => [b.type, [...b.data]])`,
            ),
            ["image/png", [...image]],
          );

          // A small one inline (attach): shown as it arrives, no IQ.
          const inline = await serving.setBob(small, "image/png");
          const msg = xml(
            "message",
            { to: PAGE_JID, type: "chat" },
            xml("body", {}, `inline: cid:${inline}`),
          );
          deno.send(await serving.attach(msg, inline));
          await chat.waitForFunction(
            `document.querySelector('#log img[data-cid="${inline}"]')?.naturalWidth === 8`,
          );
          assertEquals(asked, [cid]);
          await chat.screenshot({ path: `${artifacts}/browser_chat.png` });
        },
      );

      await t.step(
        "the login form shows why it cannot connect (empty form, ws:// to a remote host)",
        async () => {
          const page = await open("?storage=memory");
          const failed = '#status[data-state="failed"]';
          // An empty form: the error is shown, not "connecting…" forever.
          await page.click("#login button");
          await page.waitForSelector(failed);
          const empty = await page.textContent("#status");
          assert(empty?.startsWith("cannot connect: "), String(empty));
          assert(/service|jid/i.test(empty!), String(empty));
          // ws:// to a host that is not loopback: refused in the browser too.
          await page.fill(
            '#login input[name="service"]',
            "ws://example.invalid/ws",
          );
          await page.fill('#login input[name="jid"]', PAGE_JID);
          await page.fill('#login input[name="password"]', "pw");
          await page.evaluate(
            "document.querySelector('#status').dataset.state = ''",
          );
          await page.click("#login button");
          await page.waitForSelector(failed);
          const remote = await page.textContent("#status");
          assert(/loopback/.test(remote ?? ""), String(remote));
          // The page still works locally (its cache is readable).
          assertEquals(await page.evaluate("chat.client.jid"), PAGE_JID);
          await page.close();
        },
      );

      await t.step(
        "the page's send form asks examples/image_bot.ts for an image, and shows it",
        async () => {
          const dir = await Deno.makeTempDir();
          const ca = await Deno.makeTempFile();
          try {
            await Deno.writeFile(
              `${dir}/cat.png`,
              await png(32, 20, (x, y) => [x * y * 37, x * 91, y * 53]),
            );
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
                XMPP_SERVICE: `xmpp://127.0.0.1:${server.c2sPort}`,
                XMPP_JID: "carol@localhost/images",
                XMPP_PASSWORD: "pw",
                XMPP_CA: ca,
              },
            }).spawn();
            const out = bot.stdout.pipeThrough(new TextDecoderStream())
              .getReader();
            let printed = "";
            while (!printed.includes("cat.png")) {
              const { value, done } = await out.read();
              if (done) break;
              printed += value;
            }
            await chat.fill('#send input[name="to"]', "carol@localhost/images");
            await chat.fill('#send input[name="body"]', "show cat.png");
            await chat.click("#send button");
            await chat.waitForFunction(
              `[...document.querySelectorAll("#log img")].some((i) => i.alt.startsWith("cid:") && i.naturalWidth === 32)`,
            );
            // The page fetched it from the bot (the cid only: too big to
            // ride inline); now stop the bot as a user would.
            bot.kill("SIGINT");
            for (;;) {
              const { value, done } = await out.read();
              if (done) break;
              printed += value;
            }
            const status = await bot.status;
            const stderr = await new Response(bot.stderr).text();
            assertStrictEquals(status.code, 0, stderr);
            assertMatch(printed, /answered 1 message\(s\), bye/);
          } finally {
            await Deno.remove(ca);
            await Deno.remove(dir, { recursive: true });
          }
        },
      );

      await t.step(
        "memoryStorage() → idbStorage() with migrate while fetching: nothing lost",
        async () => {
          const N = 150;
          const cids: string[] = [];
          for (let i = 0; i < N; i++) {
            cids.push(
              await serving.setBob(enc.encode(`entry ${i}`), "text/plain"),
            );
          }
          const swap = await open(
            account("alice@localhost/swap", "&storage=memory"),
          );
          await online(swap);
          const result = await swap.evaluate(`(async () => {
          const { idbStorage } = await import("/dist/xmpp-actors.js");
          const cids = ${JSON.stringify(cids)};
          const bob = chat.bob;
          const failed = [];
          let got = 0, finished = false;
          const loop = (async () => {
            for (const cid of cids) {
              try {
                const b = await bob.getBob({ cid, jid: "${DENO_JID}" });
                // Peer data goes to the peer cache; keep it as our own, a
                // write during the migration.
                await bob.setBob(b.data, b.type, { cid });
                if (b.cid === cid) got++;
                else failed.push(cid);
              } catch (e) {
                failed.push(cid + ": " + e.message);
              }
            }
            finished = true;
          })();
          while (got < 20 && !finished) {
            await new Promise((r) => setTimeout(r, 1));
          }
          const atBind = got;
          await bob.api.bind(idbStorage({ dbName: "swap" }), { migrate: true });
          const afterBind = got;
          await loop;
          // Everything is in IndexedDB: a fresh client over the same
          // database, no connection, reads all of it.
          const { createClient } = await import("/dist/xmpp-actors.js");
          const other = createClient({ jid: "reader@localhost" });
          const reader = other.registerPlugin("xep_0231");
          await reader.api.bind(idbStorage({ dbName: "swap" }));
          const texts = await Promise.all(cids.map((cid) =>
            reader.getBob({ cid }).then(
              (b) => new TextDecoder().decode(b.data),
              (e) => e.name,
            )
          ));
          await other.stop();
          return { failed, got, atBind, afterBind, texts };
        })()`) as {
            failed: string[];
            got: number;
            atBind: number;
            afterBind: number;
            texts: string[];
          };
          assertEquals(result.failed, []);
          assertStrictEquals(result.got, N);
          // The swap began while fetches were going on (the loop was not
          // paused for it: fetches that cache during the migration queue).
          assert(
            result.atBind >= 20 && result.atBind < N,
            `bind at ${result.atBind}..${result.afterBind} of ${N}`,
          );
          assertEquals(result.texts, cids.map((_, i) => `entry ${i}`));
          await swap.close();
        },
      );

      await t.step(
        "two tabs of one origin share one IndexedDB store, each seeing the other's entries",
        async () => {
          const [left, right] = [await open(""), await open("")];
          const N = 40;
          const write = (page: Page, tab: string) =>
            page.evaluate(`Promise.all(Array.from({ length: ${N} }, (_, i) =>
            chat.bob.setBob(new TextEncoder().encode("${tab} " + i), "text/plain")
          ))`) as Promise<string[]>;
          // Both write at once, into the same database.
          const [mine, theirs] = await Promise.all([
            write(left, "left"),
            write(right, "right"),
          ]);
          const all = [...mine, ...theirs];
          const expected = [
            ...mine.map((_, i) => `left ${i}`),
            ...theirs.map((_, i) => `right ${i}`),
          ];
          const readAll = (page: Page) =>
            page.evaluate(`Promise.all(${JSON.stringify(all)}.map((cid) =>
            chat.bob.getBob({ cid }).then(
              (b) => new TextDecoder().decode(b.data),
              (e) => e.name + ": " + e.message,
            )
          ))`);
          const [fromLeft, fromRight] = await Promise.all([
            readAll(left),
            readAll(right),
          ]);
          assertEquals(fromLeft, expected);
          assertEquals(fromRight, expected);
          // A delete in one tab is seen by the other.
          await left.evaluate(`chat.bob.delBob("${theirs[0]}")`);
          assertStrictEquals(
            await right.evaluate(
              `chat.bob.getBob({ cid: "${
                theirs[0]
              }" }).then(() => "found", (e) => e.name)`,
            ),
            "ItemNotFound",
          );
          // Nothing else in the store changed shape: every key is [ns, cid].
          const keys = await right.evaluate(`new Promise((resolve, reject) => {
          const req = indexedDB.open("xmpp-actors");
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const db = req.result;
            const all = db.transaction("storage").objectStore("storage").getAllKeys();
            all.onsuccess = () => { resolve(all.result); db.close(); };
            all.onerror = () => reject(all.error);
          };
        })`) as [string, string][];
          const ours = keys.filter((k) => all.includes(k[1]));
          assertStrictEquals(ours.length, 2 * N - 1);
          assert(ours.every((k) => k.length === 2 && k[0] === "xep_0231"));
          await left.close();
          await right.close();
        },
      );

      await t.step(
        "a BoB stored in idbStorage() is read back after a reload, with no server",
        async () => {
          const cid = await chat.evaluate(
            `chat.bob.setBob(new TextEncoder().encode("kept across reloads"), "text/plain")`,
          ) as string;
          // Close the network: the client stops, and the server is gone.
          await chat.evaluate("chat.client.stop()");
          await server.kill();
          const sockets: string[] = [];
          chat.on("websocket", (ws) => sockets.push(ws.url()));
          // The same page, without connect=1.
          await chat.goto(`${site.url}examples/browser/?jid=${PAGE_JID}`);
          await chat.waitForFunction("globalThis.chat !== undefined");
          await chat.evaluate("chat.ready");
          assertStrictEquals(
            await chat.evaluate(
              `chat.bob.getBob({ cid: "${cid}" }).then((b) => new TextDecoder().decode(b.data))`,
            ),
            "kept across reloads",
          );
          // The gallery shows the images seen before, from the cache alone.
          const shown = await chat.evaluate(
            `[...document.querySelectorAll("#gallery img")].map((i) => i.complete && i.naturalWidth)`,
          );
          assertEquals(shown, [24, 8, 32]);
          assertStrictEquals(await chat.textContent("#status"), "offline");
          assertEquals(sockets, []);
        },
      );

      assertEquals(errors, []);
      assertEquals(foreign.filter((u) => !u.startsWith("blob:")), []);
    } finally {
      await deno.stop();
      await browser.close();
      await server.stop();
      await site.close();
      await Deno.remove(dist, { recursive: true });
    }
  },
});
