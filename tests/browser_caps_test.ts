import { assertEquals, assertStrictEquals } from "./deps.ts";
import { buildBrowser } from "../bench/bundle.ts";
import { serveStatic } from "../examples/browser/serve.ts";
import { requireServers } from "./support/prosody.ts";
import { hasChromium, launchChromium } from "./support/browser.ts";
import { recordKey } from "../actors/disco/store.ts";

// The XEP-0115 caps cache in IndexedDB, in Chromium: the browser bundle on a
// page served from 127.0.0.1 (IndexedDB needs a real origin), xep_0115 bound
// to idbStorage(). A verified entry is cached in IndexedDB and read back
// after a reload; an entry planted in the store (hash not matching its info)
// is never answered, before or after the reload. (Page code is passed as
// strings: the tests are type-checked without the DOM.)

const EXODUS = {
  identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
  features: [
    "http://jabber.org/protocol/caps",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "http://jabber.org/protocol/muc",
  ],
};
const EXODUS_VER = "QgayPKawpkPSDYmwT/WM94uAlu0=";
/** A well-formed `ver` that is not the hash of what is planted under it. */
const PLANTED_VER = "q07IKJEyjvHSyhy//CH0CxmKi8w=";

/** Page code: a client with xep_0115 bound to IndexedDB, as `globalThis.caps`. */
const SETUP = `(async () => {
  const m = await import("/dist/xmpp-actors.js");
  const xmpp = m.createClient({ jid: "alice@localhost" });
  const caps = xmpp.registerPlugin("xep_0115");
  await caps.api.bind(m.idbStorage({ dbName: "caps" }));
  globalThis.caps = caps;
})()`;

/** Page code: how many records the IndexedDB database holds. */
const COUNT = `new Promise((resolve, reject) => {
  const req = indexedDB.open("caps");
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const db = req.result;
    const names = [...db.objectStoreNames];
    let total = 0;
    let left = names.length;
    if (left === 0) resolve(0);
    for (const name of names) {
      const c = db.transaction(name).objectStore(name).count();
      c.onsuccess = () => { total += c.result; if (--left === 0) { db.close(); resolve(total); } };
      c.onerror = () => reject(c.error);
    }
  };
})`;

Deno.test({
  name:
    "xep_0115 in Chromium: the caps cache lives in IndexedDB, survives a reload, never answers a planted entry",
  ignore: !hasChromium() && !requireServers(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = new URL("../", import.meta.url).pathname;
    const dist = await Deno.makeTempDir({ prefix: "xmpp-actors-dist-" });
    await buildBrowser(dist);
    await Deno.writeTextFile(`${dist}/caps.html`, "<!doctype html><p>caps");
    const site = serveStatic(root, { mounts: { "/dist/": dist } });
    const browser = await launchChromium();
    const errors: string[] = [];
    try {
      const page = await (await browser.newContext()).newPage();
      page.setDefaultTimeout(15_000);
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${site.url}dist/caps.html`);
      await page.evaluate(SETUP);
      const before = Number(await page.evaluate(COUNT));

      // verified: cached, and in IndexedDB
      await page.evaluate(
        `caps.api.run("cache_caps", { args: { verstring: ${
          JSON.stringify(EXODUS_VER)
        }, info: ${JSON.stringify(EXODUS)} } })`,
      );
      const get = (ver: string) =>
        page.evaluate(
          `caps.getCaps(undefined, ${
            JSON.stringify(ver)
          }).then((i) => i ?? null)`,
        );
      assertEquals(await get(EXODUS_VER), EXODUS);
      const cached = Number(await page.evaluate(COUNT));
      assertStrictEquals(cached > before, true, `${before} → ${cached}`);

      // planted straight into the store: never answered
      await page.evaluate(
        `caps.api.run("set_record", { args: { key: ${
          JSON.stringify(recordKey("ver", PLANTED_VER))
        }, value: { ver: ${JSON.stringify(PLANTED_VER)}, hash: "sha-1", info: ${
          JSON.stringify(EXODUS)
        } } } })`,
      );
      assertStrictEquals(Number(await page.evaluate(COUNT)), cached + 1);
      assertStrictEquals(await get(PLANTED_VER), null);

      // a reload: a fresh client on the same IndexedDB
      await page.reload();
      await page.evaluate(SETUP);
      assertStrictEquals(Number(await page.evaluate(COUNT)), cached + 1);
      assertEquals(await get(EXODUS_VER), EXODUS);
      assertStrictEquals(await get(PLANTED_VER), null);
      assertEquals(errors, []);
    } finally {
      await browser.close();
      await site.close();
      await Deno.remove(dist, { recursive: true });
    }
  },
});
