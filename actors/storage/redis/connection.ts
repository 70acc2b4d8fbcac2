/**
 * The connection of the Redis storage actor: the node-redis client (loaded
 * on first use), its first connect, reconnects and fail-fast settings, and
 * how its errors become `StorageError`s.
 *
 * @module
 */
import { StorageError } from "../../../src/errors.ts";
import type { RedisSettings } from "./options.ts";

// The part of node-redis this actor uses, typed structurally: the client's
// own generic types are large, and this keeps the check fast.

/** An expiry of `SET`: seconds or ms. */
export type Expiry = { EX: number } | { PX: number };
/** A `MULTI` under construction. */
export interface Multi {
  set(key: string, value: string, options?: Expiry): Multi;
  exec(): Promise<unknown>;
}
/** The commands both a node client and a cluster client have. */
export interface Commands {
  get(key: string): Promise<string | null>;
  pTTL(key: string): Promise<number>;
  set(key: string, value: string, options?: Expiry): Promise<unknown>;
  del(keys: string | string[]): Promise<number>;
  multi(): Multi;
}
/** A client of one node, with the multi-key and node commands. */
export interface NodeClient extends Commands {
  mGet(keys: string[]): Promise<(string | null)[]>;
  mSet(pairs: [string, string][]): Promise<unknown>;
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string; keys: string[] }>;
  ping(): Promise<string>;
}
/** The life cycle of a client. */
export interface Lifecycle {
  on(event: "error", listener: (e: Error) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
}
/** A client (of one node or of a cluster), as this actor holds it. */
export type Client = Lifecycle & Commands;
/** The server-side dependencies (node-redis; Deno, Node, Bun). */
export type DenoDeps = typeof import("../../../src/deps_deno.ts");

/** Options every node-redis client of this actor gets. */
export interface ClientSettings {
  /** Fail fast while disconnected, bounded queue, write timeout. */
  common: {
    disableOfflineQueue: true;
    commandsQueueMaxLength: number;
    commandOptions: { timeout: number };
  };
  /** Connect timeout and reconnect backoff. */
  socket: {
    connectTimeout: number;
    reconnectStrategy: (retries: number) => number;
  };
}

/** The message of any thrown thing. */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Throw `cause` as the `StorageError` of a request: as it is if it is one,
 * else wrapped with what failed and where.
 *
 * @param what What the request did (`read k`, `list ns`, …).
 * @param where The Redis URL without credentials.
 * @param cause What went wrong.
 * @throws {StorageError} Always.
 */
export function fail(what: string, where: string, cause: unknown): never {
  if (cause instanceof StorageError) throw cause;
  throw new StorageError(
    `Cannot ${what}: Redis at ${where}: ${message(cause)}`,
    {
      cause,
    },
  );
}

/** The connection of one actor; see {@linkcode connect}. */
export interface Connection {
  /** The first connection (rejects when it cannot be made or is closed). */
  readonly started: Promise<Client>;
  /** The connected client, once the first connection is made. */
  current(): Client | undefined;
  /** Whether {@linkcode Connection.close} was called. */
  closed(): boolean;
  /**
   * The client, or a rejection once `connectTimeout` passed without a first
   * connection (with the last error of the client, if any).
   */
  whenConnected(): Promise<Client>;
  /** Destroy the client (now, or once it is made). */
  close(): void;
}

/**
 * Load node-redis and connect once; node-redis reconnects by itself from
 * then on (backoff from 50 ms up to 1 s, for ever), and fails every command
 * at once while it is disconnected (`disableOfflineQueue`).
 *
 * @param settings The checked options.
 * @param create Makes the client (one node or a cluster, see `cluster.ts`).
 * @returns The connection.
 */
export function connect(
  settings: RedisSettings,
  create: (deps: DenoDeps, client: ClientSettings) => Client,
): Connection {
  const { connectTimeout, commandTimeout, maxQueue } = settings;
  let conn: Client | undefined;
  // The client as soon as it is made, connected or not: close() must stop
  // a first connect that keeps retrying (a Redis that never answers), or
  // its reconnect timer keeps the process alive for ever.
  let made: Client | undefined;
  let lastError: Error | undefined;
  let closed = false;
  // The client module loads on first use (a dynamic import keeps it out of
  // what importing mod.ts loads), then connects once.
  const started: Promise<Client> = import("../../../src/deps_deno.ts").then(
    (deps: DenoDeps) => {
      const client = made = create(deps, {
        common: {
          disableOfflineQueue: true,
          commandsQueueMaxLength: maxQueue,
          commandOptions: { timeout: commandTimeout },
        },
        socket: {
          connectTimeout: Math.min(connectTimeout, 2000),
          // Backoff 50 ms, 100 ms, … up to 1 s, for ever.
          reconnectStrategy: (retries: number) =>
            Math.min(50 * 2 ** Math.min(retries, 5), 1000),
        },
      });
      client.on("error", (e: Error) => void (lastError = e));
      if (closed) {
        try {
          client.destroy();
        } catch {
          // never opened
        }
        return client;
      }
      // Requests wait for the first connection (or their deadline); from
      // then on they go straight to the client, which fails them at once
      // while it is reconnecting.
      return client.connect().then(() => {
        if (!closed) conn = client;
        return client;
      });
    },
  );
  started.catch(() => {}); // reported by whenConnected() and by each request

  return {
    started,
    current: () => conn,
    closed: () => closed,
    async whenConnected() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        return await Promise.race([
          started,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `no connection within ${connectTimeout} ms${
                      lastError ? ` (${lastError.message})` : ""
                    }`,
                  ),
                ),
              connectTimeout,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      // Connected, or still making its first connection (a client still
      // importing is destroyed once made, above).
      try {
        made?.destroy();
      } catch {
        // already closed
      }
    },
  };
}
