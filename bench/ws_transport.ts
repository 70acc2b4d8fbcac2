/**
 * BoB fetches per second over WebSocket (`ws://`) in Deno, by transport,
 * next to STARTTLS (`xmpp://` upgraded with the test CA) in the same run:
 *
 * - `starttls`: the TCP transport (`actors/transport/tcp.ts`), the
 *   reference rate (issue 23: WebSocket ≥ 70 % of it in every cell);
 * - `deno-ws`: Deno's own `WebSocket` (`makeWebsocketTransport` with
 *   `new WebSocket()`): Nagle on, header and payload as two sends;
 * - `npm-ws`: npm `ws` 8 through Deno's `node:net` (it sets no-delay);
 * - `ours`: `actors/transport/websocket_socket.ts`, RFC 6455 on
 *   `Deno.connect` with no-delay and one write per turn (what
 *   `actors/connection/deno.ts` serves `ws://` and `wss://` with);
 * - `ours-nopong`: the same without the empty pong after each `<a/>`.
 *
 *     deno run -A bench/ws_transport.ts [--n 1000] [--rounds 3]
 *         [--sizes 16,4096,61440] [--sm on,off] [--only ours,deno-ws]
 *         [--browser only|also]
 *
 * alice and bob are both `createClient()` clients over the transport under
 * test (every transport's pair online at once); bob stores 32 blobs per
 * size, alice fetches with `getBob({ cached: false })`: N one at a time,
 * then N with 32 in flight (N / 10, at least 100, for sizes over 8 KiB),
 * after 20 warm-up fetches. Cell by cell, each round runs every transport,
 * rotating which goes first, so they share the machine's load alike; the
 * table shows the median round of each and its ratio to STARTTLS.
 *
 * `--browser also` (or `only`) adds the case where the stall sat on the
 * serving socket: the browser bundle in headless Chromium, over Chromium's
 * own `WebSocket` with stream management on, fetches from a Deno client
 * that serves over each transport (16 B and 4 KiB, one at a time and 32 in
 * flight; the page's client is the same in every row).
 *
 * @module
 */
// deno-lint-ignore no-import-prefix
import NpmWebSocket from "npm:ws@8.23.0";
import { createClient } from "../mod.ts";
import type { TransportLogic } from "../actors/transport/protocol.ts";
import { makeWebsocketTransport } from "../actors/transport/websocket.ts";
import { denoWebsocketTransport } from "../actors/transport/websocket_deno.ts";
import { makeSocketWebsocketTransport } from "../actors/transport/websocket_socket.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { launchChromium } from "../tests/support/browser.ts";
import { serveStatic } from "../examples/browser/serve.ts";
import { buildBrowser } from "./bundle.ts";
import { flag } from "./_args.ts";
import { blob, runWorkers } from "./_fetch.ts";

const SIZES = flag("sizes", "16,4096,61440").split(",").map(Number);
const SMS = flag("sm", "on,off").split(",").map((s) => s === "on");
const IN_FLIGHT = 32;
const TYPE = "image/png";
const n = Number(flag("n", "1000"));
const rounds = Number(flag("rounds", "3"));
const only = flag("only", "").split(",").filter(Boolean);

/** Deno's own WebSocket, as the transport was before issue 23. */
const denoWs: TransportLogic = makeWebsocketTransport((url, protocol) => ({
  ws: new WebSocket(url, protocol),
}));
/** npm `ws` (its browser-like API: onopen, onmessage, protocol, …). */
const npmWs: TransportLogic = makeWebsocketTransport((url, protocol, ca) => ({
  ws: new NpmWebSocket(
    url,
    protocol,
    ca ? { ca: [...ca] } : {},
  ) as unknown as WebSocket,
}));

type Cell = { c1: number; c32: number };
type Result = Record<string, Cell>; // by `${sm}/${size}`

interface Contestant {
  name: string;
  service: (s: { c2sPort: number; wsUrl: string }) => string;
  transports?: Record<string, TransportLogic>;
}
const all: Contestant[] = [
  { name: "starttls", service: (s) => `xmpp://127.0.0.1:${s.c2sPort}` },
  {
    name: "deno-ws",
    service: (s) => s.wsUrl,
    transports: { ws: denoWs },
  },
  { name: "npm-ws", service: (s) => s.wsUrl, transports: { ws: npmWs } },
  {
    name: "ours-nopong",
    service: (s) => s.wsUrl,
    transports: { ws: makeSocketWebsocketTransport({ pongAfterAck: false }) },
  },
  {
    name: "ours",
    service: (s) => s.wsUrl,
    transports: { ws: denoWebsocketTransport },
  },
];
const contestants = all.filter((c) =>
  only.length === 0 || c.name === "starttls" || only.includes(c.name)
);

/** Two clients over `c`, each size's 32 blobs stored on bob. */
async function openPair(
  c: Contestant,
  server: { c2sPort: number; wsUrl: string; caPem: string },
  sm: boolean,
) {
  const opts = {
    password: "pw",
    service: c.service(server),
    tls: { caCerts: [server.caPem] },
    streamManagement: { enabled: sm },
    ...(c.transports ? { transports: c.transports } : {}),
  };
  const alice = createClient({ jid: `alice@localhost/${c.name}`, ...opts });
  const bob = createClient({ jid: `bob@localhost/${c.name}`, ...opts });
  await Promise.all([alice.start(), bob.start()]);
  const mine = alice.registerPlugin("xep_0231");
  const theirs = bob.registerPlugin("xep_0231");
  const to = bob.jid!;
  const cids: Record<number, string[]> = {};
  for (const size of SIZES) {
    cids[size] = [];
    for (let k = 0; k < IN_FLIGHT; k++) {
      cids[size].push(await theirs.setBob(blob(k, size), TYPE));
    }
  }
  return {
    fetch: async (size: number, k: number) => {
      const got = await mine.getBob({
        cid: cids[size][k],
        jid: to,
        cached: false,
      });
      if (got.data.length !== size) {
        throw new Error(`unexpected answer: ${got.data.length} bytes`);
      }
    },
    close: () => Promise.all([alice.stop(), bob.stop()]),
  };
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const label = (size: number) =>
  size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`;

const results: Result[][] = contestants.map(() =>
  Array.from({ length: rounds }, () => ({}))
);
const browserMode = flag("browser", "");
const server = await startProsody();
try {
  if (browserMode) await browserRows(server);
  for (const sm of browserMode === "only" ? [] : SMS) {
    // every transport's pair is online at once; the cells interleave, so a
    // burst of load elsewhere on the machine hits them all alike
    const pairs: Awaited<ReturnType<typeof openPair>>[] = [];
    for (const c of contestants) pairs.push(await openPair(c, server, sm));
    try {
      for (const size of SIZES) {
        const count = size > 8192 ? Math.max(100, Math.round(n / 10)) : n;
        for (let i = 0; i < contestants.length; i++) {
          for (let w = 0; w < 20; w++) await pairs[i].fetch(size, w % 32);
        }
        for (let r = 0; r < rounds; r++) {
          const line: string[] = [];
          for (let k = 0; k < contestants.length; k++) {
            const i = (r + k) % contestants.length;
            const f = (j: number) => pairs[i].fetch(size, j);
            const cell = { c1: NaN, c32: NaN };
            results[i][r][`${sm}/${size}`] = cell;
            try {
              cell.c1 = await runWorkers(count, 1, f);
              cell.c32 = await runWorkers(count, IN_FLIGHT, f);
            } catch (err) {
              // reported, and left out of the median; the run goes on
              console.error(`${contestants[i].name} failed: ${err}`);
            }
            line.push(
              `${contestants[i].name} ${cell.c1.toFixed(0)}/${
                cell.c32.toFixed(0)
              }`,
            );
          }
          console.error(
            `SM ${sm ? "on" : "off"} ${label(size)} round ${r + 1}: ${
              line.join(", ")
            }`,
          );
        }
      }
    } finally {
      await Promise.all(pairs.map((p) => p.close()));
    }
  }
} finally {
  await server.stop();
}

if (browserMode === "only") Deno.exit(0);
console.log(
  `n=${n}, rounds=${rounds}, median round; fetches/s one at a time / ${IN_FLIGHT} in flight (% of STARTTLS: of the medians [median of the per-round ratios])\n`,
);
console.log(`| SM, size | ${contestants.map((c) => c.name).join(" | ")} |`);
console.log(`|---|${contestants.map(() => "---:").join("|")}|`);
for (const sm of SMS) {
  for (const size of SIZES) {
    const key = `${sm}/${size}`;
    const ref = {
      c1: median(results[0].map((r) => r[key]?.c1 ?? NaN)),
      c32: median(results[0].map((r) => r[key]?.c32 ?? NaN)),
    };
    // the ratio of the medians, and in brackets the median of the ratios
    // taken round by round (each round's cells ran side by side)
    const perRound = (rs: Result[], k: "c1" | "c32") =>
      median(
        rs.map((r, i) =>
          (r[key]?.[k] ?? NaN) / (results[0][i][key]?.[k] ?? NaN)
        ),
      );
    const cells = results.map((rs) => {
      const c1 = median(rs.map((r) => r[key]?.c1 ?? NaN));
      const c32 = median(rs.map((r) => r[key]?.c32 ?? NaN));
      return `${c1.toFixed(0)} / ${c32.toFixed(0)} (${
        (100 * c1 / ref.c1).toFixed(0)
      } % [${(100 * perRound(rs, "c1")).toFixed(0)}] / ${
        (100 * c32 / ref.c32).toFixed(0)
      } % [${(100 * perRound(rs, "c32")).toFixed(0)}])`;
    });
    console.log(
      `| SM ${sm ? "on" : "off"}, ${label(size)} | ${cells.join(" | ")} |`,
    );
  }
}

/** The browser bundle in Chromium fetching from a Deno peer per transport. */
async function browserRows(
  server: { c2sPort: number; wsUrl: string; caPem: string },
): Promise<void> {
  const dist = await Deno.makeTempDir({ prefix: "xmpp-actors-bench-" });
  await buildBrowser(dist);
  await Deno.writeTextFile(
    `${dist}/bench.html`,
    `<!doctype html><script type="module">import * as mod from "./xmpp-actors.js"; globalThis.mod = mod;</script>`,
  );
  const site = serveStatic(dist);
  const browser = await launchChromium();
  const sizes = SIZES.filter((s) => s <= 4096);
  const rows: Record<string, number[][]> = {};
  try {
    const page = await browser.newPage();
    await page.goto(`${site.url}bench.html`);
    await page.waitForFunction("globalThis.mod !== undefined");
    await page.evaluate(`(async () => {
      globalThis.xmpp = mod.createClient({ jid: "carol@localhost/page",
        password: "pw", service: ${JSON.stringify(server.wsUrl)},
        streamManagement: { enabled: true } });
      await xmpp.start();
      globalThis.bob = xmpp.registerPlugin("xep_0231");
    })()`);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < contestants.length; k++) {
        const c = contestants[(r + k) % contestants.length];
        const peer = createClient({
          jid: "bob@localhost/serving",
          password: "pw",
          service: c.service(server),
          tls: { caCerts: [server.caPem] },
          streamManagement: { enabled: true },
          ...(c.transports ? { transports: c.transports } : {}),
        });
        try {
          await peer.start();
          const serving = peer.registerPlugin("xep_0231");
          const row: number[] = [];
          for (const size of sizes) {
            const cids: string[] = [];
            for (let b = 0; b < IN_FLIGHT; b++) {
              cids.push(await serving.setBob(blob(b, size), TYPE));
            }
            const got = await page.evaluate(`(async () => {
              const cids = ${JSON.stringify(cids)}, to = ${
              JSON.stringify(peer.jid)
            };
              const fetch = (k) => bob.getBob({ cid: cids[k], jid: to, cached: false });
              for (let i = 0; i < 20; i++) await fetch(i % cids.length);
              const run = async (total, width) => {
                let left = total;
                const t0 = performance.now();
                await Promise.all(Array.from({ length: width }, async (_, k) => {
                  while (left > 0) { left--; await fetch(k); }
                }));
                return total / ((performance.now() - t0) / 1000);
              };
              return [await run(${n}, 1), await run(${n}, ${IN_FLIGHT})];
            })()`) as number[];
            row.push(...got);
          }
          (rows[c.name] ??= []).push(row);
          console.error(
            `browser round ${r + 1} from ${c.name}: ${
              row.map((x) => x.toFixed(0)).join("/")
            }`,
          );
        } finally {
          await peer.stop();
        }
      }
    }
  } finally {
    await browser.close();
    await site.close();
    await Deno.remove(dist, { recursive: true });
  }
  console.log(
    `\nChromium (bundle, its own WebSocket, SM on) fetching from a Deno peer; median of ${rounds}; fetches/s one at a time / ${IN_FLIGHT} in flight\n`,
  );
  console.log(
    `| Deno peer serves over | ${sizes.map((s) => label(s)).join(" | ")} |`,
  );
  console.log(`|---|${sizes.map(() => "---:").join("|")}|`);
  for (const c of contestants) {
    const rs = rows[c.name] ?? [];
    const cells = sizes.map((_, i) =>
      `${median(rs.map((r) => r[2 * i])).toFixed(0)} / ${
        median(rs.map((r) => r[2 * i + 1])).toFixed(0)
      }`
    );
    console.log(`| ${c.name} | ${cells.join(" | ")} |`);
  }
}
