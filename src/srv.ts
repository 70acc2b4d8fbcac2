/**
 * Where to dial an XMPP domain (RFC 6120 §3.2, XEP-0368): the SRV records of
 * `_xmpps-client._tcp.<domain>` (direct TLS) and `_xmpp-client._tcp.<domain>`
 * (STARTTLS), merged and put in RFC 2782 order (priority, then a weighted
 * random pick), then the domain itself on port 5222 as the fallback.
 *
 * The lookup itself is passed in ({@linkcode SrvResolver}), so this module
 * stays free of `Deno.*`: the Deno TCP transport gives it `Deno.resolveDns`.
 *
 * @module
 */

/** One SRV record (as `Deno.resolveDns(name, "SRV")` returns it). */
export interface SrvRecord {
  /** Lower is tried first. */
  priority: number;
  /** Share among records of the same priority. */
  weight: number;
  /** The port. */
  port: number;
  /** The host name; `.` means "no service here". */
  target: string;
}

/** A place to dial, in order of preference. */
export interface SrvTarget {
  /** Direct TLS (`_xmpps-client`) or TCP with STARTTLS (`_xmpp-client`). */
  directTls: boolean;
  /** Host name to dial (no trailing dot). */
  hostname: string;
  /** Port to dial. */
  port: number;
}

/** Looks up the SRV records of a name; rejects or returns `[]` when none. */
export type SrvResolver = (name: string) => Promise<SrvRecord[]>;

/**
 * Put SRV records in the order RFC 2782 prescribes: ascending priority;
 * within a priority, repeatedly pick at random with probability
 * proportional to weight (a record of weight 0 comes after the weighted
 * ones of its priority; records that all weigh 0 keep their order).
 *
 * @param records The records.
 * @param random A source of numbers in [0, 1), for tests.
 * @returns A new array, in the order to try.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { orderSrv } from "./srv.ts";
 * const r = (priority: number, weight: number, target: string) =>
 *   ({ priority, weight, port: 5222, target });
 * const order = orderSrv([r(20, 0, "c"), r(10, 1, "a"), r(10, 99, "b")], () => 0.5);
 * deepStrictEqual(order.map((x) => x.target), ["b", "a", "c"]);
 * ```
 */
export function orderSrv<T extends SrvRecord>(
  records: readonly T[],
  random: () => number = Math.random,
): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) {
    const list = byPriority.get(r.priority) ?? [];
    list.push(r);
    byPriority.set(r.priority, list);
  }
  const out: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = byPriority.get(priority)!;
    while (left.length) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const pick = random() * total;
      let running = 0;
      let index = left.length - 1;
      for (let i = 0; i < left.length; i++) {
        running += left[i].weight;
        if (total > 0 ? running > pick : true) {
          index = i;
          break;
        }
      }
      out.push(left.splice(index, 1)[0]);
    }
  }
  return out;
}

/**
 * The targets to try for `domain`, best first: the SRV targets of both
 * services in RFC 2782 order, then `domain:5222` (STARTTLS) unless an SRV
 * target already is that. A failed lookup counts as no records; a `.`
 * target (no service) is skipped.
 *
 * @param domain The XMPP domain.
 * @param resolve The SRV lookup.
 * @param random A source of numbers in [0, 1), for tests.
 * @returns The targets, never empty.
 *
 * @example Usage
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { srvTargets } from "./srv.ts";
 * const targets = await srvTargets("example.org", (name) =>
 *   Promise.resolve(name.startsWith("_xmpps-client.")
 *     ? [{ priority: 5, weight: 0, port: 5223, target: "xmpp.example.org." }]
 *     : []));
 * deepStrictEqual(targets, [
 *   { directTls: true, hostname: "xmpp.example.org", port: 5223 },
 *   { directTls: false, hostname: "example.org", port: 5222 },
 * ]);
 * ```
 */
export async function srvTargets(
  domain: string,
  resolve: SrvResolver,
  random: () => number = Math.random,
): Promise<SrvTarget[]> {
  const lookup = (name: string) =>
    resolve(`${name}.${domain}`).catch(() => [] as SrvRecord[]);
  const [tls, tcp] = await Promise.all([
    lookup("_xmpps-client._tcp"),
    lookup("_xmpp-client._tcp"),
  ]);
  const records = [
    ...tls.map((r) => ({ ...r, directTls: true })),
    ...tcp.map((r) => ({ ...r, directTls: false })),
  ].filter((r) => r.target !== "." && r.target !== "");
  const targets: SrvTarget[] = orderSrv(records, random).map((r) => ({
    directTls: r.directTls,
    hostname: r.target.replace(/\.$/, ""),
    port: r.port,
  }));
  const host = domain.toLowerCase();
  if (
    !targets.some((t) =>
      !t.directTls && t.hostname.toLowerCase() === host && t.port === 5222
    )
  ) {
    targets.push({ directTls: false, hostname: domain, port: 5222 });
  }
  return targets;
}
