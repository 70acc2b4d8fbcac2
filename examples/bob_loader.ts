/**
 * The slixmpp how-to, literally: BoB storage replaced through the plugin's
 * internal API by plain functions that keep one JSON file per cid.
 *
 *   deno run -A examples/bob_loader.ts [dir]
 *
 * @module
 */
import { type BobData, createClient } from "../mod.ts";

/** Whether a file exists at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * The how-to's `BobLoader`: one JSON file per cid, written as slixmpp's
 * loader writes it. Its three methods are internal API handlers, called
 * `(jid, node, ifrom, args)`.
 */
export class BobLoader {
  constructor(readonly dir: string) {
    Deno.mkdirSync(dir, { recursive: true });
  }

  setBob = (_jid?: string, _node?: string, _ifrom?: string, args?: BobData) => {
    const payload = {
      data: args!.data.toBase64(),
      type: args!.type,
      cid: args!.cid,
      max_age: args!.maxAge ?? null,
    };
    Deno.writeTextFileSync(`${this.dir}/${args!.cid}`, JSON.stringify(payload));
  };

  getBob = (
    _jid?: string,
    _node?: string,
    _ifrom?: string,
    cid?: string,
  ): BobData | undefined => {
    const path = `${this.dir}/${cid}`;
    // Nothing there: the plugin turns it into item-not-found.
    if (!exists(path)) return undefined;
    const payload = JSON.parse(Deno.readTextFileSync(path));
    return {
      data: Uint8Array.fromBase64(payload.data),
      type: payload.type,
      maxAge: payload.max_age, // null (no max-age) is fine, as slixmpp's None
      cid: payload.cid,
    };
  };

  delBob = (_jid?: string, _node?: string, _ifrom?: string, cid?: string) => {
    const path = `${this.dir}/${cid}`;
    if (exists(path)) Deno.removeSync(path);
  };
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? await Deno.makeTempDir({ prefix: "bobcache-" });
  const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
  xmpp.registerPlugin("xep_0231");
  const bob = xmpp.plugin["xep_0231"];

  const loader = new BobLoader(dir);
  bob.api.register(loader.setBob, "set_bob");
  bob.api.register(loader.getBob, "get_bob");
  bob.api.register(loader.delBob, "del_bob");

  const cid = await bob.setBob(
    new TextEncoder().encode("coucou"),
    "text/plain",
  );
  console.log(`a new bob file appeared: ${dir}/${cid}`);
  const content = await bob.getBob({ cid });
  console.log(`read back: ${new TextDecoder().decode(content.data)}`);
  await bob.delBob(cid);
  console.log(`deleted: ${[...Deno.readDirSync(dir)].length} file(s) left`);
  await xmpp.stop();
}
