import { DenoConnection } from "../actors/connection/deno.ts";
import { CLIENT_HEADER_END, SERVER_HEADER, startFakeServer } from "./_helpers.ts";

const cases: Record<string, string> = {
  malformed: "<stream:features></iq>",
  deep: "<stream:features>" + "<x>".repeat(300) + "</x>".repeat(300) + "</stream:features>",
  big: "<stream:features><x>" + "a".repeat(5000) + "</x></stream:features>",
  binary: "\u0000\u0001\u00ff garbage",
  header2: SERVER_HEADER,
  unexpected: "<message from='x@y'/>",
};
for (const [name, payload] of Object.entries(cases)) {
  Deno.test(`probe after header: ${name}`, async () => {
    const server = startFakeServer(async (s) => {
      await s.readUntil(CLIENT_HEADER_END);
      await s.write(SERVER_HEADER + payload);
      await s.readUntil("</stream:stream>").catch(() => {});
    });
    const c = new DenoConnection({
      jid: "alice@localhost", password: "pw",
      service: `xmpp://127.0.0.1:${server.port}`,
      allowPlainWithoutTls: true, maxStanzaSize: 1000,
      reconnect: { enabled: false }, negotiationTimeout: 5000,
    });
    const t0 = performance.now();
    try { await c.start(); console.log("started?!"); } catch (e) {
      console.log(name, (e as Error).name, (e as {condition?:string}).condition, (e as Error).message, Math.round(performance.now() - t0));
    }
    console.log("recv", JSON.stringify(server.received().slice(-200)));
    await c.stop(); await server.close();
  });
}
