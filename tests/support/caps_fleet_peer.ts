/**
 * One client process of a caps fleet, for `tests/caps_fleet_test.ts`: an
 * XMPP client whose XEP-0115 cache is a shared Redis.
 *
 *     deno run --allow-all tests/support/caps_fleet_peer.ts <redis-url> <jid> <xmpp-port> <ca-file>
 *
 * It prints `ready <full JID>` once online, then one line per caps event,
 * `caps <jid> <outcome>`, and exits on `quit` (or when stdin closes).
 *
 * @module
 */
import { createClient } from "../../mod.ts";
import { redisStorage } from "../../actors/storage/redis/storage.ts";

const [url, jid, port, caFile] = Deno.args;
const enc = new TextEncoder();
const out = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));

const xmpp = createClient({
  jid,
  password: "pw",
  service: `xmpp://127.0.0.1:${port}`,
  tls: { caCerts: [Deno.readTextFileSync(caFile)] },
});
const caps = xmpp.registerPlugin("xep_0115");
await caps.api.bind(redisStorage({ url }));
caps.onCaps((e) => out(`caps ${e.jid} ${e.outcome}`));
await xmpp.start();
out(`ready ${xmpp.jid}`);
for await (const chunk of Deno.stdin.readable) {
  if (new TextDecoder().decode(chunk).includes("quit")) break;
}
await xmpp.stop();
Deno.exit(0);
