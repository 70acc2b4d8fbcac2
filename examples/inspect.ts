/**
 * The demo (`examples/demo.ts`: BoB through file storage, a hot swap to
 * memory) with the live inspector attached. Prints the page's URL, then keeps
 * the actors busy (a set/get every second, a hot swap every ten) until
 * Ctrl-C, or for `INSPECT_SECONDS` seconds.
 *
 *   deno task inspect
 *   INSPECT_PORT=8080 deno task inspect
 *
 * The URL carries a random token (every path is behind it; other pages on
 * the machine cannot open it); `INSPECT_TOKEN` (16+ of A-Z a-z 0-9 _ -)
 * keeps it stable across runs. Frames are redacted of credentials: the
 * password below never reaches the page or a recording.
 *
 * With a server configured it also connects (the connection machine then
 * shows in the page):
 *
 *   XMPP_SERVICE=xmpp://127.0.0.1:5222 XMPP_JID=alice@localhost \
 *   XMPP_PASSWORD=pw deno task inspect
 *
 * @module
 */
import {
  createClient,
  createInspector,
  fileStorage,
  memoryStorage,
} from "../mod.ts";

const enc = new TextEncoder();
const inspector = createInspector({
  port: Number(Deno.env.get("INSPECT_PORT") ?? 0),
  token: Deno.env.get("INSPECT_TOKEN") || undefined,
});
console.log(`inspector -> ${inspector.url}  (keep this URL to yourself)`);
console.log(`            (@statelyai/inspect sources: ${inspector.sourceUrl})`);

const dir = await Deno.makeTempDir({ prefix: "bobcache-" });
const service = Deno.env.get("XMPP_SERVICE") || undefined;
const ca = Deno.env.get("XMPP_CA");
const xmpp = createClient({
  jid: Deno.env.get("XMPP_JID") ?? "alice@localhost",
  password: Deno.env.get("XMPP_PASSWORD") ?? "pw",
  service,
  tls: ca ? { caCerts: [await Deno.readTextFile(ca)] } : undefined,
  inspect: inspector,
});
const seconds = Number(Deno.env.get("INSPECT_SECONDS") ?? Infinity);
let stop = false;
Deno.addSignalListener("SIGINT", () => stop = true);
try {
  if (service) {
    await xmpp.start();
    console.log(`online   -> ${xmpp.jid}`);
  }
  const bob = xmpp.registerPlugin("xep_0231");
  await bob.api.bind(fileStorage({ dir }));
  const started = Date.now();
  for (let i = 0; !stop && Date.now() - started < seconds * 1000; i++) {
    const cid = await bob.setBob(enc.encode(`tick ${i}`), "text/plain");
    await bob.getBob({ cid });
    if (i % 10 === 9) {
      const next = i % 20 === 9 ? memoryStorage() : fileStorage({ dir });
      await bob.api.bind(next, { migrate: true });
      console.log(`hot swap -> ${i % 20 === 9 ? "memory" : "file"} storage`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
} finally {
  await xmpp.stop();
  await inspector.close();
  await Deno.remove(dir, { recursive: true });
}
