/**
 * The options of the Redis storage actor: their checks and defaults.
 *
 * @module
 */

/** Options of {@linkcode redisStorage}. */
export interface RedisStorageOptions {
  /**
   * Where Redis is: `redis://[user:password@]host:port[/db]` (or
   * `rediss://` for TLS). With `cluster`, any one node of the cluster.
   */
  url: string;
  /**
   * Prepended to every key, so several applications can share a database.
   * @default {"xmpp-actors:"}
   */
  prefix?: string;
  /**
   * Whether `url` is a node of a Redis Cluster: keys are spread over its
   * masters, and listings (`storage.keys`, `storage.entries`) scan every
   * master.
   * @default {false}
   */
  cluster?: boolean;
  /**
   * How long one command may wait for Redis before its request fails with a
   * `StorageError`, in ms. Keep it below the client's call timeout (5 s by
   * default) so that callers see why.
   * @default {2000}
   */
  commandTimeout?: number;
  /**
   * How long the start handshake (`storage.ready`, awaited by `api.bind`)
   * waits for the first connection, in ms.
   * @default {5000}
   */
  connectTimeout?: number;
  /**
   * The most commands waiting for Redis at once (per connection); a request
   * beyond it fails at once with a `StorageError`.
   * @default {100000}
   */
  maxQueue?: number;
}

/** The default {@linkcode RedisStorageOptions.prefix}. */
export const DEFAULT_REDIS_PREFIX: string = "xmpp-actors:";

/** {@linkcode RedisStorageOptions} checked, with their defaults filled in. */
export interface RedisSettings {
  url: string;
  /** `url` without credentials, for error messages. */
  where: string;
  prefix: string;
  cluster: boolean;
  commandTimeout: number;
  connectTimeout: number;
  maxQueue: number;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create Redis storage: ${name} must be a positive integer`,
    );
  }
  return value;
}

/**
 * Check the options of {@linkcode redisStorage} and fill in the defaults.
 *
 * @param options As given by the caller.
 * @returns The settings the actor runs with.
 * @throws {TypeError} For a missing or non-Redis `url`, or a bad `prefix`.
 * @throws {RangeError} For a timeout or `maxQueue` that is not a positive
 *   integer.
 */
export function redisSettings(options: RedisStorageOptions): RedisSettings {
  const url = options?.url;
  if (typeof url !== "string" || !/^rediss?:\/\/./.test(url)) {
    throw new TypeError(
      "Cannot create Redis storage: url must be a redis:// or rediss:// URL",
    );
  }
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  if (typeof prefix !== "string") {
    throw new TypeError("Cannot create Redis storage: prefix must be a string");
  }
  return {
    url,
    where: url.replace(/\/\/[^@/]*@/, "//"), // no credentials in messages
    prefix,
    cluster: options.cluster === true,
    commandTimeout: positive("commandTimeout", options.commandTimeout, 2000),
    connectTimeout: positive("connectTimeout", options.connectTimeout, 5000),
    maxQueue: positive("maxQueue", options.maxQueue, 100_000),
  };
}
