/**
 * The floor under a browser client: WebSocket round trips per second with
 * nothing on top (no XMPP, no XML, no actors), headless Chromium's own
 * `WebSocket` next to a Deno client, against one echo server in this
 * process, in the same run.
 *
 *     deno run -A bench/browser_ws_floor.ts [--n 2000] [--rounds 3]
 *
 * Two shapes per round: one message out, one back (an IQ and its answer);
 * and one out, two back, one more out (the same with stream management on:
 * the answer, the server's `<r/>`, our `<a/>`). A BoB fetch from a browser
 * client takes at least one such round trip on top of the server's path,
 * so this bounds what `bench/matrix.ts` can show for its "WebSocket,
 * Chromium client" row.
 *
 * @module
 */
import { launchChromium } from "../tests/support/browser.ts";
import { flag } from "./_args.ts";

const n = Number(flag("n", "2000"));
const rounds = Number(flag("rounds", "3"));

const server = Deno.serve(
  { port: 0, hostname: "127.0.0.1", onListen() {} },
  (req) => {
    if (req.headers.get("upgrade") !== "websocket") {
      return new Response("<!doctype html><title>floor</title>", {
        headers: { "content-type": "text/html" },
      });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = (e) => {
      socket.send("answer");
      if (e.data === "iq+sm") socket.send("r");
    };
    return response;
  },
);
const url = `ws://127.0.0.1:${server.addr.port}/`;

/**
 * Round trips per second over a fresh WebSocket; the same source runs in
 * Chromium (as text) and here.
 */
const ROUND_TRIPS = `async ({ url, n, shape }) => {
  const ws = new WebSocket(url);
  await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
  let done = () => {};
  ws.onmessage = (e) => {
    if (e.data === "answer") done();
    else if (e.data === "r") ws.send("a");
  };
  const once = () => new Promise((ok) => { done = ok; ws.send(shape); });
  for (let i = 0; i < 200; i++) await once();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  const rate = n / ((performance.now() - t0) / 1000);
  ws.close();
  return rate;
}`;
type Run = (a: { url: string; n: number; shape: string }) => Promise<number>;
const here = (0, eval)(ROUND_TRIPS) as Run;

const chromium = await launchChromium();
const page = await chromium.newPage();
await page.goto(url.replace("ws:", "http:"));
const best: Record<string, number> = {};
const keep = (k: string, v: number) => best[k] = Math.max(best[k] ?? 0, v);
try {
  for (let r = 0; r < rounds; r++) {
    for (const shape of ["iq", "iq+sm"]) {
      const arg = { url, n, shape };
      keep(
        `chromium ${shape}`,
        await page.evaluate(`(${ROUND_TRIPS})(${JSON.stringify(arg)})`),
      );
      keep(`deno ${shape}`, await here(arg));
    }
  }
} finally {
  await chromium.close();
  await server.shutdown();
}
console.log(`WebSocket round trips/s, best of ${rounds} rounds, n=${n}:`);
console.log("| client | 1 out, 1 back | 1 out, 2 back, 1 more out |");
console.log("| ------ | ---: | ---: |");
for (const who of ["chromium", "deno"]) {
  const a = Math.round(best[`${who} iq`]);
  const b = Math.round(best[`${who} iq+sm`]);
  console.log(`| ${who} | ${a} | ${b} |`);
}
