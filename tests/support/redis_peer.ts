/**
 * One client process of a fleet, for `tests/redis_fleet_test.ts`: an XMPP
 * client whose BoB storage is a shared Redis, driven by lines on stdin.
 *
 *     deno run --allow-all tests/support/redis_peer.ts <redis-url> <jid> [<xmpp-port> <ca-file>]
 *
 * With a port it connects to Prosody on 127.0.0.1 (password "pw", the
 * server's test CA in `<ca-file>`) and so
 * serves its BoBs to peers; without, it stays offline. Commands, one per
 * line; one answer line each:
 *
 * - `set <text> [<max-age>]` → `cid <cid>`
 * - `get <cid>` → `hit <text>` or `miss`
 * - `quit` → `bye`, then the process exits
 *
 * It prints `ready` once bound (and online).
 *
 * @module
 */
import { createClient, ItemNotFound } from "../../mod.ts";
import { redisStorage } from "../../actors/storage/redis/storage.ts";

const [url, jid, port, caFile] = Deno.args;
const enc = new TextEncoder();
const dec = new TextDecoder();
const out = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));

const xmpp = createClient({
  jid,
  password: "pw",
  ...(port ? { service: `xmpp://127.0.0.1:${port}` } : {}),
  ...(caFile ? { tls: { caCerts: [Deno.readTextFileSync(caFile)] } } : {}),
});
const bob = xmpp.registerPlugin("xep_0231");
await bob.api.bind(redisStorage({ url }));
if (port) await xmpp.start();
out("ready");

let buffered = "";
for await (const chunk of Deno.stdin.readable) {
  buffered += dec.decode(chunk, { stream: true });
  let nl;
  while ((nl = buffered.indexOf("\n")) >= 0) {
    const [cmd, arg, extra] = buffered.slice(0, nl).trim().split(" ");
    buffered = buffered.slice(nl + 1);
    try {
      if (cmd === "set") {
        const cid = await bob.setBob(enc.encode(arg), "text/plain", {
          ...(extra ? { maxAge: Number(extra) } : {}),
        });
        out(`cid ${cid}`);
      } else if (cmd === "get") {
        const got = await bob.getBob({ cid: arg }).catch((e) => {
          if (e instanceof ItemNotFound) return undefined;
          throw e;
        });
        out(got === undefined ? "miss" : `hit ${dec.decode(got.data)}`);
      } else if (cmd === "quit") {
        await xmpp.stop();
        out("bye");
        Deno.exit(0);
      } else out(`error unknown command ${cmd}`);
    } catch (e) {
      out(`error ${(e as Error).name}: ${(e as Error).message}`);
    }
  }
}
