/**
 * The npm package (`deno task build:npm`): built from this checkout, packed,
 * installed with `npm install <tgz>` into a fresh project, then a session
 * that uses only the package (tests/support/npm_session.mjs) runs against a
 * real Prosody on Node 22 (`npx -y node@22`) and on Bun (`npx -y bun`), and
 * the session ends on Redis (a throwaway redis-server, tests/support/redis.ts),
 * the live inspector's `node:http` server passes the hostile checks of
 * tests/support/inspector_hostile.mjs on each runtime, and
 * a TypeScript consumer type-checks against the package's `.d.ts` (strict,
 * no skipLibCheck). Node 22 lacks `Uint8Array.prototype.toBase64`, so the
 * base64 fallback runs there too.
 *
 * Under XMPP_ACTORS_REQUIRE_SERVERS=1 (CI), a Node 22 that npx cannot fetch
 * fails the test; Bun is tried when npx can fetch it, and skipped otherwise.
 */
import { assert, assertMatch, assertStrictEquals } from "./deps.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { hasRedis, startRedis } from "./support/redis.ts";
import { buildNpm } from "../scripts/build_npm.ts";

const SESSION = new URL("./support/npm_session.mjs", import.meta.url);
const INSPECTOR = new URL("./support/npm_inspector.mjs", import.meta.url);
const HOSTILE = new URL("./support/inspector_hostile.mjs", import.meta.url);

const TYPES = `
import { type BobData, type Client, createClient, createInspector, fileStorage, type InspectorServer, redisStorage, TLSError, xml } from "@xmpp-actors/runtime";
import { idbStorage } from "@xmpp-actors/runtime/browser";
const xmpp: Client = createClient({
  jid: "alice@localhost",
  password: "pw",
  service: "xmpp://127.0.0.1:5222",
  tls: { caCerts: ["-----BEGIN CERTIFICATE-----"] },
});
const bob = xmpp.registerPlugin("xep_0231");
const cid: string = await bob.setBob(new Uint8Array([1]), "text/plain");
const got: BobData = await bob.getBob({ cid });
await bob.api.bind(fileStorage({ dir: "files" }), { migrate: true });
await bob.api.bind(redisStorage({ url: "redis://127.0.0.1:6379", prefix: "p:" }), { migrate: true });
const inspector: InspectorServer = await createInspector({ allowedHosts: ["box"] });
createClient({ jid: "alice@localhost", inspect: inspector.inspect });
await inspector[Symbol.asyncDispose]();
xmpp.send(xml("presence", {}));
export const classes: [typeof TLSError, typeof idbStorage] = [TLSError, idbStorage];
export const size: number = got.data.length;
// @ts-expect-error: a JID is a string
createClient({ jid: 42, password: "pw" });
`;

async function sh(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    ok: out.success,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Whether `npx -y <pkg> --version` runs (fetching it when needed). */
async function npxRuns(pkg: string): Promise<boolean> {
  return (await sh("npx", ["-y", pkg, "--version"])).ok;
}

Deno.test({
  name:
    "npm package: installed from its tarball, a full session on Node 22 and Bun",
  ignore: (!hasProsody() || !hasRedis()) && !requireServers(),
  async fn(t) {
    const tmp = await Deno.makeTempDir({ prefix: "xmpp-actors-npm-test-" });
    const server = await startProsody();
    const redis = await startRedis();
    try {
      const build = await buildNpm(`${tmp}/dist`);
      assertMatch(build.tarball, /xmpp-actors-runtime-[\d.]+\.tgz$/);
      const project = `${tmp}/project`;
      await Deno.mkdir(project);
      await Deno.writeTextFile(
        `${project}/package.json`,
        JSON.stringify({ name: "consumer", private: true, type: "module" }),
      );
      const install = await sh("npm", [
        "install",
        "--no-audit",
        "--no-fund",
        build.tarball,
      ], { cwd: project });
      assert(install.ok, install.stderr);
      await Deno.copyFile(SESSION, `${project}/session.mjs`);
      await Deno.copyFile(INSPECTOR, `${project}/inspector.mjs`);
      await Deno.copyFile(HOSTILE, `${project}/inspector_hostile.mjs`);
      await Deno.writeTextFile(`${project}/ca.pem`, server.caPem);

      const runtimes: [string, string, string[]][] = [
        ["node@22", "npx", ["-y", "node@22"]],
        ["bun", "npx", ["-y", "bun"]],
      ];
      // The Node on PATH too (Node 20 here), when there is one.
      const local = await sh("node", ["--version"]).catch(() => undefined);
      if (local?.ok && Number(local.stdout.match(/^v(\d+)/)?.[1]) >= 20) {
        runtimes.push([`node ${local.stdout.trim()}`, "node", []]);
      }
      for (const [name, cmd, args] of runtimes) {
        const available = cmd === "node" || await npxRuns(name);
        await t.step({
          name:
            `${name}: STARTTLS, direct TLS, BoB, fetch, hot swaps to files and Redis, wss, hostile servers; the inspector's hostile checks`,
          ignore: !available && !(name === "node@22" && requireServers()),
          async fn() {
            assert(available, `npx cannot fetch ${name}`);
            const dir = await Deno.makeTempDir({ dir: tmp });
            const run = await sh(cmd, [...args, "session.mjs"], {
              cwd: project,
              env: {
                C2S: String(server.c2sPort),
                DIRECT_TLS: String(server.directTlsPort),
                WSS: server.wssUrl,
                CA: `${project}/ca.pem`,
                DIR: dir,
                REDIS: redis.url,
              },
            });
            assert(run.ok, `${name}:\n${run.stdout}\n${run.stderr}`);
            assertMatch(run.stdout, /^session ok sha1\+[0-9a-f]{40}@bob/m);
            const inspector = await sh(cmd, [...args, "inspector.mjs"], {
              cwd: project,
            });
            assert(
              inspector.ok,
              `${name}:\n${inspector.stdout}\n${inspector.stderr}`,
            );
            assertMatch(
              inspector.stdout,
              /^inspector ok token host origin redaction flood$/m,
            );
          },
        });
      }

      await t.step(
        "the README's Node quick start runs as written on Node 22",
        async () => {
          const readme = await Deno.readTextFile(
            new URL("../README.md", import.meta.url),
          );
          const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)]
            .map((m) => m[1])
            .filter((code) => code.includes('from "@xmpp-actors/runtime"'));
          assert(blocks.length >= 1, "no Node block in README.md");
          for (const code of blocks) {
            await Deno.writeTextFile(
              `${project}/quick.mjs`,
              code.replaceAll(
                "xmpp://127.0.0.1:5222",
                `xmpp://127.0.0.1:${server.c2sPort}`,
              ),
            );
            const run = await sh("npx", ["-y", "node@22", "quick.mjs"], {
              cwd: project,
            });
            assert(run.ok, run.stdout + run.stderr);
            assertMatch(run.stdout, /^hello$/m);
          }
        },
      );

      await t.step(
        "the .d.ts type-check a strict TypeScript consumer",
        async () => {
          await Deno.writeTextFile(`${project}/check.ts`, TYPES);
          await Deno.writeTextFile(
            `${project}/tsconfig.json`,
            JSON.stringify({
              compilerOptions: {
                target: "ES2022",
                module: "NodeNext",
                moduleResolution: "NodeNext",
                lib: ["ES2022", "DOM"],
                strict: true,
                noEmit: true,
                skipLibCheck: false,
                types: [],
              },
              files: ["check.ts"],
            }),
          );
          const tsc = await sh("npx", [
            "-y",
            "-p",
            "typescript@5.9",
            "tsc",
            "-p",
            "tsconfig.json",
          ], { cwd: project });
          assertStrictEquals(tsc.ok, true, tsc.stdout + tsc.stderr);
        },
      );
    } finally {
      await server.stop();
      await redis.stop();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
