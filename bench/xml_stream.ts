/**
 * Incoming XML parsing cost per byte (`src/xml_stream.ts`), from 16 B to
 * 1 MiB payloads: a BoB `<data/>` stanza carrying the base64 of N bytes in
 * a `<message/>`, fed whole and in 1,460-character (one TCP segment),
 * 16 KiB and 64 KiB (one socket read) chunks, next to the bare `@xmpp/xml`
 * parser fed the same 16 KiB chunks (what the stream did before it held
 * text back until the next `<`), and a run of small messages.
 *
 *     deno run -A bench/xml_stream.ts [--mib 8]
 *
 * Each cell parses about `--mib` MiB (at least 20 stanzas) after a warm-up
 * and prints nanoseconds per input character: flat across sizes means
 * linear-time parsing.
 *
 * @module
 */
import { XmlStream } from "../src/xml_stream.ts";
import { Parser } from "../src/deps.ts";
import { flag } from "./_args.ts";

const mib = Number(flag("mib", "8"));

const HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s' version='1.0'>";

/** A BoB message carrying `size` bytes (as base64). */
function stanza(size: number): string {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7) % 256;
  return `<message from='bob@localhost/r' to='alice@localhost/r' id='m1'><body>x</body><data xmlns='urn:xmpp:bob' cid='sha1+8f35fef110ffc5df08d579a50083ff9308fb6242@bob.xmpp.org' type='image/png' max-age='86400'>${bytes.toBase64()}</data></message>`;
}

function chunks(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) {
    parts.push(text.slice(i, i + size));
  }
  return parts;
}

/** ns per character of `text` fed in `chunk`-sized parts. */
function ours(
  text: string,
  chunk: number,
  rounds: number,
  per = 1,
): number {
  let n = 0;
  const stream = new XmlStream({
    onElement: () => n++,
    onError: (e) => {
      throw e;
    },
  }, { maxStanzaSize: 4 * 1024 * 1024 });
  stream.write(HEADER);
  const parts = chunks(text, chunk);
  const warm = Math.max(2, rounds >> 3);
  for (let r = 0; r < warm; r++) for (const p of parts) stream.write(p);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of parts) stream.write(p);
  const ms = performance.now() - t0;
  if (n !== per * (warm + rounds)) throw new Error(`parsed ${n} elements`);
  return ms * 1e6 / (rounds * text.length);
}

/** The same with the bare parser (no screening, no holding back). */
function bare(
  text: string,
  chunk: number,
  rounds: number,
  per = 1,
): number {
  let n = 0;
  const parser = new Parser();
  parser.on("element", () => n++);
  parser.write(HEADER);
  const parts = chunks(text, chunk);
  parser.write(text);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of parts) parser.write(p);
  const ms = performance.now() - t0;
  if (n !== per * (rounds + 1)) throw new Error(`parsed ${n} elements`);
  return ms * 1e6 / (rounds * text.length);
}

const SIZES = [16, 256, 4096, 61440, 262144, 1048576];
const label = (s: number) =>
  s >= 1048576
    ? `${s / 1048576} MiB`
    : s >= 1024
    ? `${s / 1024} KiB`
    : `${s} B`;
const f = (x: number) => x.toFixed(1);

console.log(`ns per input character, about ${mib} MiB per cell\n`);
console.log(
  "| payload | stanza chars | whole | 1,460-char chunks | 16 KiB chunks | 64 KiB chunks | bare ltx, 16 KiB chunks |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const size of SIZES) {
  const text = stanza(size);
  const rounds = Math.max(20, Math.round(mib * 1048576 / text.length));
  // the bare parser is quadratic per chunk of text: fewer rounds
  const bareRounds = Math.max(3, Math.round(rounds / 8));
  console.log(
    `| ${label(size)} | ${text.length} | ${
      f(ours(text, text.length, rounds))
    } | ${f(ours(text, 1460, rounds))} | ${f(ours(text, 16384, rounds))} | ${
      f(ours(text, 65536, rounds))
    } | ${f(bare(text, 16384, bareRounds))} |`,
  );
}
const small =
  "<message from='bob@localhost/r' to='alice@localhost/r' id='m2' type='chat'><body>hello there</body></message>"
    .repeat(100);
const smallRounds = Math.round(mib * 1048576 / small.length);
console.log(
  `| 100 small messages | ${small.length} | ${
    f(ours(small, small.length, smallRounds, 100))
  } | ${f(ours(small, 1460, smallRounds, 100))} | ${
    f(ours(small, 16384, smallRounds, 100))
  } | ${f(ours(small, 65536, smallRounds, 100))} | ${
    f(bare(small, 16384, smallRounds, 100))
  } |`,
);
