/**
 * An image bot: serves every file of a directory as Bits of Binary
 * (XEP-0231) and answers a chat message `show <name>` with a message that
 * refers to the file's cid — in the body (`cid:…`) and in an XHTML-IM
 * `<img>` — carrying the data inline when it is small. `list` lists the
 * names. Peers fetch the rest with an IQ; the bot answers from its storage.
 *
 *     XMPP_SERVICE=xmpp://127.0.0.1:5222 XMPP_JID=bot@localhost \
 *     XMPP_PASSWORD=pw [XMPP_CA=ca.pem] deno run -A examples/image_bot.ts <dir>
 *
 * Runs until Ctrl-C (or, for tests, until it has sent `XMPP_MAX_REPLIES`
 * answers: a peer that fetches after that finds it gone).
 *
 * @module
 */
import { cidUri, createClient, type Element, xml } from "../mod.ts";

/** Data up to this size rides in the message itself (XEP-0231 §3). */
const INLINE_LIMIT = 1024;

const TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  txt: "text/plain",
};

const dir = Deno.args[0];
if (!dir) {
  console.error("usage: deno run -A examples/image_bot.ts <dir>");
  Deno.exit(2);
}
const ca = Deno.env.get("XMPP_CA");
const xmpp = createClient({
  jid: Deno.env.get("XMPP_JID") ?? "bot@localhost",
  password: Deno.env.get("XMPP_PASSWORD") ?? "pw",
  service: Deno.env.get("XMPP_SERVICE") || undefined,
  tls: ca ? { caCerts: [await Deno.readTextFile(ca)] } : undefined,
});
const bob = xmpp.registerPlugin("xep_0231");

// Every file of the directory, stored as a BoB (cid = hash of the bytes).
const files = new Map<string, { cid: string; size: number }>();
for await (const entry of Deno.readDir(dir)) {
  if (!entry.isFile) continue;
  const data = await Deno.readFile(`${dir}/${entry.name}`);
  const ext = entry.name.slice(entry.name.lastIndexOf(".") + 1).toLowerCase();
  if (data.length > bob.maxSize) {
    console.error(`skipped ${entry.name}: ${data.length} B is over the limit`);
    continue;
  }
  const type = TYPES[ext] ?? "application/octet-stream";
  const cid = await bob.setBob(data, type, { maxAge: 86400 });
  files.set(entry.name, { cid, size: data.length });
}

function reply(to: string, body: string, extra: Element[] = []): Element {
  return xml("message", { to, type: "chat" }, xml("body", {}, body), ...extra);
}

async function answer(from: string, text: string): Promise<Element> {
  const [command, ...rest] = text.trim().split(/\s+/);
  const name = rest.join(" ");
  if (command === "show" && files.has(name)) {
    const { cid, size } = files.get(name)!;
    const html = xml(
      "html",
      { xmlns: "http://jabber.org/protocol/xhtml-im" },
      xml(
        "body",
        { xmlns: "http://www.w3.org/1999/xhtml" },
        xml("img", { src: cidUri(cid), alt: name }),
      ),
    );
    const message = reply(from, `${name}: ${cidUri(cid)}`, [html]);
    // Small: the <data/> goes along; large: the peer fetches it by cid.
    return size <= INLINE_LIMIT ? await bob.attach(message, cid) : message;
  }
  if (command === "show") return reply(from, `no such file: ${name}`);
  return reply(from, `files: ${[...files.keys()].sort().join(", ")}`);
}

const max = Number(Deno.env.get("XMPP_MAX_REPLIES") ?? Infinity);
let replies = 0;
const done = Promise.withResolvers<void>();

xmpp.on("stanza", (stanza) => {
  const body = stanza.getChildText("body");
  if (
    stanza.name !== "message" || stanza.attrs.type === "error" || body === null
  ) return;
  answer(stanza.attrs.from, body).then((message) => {
    xmpp.send(message);
    if (++replies >= max) done.resolve();
  }, (e) => console.error(`error: ${e.message}`));
});
xmpp.on("error", (e) => console.error(`error: ${e.message}`));

await xmpp.start();
xmpp.send(xml("presence"));
console.log(`image bot online as ${xmpp.jid}, serving ${files.size} file(s)`);
for (const [name, { cid, size }] of files) {
  console.log(`  ${name} (${size} B) ${cidUri(cid)}`);
}
Deno.addSignalListener("SIGINT", () => done.resolve());
await done.promise;
await xmpp.stop();
console.log(`answered ${replies} message(s), bye`);
Deno.exit(0);
