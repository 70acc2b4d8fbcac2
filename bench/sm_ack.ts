/**
 * What stream management costs a BoB fetch, by ack policy: pairs of our
 * clients logged in once over plain TCP to one throwaway Prosody, one per
 * variant (stream management off; on with `ackDelay: 0`, i.e. an `<a/>` for
 * every `<r/>`; on with the defaults; on with `ackEvery: 100`), taking turns
 * round by round (the order reversed every other round), medians of the
 * rounds. Beside the rate it prints our process's CPU µs per fetch
 * (`process.cpuUsage`, both clients) and Prosody's (`/proc/<pid>/stat`,
 * 10 ms ticks), so the cost can be told apart by side.
 *
 *     deno run -A bench/sm_ack.ts [--n 2000] [--rounds 8] [--size 16]
 *         [--in-flight 1] [--server-nodelay on]
 *
 * @module
 */
import process from "node:process";
import { createClient } from "../mod.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { flag } from "./_args.ts";
import { blob, runWorkers } from "./_fetch.ts";

const n = Number(flag("n", "2000"));
const rounds = Number(flag("rounds", "8"));
const size = Number(flag("size", "16"));
const inFlight = Number(flag("in-flight", "1"));
const server = await startProsody({
  noDelay: flag("server-nodelay", "off") === "on",
});

/** Prosody's CPU time so far, µs (every process of that name). */
function prosodyMicros(): number {
  const out = new Deno.Command("pgrep", { args: ["-f", "lua.*prosody"] })
    .outputSync();
  let ticks = 0;
  for (const pid of new TextDecoder().decode(out.stdout).split("\n")) {
    if (!pid.trim()) continue;
    try {
      const f = Deno.readTextFileSync(`/proc/${pid.trim()}/stat`)
        .split(") ")[1].split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch { /* gone */ }
  }
  return ticks * 10_000;
}

const VARIANTS: [string, Record<string, unknown>][] = [
  ["SM off", { enabled: false }],
  ["SM on, ackDelay 0", { ackDelay: 0 }],
  ["SM on, defaults", {}],
  ["SM on, ackEvery 100", { ackEvery: 100 }],
];

async function openPair(tag: string, streamManagement: object) {
  const opts = {
    password: "pw",
    service: `xmpp://127.0.0.1:${server.c2sPort}`,
    tls: { starttls: false },
    allowPlainWithoutTls: true,
    streamManagement,
  };
  const alice = createClient({ jid: `alice@localhost/${tag}`, ...opts });
  const bob = createClient({ jid: `bob@localhost/${tag}`, ...opts });
  await Promise.all([alice.start(), bob.start()]);
  const mine = alice.registerPlugin("xep_0231");
  const theirs = bob.registerPlugin("xep_0231");
  const cids: string[] = [];
  for (let k = 0; k < inFlight; k++) {
    cids.push(await theirs.setBob(blob(k, size), "image/png"));
  }
  const fetch = (k: number) =>
    mine.getBob({ cid: cids[k], jid: bob.jid!, cached: false });
  await runWorkers(300, inFlight, fetch);
  return { fetch, stop: () => Promise.all([alice.stop(), bob.stop()]) };
}

const pairs = [];
for (const [i, [name, sm]] of VARIANTS.entries()) {
  pairs.push({ name, pair: await openPair(`v${i}`, sm) });
}
const seen = new Map<
  string,
  { rate: number[]; ours: number[]; pro: number[] }
>();
for (let r = 0; r < rounds; r++) {
  for (const { name, pair } of r % 2 ? [...pairs].reverse() : pairs) {
    const p0 = prosodyMicros();
    const u0 = process.cpuUsage();
    const rate = await runWorkers(n, inFlight, pair.fetch);
    const u = process.cpuUsage(u0);
    const s = seen.get(name) ?? { rate: [], ours: [], pro: [] };
    seen.set(name, s);
    s.rate.push(rate);
    s.ours.push((u.user + u.system) / n);
    s.pro.push((prosodyMicros() - p0) / n);
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const base = seen.get("SM off")!;
console.log(
  `BoB fetches, ${size} B, ${inFlight} in flight, n=${n}, ${rounds} rounds, medians`,
);
console.log(
  "| variant | fetches/s | cost | our CPU µs/fetch | Prosody CPU µs/fetch |",
);
console.log("|---|---:|---:|---:|---:|");
for (const [name, s] of seen) {
  const cost = 1 - median(s.rate) / median(base.rate);
  console.log(
    `| ${name} | ${median(s.rate).toFixed(0)} | ${
      name === "SM off" ? "–" : `${(100 * cost).toFixed(0)} %`
    } | ${median(s.ours).toFixed(0)} | ${median(s.pro).toFixed(0)} |`,
  );
}
for (const { pair } of pairs) await pair.stop();
await server.stop();
