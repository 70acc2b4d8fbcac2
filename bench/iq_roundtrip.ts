/**
 * IQ round trips per second between two of our clients through a throwaway
 * Prosody, next to slixmpp 1.8.3 doing the same workload in the same run.
 *
 *     deno run -A bench/iq_roundtrip.ts [--n 3000] [--rounds 3] [--sm on|off]
 *
 * Both clients use stream management (XEP-0198; ours by default, slixmpp's
 * `xep_0198` plugin with `--sm`) against Prosody's mod_smacks, which asks
 * for an ack after nearly every stanza; `--sm off` measures both without.
 *
 * The workload is the one of `bench/slixmpp_iq.py`: alice sends bob an IQ get
 * `<data xmlns='urn:xmpp:bob' cid='…'/>`, bob answers with the data element
 * (17 bytes of payload, base64) from an in-memory map. Both sides log in over
 * plain TCP (no TLS), side by side; "connect" is the wall time until both
 * are online. Round trips are timed one at a time and with 32 in flight,
 * after 50 warm-up round trips.
 *
 * A third contestant, in the same run and the same Prosody, is the ceiling:
 * a bare-socket client pair with no XML library (`bench/_bare_iq.ts`, raw
 * `Deno.connect` with no-delay, PLAIN, bind, replies matched by `indexOf`).
 * Each round runs all three, rotating which goes first; the table shows the
 * best round of each and ours as a percentage of the ceiling.
 *
 * @module
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import { type Element, xml } from "../src/deps.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { openBarePair } from "./_bare_iq.ts";
import { flag } from "./_args.ts";
import { runWorkers } from "./_fetch.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./slixmpp_iq.py", import.meta.url).pathname;
const NS_BOB = "urn:xmpp:bob";
const PAYLOAD = new TextEncoder().encode("xmpp-actors bench").toBase64();
const CID = "sha1+0000000000000000000000000000000000000000@bob.xmpp.org";

const n = Number(flag("n", "3000"));
const rounds = Number(flag("rounds", "3"));
/** XEP-0198 for our clients: on (the default) or off. */
const sm = flag("sm", "on") !== "off";

interface Result {
  rt1: number;
  rt32: number;
  connectMs: number;
}

async function ours(port: number): Promise<Result> {
  const opts = {
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    tls: { starttls: false },
    allowPlainWithoutTls: true,
    streamManagement: { enabled: sm },
  };
  const alice = new DenoConnection({ jid: "alice@localhost/bench", ...opts });
  const bob = new DenoConnection({ jid: "bob@localhost/bench", ...opts });
  try {
    const t0 = performance.now();
    await Promise.all([alice.start(), bob.start()]);
    const connectMs = performance.now() - t0;
    const store = new Map([[CID, { type: "text/plain", data: PAYLOAD }]]);
    bob.handle("iq", { type: "get", name: "data", xmlns: NS_BOB }, (iq) => {
      const cid = iq.getChild("data")!.attrs.cid;
      const item = store.get(cid);
      if (!item) {
        throw Object.assign(new Error("no bob"), {
          condition: "item-not-found",
        });
      }
      return xml("data", { xmlns: NS_BOB, cid, type: item.type }, item.data);
    });
    const to = bob.jid!;
    const fetch = async () => {
      const res: Element = await alice.iq(
        xml(
          "iq",
          { type: "get", to },
          xml("data", { xmlns: NS_BOB, cid: CID }),
        ),
      );
      if (res.getChild("data", NS_BOB)?.getText() !== PAYLOAD) {
        throw new Error(`unexpected answer: ${res}`);
      }
    };
    for (let i = 0; i < 50; i++) await fetch();
    const rt1 = await runWorkers(n, 1, fetch);
    const rt32 = await runWorkers(n, 32, fetch);
    return { rt1, rt32, connectMs };
  } finally {
    await Promise.all([alice.stop(), bob.stop()]);
  }
}

async function bare(port: number): Promise<Result> {
  const store = new Map([[CID, { type: "text/plain", data: PAYLOAD }]]);
  const pair = await openBarePair(port, store, CID);
  try {
    for (let i = 0; i < 50; i++) await pair.fetch();
    const rt1 = await runWorkers(n, 1, pair.fetch);
    const rt32 = await runWorkers(n, 32, pair.fetch);
    return { rt1, rt32, connectMs: pair.connectMs };
  } finally {
    await pair.close();
  }
}

async function slixmpp(port: number): Promise<Result> {
  const one = async (concurrency: number) => {
    const out = await new Deno.Command(PYTHON, {
      args: [
        SCRIPT,
        "--port",
        String(port),
        "--n",
        String(n),
        "--concurrency",
        String(concurrency),
        ...(sm ? ["--sm"] : []),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success) {
      throw new Error(
        `slixmpp failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    return JSON.parse(text.split("\n").at(-1)!) as {
      rt_per_s: number;
      connect_s: number;
    };
  };
  const a = await one(1);
  const b = await one(32);
  return {
    rt1: a.rt_per_s,
    rt32: b.rt_per_s,
    connectMs: Math.min(a.connect_s, b.connect_s) * 1000,
  };
}

const contestants = [
  { name: "xmpp-actors", run: ours },
  { name: "slixmpp", run: slixmpp },
  { name: "bare", run: bare },
];
const results: Result[][] = contestants.map(() => []);
const server = await startProsody();
try {
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (let k = 0; k < contestants.length; k++) {
      const c = (r + k) % contestants.length;
      results[c].push(await contestants[c].run(server.c2sPort));
    }
    for (const [c, { name }] of contestants.entries()) {
      const x = results[c].at(-1)!;
      line.push(
        `${name} ${x.rt1.toFixed(0)}/${x.rt32.toFixed(0)} rt/s, ${
          x.connectMs.toFixed(1)
        } ms`,
      );
    }
    console.error(`round ${r + 1}: ${line.join("; ")}`);
  }
} finally {
  await server.stop();
}

const best = (rs: Result[], k: keyof Result) =>
  k === "connectMs"
    ? Math.min(...rs.map((r) => r[k]))
    : Math.max(...rs.map((r) => r[k]));
const rows: [string, keyof Result, boolean][] = [
  ["IQ round trips/s, 1 in flight", "rt1", true],
  ["IQ round trips/s, 32 in flight", "rt32", true],
  ["connect to online, 2 clients (ms)", "connectMs", false],
];
const [mine, theirs, ceiling] = results;
console.log(
  `n=${n}, rounds=${rounds}, best of each, XEP-0198 ${
    sm ? "on" : "off"
  } (both)\n`,
);
console.log(
  "| measure | xmpp-actors | slixmpp 1.8.3 | bare sockets (ceiling) " +
    "| ours / slixmpp | ours / ceiling |",
);
console.log("|---|---:|---:|---:|---:|---:|");
for (const [label, k, higherBetter] of rows) {
  const a = best(mine, k), b = best(theirs, k), c = best(ceiling, k);
  const digits = k === "connectMs" ? 1 : 0;
  const ratio = higherBetter ? a / b : b / a;
  const ofCeiling = higherBetter ? `${(100 * a / c).toFixed(0)} %` : "—";
  console.log(
    `| ${label} | ${a.toFixed(digits)} | ${b.toFixed(digits)} | ${
      c.toFixed(digits)
    } | ${ratio.toFixed(2)}× | ${ofCeiling} |`,
  );
}
