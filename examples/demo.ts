/**
 * The main job: the slixmpp "Flexible internal API usage" how-to, in
 * TypeScript, end to end on a temp directory.
 *
 *   npx -y deno@2 task demo
 *
 * With a server configured it also connects and pings it first:
 *
 *   XMPP_SERVICE=xmpp://127.0.0.1:5222 XMPP_JID=alice@localhost \
 *   XMPP_PASSWORD=pw [XMPP_CA=ca.pem] npx -y deno@2 task demo
 *
 * With `--inspect` (`deno task demo:inspect`) the live inspector watches it:
 * the demo prints the page's URL, waits for a page to open (at most
 * `INSPECT_WAIT` seconds, default 30), runs, and keeps the actors alive for
 * the page until Ctrl-C (or `INSPECT_SECONDS` seconds).
 *
 * @module
 */
import {
  createClient,
  createInspector,
  fileStorage,
  memoryStorage,
  xml,
} from "../mod.ts";

const inspector = Deno.args.includes("--inspect")
  ? createInspector({ port: Number(Deno.env.get("INSPECT_PORT") ?? 0) })
  : undefined;
if (inspector) {
  console.log(`inspector -> ${inspector.url}  (keep this URL to yourself)`);
  const wait = Number(Deno.env.get("INSPECT_WAIT") ?? 30) * 1000;
  const start = Date.now();
  while (inspector.stats().pages === 0 && Date.now() - start < wait) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const dir = await Deno.makeTempDir({ prefix: "bobcache-" });

const service = Deno.env.get("XMPP_SERVICE") || undefined;
const ca = Deno.env.get("XMPP_CA");
const xmpp = createClient({
  jid: Deno.env.get("XMPP_JID") ?? "alice@localhost",
  password: Deno.env.get("XMPP_PASSWORD") ?? "pw",
  service,
  tls: ca ? { caCerts: [await Deno.readTextFile(ca)] } : undefined,
  inspect: inspector?.inspect,
});
try {
  if (service) {
    await xmpp.start();
    console.log(`online   -> ${xmpp.jid} via ${service}`);
    const domain = xmpp.jid.split("@")[1].split("/")[0];
    const pong = await xmpp.iq(
      xml(
        "iq",
        { type: "get", to: domain },
        xml("ping", { xmlns: "urn:xmpp:ping" }),
      ),
    );
    console.log(
      `ping     -> ${pong.attrs.type} from ${pong.attrs.from ?? domain}`,
    );
  } else {
    console.log("no XMPP_SERVICE set: local mode (no connection)");
  }
  xmpp.registerPlugin("xep_0231");
  const bob = xmpp.plugin["xep_0231"];

  // 1. BoB storage made of JSON files, one per cid, in a directory.
  await bob.api.bind(fileStorage({ dir }));
  console.log(`bound file storage in ${dir}`);

  // 2. Store, and look at the file that appeared.
  const cid = await bob.setBob(enc.encode("coucou"), "text/plain", {
    maxAge: 86400,
  });
  console.log(`set_bob  -> cid ${cid}`);
  console.log(`file     -> ${dir}/${cid}`);
  console.log(`           ${await Deno.readTextFile(`${dir}/${cid}`)}`);

  // 3. Read it back through the registry.
  const content = await bob.getBob({ cid });
  console.log(
    `get_bob  -> ${
      dec.decode(content.data)
    } (${content.type}, max-age ${content.maxAge})`,
  );

  // 4. Hot swap file -> memory, copying every entry first.
  await bob.api.bind(memoryStorage(), { migrate: true });
  console.log(
    `hot swap -> memory storage (migrated), registry is ${bob.api.actor.getSnapshot().value}`,
  );
  const after = await bob.getBob({ cid });
  console.log(
    `get_bob  -> ${dec.decode(after.data)} after the swap, from memory`,
  );

  // 5. Delete (from memory; the file stays as the old storage's copy).
  await bob.delBob(cid);
  await bob.getBob({ cid }).catch((e) =>
    console.log(`del_bob  -> then get_bob fails: ${e.name}`)
  );
  if (inspector) {
    const seconds = Number(Deno.env.get("INSPECT_SECONDS") ?? Infinity);
    console.log("demo done: the inspector stays open until Ctrl-C");
    await new Promise<void>((resolve) => {
      const done = () => {
        Deno.removeSignalListener("SIGINT", done);
        clearTimeout(timer);
        resolve();
      };
      const timer = Number.isFinite(seconds)
        ? setTimeout(done, seconds * 1000)
        : undefined;
      Deno.addSignalListener("SIGINT", done);
    });
  }
} finally {
  await xmpp.stop();
  await inspector?.close();
  await Deno.remove(dir, { recursive: true });
}
