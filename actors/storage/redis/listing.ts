/**
 * Listings of the Redis storage actor (`storage.keys`, `storage.entries`):
 * `SCAN … MATCH` on every node the topology names (never `KEYS`), each key
 * handed out once, with its value and remaining time.
 *
 * @module
 */
import { StorageError } from "../../../src/errors.ts";
import type { EntriesBatch, EntriesCursor, JsonValue } from "../protocol.ts";
import type { Topology } from "./cluster.ts";
import { type Commands, message, type NodeClient } from "./connection.ts";

/** The most keys one `SCAN` call is asked for (its `COUNT` hint). */
const SCAN_COUNT = 1000;
/** The most listings of one actor kept open at once (as the other backends). */
const MAX_LISTINGS = 8;

/** The keys of one namespace: the name prefix and its SCAN pattern. */
export interface Keyspace {
  /** `prefix + ns + ":"`. */
  head: string;
  /** The `SCAN MATCH` glob of every key under `head`. */
  pattern: string;
}

/**
 * The keyspace of `ns` under `prefix`.
 *
 * @param prefix The actor's key prefix.
 * @param ns A namespace.
 * @returns Its key prefix and SCAN pattern.
 */
export function keyspace(prefix: string, ns: string): Keyspace {
  const head = `${prefix}${ns}:`;
  // SCAN MATCH is a glob: escape its special characters.
  const pattern = head.replace(/[*?[\]\\]/g, "\\$&") + "*";
  return { head, pattern };
}

/** One listing: the nodes to scan, where it is, keys read but not sent. */
interface Listing {
  nodes: NodeClient[];
  node: number;
  cursor: string;
  buffer: string[];
  /** Keys already handed out (SCAN may return a key twice). */
  seen: Set<string>;
}

/** Every key of a keyspace, on every node of `topology`. */
export async function listKeys(
  c: Commands,
  topology: Topology,
  { head, pattern }: Keyspace,
): Promise<string[]> {
  const out = new Set<string>();
  const found = topology.scanNodes(c);
  for (const node of found instanceof Promise ? await found : found) {
    let cursor = "0";
    do {
      const r = await node.scan(cursor, { MATCH: pattern, COUNT: SCAN_COUNT });
      for (const name of r.keys) out.add(name.slice(head.length));
      cursor = String(r.cursor);
    } while (cursor !== "0");
  }
  return [...out];
}

/** The open listings of one actor, by cursor. */
export class Listings {
  #open = new Map<string, Listing>();
  #seq = 0;
  #topology: Topology;
  #parse: (key: string, text: string) => JsonValue;

  /**
   * @param topology Which nodes to scan and how to read values.
   * @param parse Reads the JSON of `key` (throws a `StorageError`).
   */
  constructor(
    topology: Topology,
    parse: (key: string, text: string) => JsonValue,
  ) {
    this.#topology = topology;
    this.#parse = parse;
  }

  /** Forget every open listing. */
  clear(): void {
    this.#open.clear();
  }

  /**
   * The next batch of at most `limit` entries of a keyspace, from `cursor`
   * (`null`: a new listing), each with its deadline when it has one.
   */
  async next(
    c: Commands,
    space: Keyspace,
    cursor: EntriesCursor,
    limit: number,
  ): Promise<EntriesBatch> {
    const { head, pattern } = space;
    let id: EntriesCursor = cursor;
    let listing: Listing | undefined;
    if (id === null) {
      id = String(++this.#seq);
      const found = this.#topology.scanNodes(c);
      listing = {
        nodes: found instanceof Promise ? await found : found,
        node: 0,
        cursor: "0",
        buffer: [],
        seen: new Set(),
      };
      if (this.#open.size >= MAX_LISTINGS) {
        this.#open.delete(this.#open.keys().next().value!);
      }
      this.#open.set(id, listing);
    } else {
      listing = this.#open.get(id);
      if (listing === undefined) {
        throw new StorageError(
          `Cannot answer storage.entries: unknown cursor ${JSON.stringify(id)}`,
        );
      }
    }
    // SCAN until `limit` new keys are buffered or every node is done.
    const l = listing;
    while (l.buffer.length < limit && l.node < l.nodes.length) {
      const r = await l.nodes[l.node].scan(l.cursor, {
        MATCH: pattern,
        COUNT: Math.max(limit, 100),
      });
      for (const name of r.keys) {
        if (!l.seen.has(name)) {
          l.seen.add(name);
          l.buffer.push(name);
        }
      }
      l.cursor = String(r.cursor);
      if (l.cursor === "0") l.node++;
    }
    const names = l.buffer.splice(0, limit);
    const done = l.buffer.length === 0 && l.node >= l.nodes.length;
    if (done) this.#open.delete(id);
    const asked = Date.now();
    const [texts, ttls] = names.length === 0
      ? [[], []]
      : await this.#topology.readMany(
        c,
        l.nodes[Math.min(l.node, l.nodes.length - 1)],
        names,
      );
    // A PTTL was taken somewhere in the round trip, after `asked`: counted
    // from `asked`, a deadline is never overstated.
    const batch: EntriesBatch = { entries: [], next: done ? null : id };
    const unreadable: [string, string][] = [];
    names.forEach((name, i) => {
      const text = texts[i];
      const key = name.slice(head.length);
      if (text === null) return; // deleted (or expired) since listed
      try {
        const value = this.#parse(key, text);
        // A remaining time (ms) travels with the entry.
        const ttl = Number(ttls[i]);
        batch.entries.push(ttl > 0 ? [key, value, asked + ttl] : [key, value]);
      } catch (e) {
        unreadable.push([key, message(e)]);
      }
    });
    if (unreadable.length > 0) batch.unreadable = unreadable;
    return batch;
  }
}
