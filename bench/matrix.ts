/**
 * Every path a user can pick, in one run: BoB fetches per second between two
 * clients through a throwaway Prosody, by transport (plain TCP, STARTTLS,
 * direct TLS, WebSocket) × payload (16 B, 4 KiB, 60 KiB) × stream
 * management (off, on) × requests in flight (1, 32); next to slixmpp 1.8.3
 * on the transports it has (plain, STARTTLS, direct TLS), the bare-socket
 * ceiling (plain TCP and direct TLS, no XML library, `bench/_bare_iq.ts`),
 * and the browser bundle in headless Chromium as the fetching client over
 * WebSocket (the serving peer is ours over WebSocket too).
 *
 *     deno run -A bench/matrix.ts [--n 500] [--nbig 150] [--rounds 2]
 *         [--transports plain,starttls,tls,ws] [--sizes 16,4096,61440]
 *         [--browser on|off] [--slixmpp on|off] [--server-nodelay on|off]
 *         [--write-docs]
 *
 * `--n` fetches per cell (`--nbig` for 60 KiB), after 200 warm-up fetches
 * (20 at 60 KiB). Each round runs every variant once (stream management off
 * then on, on then off in the next round: what runs first in a process also
 * pays for compiling); each cell shows the best of the rounds.
 * Both clients of a pair use the same transport and the same stream
 * management setting; the blobs are stored with `setBob` in memory, the
 * fetcher asks with `cached: false` and checks the hash of what it gets.
 * `--server-nodelay on` starts Prosody with Nagle off on its sockets
 * (`network_settings = { nagle = false }`, see `noDelay` in
 * `tests/support/prosody.ts`); by default Prosody keeps Nagle on, and a
 * 60 KiB answer then waits up to ~40 ms at the server for every client.
 * With `--write-docs` (or its old name `--write-readme`) the tables replace
 * what is between the `<!-- bench:matrix -->` markers of
 * docs/benchmarks.md.
 *
 * @module
 */
import { type ClientOptions, createClient } from "../mod.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { launchChromium } from "../tests/support/browser.ts";
import { buildBrowser } from "./bundle.ts";
import { serveStatic } from "../examples/browser/serve.ts";
import { openBarePair } from "./_bare_iq.ts";
import { flag } from "./_args.ts";
import { blob, runWorkers } from "./_fetch.ts";

const PYTHON = "/usr/bin/python3";
const SLIXMPP = new URL("./_slixmpp_bob_fetch.py", import.meta.url).pathname;
const IN_FLIGHT = 32;
const TYPE = "image/png";
const n = Number(flag("n", "500"));
const nbig = Number(flag("nbig", "150"));
const rounds = Number(flag("rounds", "2"));
const SIZES = flag("sizes", "16,4096,61440").split(",").map(Number);
const TRANSPORTS = flag("transports", "plain,starttls,tls,ws").split(
  ",",
) as Transport[];
const withBrowser = flag("browser", "on") === "on";
const withSlixmpp = flag("slixmpp", "on") === "on";
const writeDocs = Deno.args.includes("--write-docs") ||
  Deno.args.includes("--write-readme");
const serverNoDelay = flag("server-nodelay", "off") === "on";

type Transport = "plain" | "starttls" | "tls" | "ws";
/** Fetches per second by size: one at a time, 32 in flight. */
type Cells = Record<number, { c1: number; c32: number }>;

const countFor = (size: number) => size >= 16384 ? nbig : n;
const warmupFor = (size: number) => size >= 16384 ? 20 : 200;

const server = await startProsody({ noDelay: serverNoDelay });
const ca = await Deno.makeTempFile({ suffix: ".pem" });
await Deno.writeTextFile(ca, server.caPem);

function options(t: Transport, sm: boolean): Omit<ClientOptions, "jid"> {
  const base = { password: "pw", streamManagement: { enabled: sm } };
  switch (t) {
    case "plain":
      return {
        ...base,
        service: `xmpp://127.0.0.1:${server.c2sPort}`,
        tls: { starttls: false },
        allowPlainWithoutTls: true,
      };
    case "starttls":
      return {
        ...base,
        service: `xmpp://127.0.0.1:${server.c2sPort}`,
        tls: { caCerts: [server.caPem] },
      };
    case "tls":
      return {
        ...base,
        service: `xmpps://localhost:${server.directTlsPort}`,
        tls: { caCerts: [server.caPem] },
      };
    case "ws":
      return { ...base, service: server.wsUrl, allowPlainWithoutTls: true };
  }
}

/** Our pair on transport `t`: bob serves, alice fetches. */
async function ours(t: Transport, sm: boolean): Promise<Cells> {
  const alice = createClient({
    jid: "alice@localhost/ours",
    ...options(t, sm),
  });
  const bob = createClient({ jid: "bob@localhost/ours", ...options(t, sm) });
  try {
    await Promise.all([alice.start(), bob.start()]);
    const mine = alice.registerPlugin("xep_0231");
    const theirs = bob.registerPlugin("xep_0231");
    const to = bob.jid!;
    const out: Cells = {};
    for (const size of SIZES) {
      const cids: string[] = [];
      for (let k = 0; k < IN_FLIGHT; k++) {
        cids.push(await theirs.setBob(blob(k, size), TYPE));
      }
      const fetch = async (k: number) => {
        const got = await mine.getBob({ cid: cids[k], jid: to, cached: false });
        if (got.data.length !== size) throw new Error("unexpected answer");
      };
      for (let i = 0; i < warmupFor(size); i++) await fetch(i % IN_FLIGHT);
      out[size] = {
        c1: await runWorkers(countFor(size), 1, fetch),
        c32: await runWorkers(countFor(size), IN_FLIGHT, fetch),
      };
    }
    return out;
  } finally {
    await Promise.all([alice.stop(), bob.stop()]);
  }
}

async function slixmpp(t: Transport, sm: boolean): Promise<Cells> {
  const tls = { plain: "none", starttls: "starttls", tls: "direct" }[
    t as "plain" | "starttls" | "tls"
  ];
  const port = t === "tls" ? server.directTlsPort : server.c2sPort;
  const out = await new Deno.Command(PYTHON, {
    args: [
      SLIXMPP,
      ...["--port", String(port), "--n", String(n), "--nbig", String(nbig)],
      "--warmup",
      "200",
      ...["--sizes", SIZES.join(","), "--tls", tls, "--ca", ca],
      ...(sm ? ["--sm"] : []),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`slixmpp failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const text = new TextDecoder().decode(out.stdout).trim();
  const got = JSON.parse(text.split("\n").at(-1)!) as { results: Cells };
  return Object.fromEntries(SIZES.map((s) => [s, got.results[s]]));
}

/** The bare-socket ceiling: plain TCP, or direct TLS. */
async function bare(t: "plain" | "tls"): Promise<Cells> {
  const out: Cells = {};
  for (const size of SIZES) {
    const cid = "sha1+0000000000000000000000000000000000000000@bob.xmpp.org";
    const data = blob(0, size).toBase64();
    const pair = await openBarePair(
      t === "tls" ? server.directTlsPort : server.c2sPort,
      new Map([[cid, { type: TYPE, data }]]),
      cid,
      t === "tls" ? [server.caPem] : undefined,
    );
    try {
      for (let i = 0; i < warmupFor(size); i++) await pair.fetch();
      out[size] = {
        c1: await runWorkers(countFor(size), 1, pair.fetch),
        c32: await runWorkers(countFor(size), IN_FLIGHT, pair.fetch),
      };
    } finally {
      await pair.close();
    }
  }
  return out;
}

/** The browser bundle in Chromium fetching over ws:// from our Deno peer. */
async function browser(sm: boolean): Promise<Cells> {
  const dist = await Deno.makeTempDir({ prefix: "xmpp-actors-matrix-" });
  await buildBrowser(dist);
  const root = new URL("../", import.meta.url).pathname;
  const site = serveStatic(root, { mounts: { "/dist/": dist } });
  const chromium = await launchChromium();
  const bob = createClient({
    jid: "bob@localhost/deno",
    ...options("ws", sm),
  });
  try {
    await bob.start();
    const theirs = bob.registerPlugin("xep_0231");
    const page = await chromium.newPage();
    page.setDefaultTimeout(600_000);
    await page.goto(`${site.url}examples/browser/index.html?storage=memory`);
    const setup = {
      service: server.wsUrl,
      sm,
      to: bob.jid!,
    };
    await page.evaluate(`(async () => {
      const { createClient } = await import("/dist/xmpp-actors.js");
      const s = ${JSON.stringify(setup)};
      const client = createClient({ jid: "alice@localhost/chromium",
        password: "pw", service: s.service, allowPlainWithoutTls: true,
        streamManagement: { enabled: s.sm } });
      await client.start();
      const bob = client.registerPlugin("xep_0231");
      globalThis.matrix = { client, bob, to: s.to };
    })()`);
    const out: Cells = {};
    for (const size of SIZES) {
      const cids: string[] = [];
      for (let k = 0; k < IN_FLIGHT; k++) {
        cids.push(await theirs.setBob(blob(k, size), TYPE));
      }
      const run = {
        cids,
        size,
        count: countFor(size),
        warmup: warmupFor(size),
        inFlight: IN_FLIGHT,
      };
      out[size] = await page.evaluate(`(async () => {
        const r = ${JSON.stringify(run)};
        const { bob, to } = globalThis.matrix;
        const fetch = async (k) => {
          const got = await bob.getBob({ cid: r.cids[k], jid: to, cached: false });
          if (got.data.length !== r.size) throw new Error("unexpected answer");
        };
        const rate = async (concurrency) => {
          let remaining = r.count;
          const worker = async (k) => {
            while (remaining > 0) { remaining--; await fetch(k); }
          };
          const t0 = performance.now();
          await Promise.all(Array.from({ length: concurrency }, (_, k) => worker(k)));
          return r.count / ((performance.now() - t0) / 1000);
        };
        for (let i = 0; i < r.warmup; i++) await fetch(i % r.inFlight);
        return { c1: await rate(1), c32: await rate(r.inFlight) };
      })()`) as { c1: number; c32: number };
    }
    await page.evaluate("globalThis.matrix.client.stop()");
    return out;
  } finally {
    await bob.stop();
    await chromium.close();
    await site.close();
    await Deno.remove(dist, { recursive: true }).catch(() => {});
  }
}

// ---- the run -------------------------------------------------------------

type Key = `${string}/${"off" | "on"}`;
const mine = new Map<Key, Cells>();
const theirs = new Map<Key, Cells>();
const ceiling = new Map<string, Cells>();
const log = (s: string) => console.error(`${new Date().toISOString()} ${s}`);
/** Keeps the best of the rounds, cell by cell. */
function keep(m: Map<string, Cells>, key: string, got: Cells) {
  const old = m.get(key);
  if (!old) return void m.set(key, got);
  for (const s of SIZES) {
    old[s] = {
      c1: Math.max(old[s].c1, got[s].c1),
      c32: Math.max(old[s].c32, got[s].c32),
    };
  }
}
try {
  for (let r = 0; r < rounds; r++) {
    const sms = r % 2 ? [true, false] : [false, true];
    for (const t of TRANSPORTS) {
      for (const sm of sms) {
        const key: Key = `${t}/${sm ? "on" : "off"}`;
        log(`round ${r + 1}: ours ${key}`);
        keep(mine, key, await ours(t, sm));
        if (withSlixmpp && t !== "ws") {
          log(`round ${r + 1}: slixmpp ${key}`);
          keep(theirs, key, await slixmpp(t, sm));
        }
      }
      if (t === "plain" || t === "tls") {
        log(`round ${r + 1}: bare ${t}`);
        keep(ceiling, t, await bare(t));
      }
    }
    if (withBrowser) {
      for (const sm of sms) {
        const key: Key = `chromium/${sm ? "on" : "off"}`;
        log(`round ${r + 1}: ours ${key}`);
        keep(mine, key, await browser(sm));
      }
    }
  }
} finally {
  await server.stop();
  await Deno.remove(ca).catch(() => {});
}

// ---- the tables ----------------------------------------------------------

const NAMES: Record<string, string> = {
  plain: "plain TCP",
  starttls: "STARTTLS",
  tls: "direct TLS",
  ws: "WebSocket",
  chromium: "WebSocket, Chromium client",
};
const sizeName = (s: number) => s % 1024 === 0 ? `${s / 1024} KiB` : `${s} B`;
const num = (x?: number) => x === undefined ? "–" : x.toFixed(0);
const pct = (x?: number) =>
  x === undefined || !Number.isFinite(x) ? "–" : `${(100 * x).toFixed(0)} %`;
const get = (m: Map<string, Cells>, key: string, s: number, k: "c1" | "c32") =>
  m.get(key)?.[s]?.[k];
const rows = [...TRANSPORTS, ...(withBrowser ? ["chromium"] : [])];

const lines: string[] = [];
const out = (s = "") => lines.push(s);
out(
  `BoB fetches/s through Prosody 0.12 (${
    serverNoDelay
      ? "Nagle off: `network_settings = { nagle = false }`"
      : "its default: Nagle on"
  }), n=${n} (${nbig} at 60 KiB) per cell, best of ${rounds} rounds in one run (\`deno run -A bench/matrix.ts${
    serverNoDelay ? " --server-nodelay on" : ""
  }\`, ${new Date().toISOString().slice(0, 10)}).`,
);
out();
out(
  "| path | payload | in flight | ours, SM off | ours, SM on | SM cost | vs STARTTLS (SM on) | slixmpp, SM off | slixmpp, SM on | bare sockets |",
);
out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
const misses: string[] = [];
for (const t of rows) {
  for (const s of SIZES) {
    for (const k of ["c1", "c32"] as const) {
      const off = get(mine, `${t}/off`, s, k);
      const on = get(mine, `${t}/on`, s, k);
      const cost = off && on ? 1 - on / off : undefined;
      const base = get(mine, "starttls/on", s, k);
      const vs = t !== "starttls" && t !== "plain" && on && base
        ? on / base
        : undefined;
      const bareKey = t === "tls" ? "tls" : t === "plain" ? "plain" : "";
      const b = bareKey ? get(ceiling, bareKey, s, k) : undefined;
      const label = `${sizeName(s)}`;
      out(
        `| ${NAMES[t]} | ${label} | ${k === "c1" ? 1 : IN_FLIGHT} | ${
          num(off)
        } | ${num(on)} | ${pct(cost)} | ${pct(vs)} | ${
          num(get(theirs, `${t}/off`, s, k))
        } | ${num(get(theirs, `${t}/on`, s, k))} | ${num(b)} |`,
      );
      const cell = `${NAMES[t]} ${label} ×${k === "c1" ? 1 : IN_FLIGHT}`;
      if (vs !== undefined && vs < 0.7) {
        misses.push(`${cell}: ${pct(vs)} of STARTTLS (target ≥ 70 %)`);
      }
      if (k === "c1" && cost !== undefined && cost > 0.1 && t !== "chromium") {
        misses.push(`${cell}: SM costs ${pct(cost)} (target ≤ 10 %)`);
      }
      if (t === "plain") {
        const sl = get(theirs, "plain/off", s, k);
        const need = s >= 16384 ? 1.5 : 2;
        if (off && sl && b && off < need * sl && off < 0.8 * b) {
          misses.push(
            `${cell}: ${(off / sl).toFixed(2)}× slixmpp, ${
              pct(off / b)
            } of the ceiling (target ≥ ${need}× or ≥ 80 %)`,
          );
        }
      }
    }
  }
}
out();
out(
  misses.length
    ? `Targets missed in this run (issue 23):\n\n${
      misses.map((m) => `- ${m}`).join("\n")
    }`
    : "Every target of issue 23 met in this run.",
);
const table = lines.join("\n");
console.log(table);

if (writeDocs) {
  const path = new URL("../docs/benchmarks.md", import.meta.url);
  const doc = await Deno.readTextFile(path);
  const start = "<!-- bench:matrix -->", end = "<!-- /bench:matrix -->";
  const a = doc.indexOf(start), b = doc.indexOf(end);
  if (a < 0 || b < a) {
    throw new Error("docs/benchmarks.md has no bench:matrix markers");
  }
  await Deno.writeTextFile(
    path,
    `${doc.slice(0, a + start.length)}\n${table}\n${doc.slice(b)}`,
  );
  console.error("docs/benchmarks.md updated");
}
