/**
 * What the live inspector costs the client: local BoB `setBob` + `getBob`
 * pairs through the registry into memory storage (as in
 * `bob_local_bench.ts`), in four set-ups run in turns, round after round
 * (medians; interleaving keeps GC and CPU-frequency noise out of the
 * comparison):
 *
 * - no inspector;
 * - an empty inspection observer: the floor, what XState's own inspection
 *   costs once any observer is registered (it copies every inspection event
 *   for it);
 * - our inspector passed as an observer (`inspect: inspector.inspect`), no
 *   page open: it sees every event, so it costs at least the floor;
 * - our inspector passed itself (`inspect: inspector`), no page open: it
 *   watches on demand, so XState builds no inspection event (the ≤ 3 %
 *   target);
 * - our inspector with a page open (a WebSocket page in this process that
 *   parses every batch and acknowledges it).
 *
 *     deno run --allow-all bench/inspector_overhead.ts [rounds]
 *
 * @module
 */
import { createClient } from "../mod.ts";
import { createInspector } from "../actors/inspector/server.ts";
import type { ActorWatcher, Inspector } from "../src/types.ts";

const ROUNDS = Number(Deno.args[0] ?? 40);
const PAIRS = 2000;

const idle = createInspector();
const onDemand = createInspector();
const watched = createInspector();
const page = new WebSocket(`${watched.url.replace(/^http/, "ws")}page`);
await new Promise((r) => page.onopen = r);
page.onmessage = (e) => {
  JSON.parse(e.data);
  page.send('{"kind":"ack"}');
};

function bob(inspect?: Inspector | ActorWatcher) {
  return createClient({ jid: "alice@localhost", inspect })
    .registerPlugin("xep_0231");
}
const setups = {
  "no inspector": bob(),
  "empty observer": bob(() => {}),
  "inspector, no page": bob(idle.inspect),
  "inspector watching, no page": bob(onDemand),
  "inspector, page open": bob(watched.inspect),
};
const data = Array.from({ length: 50_000 }, (_, i) => {
  const b = new Uint8Array(16).fill(0x5a);
  new DataView(b.buffer).setUint32(0, i);
  return b;
});

const times: Record<string, number[]> = {};
let j = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, plugin] of Object.entries(setups)) {
    const t = performance.now();
    for (let i = 0; i < PAIRS; i++) {
      const cid = await plugin.setBob(data[j++ % data.length], "text/plain");
      await plugin.getBob({ cid });
    }
    (times[name] ??= []).push(performance.now() - t);
  }
}
const median = (xs: number[]) => {
  const s = xs.slice(Math.min(5, xs.length >> 2)).sort((a, b) => a - b);
  return s[s.length >> 1];
};
const base = median(times["no inspector"]);
const floor = median(times["empty observer"]);
console.log(`ops/s (set + get, ${PAIRS * 2} ops per round, ${ROUNDS} rounds)`);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(
    `${name.padEnd(28)} ${
      Math.round(PAIRS * 2 / m * 1000).toString().padStart(8)
    }  vs none ${
      ((base / m - 1) * 100).toFixed(1).padStart(6)
    } %  vs empty observer ${((floor / m - 1) * 100).toFixed(1).padStart(6)} %`,
  );
}
page.close();
await idle.close();
await onDemand.close();
await watched.close();
Deno.exit(0);
