/**
 * The slixmpp how-to, literally: BoB storage replaced through the plugin's
 * internal API by plain functions that keep one JSON file per cid.
 *
 *   deno run -A examples/bob_loader.ts [dir]
 *
 * @module
 */
import { type BobData, createClient } from "../mod.ts";

class BobLoader {
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
  ): BobData => {
    const p = JSON.parse(Deno.readTextFileSync(`${this.dir}/${cid}`));
    return {
      cid: p.cid,
      type: p.type,
      data: Uint8Array.fromBase64(p.data),
      maxAge: p.max_age ?? undefined,
    };
  };
  delBob = (_jid?: string, _node?: string, _ifrom?: string, cid?: string) => {
    Deno.removeSync(`${this.dir}/${cid}`);
  };
}

const dir = Deno.args[0] ?? await Deno.makeTempDir({ prefix: "bobcache-" });
const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
xmpp.registerPlugin("xep_0231");
const bob = xmpp.plugin["xep_0231"];

const loader = new BobLoader(dir);
bob.api.register(loader.setBob, "set_bob");
bob.api.register(loader.getBob, "get_bob");
bob.api.register(loader.delBob, "del_bob");

const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain");
console.log(`a new bob file appeared: ${dir}/${cid}`);
const content = await bob.getBob({ cid });
console.log(`read back: ${new TextDecoder().decode(content.data)}`);
await bob.delBob(cid);
console.log(`deleted: ${[...Deno.readDirSync(dir)].length} file(s) left`);
await xmpp.stop();
