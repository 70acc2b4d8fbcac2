/**
 * Regenerate the inspector screenshots in docs/ from the page as it is now:
 * two clients (alice and bob) on a throwaway Prosody, BoB entries, a hot swap
 * with migration; headless Chromium takes
 *
 * - `docs/inspector.png`: the live page (statecharts, sequence, payload);
 * - `docs/inspector-swap.png`: travelled back into the migration (the bar,
 *   both storages side by side).
 *
 *   deno task screenshots
 *
 * Needs Debian's `prosody` and `chromium` (as the integration tests do).
 *
 * @module
 */
import { createClient, createInspector, memoryStorage } from "../mod.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { launchChromium } from "../tests/support/browser.ts";

const docs = new URL("../docs/", import.meta.url);
const server = await startProsody({ accounts: { alice: "pw", bob: "pw" } });
const inspector = createInspector();
const browser = await launchChromium();
const client = (jid: string) =>
  createClient({
    jid,
    password: "pw",
    service: `xmpp://127.0.0.1:${server.c2sPort}`,
    tls: { caCerts: [server.caPem] },
    inspect: inspector.inspect,
  });
const alice = client("alice@localhost/laptop");
const bob = client("bob@localhost/phone");
try {
  const page = await (await browser.newContext({
    viewport: { width: 1680, height: 1050 },
  })).newPage();
  await page.goto(inspector.url);
  await page.waitForSelector("#conn.up");
  await Promise.all([alice.start(), bob.start()]);
  await page.waitForSelector(
    '.chart[data-actor="connection:alice@localhost/laptop"] .st.active[data-path="session.online"]',
  );
  const plugin = alice.registerPlugin("xep_0231");
  for (let i = 0; i < 40; i++) {
    await plugin.setBob(new Uint8Array([i, 2, 3]), "text/plain");
  }
  await plugin.api.bind(memoryStorage(), { migrate: true, batchSize: 4 });
  await page.waitForSelector("#binds .bind");
  await page.click('#seq tbody tr[data-type="api.bind"]').catch(() => {});
  await new Promise((r) => setTimeout(r, 500));
  await page.screenshot({ path: new URL("inspector.png", docs).pathname });
  console.log("wrote docs/inspector.png");
  await page.click("#binds .bind");
  for (let i = 0; i < 300; i++) {
    if (await page.evaluate(`!document.getElementById("migration").hidden`)) {
      break;
    }
    await page.click("#step");
  }
  await page.screenshot({ path: new URL("inspector-swap.png", docs).pathname });
  console.log("wrote docs/inspector-swap.png");
} finally {
  await alice.stop();
  await bob.stop();
  await browser.close();
  await inspector.close();
  await server.stop();
}
