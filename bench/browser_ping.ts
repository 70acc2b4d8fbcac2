/**
 * XMPP pings to the server over WebSocket, one at a time, from the browser
 * bundle in headless Chromium next to our Deno client, with stream
 * management off and on, through one throwaway Prosody, in the same run.
 *
 *     deno run -A bench/browser_ping.ts [--n 1000] [--rounds 2]
 *
 * No peer and no storage: what is left is the client, its WebSocket and
 * Prosody. Compare with `bench/browser_ws_floor.ts` (the WebSocket alone).
 *
 * @module
 */
import { createClient, xml } from "../mod.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { launchChromium } from "../tests/support/browser.ts";
import { buildBrowser } from "./bundle.ts";
import { serveStatic } from "../examples/browser/serve.ts";
import { flag } from "./_args.ts";

const n = Number(flag("n", "1000"));
const rounds = Number(flag("rounds", "2"));
const WARMUP = 200;

const server = await startProsody();
const dist = await Deno.makeTempDir({ prefix: "xmpp-actors-ping-" });
await buildBrowser(dist);
const root = new URL("../", import.meta.url).pathname;
const site = serveStatic(root, { mounts: { "/dist/": dist } });
const chromium = await launchChromium();

/** Pings per second from our Deno client. */
async function deno(sm: boolean): Promise<number> {
  const client = createClient({
    jid: "bob@localhost/deno",
    password: "pw",
    service: server.wsUrl,
    allowPlainWithoutTls: true,
    streamManagement: { enabled: sm },
  });
  await client.start();
  try {
    const ping = () =>
      client.iq(
        xml(
          "iq",
          { type: "get", to: "localhost" },
          xml("ping", { xmlns: "urn:xmpp:ping" }),
        ),
      );
    for (let i = 0; i < WARMUP; i++) await ping();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await ping();
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await client.stop();
  }
}

/** Pings per second from the bundle in a Chromium page. */
async function browser(sm: boolean): Promise<number> {
  const page = await chromium.newPage();
  try {
    await page.goto(`${site.url}examples/browser/index.html?storage=memory`);
    const setup = { service: server.wsUrl, sm, n, warmup: WARMUP };
    return await page.evaluate(`(async () => {
      const s = ${JSON.stringify(setup)};
      const { createClient, xml } = await import("/dist/xmpp-actors.js");
      const client = createClient({ jid: "alice@localhost/chromium",
        password: "pw", service: s.service, allowPlainWithoutTls: true,
        streamManagement: { enabled: s.sm } });
      await client.start();
      const ping = () => client.iq(xml("iq", { type: "get", to: "localhost" },
        xml("ping", { xmlns: "urn:xmpp:ping" })));
      for (let i = 0; i < s.warmup; i++) await ping();
      const t0 = performance.now();
      for (let i = 0; i < s.n; i++) await ping();
      const rate = s.n / ((performance.now() - t0) / 1000);
      await client.stop();
      return rate;
    })()`) as number;
  } finally {
    await page.close();
  }
}

const best: Record<string, number> = {};
const keep = (k: string, v: number) => best[k] = Math.max(best[k] ?? 0, v);
try {
  for (let r = 0; r < rounds; r++) {
    for (const sm of r % 2 ? [true, false] : [false, true]) {
      const key = sm ? "on" : "off";
      keep(`deno ${key}`, await deno(sm));
      keep(`chromium ${key}`, await browser(sm));
    }
  }
} finally {
  await chromium.close();
  await site.close();
  await server.stop();
  await Deno.remove(dist, { recursive: true }).catch(() => {});
}
console.log(`Pings/s to Prosody over ws://, best of ${rounds} rounds, n=${n}:`);
console.log("| client | SM off | SM on |");
console.log("| ------ | ---: | ---: |");
for (const who of ["chromium", "deno"]) {
  const off = Math.round(best[`${who} off`]);
  const on = Math.round(best[`${who} on`]);
  console.log(`| ${who} | ${off} | ${on} |`);
}
