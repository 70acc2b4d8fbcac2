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
