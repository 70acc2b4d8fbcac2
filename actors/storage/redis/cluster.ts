/**
 * Where one Redis node and a Redis Cluster differ, in one place: how the
 * client is made, how requests reach it (batched on one node; one command
 * each on a cluster, whose keys span slots and so allow no multi-key
 * command across them), which nodes a listing scans, how a listing reads
 * values, and how many entries are written at once.
 *
 * @module
 */
import { Batcher, type Request, sendRun } from "./batcher.ts";
import type {
  Client,
  ClientSettings,
  Commands,
  Connection,
  DenoDeps,
  Expiry,
  NodeClient,
} from "./connection.ts";
import type { RedisSettings } from "./options.ts";

/** One write of a bulk write: full key, JSON, expiry. */
export type Write = [name: string, text: string, expiry: Expiry | undefined];

/** What differs between one node and a cluster. */
export interface Topology {
  /** Make the node-redis client. */
  create(deps: DenoDeps, client: ClientSettings): Client;
  /**
   * Send a request, in order with the others: sent once live, answered
   * through its `ok`/`ko`.
   */
  dispatch(request: Request<Commands>): void;
  /** Drop what is queued (the actor stops). */
  clear(): void;
  /**
   * The clients to `SCAN`: the one node (synchronously, so that a listing's
   * first SCAN is sent in the same turn as the request: it then runs after
   * every write accepted before it, and before every one accepted after
   * it), or every master of the cluster.
   */
  scanNodes(c: Commands): NodeClient[] | Promise<NodeClient[]>;
  /**
   * Values of `names` (full keys; `null` where there is none) and their
   * remaining times (`PTTL`: ms, or -1 for none, -2 for no key), read on
   * `node` (the node being scanned) or `c`.
   */
  readMany(
    c: Commands,
    node: NodeClient,
    names: string[],
  ): Promise<[(string | null)[], number[]]>;
  /** Write entries, in order. */
  writeMany(c: Commands, writes: Write[]): Promise<void>;
}

/**
 * The topology the settings ask for.
 *
 * @param settings The checked options (`cluster`, `url`, `maxQueue`).
 * @param connection The connection whose client requests go to.
 * @param live Whether a request still waits for its answer.
 * @param full The error of a request beyond the queue's bound.
 * @returns One node's topology or a cluster's.
 */
export function topology(
  settings: RedisSettings,
  connection: () => Connection,
  live: (id: number) => boolean,
  full: () => Error,
): Topology {
  return settings.cluster
    ? clusterTopology(settings.url, connection, live)
    : nodeTopology(settings.url, connection, live, settings.maxQueue, full);
}

function pttls(c: Commands, names: string[]): Promise<number[]> {
  return Promise.all(names.map((n) => c.pTTL(n)));
}

function nodeTopology(
  url: string,
  connection: () => Connection,
  live: (id: number) => boolean,
  maxQueue: number,
  full: () => Error,
): Topology {
  const batcher = new Batcher<NodeClient>({
    sink: () => connection().current() as NodeClient | undefined,
    whenSink: () => connection().closed() ? undefined : connection().started,
    live,
    maxQueue,
    full,
  });
  return {
    create: (deps, { common, socket }) =>
      deps.createRedisClient({ url, ...common, socket }) as unknown as Client,
    dispatch: (request) => batcher.push(request),
    clear: () => batcher.clear(),
    scanNodes: (c) => [c as NodeClient],
    // One MGET; the PTTLs are issued in the same tick, so pipelined with it.
    readMany: (_c, node, names) =>
      Promise.all([node.mGet(names), pttls(node, names)]),
    // One MULTI/EXEC.
    async writeMany(c, writes) {
      const m = c.multi();
      for (const [name, text, expiry] of writes) m.set(name, text, expiry);
      await m.exec();
    },
  };
}

/**
 * The public API of node-redis's cluster client that listings use: its
 * masters and a client of one of them (documented on `RedisCluster`).
 */
interface ClusterClient {
  readonly masters: readonly unknown[];
  nodeClient(node: unknown): Promise<NodeClient>;
}

function clusterTopology(
  url: string,
  connection: () => Connection,
  live: (id: number) => boolean,
): Topology {
  return {
    // A cluster's MOVED/ASK retries are bounded by the command timeout.
    create: (deps, { common, socket }) =>
      deps.createRedisCluster({
        rootNodes: [{ url }],
        defaults: { ...common, socket },
      }) as unknown as Client,
    // Each request is its own command, pipelined per node by node-redis.
    dispatch(request) {
      const send = (c: Commands) => {
        try {
          sendRun(c as NodeClient, request.kind, [request]);
        } catch (e) {
          request.ko(e);
        }
      };
      const conn = connection();
      const c = conn.current();
      if (c !== undefined) return send(c);
      conn.started.then((c) => {
        if (live(request.id)) send(c);
      }, request.ko);
    },
    clear: () => {},
    scanNodes(c) {
      const cluster = c as unknown as ClusterClient;
      return Promise.all(cluster.masters.map((m) => cluster.nodeClient(m)));
    },
    // The keys of one master may span slots (MGET would be CROSSSLOT): one
    // GET each, pipelined, and the PTTLs with them.
    readMany: (c, _node, names) =>
      Promise.all([Promise.all(names.map((n) => c.get(n))), pttls(c, names)]),
    // Keys span slots: no MULTI across them. Pipelined SETs.
    async writeMany(c, writes) {
      await Promise.all(
        writes.map(([name, text, expiry]) => c.set(name, text, expiry)),
      );
    },
  };
}
