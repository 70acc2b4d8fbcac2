import { assert } from "./deps.ts";

const root = new URL("../", import.meta.url).pathname;

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(`${root}${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* tsFiles(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

// Import specifiers in code, not in JSDoc examples (which import mod.ts).
function imports(text: string): string[] {
  const code = text.replace(/\/\*\*[\s\S]*?\*\//g, "");
  return [...code.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)]
    .map((m) => m[1]);
}

Deno.test("layout: no file under src/ imports from actors/", async () => {
  const offenders: string[] = [];
  for await (const file of tsFiles("src")) {
    const text = await Deno.readTextFile(`${root}${file}`);
    for (const spec of imports(text)) {
      if (/(^|\/)actors\//.test(spec)) offenders.push(`${file} -> ${spec}`);
    }
  }
  assert(offenders.length === 0, `src/ imports actors/: ${offenders}`);
});

Deno.test("layout: every actor lives in its own folder under actors/", async () => {
  const loose: string[] = [];
  for await (const e of Deno.readDir(`${root}actors`)) {
    if (!e.isDirectory) loose.push(e.name);
  }
  assert(loose.length === 0, `files directly under actors/: ${loose}`);
});

Deno.test("layout: Redis storage is a folder with one job per file, none over 500 lines, no node-redis privates", async () => {
  const dir = "actors/storage/redis";
  const jobs = [
    "options.ts",
    "connection.ts",
    "batcher.ts",
    "cluster.ts",
    "listing.ts",
    "storage.ts",
  ];
  const found: string[] = [];
  for await (const e of Deno.readDir(`${root}${dir}`)) found.push(e.name);
  assert(
    jobs.every((j) => found.includes(j)),
    `${dir} holds ${found}, not every one of ${jobs}`,
  );
  const long: string[] = [];
  const privates: string[] = [];
  for await (const file of tsFiles(dir)) {
    const text = await Deno.readTextFile(`${root}${file}`);
    const lines = text.split("\n").length - 1;
    if (lines > 500) long.push(`${file}: ${lines}`);
    for (const m of text.matchAll(/\.(_[A-Za-z]\w*)/g)) {
      privates.push(`${file}: ${m[1]}`);
    }
  }
  assert(long.length === 0, `files over 500 lines: ${long}`);
  assert(privates.length === 0, `node-redis private members read: ${privates}`);
});

Deno.test("layout: one deadline table (src/deadlines.ts) serves the registry and Redis", async () => {
  for (
    const file of [
      "actors/registry/requests.ts",
      "actors/storage/redis/storage.ts",
    ]
  ) {
    const text = await Deno.readTextFile(`${root}${file}`);
    assert(
      imports(text).some((s) => s.endsWith("src/deadlines.ts")),
      `${file} does not use src/deadlines.ts`,
    );
    assert(
      !/set(Timeout|Interval)\(/.test(text.replace(/\/\*\*[\s\S]*?\*\//g, "")),
      `${file} runs a timer of its own`,
    );
  }
});
