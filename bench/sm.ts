/**
 * XEP-0198 costs and gains, through a throwaway Prosody (mod_smacks):
 *
 * - message throughput from alice to bob (both ours) with stream management
 *   off, on with the default ack policy (an `<r/>` every 10 stanzas), and on
 *   with an `<r/>` every 100: what the acks cost;
 * - the time from a cut link (a loopback proxy closes both sides) to
 *   `resumed`, next to the time to a fresh session without stream
 *   management.
 *
 *     deno run -A bench/sm.ts [--n 20000] [--rounds 3] [--cuts 20]
 *
 * @module
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import type { ConnectionOptions } from "../actors/connection/connection.ts";
import { type Element, xml } from "../src/deps.ts";
import { UnackedOverflowError } from "../src/errors.ts";
import { startProsody } from "../tests/support/prosody.ts";
import { startProxy } from "../tests/support/proxy.ts";
import { flag } from "./_args.ts";

const n = Number(flag("n", "20000"));
const rounds = Number(flag("rounds", "3"));
const cuts = Number(flag("cuts", "20"));

function connect(
  jid: string,
  port: number,
  extra: Partial<ConnectionOptions> = {},
): DenoConnection {
  return new DenoConnection({
    jid,
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    tls: { starttls: false },
    allowPlainWithoutTls: true,
    reconnect: { initialDelay: 1, jitter: 0 },
    ...extra,
  });
}

/** Send, or `false` when the unacked queue is at its bound. */
function trySend(c: DenoConnection, stanza: Element): boolean {
  try {
    c.send(stanza);
    return true;
  } catch (e) {
    if (e instanceof UnackedOverflowError) return false;
    throw e;
  }
}

function nextAck(c: DenoConnection): Promise<void> {
  return new Promise((resolve) => {
    const off = c.on("acked", () => {
      off();
      resolve();
    });
  });
}

async function throughput(
  port: number,
  sm: ConnectionOptions["streamManagement"],
): Promise<number> {
  const alice = connect("alice@localhost/tp", port, { streamManagement: sm });
  const bob = connect("bob@localhost/tp", port, { streamManagement: sm });
  try {
    await Promise.all([alice.start(), bob.start()]);
    let got = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => done = r);
    bob.on("stanza", () => {
      if (++got === n) done();
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const message = xml(
        "message",
        { to: "bob@localhost/tp", type: "chat" },
        xml("body", {}, `message ${i}`),
      );
      // at the unacked bound (streamManagement.maxUnacked), wait for an ack
      while (!trySend(alice, message)) await nextAck(alice);
      // let the socket drain now and then, as a real sender would
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 0));
    }
    await all;
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all([alice.stop(), bob.stop()]);
  }
}

async function cutToBack(port: number, sm: boolean): Promise<number[]> {
  const proxy = startProxy(port);
  const alice = connect("alice@localhost/cut", proxy.port, {
    streamManagement: { enabled: sm },
    reconnect: { initialDelay: 0, jitter: 0 },
  });
  const times: number[] = [];
  try {
    await alice.start();
    for (let i = 0; i < cuts; i++) {
      const back = new Promise<void>((r) => {
        const off = alice.on(sm ? "resumed" : "online", () => {
          off();
          r();
        });
      });
      const t0 = performance.now();
      proxy.cut();
      await back;
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    return times;
  } finally {
    await alice.stop();
    await proxy.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const p90 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.9)];
};

const server = await startProsody();
try {
  const modes: [string, ConnectionOptions["streamManagement"]][] = [
    ["off", { enabled: false }],
    ["on, <r/> every 10 (default)", {}],
    ["on, <r/> every 100", { ackEvery: 100 }],
  ];
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (let k = 0; k < modes.length; k++) {
      const [name, sm] = modes[(r + k) % modes.length];
      const rate = await throughput(server.c2sPort, sm);
      best.set(name, Math.max(best.get(name) ?? 0, rate));
      line.push(`${name}: ${rate.toFixed(0)}/s`);
    }
    console.error(`round ${r + 1}: ${line.join("; ")}`);
  }
  const resumed = await cutToBack(server.c2sPort, true);
  const fresh = await cutToBack(server.c2sPort, false);

  console.log(`n=${n} messages, rounds=${rounds} (best), cuts=${cuts}\n`);
  console.log("| stream management | messages/s alice → bob | vs off |");
  console.log("|---|---:|---:|");
  const off = best.get("off")!;
  for (const [name] of modes) {
    const v = best.get(name)!;
    console.log(
      `| ${name} | ${v.toFixed(0)} | ${(100 * v / off).toFixed(0)} % |`,
    );
  }
  console.log("\n| cut link → back | median ms | p90 ms |");
  console.log("|---|---:|---:|");
  console.log(
    `| resumed (XEP-0198) | ${median(resumed).toFixed(1)} | ${
      p90(resumed).toFixed(1)
    } |`,
  );
  console.log(
    `| new session (no SM) | ${median(fresh).toFixed(1)} | ${
      p90(fresh).toFixed(1)
    } |`,
  );
} finally {
  await server.stop();
}
