import { assertEquals, assertStrictEquals } from "./deps.ts";
import { createClient, fileStorage } from "../mod.ts";
import { requireServers } from "./support/prosody.ts";
import { hasSlixmpp, runPython } from "./support/slixmpp.ts";

const SCRIPT =
  new URL("./support/slixmpp_bob_files.py", import.meta.url).pathname;
const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test({
  name:
    "fileStorage() and slixmpp's file BobLoader read each other's directories, byte for byte",
  ignore: !hasSlixmpp() && !requireServers(),
  async fn() {
    const fromPython = await Deno.makeTempDir();
    const fromUs = await Deno.makeTempDir();
    const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
    try {
      // slixmpp writes, we read.
      const [a, b] = JSON.parse(
        await runPython(SCRIPT, ["write", fromPython]),
      ) as string[];
      const bob = xmpp.registerPlugin("xep_0231");
      await bob.api.bind(fileStorage({ dir: fromPython }));
      const gotA = await bob.getBob({ cid: a });
      assertEquals({ ...gotA, data: dec.decode(gotA.data) }, {
        cid: a,
        type: "text/plain",
        data: "coucou",
        maxAge: 86400,
      });
      assertStrictEquals(dec.decode((await bob.getBob({ cid: b })).data), "x");

      // We write, slixmpp reads; and the files are the same bytes.
      await bob.api.bind(fileStorage({ dir: fromUs }));
      assertStrictEquals(
        await bob.setBob(enc.encode("coucou"), "text/plain", { maxAge: 86400 }),
        a,
      );
      assertStrictEquals(await bob.setBob(enc.encode("x"), "text/plain"), b);
      for (const cid of [a, b]) {
        assertStrictEquals(
          await Deno.readTextFile(`${fromUs}/${cid}`),
          await Deno.readTextFile(`${fromPython}/${cid}`),
        );
      }
      const read = JSON.parse(await runPython(SCRIPT, ["read", fromUs, a]));
      assertEquals(read, {
        cid: a,
        type: "text/plain",
        data: btoa("coucou"),
        max_age: 86400,
      });
    } finally {
      await xmpp.stop();
      await Deno.remove(fromPython, { recursive: true });
      await Deno.remove(fromUs, { recursive: true });
    }
  },
});
