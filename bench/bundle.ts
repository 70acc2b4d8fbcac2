/**
 * The browser build: one minified ES module from `mod_browser.ts`, with an
 * external source map, its sizes (raw, gzip, brotli) against the budget in
 * `bench/bundle_budget.json`, and what takes the space.
 *
 *     deno task build:browser            # writes dist/xmpp-actors.js(.map)
 *     deno run -A bench/bundle.ts [dir]  # the same, into another directory
 *
 * `deno bundle` (esbuild) leaves Node's built-in modules external, and
 * `@xmpp/xml` (through `@xmpp/events` and ltx's parser) imports `events`,
 * which Deno resolves as `node:events`. No import map can reach inside an npm
 * package, so the build runs in two passes: the first bundles
 * `mod_browser.ts` unminified with an inline source map; the `node:events`
 * imports and `require()` calls left in it are pointed at the npm package
 * `events` (Node's EventEmitter for every engine: the one `@xmpp/events`
 * declares as its dependency); the second pass bundles that, minified. The
 * second pass reads the first one's source map, so the final map points at
 * the original sources.
 *
 * Exits with status 1 when the bundle is over budget (the files are written
 * all the same). `tests/browser_bundle_test.ts` runs {@linkcode buildBrowser}
 * and fails on the same condition.
 *
 * @module
 */
import { brotliCompressSync, constants } from "node:zlib";

/** The npm package that stands in for `node:events` in the browser. */
export const EVENTS_PACKAGE = "npm:events@3.3.0";

/** The file name of the bundle (and, with `.map`, of its source map). */
export const BUNDLE_NAME = "xmpp-actors.js";

const ROOT = new URL("../", import.meta.url).pathname;

/** Compressed and uncompressed size of the bundle, in bytes. */
export interface BundleSizes {
  /** Minified, uncompressed. */
  raw: number;
  /** gzip (CompressionStream, default level). */
  gzip: number;
  /** brotli (node:zlib, quality 11). */
  brotli: number;
}

/** The most the bundle may weigh, in bytes (`bench/bundle_budget.json`). */
export type BundleBudget = BundleSizes;

/** What {@linkcode buildBrowser} wrote. */
export interface BuiltBundle {
  /** Path of the ES module. */
  js: string;
  /** Path of its source map. */
  map: string;
  /** Its sizes. */
  sizes: BundleSizes;
}

async function deno(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `Cannot build the browser bundle: deno ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
}

/**
 * Point the `node:events` (or bare `events`) imports and requires of a
 * first-pass bundle at {@linkcode EVENTS_PACKAGE}. Throws if any other
 * `node:` module is left, or if there was nothing to rewrite (the library
 * changed: this step should then go).
 *
 * @param js The first-pass bundle (unminified).
 * @returns The rewritten code.
 */
export function aliasEvents(js: string): string {
  let hits = 0;
  const out = js
    .replace(/\b__require\(\s*["'](?:node:)?events["']\s*\)/g, () => {
      hits++;
      return "__nodeEvents";
    })
    .replace(/(\bfrom\s*)["'](?:node:)?events["']/g, (_, from) => {
      hits++;
      return `${from}"${EVENTS_PACKAGE}"`;
    });
  if (hits === 0) {
    throw new Error(
      "Cannot alias events: the bundle imports no node:events (drop the alias step)",
    );
  }
  // (JSDoc examples kept in the bundle may mention node:assert: only code
  // counts.)
  const code = out.replace(/\/\*[\s\S]*?\*\//g, "");
  const left = [
    ...code.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(\s*|__require\(\s*)["'](node:[\w/]+)["']/g,
    ),
  ].map((m) => m[1]);
  if (left.length > 0) {
    throw new Error(
      `Cannot build for the browser: Node modules left in the bundle: ${
        [...new Set(left)].join(", ")
      }`,
    );
  }
  return `import __nodeEvents from "${EVENTS_PACKAGE}";\n${out}`;
}

/**
 * Sizes of some bytes: raw, gzip and brotli.
 *
 * @param bytes The file's content.
 * @returns Its sizes.
 */
export async function measure(bytes: Uint8Array): Promise<BundleSizes> {
  const gz = await new Response(
    new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new CompressionStream("gzip"),
    ),
  ).arrayBuffer();
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  return { raw: bytes.length, gzip: gz.byteLength, brotli: br.length };
}

/**
 * Build the browser bundle into `outDir` (created if needed).
 *
 * @param outDir Where to write `xmpp-actors.js` and its map.
 * @returns The paths and the sizes.
 */
export async function buildBrowser(outDir: string): Promise<BuiltBundle> {
  await Deno.mkdir(outDir, { recursive: true });
  const tmp = await Deno.makeTempDir({ prefix: "xmpp-actors-bundle-" });
  try {
    const stage = `${tmp}/stage.js`;
    await deno([
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--sourcemap=inline",
      "mod_browser.ts",
      "-o",
      stage,
    ], ROOT);
    await Deno.writeTextFile(
      stage,
      aliasEvents(await Deno.readTextFile(stage)),
    );
    const js = `${outDir}/${BUNDLE_NAME}`;
    // Outside the repository, with no config and no lock: the only new
    // package is the pinned `events`.
    await deno([
      "bundle",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--platform",
      "browser",
      "--minify",
      "--sourcemap=linked",
      stage,
      "-o",
      js,
    ], tmp);
    return {
      js,
      map: `${js}.map`,
      sizes: await measure(await Deno.readFile(js)),
    };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/**
 * The budget in `bench/bundle_budget.json`.
 *
 * @returns The most the bundle may weigh.
 */
export async function readBudget(): Promise<BundleBudget> {
  const json = JSON.parse(
    await Deno.readTextFile(`${ROOT}bench/bundle_budget.json`),
  );
  return { raw: json.raw, gzip: json.gzip, brotli: json.brotli };
}

/**
 * What is over budget, one line each (empty when within).
 *
 * @param sizes The measured sizes.
 * @param budget The budget.
 * @returns The overruns.
 */
export function overBudget(sizes: BundleSizes, budget: BundleBudget): string[] {
  return (["raw", "gzip", "brotli"] as const)
    .filter((k) => sizes[k] > budget[k])
    .map((k) => `${k} ${sizes[k]} B > budget ${budget[k]} B`);
}

// --- What takes the space: minified bytes per package, from the source map.

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeSegment(seg: string): number[] {
  const out: number[] = [];
  let value = 0, shift = 0;
  for (const ch of seg) {
    const digit = B64.indexOf(ch);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

function owner(source: string): string {
  const npm = source.match(/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//);
  if (npm) return npm[1];
  if (/\/(actors|src)\//.test(source) || /mod_browser\.ts$/.test(source)) {
    return "xmpp-actors (actors/, src/)";
  }
  return "other";
}

/**
 * Minified bytes of the bundle per package, from its source map: each
 * mapped span of generated code is counted for the package of its source.
 *
 * @param js The bundle.
 * @param map Its source map (JSON).
 * @returns Package name to bytes, largest first.
 */
export function breakdown(js: string, map: string): [string, number][] {
  const { sources, mappings } = JSON.parse(map) as {
    sources: string[];
    mappings: string;
  };
  const lines = js.split("\n");
  const total = new Map<string, number>();
  let src = 0;
  mappings.split(";").forEach((line, i) => {
    const text = lines[i] ?? "";
    let col = 0;
    const segs = line === "" ? [] : line.split(",").map(decodeSegment);
    segs.forEach((s, j) => {
      col += s[0];
      if (s.length >= 4) src += s[1];
      const end = j + 1 < segs.length ? col + segs[j + 1][0] : text.length;
      const who = s.length >= 4 ? owner(sources[src]) : "unmapped";
      total.set(who, (total.get(who) ?? 0) + Math.max(0, end - col));
    });
  });
  return [...total].sort((a, b) => b[1] - a[1]);
}

function kib(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

if (import.meta.main) {
  const out = Deno.args[0] ?? `${ROOT}dist`;
  const built = await buildBrowser(out);
  const budget = await readBudget();
  const { raw, gzip, brotli } = built.sizes;
  console.log(`${built.js}`);
  console.log(
    `  raw ${kib(raw)}, gzip ${kib(gzip)}, brotli ${kib(brotli)} ` +
      `(budget: raw ${kib(budget.raw)}, gzip ${kib(budget.gzip)}, brotli ${
        kib(budget.brotli)
      })`,
  );
  const parts = breakdown(
    await Deno.readTextFile(built.js),
    await Deno.readTextFile(built.map),
  );
  console.log("  minified bytes by package:");
  for (const [who, n] of parts) {
    console.log(
      `    ${who.padEnd(30)} ${kib(n).padStart(10)}  ${
        (100 * n / raw).toFixed(0).padStart(3)
      } %`,
    );
  }
  const over = overBudget(built.sizes, budget);
  if (over.length > 0) {
    console.error(`over budget: ${over.join("; ")}`);
    Deno.exit(1);
  }
}
