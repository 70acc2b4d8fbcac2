import { DenoConnection } from "../actors/connection/deno.ts";
import { orderSrv, type SrvRecord, srvTargets } from "../src/srv.ts";
import { ConnectionError } from "../src/errors.ts";
import {
  hasProsody,
  requireServers,
  startProsody,
  TEST_DOMAIN,
} from "./support/prosody.ts";
import { type DnsRecords, startDns } from "./support/dns.ts";
import { assert, assertEquals, assertRejects } from "./_helpers.ts";

const rec = (priority: number, weight: number, target: string): SrvRecord => ({
  priority,
  weight,
  port: 5222,
  target,
});

Deno.test("orderSrv() sorts by priority, then picks by weight (RFC 2782)", () => {
  const records = [
    rec(20, 0, "late"),
    rec(10, 1, "light"),
    rec(10, 3, "heavy"),
  ];
  // a pick below 1/4 of the weight takes "light", above takes "heavy"
  assertEquals(orderSrv(records, () => 0.1).map((r) => r.target), [
    "light",
    "heavy",
    "late",
  ]);
  assertEquals(orderSrv(records, () => 0.9).map((r) => r.target), [
    "heavy",
    "light",
    "late",
  ]);
  // over many draws, the heavier record comes first about 3 times in 4
  let heavyFirst = 0;
  for (let i = 0; i < 4000; i++) {
    if (orderSrv(records)[0].target === "heavy") heavyFirst++;
  }
  assert(heavyFirst > 2700 && heavyFirst < 3300, `${heavyFirst}/4000`);
  // weight 0 goes after the weighted ones of its priority
  assertEquals(
    orderSrv([rec(1, 0, "zero"), rec(1, 5, "five")], () => 0.99).map((r) =>
      r.target
    ),
    ["five", "zero"],
  );
});

Deno.test("srvTargets() merges both services, skips '.', falls back to the domain", async () => {
  const table: Record<string, SrvRecord[]> = {
    "_xmpps-client._tcp.example.org": [
      { priority: 5, weight: 0, port: 443, target: "tls.example.org." },
    ],
    "_xmpp-client._tcp.example.org": [
      { priority: 1, weight: 0, port: 5222, target: "." },
      { priority: 10, weight: 0, port: 5333, target: "tcp.example.org." },
    ],
  };
  const resolve = (name: string) =>
    table[name]
      ? Promise.resolve(table[name])
      : Promise.reject(new Error("NX"));
  assertEquals(await srvTargets("example.org", resolve), [
    { directTls: true, hostname: "tls.example.org", port: 443 },
    { directTls: false, hostname: "tcp.example.org", port: 5333 },
    { directTls: false, hostname: "example.org", port: 5222 },
  ]);
  assertEquals(await srvTargets("other.org", resolve), [
    { directTls: false, hostname: "other.org", port: 5222 },
  ]);
});

Deno.test({
  name:
    "SRV lookup with a loopback DNS server points the connection at Prosody",
  ignore: !hasProsody() && !requireServers(),
  async fn(t) {
    const server = await startProsody({ testDomain: true });
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const down = (closed.addr as Deno.NetAddr).port;
    closed.close(); // nothing listens here now
    const addresses: Record<string, DnsRecords> = {
      "down.xmpp-actors.test": { a: ["127.0.0.1"] },
      "xmpp.xmpp-actors.test": { a: ["127.0.0.1"] },
    };
    const connect = async (table: Record<string, DnsRecords>) => {
      const dns = await startDns({ ...addresses, ...table });
      const c = new DenoConnection({
        jid: `alice@${TEST_DOMAIN}/srv`,
        password: "pw",
        tls: { caCerts: [server.caPem] },
        dns: { nameServer: { ipAddr: dns.ipAddr, port: dns.port } },
        reconnect: { enabled: false },
      });
      const statuses: string[] = [];
      c.on("status", (s) => statuses.push(s));
      return { c, dns, statuses };
    };
    try {
      await t.step(
        "priority order across both services; a dead first target falls through to direct TLS",
        async () => {
          const { c, dns, statuses } = await connect({
            [`_xmpps-client._tcp.${TEST_DOMAIN}`]: {
              srv: [
                {
                  priority: 5,
                  weight: 0,
                  port: down,
                  target: "down.xmpp-actors.test",
                },
                {
                  priority: 7,
                  weight: 0,
                  port: server.directTlsPort,
                  target: "xmpp.xmpp-actors.test",
                },
              ],
            },
            [`_xmpp-client._tcp.${TEST_DOMAIN}`]: {
              srv: [{
                priority: 9,
                weight: 0,
                port: server.c2sPort,
                target: "xmpp.xmpp-actors.test",
              }],
            },
          });
          try {
            await c.start();
            assertEquals(c.jid, `alice@${TEST_DOMAIN}/srv`);
            assertEquals(c.actor.getSnapshot().context.secure, true);
            assert(!statuses.includes("starttls"), "direct TLS, no STARTTLS");
            assert(dns.asked.includes(`_xmpps-client._tcp.${TEST_DOMAIN} SRV`));
            assert(dns.asked.includes(`_xmpp-client._tcp.${TEST_DOMAIN} SRV`));
          } finally {
            await c.stop();
            await dns.close();
          }
        },
      );
      await t.step(
        "STARTTLS target after a dead one of lower priority",
        async () => {
          const { c, dns, statuses } = await connect({
            [`_xmpp-client._tcp.${TEST_DOMAIN}`]: {
              srv: [
                {
                  priority: 10,
                  weight: 50,
                  port: down,
                  target: "down.xmpp-actors.test",
                },
                {
                  priority: 20,
                  weight: 50,
                  port: server.c2sPort,
                  target: "xmpp.xmpp-actors.test",
                },
              ],
            },
          });
          try {
            await c.start();
            assert(statuses.includes("starttls"), statuses.join());
            assertEquals(c.actor.getSnapshot().context.secure, true);
          } finally {
            await c.stop();
            await dns.close();
          }
        },
      );
      await t.step(
        "no records: the domain on 5222 is tried, last",
        async () => {
          const { c, dns } = await connect({});
          try {
            const err = await assertRejects(c.start(), ConnectionError);
            assert(
              err.message.includes(`xmpp://${TEST_DOMAIN}:5222`),
              err.message,
            );
          } finally {
            await c.stop();
            await dns.close();
          }
        },
      );
    } finally {
      await server.stop();
    }
  },
});
