/**
 * The main job: the slixmpp "Flexible internal API usage" how-to, in
 * TypeScript, end to end on a temp directory.
 *
 *   npx -y deno@2 task demo
 *
 * @module
 */
import { createClient, fileStorage, memoryStorage } from "../mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const dir = await Deno.makeTempDir({ prefix: "bobcache-" });

const xmpp = createClient({
  jid: Deno.env.get("XMPP_JID") ?? "alice@localhost",
  password: Deno.env.get("XMPP_PASSWORD") ?? "pw",
});
try {
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
} finally {
  await xmpp.stop();
  await Deno.remove(dir, { recursive: true });
}
