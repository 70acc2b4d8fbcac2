import { assert, assertEquals, assertStrictEquals } from "./deps.ts";
import { createClient, memoryStorage } from "../mod.ts";
import { createInspector } from "../actors/inspector/server.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { artifactDir, hasChromium, launchChromium } from "./support/browser.ts";

async function until(pred: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const PASSWORD = "Tr0ub4dor&3-correct-horse";

Deno.test({
  name:
    "inspector page in Chromium: connection online highlighted, hot swap, record, save and replay; no credential in the recording",
  ignore: (!hasChromium() || !hasProsody()) && !requireServers(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startProsody({ accounts: { alice: PASSWORD } });
    const inspector = createInspector({ pageBuffer: 2000 });
    const browser = await launchChromium();
    const xmpp = createClient({
      jid: "alice@localhost/inspect",
      password: PASSWORD,
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
      // PLAIN (over TLS): its payload is known, and must not be recorded.
      saslMechanisms: ["PLAIN"],
      inspect: inspector.inspect,
    });
    // Another site open in the same browser.
    const evil = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () =>
        new Response("<!doctype html><title>evil</title>", {
          headers: { "content-type": "text/html" },
        }),
    );
    const artifacts = await artifactDir();
    try {
      const context = await browser.newContext({
        acceptDownloads: true,
        viewport: { width: 1600, height: 1000 },
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      // Nothing but our own server is asked for anything.
      const foreign: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(inspector.url.slice(0, -1))) {
          foreign.push(r.url());
        }
      });
      // (Page code as strings: the tests are type-checked without the DOM.)
      const storageSessions = (): Promise<string[]> =>
        page.evaluate(
          `[...document.querySelectorAll('#tree li[data-name="xep_0231.api"] > ul > li[data-name^="storage"]')].map((li) => li.dataset.session)`,
        );
      const slide = (v: number) =>
        page.evaluate(
          `(() => { const i = document.getElementById("slider"); i.value = "${v}"; i.dispatchEvent(new Event("input")); })()`,
        );
      // Another site, even knowing the URL with its token, gets nothing:
      // its WebSocket is refused (its Origin is not the inspector's).
      const other = await context.newPage();
      await other.goto(`http://localhost:${evil.addr.port}/`);
      const stolen = await other.evaluate(`new Promise((resolve) => {
        const ws = new WebSocket(${
        JSON.stringify(`${inspector.url.replace(/^http/, "ws")}page`)
      });
        const got = [];
        ws.onmessage = (e) => got.push(e.data);
        ws.onclose = () => resolve({ opened: false, got });
        ws.onopen = () => setTimeout(() => resolve({ opened: true, got }), 500);
      })`);
      assertEquals(stolen, { opened: false, got: [] });
      await other.close();

      await page.goto(inspector.url);
      await page.waitForSelector("#conn.up");

      // Record from before the login: the recording covers it.
      await page.click("#record");
      // The connection reaches `online`, highlighted in its chart.
      await xmpp.start();
      const online =
        '.chart[data-actor="connection:alice@localhost/inspect"] .st.active[data-path="session.online"]';
      await page.waitForSelector(online);
      await page.waitForSelector(
        '#tree li[data-name="connection:alice@localhost/inspect"]',
      );

      // Record, then hot swap the BoB storage.
      const bob = xmpp.registerPlugin("xep_0231");
      const cid = await bob.setBob(new Uint8Array([1, 2, 3]), "text/plain");
      await page.waitForSelector('#tree li[data-name="xep_0231.api"]');
      const storageBefore = await storageSessions();
      assertStrictEquals(storageBefore.length, 1);
      await bob.api.bind(memoryStorage(), { migrate: true });
      await bob.getBob({ cid });
      // The new storage actor replaces the old one under the registry.
      await until(async () => {
        const now = await storageSessions();
        return now.length === 1 && now[0] !== storageBefore[0];
      });
      // The bind messages in the sequence view, filterable by type.
      await page.fill("#filter-type", "bind");
      await page.waitForSelector('#seq tr[data-type="api.bind"]');
      await page.fill("#filter-type", "storage.");
      await page.waitForSelector('#seq tr[data-type="storage.drain"]');
      await page.waitForSelector('#seq tr[data-type="storage.set"]');
      const types: string[] = await page.evaluate(
        `[...document.querySelectorAll("#seq tbody tr")].map((tr) => tr.dataset.type)`,
      );
      assert(types.every((t) => t.includes("storage.")), String(types));
      await page.fill("#filter-type", "");
      await page.screenshot({ path: `${artifacts}/inspector.png` });

      // Stop recording, save it as JSON lines, load it back and step.
      await page.click("#record");
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("#save"),
      ]);
      const file = `${artifacts}/recording.jsonl`;
      await download.saveAs(file);
      const lines = (await Deno.readTextFile(file)).trim().split("\n");
      const frames = lines.map((l) => JSON.parse(l));
      assert(frames.some((f) => f.event?.type === "api.bind"));
      assert(frames.some((f) => f.type === "@xstate.actor" && f.graph));
      // The login is in it, its credentials are not.
      assert(frames.some((f) => f.event?.type === "sasl.write"));
      const text = await Deno.readTextFile(file);
      for (const secret of [PASSWORD, btoa(`\0alice\0${PASSWORD}`)]) {
        assert(!text.includes(secret), "the recording holds a credential");
      }

      await page.setInputFiles("#load", file);
      await page.waitForSelector("#replay:not([hidden])");
      assertStrictEquals(
        await page.textContent("#position"),
        `${frames.length} / ${frames.length}`,
      );
      // At the start of the recording: the old storage, no bind yet.
      const bindAt = frames.findIndex((f) => f.event?.type === "api.bind");
      await slide(bindAt);
      await until(async () =>
        (await storageSessions()).includes(storageBefore[0])
      );
      assertStrictEquals(await page.$('#seq tr[data-type="api.bind"]'), null);
      // One step on: the bind message is there.
      await slide(bindAt + 1);
      await page.waitForSelector('#seq tr[data-type="api.bind"]');
      await page.screenshot({ path: `${artifacts}/inspector-replay.png` });
      await page.click("#live");
      await page.waitForSelector("#replay[hidden]", { state: "attached" });

      // A page that goes away and comes back gets the current state.
      await page.reload();
      await page.waitForSelector(online);

      // Pause: the server buffers for this page, then drops the oldest and
      // the page shows how many.
      await page.click("#pause");
      for (let i = 0; i < 3000; i++) {
        await bob.setBob(new Uint8Array([i & 255, i >> 8, 9]), "text/plain");
      }
      await page.click("#pause");
      await page.waitForSelector("#dropped.some");
      assertEquals(errors, []);
      assertEquals(foreign, []);
      console.log(`screenshots in ${artifacts}`);
    } finally {
      await xmpp.stop();
      await browser.close();
      await inspector.close();
      await evil.shutdown();
      await server.stop();
    }
  },
});
