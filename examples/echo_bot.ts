/**
 * An echo bot: answers every chat message with the same body, until stopped
 * with Ctrl-C (or after `XMPP_MAX_ECHOES` echoes).
 *
 *   XMPP_SERVICE=xmpp://127.0.0.1:5222 XMPP_JID=bot@localhost \
 *   XMPP_PASSWORD=pw [XMPP_CA=ca.pem] deno run -A examples/echo_bot.ts
 *
 * @module
 */
import { createClient, xml } from "../mod.ts";

const ca = Deno.env.get("XMPP_CA");
const xmpp = createClient({
  jid: Deno.env.get("XMPP_JID") ?? "bot@localhost",
  password: Deno.env.get("XMPP_PASSWORD") ?? "pw",
  service: Deno.env.get("XMPP_SERVICE") || undefined,
  tls: ca ? { caCerts: [await Deno.readTextFile(ca)] } : undefined,
});
const max = Number(Deno.env.get("XMPP_MAX_ECHOES") ?? Infinity);
let echoes = 0;
const done = Promise.withResolvers<void>();

xmpp.on("stanza", (stanza) => {
  const body = stanza.getChildText("body");
  if (
    stanza.name !== "message" || stanza.attrs.type === "error" || body === null
  ) return;
  xmpp.send(
    xml(
      "message",
      { to: stanza.attrs.from, type: stanza.attrs.type ?? "chat" },
      xml("body", {}, body),
    ),
  );
  if (++echoes >= max) done.resolve();
});
xmpp.on("error", (e) => console.error(`error: ${e.message}`));

await xmpp.start();
// Tell the server we are available, so messages to the bare JID reach us.
xmpp.send(xml("presence"));
console.log(`echo bot online as ${xmpp.jid}`);
Deno.addSignalListener("SIGINT", () => done.resolve());
await done.promise;
await xmpp.stop();
console.log(`echoed ${echoes} message(s), bye`);
Deno.exit(0);
