/**
 * Local XEP-0231 (BoB) storage ops per second, xmpp-actors next to slixmpp
 * 1.8.3, in one run.
 *
 *     deno run -A bench/compare_slixmpp.ts [--n 20000] [--rounds 3] [--stat best|median] [--clock wall|cpu] [--warmup 0]
 *
 * Each round runs, for memory and for file storage, our workload and
 * slixmpp's (`/usr/bin/python3 bench/slixmpp_bob_local.py`), alternating
 * which goes first. Both do the same thing: N `set_bob` with distinct 16-byte
 * payloads (an 8-byte big-endian counter padded with 0x5a, as the Python
 * script makes them), one untimed check, N `get_bob`, N `del_bob`, each call
 * awaited before the next, each phase timed on its own. Ours builds a fresh
 * client per round; in file mode it binds `fileStorage` on a fresh temp dir
 * (new files, like slixmpp's BobLoader in its fresh temp dir).
 *
 * The table reports, per op, the best (default) or the median ops/s over the
 * rounds, for each side separately, and the ratio ours / slixmpp.
 *
 * `--warmup k` runs k untimed rounds of both sides first (default 0): our
 * first round otherwise also pays for compiling the code it runs (V8 tiers
 * a function up only after it ran a while), which a long-running client
 * pays once.
 *
 * `--clock wall` (default) times each phase by the wall clock; `--clock cpu`
 * by the CPU time of the process doing the work (Deno's
 * `process.cpuUsage()`, every thread of ours, garbage collector included;
 * Python's `time.process_time()`), so that on a machine shared with other
 * busy processes neither side's figure counts the time it waited for a core.
 *
 * @module
 */
import process from "node:process";
import { createClient, fileStorage, memoryStorage } from "../mod.ts";

type Mode = "memory" | "file";
type Op = "set" | "get" | "del";
type Rates = Record<Op, number>;

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./slixmpp_bob_local.py", import.meta.url).pathname;
const SIZE = 16;
const MODES: Mode[] = ["memory", "file"];
const OPS: Op[] = ["set", "get", "del"];
// Ours must reach this multiple of slixmpp on these (issue 2, "Benchmarks").
const TARGETS: Record<string, number> = {
  "memory set": 2,
  "memory get": 2,
  "file set": 2,
  "file get": 2,
};

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  if (i >= 0) return Deno.args[i + 1] ?? "";
  const eq = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return eq === undefined ? fallback : eq.slice(name.length + 3);
}
const n = Number(flag("n", "20000"));
const rounds = Number(flag("rounds", "3"));
const stat = flag("stat", "best");
const clock = flag("clock", "wall");
const warmup = Number(flag("warmup", "0"));
if (!Number.isInteger(warmup) || warmup < 0) {
  throw new TypeError("--warmup: non-negative integer");
}
if (clock !== "wall" && clock !== "cpu") {
  throw new TypeError("--clock: wall or cpu");
}
/** Milliseconds on the chosen clock. */
const now = clock === "wall" ? () => performance.now() : () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
if (!Number.isInteger(n) || n < 1) throw new TypeError("--n: positive integer");
if (!Number.isInteger(rounds) || rounds < 1) {
  throw new TypeError("--rounds: positive integer");
}
if (stat !== "best" && stat !== "median") {
  throw new TypeError("--stat: best or median");
}

/** n distinct payloads, byte for byte those of slixmpp_bob_local.py. */
function payloads(count: number, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = new Uint8Array(size).fill(0x5a);
    new DataView(b.buffer).setBigUint64(0, BigInt(i));
    out.push(b);
  }
  return out;
}

async function checkPython(): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(PYTHON, {
      args: ["-c", "import slixmpp; print(slixmpp.__version__)"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new Error(
      `Cannot run slixmpp: ${PYTHON} is missing (${
        (e as Error).message
      }); install Debian's python3-slixmpp`,
    );
  }
  if (!out.success) {
    throw new Error(
      `Cannot run slixmpp: ${PYTHON} cannot import slixmpp; install Debian's python3-slixmpp\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  const version = new TextDecoder().decode(out.stdout).trim();
  console.log(`slixmpp ${version} (${PYTHON}), Deno ${Deno.version.deno}`);
}

async function runSlixmpp(mode: Mode): Promise<Rates> {
  const out = await new Deno.Command(PYTHON, {
    args: [
      SCRIPT,
      "--n",
      String(n),
      "--mode",
      mode,
      "--size",
      String(SIZE),
      "--clock",
      clock,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot run slixmpp (${mode}): exit ${out.code}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  const r = JSON.parse(new TextDecoder().decode(out.stdout).trim());
  return { set: r.set_per_s, get: r.get_per_s, del: r.del_per_s };
}

async function runOurs(mode: Mode, datas: Uint8Array[]): Promise<Rates> {
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  const bob = xmpp.registerPlugin("xep_0231");
  let dir: string | undefined;
  try {
    if (mode === "file") {
      dir = await Deno.makeTempDir({ prefix: "xmpp-actors-bob-" });
      await bob.api.bind(fileStorage({ dir: `${dir}/bobcache` }));
    } else {
      await bob.api.bind(memoryStorage());
    }
    const cids: string[] = new Array(n);

    const t0 = now();
    for (let i = 0; i < n; i++) {
      cids[i] = await bob.setBob(datas[i], "text/plain");
    }
    const t1 = now();
    // untimed check that getBob hands back what was stored
    const first = await bob.getBob({ cid: cids[0] });
    if (
      first.cid !== cids[0] || first.data.length !== SIZE ||
      !first.data.every((x, i) => x === datas[0][i])
    ) {
      throw new Error("getBob returned the wrong data");
    }
    const t1b = now();
    for (let i = 0; i < n; i++) {
      const got = await bob.getBob({ cid: cids[i] });
      if (got === undefined) throw new Error(`getBob: nothing for ${cids[i]}`);
    }
    const t2 = now();
    for (let i = 0; i < n; i++) {
      await bob.delBob(cids[i]);
    }
    const t3 = now();

    if (new Set(cids).size !== n) throw new Error("cids are not distinct");
    if (mode === "file") {
      for (const _ of Deno.readDirSync(`${dir}/bobcache`)) {
        throw new Error("delBob left files behind");
      }
    }
    return {
      set: Math.round(n / ((t1 - t0) / 1000)),
      get: Math.round(n / ((t2 - t1b) / 1000)),
      del: Math.round(n / ((t3 - t2) / 1000)),
    };
  } finally {
    await xmpp.stop();
    if (dir !== undefined) await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The filesystem's own ceiling for file set_bob, in the same run: N bare
 * sync writes of the same JSON text, as an atomic temp+rename pair (what our
 * file storage must do) and as a plain write (what slixmpp's loader does).
 */
async function rawFs(): Promise<{ rename: number; plain: number }> {
  const dir = await Deno.makeTempDir({ prefix: "xmpp-actors-fs-" });
  try {
    const text = (i: number) =>
      `{"data": "${i}", "type": "text/plain", "cid": "sha1+${i}@bob.xmpp.org", "max_age": null}`;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      Deno.writeTextFileSync(`${dir}/.tmp`, text(i));
      Deno.renameSync(`${dir}/.tmp`, `${dir}/r${i}`);
    }
    const t1 = performance.now();
    for (let i = 0; i < n; i++) Deno.writeTextFileSync(`${dir}/p${i}`, text(i));
    const t2 = performance.now();
    return {
      rename: Math.round(n / ((t1 - t0) / 1000)),
      plain: Math.round(n / ((t2 - t1) / 1000)),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function pick(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (stat === "best") return s[s.length - 1];
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
}

await checkPython();
const datas = payloads(n, SIZE);
const ours: Record<Mode, Rates[]> = { memory: [], file: [] };
const theirs: Record<Mode, Rates[]> = { memory: [], file: [] };
const fs: { rename: number; plain: number }[] = [];
for (let w = 0; w < warmup; w++) {
  for (const mode of MODES) {
    await runOurs(mode, datas);
    await runSlixmpp(mode);
  }
}
for (let round = 0; round < rounds; round++) {
  for (const mode of MODES) {
    // alternate who goes first, so neither always runs on a warmer machine
    if (round % 2 === 0) {
      ours[mode].push(await runOurs(mode, datas));
      theirs[mode].push(await runSlixmpp(mode));
    } else {
      theirs[mode].push(await runSlixmpp(mode));
      ours[mode].push(await runOurs(mode, datas));
    }
    if (mode === "file") fs.push(await rawFs());
    const o = ours[mode].at(-1)!, t = theirs[mode].at(-1)!;
    console.error(
      `round ${round + 1} ${mode}: ours ${JSON.stringify(o)} slixmpp ${
        JSON.stringify(t)
      }`,
    );
  }
}

const fmt = (x: number) => x.toLocaleString("en-US");
const lines = [
  `N=${n}, ${SIZE}-byte distinct payloads, sequential awaited calls, ${stat} of ${rounds} rounds after ${warmup} untimed (ops per ${
    clock === "wall" ? "second" : "CPU second"
  })`,
  "",
  "| op | mode | ours/s | slixmpp/s | ratio | target |",
  "|---|---|---:|---:|---:|---|",
];
let missed = 0;
for (const mode of MODES) {
  for (const op of OPS) {
    const a = pick(ours[mode].map((r) => r[op]));
    const b = pick(theirs[mode].map((r) => r[op]));
    const ratio = a / b;
    const target = TARGETS[`${mode} ${op}`];
    let t = "";
    if (target !== undefined) {
      const ok = ratio >= target;
      if (!ok) missed++;
      t = `≥${target}× ${ok ? "met" : "MISSED"}`;
    }
    lines.push(
      `| ${op}_bob | ${mode} | ${fmt(a)} | ${fmt(b)} | ${
        ratio.toFixed(2)
      }× | ${t} |`,
    );
  }
}
const ceiling = pick(fs.map((f) => f.rename));
const plain = pick(fs.map((f) => f.plain));
const oursFileSet = pick(ours.file.map((r) => r.set));
lines.push(
  "",
  `Filesystem ceiling for file set (bare sync loops, same run): write+rename ${
    fmt(ceiling)
  }/s, plain write ${fmt(plain)}/s; our atomic file set_bob reaches ${
    (100 * oursFileSet / ceiling).toFixed(0)
  }% of the write+rename ceiling, and the ceiling itself is ${
    (ceiling / pick(theirs.file.map((r) => r.set))).toFixed(2)
  }× slixmpp's file set.`,
  "",
  missed === 0
    ? "All targets met (≥2× slixmpp for memory set/get and file set/get)."
    : `${missed} target(s) missed (≥2× slixmpp for memory set/get and file set/get).`,
);
console.log(lines.join("\n"));
