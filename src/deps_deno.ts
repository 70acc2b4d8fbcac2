/**
 * Third-party imports of the server runtimes (Deno, and Node and Bun through
 * the npm package, where `npm:` specifiers become plain names), never a
 * browser, as full `npm:` specifiers, like `src/deps.ts`. Nothing reachable
 * from `mod_browser.ts` imports this file; `actors/storage/redis/connection.ts`
 * loads it lazily (a dynamic import), so importing `mod.ts` or `mod_node.ts`
 * does not load the Redis client until a
 * Redis storage actor starts.
 *
 * @module
 */

/**
 * node-redis, through its core package `@redis/client` (what the `redis`
 * package re-exports, without the RedisJSON, RediSearch, Bloom and
 * TimeSeries module commands this project does not use). Chosen over
 * `ioredis` after measuring both here (Deno 2.9, redis-server 7.0, loopback,
 * JSON records of ~120 bytes), see `actors/storage/redis/storage.ts`.
 */
export {
  createClient as createRedisClient,
  createCluster as createRedisCluster,
} from "npm:@redis/client@^6.3.1";
