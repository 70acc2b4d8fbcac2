/**
 * Incoming XML parsing cost (`src/xml_stream.ts`): one 60 KiB BoB-like
 * stanza (base64 text in a `<data/>`) fed whole, in 16 KiB and in 1,460-byte
 * chunks (TCP segments), and a run of small messages.
 *
 *     deno run -A bench/xml_stream.ts [--rounds 2000]
 *
 * @module
 */
import { XmlStream } from "../src/xml_stream.ts";
import { flag } from "./_args.ts";

const rounds = Number(flag("rounds", "2000"));

const HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s' version='1.0'>";
const b64 = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MTIz".repeat(1536);
const big =
  `<message from='bob@localhost/r' to='alice@localhost/r' id='m1'><body>x</body><data xmlns='urn:xmpp:bob' cid='sha1+8f35fef110ffc5df08d579a50083ff9308fb6242@bob.xmpp.org' type='image/png' max-age='86400'>${b64}</data></message>`;
const small =
  "<message from='bob@localhost/r' to='alice@localhost/r' id='m2' type='chat'><body>hello there</body></message>"
    .repeat(100);

function run(name: string, text: string, chunk: number) {
  let n = 0;
  const stream = new XmlStream({
    onElement: () => n++,
    onError: (e) => {
      throw e;
    },
  });
  stream.write(HEADER);
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += chunk) {
    parts.push(text.slice(i, i + chunk));
  }
  for (let r = 0; r < 50; r++) for (const p of parts) stream.write(p);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of parts) stream.write(p);
  const ms = performance.now() - t0;
  console.log(
    `${name.padEnd(34)} ${
      (ms * 1000 / rounds).toFixed(1).padStart(8)
    } µs/round  (${n} elements)`,
  );
}

console.log(`stanza ${big.length} chars, ${rounds} rounds`);
run("60 KiB stanza, whole", big, big.length);
run("60 KiB stanza, 16 KiB chunks", big, 16 * 1024);
run("60 KiB stanza, 1460-char chunks", big, 1460);
run("100 small messages, whole", small, small.length);
run("100 small messages, 1460-char chunks", small, 1460);
