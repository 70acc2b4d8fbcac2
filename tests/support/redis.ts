/**
 * Throwaway Redis servers for integration tests: one `redis-server`, or a
 * 3-master Redis Cluster, on free loopback ports, with no persistence
 * (`--save "" --appendonly no`), in a temporary directory.
 *
 * Test files guard on the server being installed, but fail instead of
 * skipping when CI demands the servers (`XMPP_ACTORS_REQUIRE_SERVERS=1`), as
 * with `tests/support/prosody.ts`:
 *
 * ```ts
 * import { hasRedis, requireServers, startRedis } from "./redis.ts";
 *
 * Deno.test({
 *   name: "talks to Redis",
 *   ignore: !hasRedis() && !requireServers(),
 *   async fn() {
 *     const redis = await startRedis();
 *     try {
 *       // use redis.url
 *     } finally {
 *       await redis.stop();
 *     }
 *   },
 * });
 * ```
 *
 * @module
 */
export { requireServers } from "./prosody.ts";

/** A running throwaway `redis-server`, as returned by {@linkcode startRedis}. */
export interface RedisServer {
  /** The port on 127.0.0.1. */
  port: number;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** The temporary directory (working directory and log). */
  dir: string;
  /** Kills the server (SIGKILL) and removes {@linkcode dir}. Idempotent. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL (it loses everything: no persistence). */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
}

/** A running throwaway Redis Cluster of masters only. */
export interface RedisCluster {
  /** The masters' ports on 127.0.0.1. */
  ports: number[];
  /** `redis://127.0.0.1:<port>` of the first master (any one will do). */
  url: string;
  /** Kills every node and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

let found: boolean | undefined;

/** True when `redis-server` and `redis-cli` are on the `PATH`. */
export function hasRedis(): boolean {
  if (found === undefined) {
    found = onPath("redis-server") && onPath("redis-cli");
  }
  return found;
}

function onPath(name: string): boolean {
  let path: string | undefined;
  try {
    path = Deno.env.get("PATH");
  } catch {
    return false;
  }
  return (path ?? "").split(":").some((dir) => {
    try {
      return dir !== "" && Deno.statSync(`${dir}/${name}`).isFile;
    } catch {
      return false;
    }
  });
}

/** Finds `count` distinct free TCP ports on 127.0.0.1. */
function freePorts(count: number): number[] {
  const listeners: Deno.TcpListener[] = [];
  try {
    for (let i = 0; i < count; i++) {
      listeners.push(Deno.listen({ hostname: "127.0.0.1", port: 0 }));
    }
    return listeners.map((l) => l.addr.port);
  } finally {
    for (const l of listeners) l.close();
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Live servers, killed if the test process unloads without stopping them. */
const live = new Set<Deno.ChildProcess>();
let hooked = false;

function spawn(dir: string, args: string[]): Deno.ChildProcess {
  const child = new Deno.Command("redis-server", {
    args: [
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--logfile",
      `${dir}/redis.log`,
      ...args,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  live.add(child);
  child.status.finally(() => live.delete(child));
  if (!hooked) {
    hooked = true;
    globalThis.addEventListener("unload", () => {
      for (const c of live) {
        try {
          c.kill("SIGKILL");
        } catch { /* gone */ }
      }
    });
  }
  return child;
}

async function cli(args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const text = dec.decode(out.stdout) + dec.decode(out.stderr);
  if (!out.success) throw new Error(`redis-cli ${args.join(" ")}: ${text}`);
  return text;
}

async function logTail(dir: string): Promise<string> {
  try {
    return (await Deno.readTextFile(`${dir}/redis.log`)).split("\n").slice(-20)
      .join("\n");
  } catch {
    return "(no log)";
  }
}

/** Waits until the server on `port` answers PING (15 s at most). */
async function untilUp(port: number, dir: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      if ((await cli(["-p", String(port), "ping"])).includes("PONG")) return;
    } catch { /* not yet */ }
    await delay(50);
  }
  throw new Error(
    `redis-server on port ${port} did not start:\n${await logTail(dir)}`,
  );
}

async function kill(child: Deno.ChildProcess | undefined): Promise<void> {
  if (child === undefined) return;
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
  await child.status;
}

/**
 * Starts a throwaway `redis-server` on a free loopback port.
 *
 * @param args Extra `redis-server` arguments.
 * @returns The running server.
 * @throws {Error} When it does not come up (with the tail of its log).
 */
export async function startRedis(args: string[] = []): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "xmpp-actors-redis-" });
  const [port] = freePorts(1);
  const argv = ["--port", String(port), ...args];
  let child: Deno.ChildProcess | undefined = spawn(dir, argv);
  let stopped = false;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill(child);
      child = undefined;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    async kill() {
      await kill(child);
      child = undefined;
    },
    async restart() {
      await kill(child);
      child = spawn(dir, argv);
      await untilUp(port, dir);
    },
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
  };
  try {
    await untilUp(port, dir);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

/**
 * Starts a Redis Cluster of `masters` masters (no replicas) on free loopback
 * ports: `redis-server --cluster-enabled yes` per node, then
 * `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`, and
 * waits until the cluster state is `ok`.
 *
 * @param masters How many masters (3 at least, as Redis demands).
 * @returns The running cluster.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const ports = freePorts(masters);
  const nodes: { dir: string; child: Deno.ChildProcess | undefined }[] = [];
  let stopped = false;
  const cluster: RedisCluster = {
    ports,
    url: `redis://127.0.0.1:${ports[0]}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const n of nodes) {
        await kill(n.child);
        n.child = undefined;
        await Deno.remove(n.dir, { recursive: true }).catch(() => {});
      }
    },
  };
  try {
    for (const port of ports) {
      const dir = await Deno.makeTempDir({ prefix: "xmpp-actors-rcluster-" });
      nodes.push({
        dir,
        child: spawn(dir, [
          "--port",
          String(port),
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          `${dir}/nodes.conf`,
          "--cluster-node-timeout",
          "2000",
        ]),
      });
    }
    for (let i = 0; i < ports.length; i++) {
      await untilUp(ports[i], nodes[i].dir);
    }
    await cli([
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    // Every node must see the whole cluster as ok before it is used.
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      for (;;) {
        const info = await cli(["-p", String(port), "cluster", "info"]);
        if (info.includes("cluster_state:ok")) break;
        if (Date.now() > deadline) {
          throw new Error(`Redis Cluster did not become ok:\n${info}`);
        }
        await delay(100);
      }
    }
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

/**
 * Runs `redis-cli -p <port> <args…>` and returns its output.
 *
 * @param port The server's port.
 * @param args The command, e.g. `["ttl", "key"]`.
 * @returns What redis-cli printed.
 */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return cli(["-p", String(port), ...args]);
}
