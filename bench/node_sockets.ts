/**
 * Deno's own sockets against `node:net`/`node:tls` (the Node/Bun transports,
 * `actors/transport/tcp_node.ts`) for the same client, in Deno, in one run:
 * pings to a throwaway Prosody over STARTTLS, one at a time and 32 in
 * flight, alternating which goes first each round; the best round of each.
 * What `actors/connection/runtime.ts` keeps for Deno rests on this.
 *
 *     deno run -A bench/node_sockets.ts [--n 2000] [--rounds 3]
 *
 * @module
 */
import { createClient, xml } from "../mod.ts";
import { denoTransports } from "../actors/connection/deno.ts";
import { nodeTransports } from "../actors/connection/runtime.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { flag } from "./_args.ts";

const n = Number(flag("n", "2000"));
const rounds = Number(flag("rounds", "3"));
const server = await startProsody();
const ping = () =>
  xml(
    "iq",
    { type: "get", to: "localhost" },
    xml("ping", { xmlns: "urn:xmpp:ping" }),
  );

async function measure(transports: typeof denoTransports) {
  const xmpp = createClient({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${server.c2sPort}`,
    tls: { caCerts: [server.caPem] },
    transports,
  });
  await xmpp.start();
  for (let i = 0; i < 50; i++) await xmpp.iq(ping());
  let t = performance.now();
  for (let i = 0; i < n; i++) await xmpp.iq(ping());
  const serial = n / ((performance.now() - t) / 1000);
  t = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next++ < n) await xmpp.iq(ping());
  }));
  const parallel = n / ((performance.now() - t) / 1000);
  await xmpp.stop();
  return { serial, parallel };
}

const best = {
  deno: { serial: 0, parallel: 0 },
  node: { serial: 0, parallel: 0 },
};
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ["node", "deno"] as const : ["deno", "node"] as const;
    for (const name of order) {
      const got = await measure(
        name === "deno" ? denoTransports : nodeTransports,
      );
      best[name].serial = Math.max(best[name].serial, got.serial);
      best[name].parallel = Math.max(best[name].parallel, got.parallel);
    }
  }
} finally {
  await server.stop();
}
console.log(`pings/s over STARTTLS (best of ${rounds}, n=${n})`);
console.log("| sockets   | one at a time | 32 in flight |");
console.log("| --------- | ------------: | -----------: |");
for (const [name, b] of Object.entries(best)) {
  console.log(
    `| ${name === "deno" ? "Deno      " : "node:net  "}| ${
      Math.round(b.serial).toString().padStart(13)
    } | ${Math.round(b.parallel).toString().padStart(12)} |`,
  );
}
console.log(
  `node:net / Deno: ${
    (best.node.serial / best.deno.serial).toFixed(2)
  } one at a time, ${
    (best.node.parallel / best.deno.parallel).toFixed(2)
  } in flight`,
);
