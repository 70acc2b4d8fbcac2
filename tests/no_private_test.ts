/**
 * No file under actors/ or src/ reads a private member of XState (issue 22):
 * `_parent`, `mailbox`, `_actorScope`, `_relay`, `_snapshot`,
 * `_processingStatus`, `_systemId`, `system._*`, `_sendInspectionEvent`,
 * `_deferred`, `logic._*`, in dot, bracket or destructuring form. Comments
 * are not code and are skipped; there is no allowlist.
 *
 * @module
 */
import { assert, assertEquals } from "./deps.ts";

const root = new URL("../", import.meta.url).pathname;

/** XState's private members that have no other meaning here. */
const PRIVATE_NAMES = [
  "_parent",
  "_actorScope",
  "_relay",
  "_snapshot",
  "_processingStatus",
  "_systemId",
  "_sendInspectionEvent",
  "_deferred",
];
const names = PRIVATE_NAMES.join("|");

/** One rule: what it catches, and how. */
const RULES: { what: string; re: RegExp }[] = [
  { what: "dot read", re: new RegExp(`\\.(?:${names}|mailbox)\\b`, "g") },
  { what: "system._*", re: /\.system\s*\.\s*_\w+/g },
  { what: "logic._*", re: /\.logic\s*\.\s*_\w+/g },
  { what: "_sendInspectionEvent", re: /\b_sendInspectionEvent\b/g },
  {
    what: "bracket or string key",
    re: new RegExp(`\\[\\s*["'\`](?:${names}|mailbox)["'\`]\\s*\\]`, "g"),
  },
  // Reflect.get(ref, "_parent"), "_parent" in ref, ... (a string that is
  // exactly a private name has no other use).
  { what: "name as string", re: new RegExp(`["'\`](?:${names})["'\`]`, "g") },
  {
    what: "destructuring",
    re: new RegExp(
      `\\{[^{}]*\\b(?:${names}|mailbox)\\b[^{}]*\\}\\s*=(?![=>])`,
      "g",
    ),
  },
];

/**
 * The text with every comment blanked out (newlines kept, so line numbers
 * hold); strings, template literals and regex literals are kept as code.
 */
export function stripComments(text: string): string {
  let out = "";
  let i = 0;
  // The last significant character of code: tells a regex from a division.
  let last = "";
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\") j++;
        else if (c !== "`" && text[j] === "\n") break;
        j++;
      }
      out += text.slice(i, j + 1);
      last = c;
      i = j + 1;
    } else if (
      c === "/" &&
      (last === "" || /[(,=:[!&|?{};+\-*%<>~^]/.test(last) ||
        /\b(?:return|typeof|case|in|of|void|yield|await)\s*$/.test(out))
    ) {
      // A regex literal: up to the closing slash outside a class.
      let j = i + 1;
      let inClass = false;
      while (j < text.length && text[j] !== "\n") {
        if (text[j] === "\\") j++;
        else if (text[j] === "[") inClass = true;
        else if (text[j] === "]") inClass = false;
        else if (text[j] === "/" && !inClass) break;
        j++;
      }
      out += text.slice(i, j + 1);
      last = "/";
      i = j + 1;
    } else {
      out += c;
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  return out;
}

/** Every read of an XState private in `text`, as `line: what: code`. */
export function privateReads(text: string): string[] {
  const code = stripComments(text);
  const found: { at: number; end: number; line: number; s: string }[] = [];
  for (const { what, re } of RULES) {
    for (const m of code.matchAll(re)) {
      const at = m.index;
      const end = at + m[0].length;
      // One read caught by two rules is reported once.
      if (found.some((f) => f.at < end && at < f.end)) continue;
      const line = code.slice(0, at).split("\n").length;
      const src = code.split("\n")[line - 1].trim();
      found.push({
        at,
        end,
        line,
        s: `${line}: ${what} \`${m[0]}\` in: ${src}`,
      });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.s);
}

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(`${root}${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) yield* tsFiles(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

Deno.test("no private: the scanner skips comments, keeps code and strings", () => {
  const text = [
    "/** reads `ref._parent` in a doc */",
    "const a = 1; // and ref.mailbox in a comment",
    'const url = "xmpp://x"; const p = ref._parent;',
    "const re = /[\"']/; const q = actor.mailbox;",
    'const s = ref["_actorScope"]; const t = Reflect.get(ref, "_relay");',
    "const { _snapshot: snap } = ref; x.system._set(1); y.logic._x;",
    "/* ._deferred */ const u = `${a}//`; z._sendInspectionEvent({});",
    "const v = ref._parentish; const w = ref.mailboxes; const o = a / 2 / b;",
  ].join("\n");
  assertEquals(privateReads(text).map((s) => s.split(":")[0]), [
    "3",
    "4",
    "5",
    "5",
    "6",
    "6",
    "6",
    "7",
  ]);
  assert(privateReads("/*\n ref._parent\n*/ // a._relay").length === 0);
});

Deno.test("no private: no file under actors/ or src/ reads an XState private member", async () => {
  const byFile = new Map<string, string[]>();
  for (const dir of ["actors", "src"]) {
    for await (const file of tsFiles(dir)) {
      const reads = privateReads(await Deno.readTextFile(`${root}${file}`));
      if (reads.length > 0) byFile.set(file, reads);
    }
  }
  const total = [...byFile.values()].reduce((n, r) => n + r.length, 0);
  const report = [...byFile].sort(([a], [b]) => a.localeCompare(b)).map((
    [file, reads],
  ) =>
    `${file} (${reads.length}):\n${
      reads.map((r) => `  ${file}:${r}`).join("\n")
    }`
  )
    .join("\n");
  assert(
    byFile.size === 0,
    `${total} read(s) of XState privates in ${byFile.size} file(s):\n${report}`,
  );
});
