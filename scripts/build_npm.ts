/**
 * `deno task build:npm`: the npm package for Node (≥ 20) and Bun, from the
 * same source as JSR, written to `dist/npm/package/` and packed to
 * `dist/npm/xmpp-actors-runtime-<version>.tgz`.
 *
 *     deno task build:npm            # into dist/npm
 *     deno run -A scripts/build_npm.ts <dir>
 *
 * Steps: the local modules the three entry points reach (`mod_node.ts` as
 * `.`, `mod_browser.ts` as `./browser`, `internals.ts` as `./internals`,
 * from `deno info --json`) are copied to a temporary directory with their
 * imports rewritten for Node: `npm:name@range/sub` becomes `name/sub` (and
 * `name: range` a dependency, the range from the specifier), `./x.ts`
 * becomes `./x.js`. There the dependencies, TypeScript and `@types/node` are
 * installed with npm, and `tsc` (TypeScript, the compiler; `@deno/dnt`, which
 * does the same, is on JSR only, which this machine cannot reach) emits ES2022
 * modules and their `.d.ts`. `tsc --noCheck`: the type check is
 * `deno check`'s job; the few `Deno.*` calls the Node build carries sit
 * behind the runtime switch (`actors/connection/runtime.ts`,
 * `actors/storage/file_fs.ts`) and never run there. The import rewriting is
 * a few regular expressions here because no npm tool maps Deno's `npm:`
 * specifiers.
 *
 * @module
 */
import { join, relative } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;
/** Entry points: package export name → source file. */
const ENTRIES: Record<string, string> = {
  ".": "mod_node.ts",
  "./browser": "mod_browser.ts",
  "./internals": "internals.ts",
};
/** Pinned build tools (devDependencies of the staging directory only). */
const TOOLS = ["typescript@5.9", "@types/node@22"];

/** What {@linkcode buildNpm} made. */
export interface NpmBuild {
  /** The package directory (`package.json`, `esm/`). */
  packageDir: string;
  /** The packed tarball. */
  tarball: string;
  /** Its size in bytes. */
  tarballBytes: number;
  /** Its runtime dependencies, name → range. */
  dependencies: Record<string, string>;
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed:\n${text}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return text;
}

/** The local `.ts` files the entry points reach, relative to the root. */
async function localModules(): Promise<string[]> {
  const files = new Set<string>();
  for (const entry of Object.values(ENTRIES)) {
    const info = JSON.parse(
      await run(Deno.execPath(), ["info", "--json", entry], ROOT),
    ) as { modules: { specifier: string }[] };
    for (const m of info.modules) {
      if (m.specifier.startsWith("file://")) {
        files.add(relative(ROOT, new URL(m.specifier).pathname));
      }
    }
  }
  return [...files].sort();
}

/** `npm:@scope/name@range/sub` → `{ name, range, path }`. */
function parseNpm(spec: string): { name: string; range: string; path: string } {
  const m = spec.match(/^npm:((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/);
  if (!m) throw new Error(`Cannot map ${spec} to an npm package`);
  return { name: m[1], range: m[2] ?? "*", path: m[3] ?? "" };
}

/**
 * Rewrite one module's imports for Node.
 *
 * @param code The module's source.
 * @param deps Collects npm dependencies, name → range.
 * @returns The rewritten source.
 */
export function rewriteImports(
  code: string,
  deps: Record<string, string>,
): string {
  return code.replace(
    /((?:\bfrom|\bimport)\s*\(?\s*)(["'])([^"']+)\2/g,
    (all, head: string, q: string, spec: string) => {
      if (spec.startsWith("npm:")) {
        const { name, range, path } = parseNpm(spec);
        if (deps[name] !== undefined && deps[name] !== range) {
          throw new Error(`Two ranges for ${name}: ${deps[name]}, ${range}`);
        }
        deps[name] = range;
        return `${head}${q}${name}${path}${q}`;
      }
      if (spec.startsWith(".") && spec.endsWith(".ts")) {
        return `${head}${q}${spec.slice(0, -3)}.js${q}`;
      }
      return all;
    },
  );
}

/**
 * Dependencies that ship no types (`@xmpp/xml`, `@xmpp/jid`, `@xmpp/id`)
 * are `any` under Deno; the package declares what `src/deps.ts` imports of
 * them as `any` to `tsc` too (`esm/src/untyped_modules.d.ts`, referenced
 * from `esm/src/deps.d.ts`), so a consumer's strict type check passes.
 */
async function declareUntyped(stage: string, deps: string[]): Promise<void> {
  const depsTs = await Deno.readTextFile(join(ROOT, "src/deps.ts"));
  const blocks: string[] = [];
  for (const name of deps) {
    const dir = join(stage, "node_modules", name);
    const pkg = JSON.parse(await Deno.readTextFile(join(dir, "package.json")));
    const hasIndex = await Deno.stat(join(dir, "index.d.ts")).then(
      () => true,
      () => false,
    );
    if (
      pkg.types || pkg.typings || hasIndex ||
      JSON.stringify(pkg.exports ?? {}).includes('"types"')
    ) continue;
    const names = new Set<string>();
    const re = new RegExp(
      `export\\s*\\{([^}]*)\\}\\s*from\\s*"npm:${
        name.replace(/[/.]/g, "\\$&")
      }@[^"]*"`,
      "g",
    );
    for (const m of depsTs.matchAll(re)) {
      for (const part of m[1].split(",")) {
        const n = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0];
        if (n) names.add(n);
      }
    }
    const lines = [...names].map((n) =>
      n === "default"
        ? "  const _default: any;\n  export default _default;"
        : `  export const ${n}: any;\n  export type ${n} = any;`
    );
    blocks.push(`declare module "${name}" {\n${lines.join("\n")}\n}\n`);
  }
  if (!blocks.length) return;
  await Deno.writeTextFile(
    join(stage, "esm/src/untyped_modules.d.ts"),
    "// Packages with no types of their own: `any`, as under Deno.\n" +
      "// deno-lint-ignore-file\n" + blocks.join(""),
  );
  const depsD = join(stage, "esm/src/deps.d.ts");
  await Deno.writeTextFile(
    depsD,
    `/// <reference path="./untyped_modules.d.ts" />\n` +
      await Deno.readTextFile(depsD),
  );
}

/**
 * `Symbol.asyncDispose` (`InspectorServer` has it, for `await using`) is in
 * TypeScript's `esnext.disposable` lib only: a consumer whose `lib` is
 * ES2022 would fail on it. The package declares it as `@types/node` does
 * (`esm/src/disposable.d.ts`, referenced from the inspector's `.d.ts`); the
 * declarations merge with the lib's or `@types/node`'s.
 */
async function declareDisposable(stage: string): Promise<void> {
  await Deno.writeTextFile(
    join(stage, "esm/src/disposable.d.ts"),
    "// `Symbol.asyncDispose` for a `lib` before esnext.disposable (as @types/node).\n" +
      "declare global {\n  interface SymbolConstructor {\n" +
      "    readonly asyncDispose: unique symbol;\n  }\n}\nexport {};\n",
  );
  const serverD = join(stage, "esm/actors/inspector/server.d.ts");
  await Deno.writeTextFile(
    serverD,
    `/// <reference path="../../src/disposable.d.ts" />\n` +
      await Deno.readTextFile(serverD),
  );
}

/**
 * Build the npm package and pack it.
 *
 * @param outDir Where the package directory and the tarball go.
 * @returns What was built.
 */
export async function buildNpm(
  outDir: string = join(ROOT, "dist/npm"),
): Promise<NpmBuild> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const stage = await Deno.makeTempDir({ prefix: "xmpp-actors-npm-" });
  try {
    const deps: Record<string, string> = {};
    for (const file of await localModules()) {
      const code = await Deno.readTextFile(join(ROOT, file));
      await Deno.mkdir(join(stage, "src", file, ".."), { recursive: true });
      await Deno.writeTextFile(
        join(stage, "src", file),
        rewriteImports(code, deps),
      );
    }
    const exports: Record<string, { types: string; import: string }> = {};
    for (const [name, file] of Object.entries(ENTRIES)) {
      const base = `./esm/${file.replace(/\.ts$/, "")}`;
      exports[name] = { types: `${base}.d.ts`, import: `${base}.js` };
    }
    const pkg = {
      name: config.name,
      version: config.version,
      description:
        "XMPP client runtime in which every moving part is an XState v5 actor: TCP/TLS/WebSocket, XEP-0231 Bits of Binary, hot-swappable storage",
      license: config.license,
      type: "module",
      exports,
      main: exports["."].import,
      types: exports["."].types,
      files: ["esm/", "README.md", "LICENSE"],
      engines: { node: ">=20" },
      sideEffects: ["./esm/src/saslprep_deno.js", "./esm/src/base64_node.js"],
      dependencies: Object.fromEntries(
        Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)),
      ),
    };
    await Deno.writeTextFile(
      join(stage, "package.json"),
      JSON.stringify(pkg, null, 2) + "\n",
    );
    await Deno.writeTextFile(
      join(stage, "tsconfig.json"),
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            lib: ["ES2022", "DOM"],
            types: ["node"],
            declaration: true,
            noCheck: true,
            skipLibCheck: true,
            rootDir: "src",
            outDir: "esm",
            removeComments: false,
          },
          include: ["src"],
        },
        null,
        2,
      ),
    );
    await run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      "--save=false",
      ...TOOLS,
    ], stage);
    await run("npx", ["tsc", "-p", "tsconfig.json"], stage);
    await declareUntyped(stage, Object.keys(deps));
    await declareDisposable(stage);
    for (const f of ["README.md", "LICENSE"]) {
      await Deno.copyFile(join(ROOT, f), join(stage, f));
    }
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
    const packageDir = join(outDir, "package");
    await Deno.mkdir(packageDir, { recursive: true });
    for (const f of ["package.json", "README.md", "LICENSE"]) {
      await Deno.copyFile(join(stage, f), join(packageDir, f));
    }
    await run("cp", ["-r", join(stage, "esm"), packageDir], ROOT);
    const packed = JSON.parse(
      await run(
        "npm",
        ["pack", "--json", "--pack-destination", outDir],
        packageDir,
      ),
    ) as { filename: string; size: number }[];
    const tarball = join(outDir, packed[0].filename);
    return {
      packageDir,
      tarball,
      tarballBytes: (await Deno.stat(tarball)).size,
      dependencies: pkg.dependencies,
    };
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const built = await buildNpm(Deno.args[0]);
  console.log(
    `${built.tarball} (${built.tarballBytes} bytes)\n` +
      `dependencies: ${JSON.stringify(built.dependencies)}`,
  );
}
