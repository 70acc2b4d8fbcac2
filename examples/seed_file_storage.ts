/**
 * slixmpp's "Flexible internal API usage" how-to, step by step in
 * TypeScript: the XEP-0231 (Bits of Binary) storage is replaced, through the
 * plugin's internal API, by a `BobLoader` that keeps each bit of binary in a
 * JSON file named with its content-id, with all metadata.
 *
 * Locally (no connection):
 *
 *     deno run -A examples/seed_file_storage.ts [dir]
 *
 * Against a real server: the same, then a second session of the account
 * fetches the BoB over XMPP, and the answer comes from the file:
 *
 *     XMPP_SERVICE=xmpp://127.0.0.1:5222 XMPP_JID=alice@localhost \
 *     XMPP_PASSWORD=pw [XMPP_CA=ca.pem] deno run -A examples/seed_file_storage.ts
 *
 * Every check throws when it fails.
 *
 * @module
 */
import { createClient, fileStorage } from "../mod.ts";
import { BobLoader, exists } from "./bob_loader.ts";

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`Check failed: ${message}`);
}

const service = Deno.env.get("XMPP_SERVICE") || undefined;
const ca = Deno.env.get("XMPP_CA");
const account = {
  jid: Deno.env.get("XMPP_JID") ?? "alice@localhost",
  password: Deno.env.get("XMPP_PASSWORD") ?? "pw",
  service,
  tls: ca ? { caCerts: [await Deno.readTextFile(ca)] } : undefined,
};

// "First, we have to load the plugin. This enables the default, in-memory
// storage."
const xmpp = createClient(account);
xmpp.registerPlugin("xep_0231");
console.log("1. plugin xep_0231 loaded (in-memory storage)");

// "Here is a class implementing very basic file storage for BoB": the one in
// examples/bob_loader.ts. Each handler gets (jid, node, ifrom, args), as in
// slixmpp.
// "Now we need to replace the default handler with ours."
const dir = Deno.args[0] ?? await Deno.makeTempDir({ prefix: "bobcache-" });
const bobhandler = new BobLoader(dir);
xmpp.plugin["xep_0231"].api.register(bobhandler.setBob, "set_bob");
xmpp.plugin["xep_0231"].api.register(bobhandler.getBob, "get_bob");
xmpp.plugin["xep_0231"].api.register(bobhandler.delBob, "del_bob");
console.log(`2. set_bob, get_bob, del_bob now keep JSON files in ${dir}`);

// "To check that everything works, you can do the following."
const cid = await xmpp.plugin["xep_0231"].setBob(
  new TextEncoder().encode("coucou"),
  "text/plain",
);
// "A new bob file should appear."
check(exists(`${dir}/${cid}`), `a file for ${cid} in ${dir}`);
console.log(`3. set_bob -> ${dir}/${cid}`);
const content = await xmpp.plugin["xep_0231"].getBob({ cid });
check(
  new TextDecoder().decode(content.data) === "coucou",
  "get_bob returns the bytes stored",
);
console.log(`4. get_bob -> ${content.type}: coucou`);

// With a server: another session of the account asks for the cid over
// XMPP; our get_bob handler answers from the file.
if (service) {
  await xmpp.start();
  const other = createClient({
    ...account,
    jid: `${account.jid.split("/")[0]}/seed-reader`,
  });
  try {
    await other.start();
    const fetched = await other.registerPlugin("xep_0231").getBob({
      cid,
      jid: xmpp.jid,
    });
    check(
      new TextDecoder().decode(fetched.data) === "coucou",
      "the BoB fetched over XMPP is the one in the file",
    );
    console.log(
      `5. ${other.jid} fetched ${cid} from ${xmpp.jid} via ${service}`,
    );
  } finally {
    await other.stop();
  }
} else {
  console.log("5. no XMPP_SERVICE: local only (no connection)");
}

// Delete: the file goes too.
await xmpp.plugin["xep_0231"].delBob(cid);
check(!exists(`${dir}/${cid}`), "del_bob removes the file");
console.log("6. del_bob -> file removed");

// The same storage as an actor: put the default ops back, then bind the
// file storage actor (one JSON file per key as well), migrating what the
// in-memory default holds; it can be swapped again at run time.
const api = xmpp.plugin["xep_0231"].api;
for (const op of ["set_bob", "get_bob", "del_bob"]) api.restoreDefault(op);
const again = await xmpp.plugin["xep_0231"].setBob(
  new TextEncoder().encode("coucou"),
  "text/plain",
);
await api.bind(fileStorage({ dir: `${dir}/actor` }), { migrate: true });
check(exists(`${dir}/actor`), "the file storage actor made its directory");
const migrated = await xmpp.plugin["xep_0231"].getBob({ cid: again });
check(
  new TextDecoder().decode(migrated.data) === "coucou",
  "the entry moved to the file storage actor",
);
console.log(
  `7. bound fileStorage({ dir: "${dir}/actor" }) with migrate: coucou`,
);

await xmpp.stop();
console.log("done");
