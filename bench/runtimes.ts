/**
 * The same client on Deno, Node 22 and Bun: pings over STARTTLS to a
 * throwaway Prosody, one at a time and 32 in flight, best of 3 rounds each;
 * Node and Bun run the npm package (built and installed into a temp project
 * as `tests/npm_package_test.ts` does), Deno runs `mod.ts`. The runtimes take
 * turns, twice.
 *
 *     deno run -A bench/runtimes.ts [--n 2000]
 *
 * @module
 */
import { buildNpm } from "../scripts/build_npm.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { flag } from "./_args.ts";

const n = Number(flag("n", "2000"));
const body = (entry: string) => `
import { readFileSync } from "node:fs";
import { createClient, xml } from ${JSON.stringify(entry)};
const n = ${n};
const xmpp = createClient({
  jid: "alice@localhost",
  password: "pw",
  service: "xmpp://127.0.0.1:" + process.env.PORT,
  tls: { caCerts: [readFileSync(process.env.CA, "utf8")] },
});
await xmpp.start();
const ping = () =>
  xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" }));
for (let i = 0; i < 50; i++) await xmpp.iq(ping());
let serial = 0, parallel = 0;
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  for (let i = 0; i < n; i++) await xmpp.iq(ping());
  serial = Math.max(serial, n / ((performance.now() - t) / 1000));
  t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next++ < n) await xmpp.iq(ping());
  }));
  parallel = Math.max(parallel, n / ((performance.now() - t) / 1000));
}
console.log(JSON.stringify({ serial, parallel }));
await xmpp.stop();
`;

const tmp = await Deno.makeTempDir({ prefix: "xmpp-actors-runtimes-" });
const server = await startProsody();
try {
  const build = await buildNpm(`${tmp}/dist`);
  const project = `${tmp}/project`;
  await Deno.mkdir(project);
  await Deno.writeTextFile(
    `${project}/package.json`,
    JSON.stringify({ name: "bench", private: true, type: "module" }),
  );
  const install = await new Deno.Command("npm", {
    args: ["install", "--no-audit", "--no-fund", build.tarball],
    cwd: project,
  }).output();
  if (!install.success) throw new Error("npm install failed");
  await Deno.writeTextFile(`${project}/ping.mjs`, body("@xmpp-actors/runtime"));
  await Deno.writeTextFile(
    `${tmp}/ping_deno.ts`,
    body(new URL("../mod.ts", import.meta.url).href),
  );
  await Deno.writeTextFile(`${tmp}/ca.pem`, server.caPem);
  const runs: Record<string, [string, string[]]> = {
    "Deno (mod.ts)": [Deno.execPath(), ["run", "-A", `${tmp}/ping_deno.ts`]],
    "Node 22 (npm package)": ["npx", ["-y", "node@22", "ping.mjs"]],
    "Bun (npm package)": ["npx", ["-y", "bun", "ping.mjs"]],
  };
  const results: Record<string, { serial: number; parallel: number }[]> = {};
  for (let turn = 0; turn < 2; turn++) {
    for (const [name, [cmd, args]] of Object.entries(runs)) {
      const out = await new Deno.Command(cmd, {
        args,
        cwd: project,
        env: { PORT: String(server.c2sPort), CA: `${tmp}/ca.pem` },
        stdout: "piped",
        stderr: "inherit",
      }).output();
      if (!out.success) {
        console.error(`${name}: failed`);
        continue;
      }
      (results[name] ??= []).push(
        JSON.parse(new TextDecoder().decode(out.stdout).trim()),
      );
    }
  }
  console.log(`pings/s over STARTTLS (n=${n}, best of 3 rounds, two turns)`);
  console.log("| runtime | one at a time | 32 in flight |");
  console.log("| --- | ---: | ---: |");
  for (const [name, rs] of Object.entries(results)) {
    const span = (k: "serial" | "parallel") =>
      rs.map((r) => Math.round(r[k])).sort((a, b) => a - b).join("–");
    console.log(`| ${name} | ${span("serial")} | ${span("parallel")} |`);
  }
} finally {
  await server.stop();
  await Deno.remove(tmp, { recursive: true });
}
