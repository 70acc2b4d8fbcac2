/**
 * The promise facade of a plugin's internal API registry: slixmpp's
 * `plugin.api` in TypeScript (`register`, `registerDefault`, `unregister`,
 * `restoreDefault`, `run`), plus `bind` to swap the storage actor.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type {
  ApiCallEvent,
  ApiHandler,
  BindEvent,
  BindReport,
  KeyFilter,
  ProgressEvent,
  RegistryContext,
  Route,
  Scope,
  StorageOp,
} from "./protocol.ts";
import type { StorageLogic } from "../storage/define.ts";
import { ClientStoppedError } from "../../src/errors.ts";
import { isActorRef } from "../../src/_util.ts";
import { checkTimeout } from "../../src/options.ts";
import { checkShare } from "./pacer.ts";
import { callDirect } from "./calls.ts";

/** Arguments of {@linkcode Api.run}, named as in slixmpp. */
export interface RunOptions<A = unknown> {
  /** The JID the call is for; defaults to the client's JID. */
  jid?: string;
  /** The node the call is for. */
  node?: string;
  /** The JID the call comes from (for calls made on behalf of a peer). */
  ifrom?: string;
  /** The op's own arguments. */
  args?: A;
  /** Timeout of a storage-backed call in ms; defaults to the client's. */
  timeout?: number;
}

/** Options of {@linkcode Api.register}. */
export interface RegisterOptions extends Scope {
  /** Also make this the op's default (what `restoreDefault` brings back). */
  default?: boolean;
}

/** Options of {@linkcode Api.bind}. */
export interface BindOptions {
  /**
   * Copy every entry of the current storage into the new one, in the
   * background, before the new one takes over. Calls made meanwhile are
   * served at once: reads from the new storage, then the old one on a miss;
   * writes and deletes reach both.
   * @default {false}
   */
  migrate?: boolean;
  /**
   * With `migrate`: keep the entries only the new storage holds. Without
   * it the new storage mirrors the old one once the migration commits: the
   * keys of the plugin's namespace that its key filter accepts and that the
   * old storage does not hold (stale entries, deleted since they were
   * written there) are removed from it, except those written during the
   * migration. Keys of other namespaces, and keys the filter rejects, are
   * never touched. On a key both hold, the old storage's entry wins either
   * way. Needs `migrate: true` (a `TypeError` otherwise). Use it to
   * migrate into a store other processes share and write (a fleet's Redis):
   * a mirror removes their entries that the old storage does not hold.
   * @default {false}
   */
  merge?: boolean;
  /**
   * Which keys to copy (a migration skips and counts the others, e.g. stray
   * files in a file storage's directory). Defaults to the registry's filter,
   * which accepts every key unless the plugin gave one.
   */
  isKey?: KeyFilter;
  /**
   * Called with the copy's progress (at most every ~100 ms, and once at the
   * end) while a migrating bind runs.
   */
  onProgress?: (progress: ProgressEvent) => void;
  /**
   * Upper bound of entries per copy batch (the copier adapts the batch size
   * below it so that each batch takes a few ms).
   * @default {1024}
   */
  batchSize?: number;
  /**
   * With `migrate`: the copy's share of the time, in (0, 1], while callers
   * are active. Between batches the copy yields until callers have had the
   * rest of the time (`1 - share`), unless they have nothing to do; when
   * their own turns take longer than that, its batches grow (up to 16 ms) to
   * keep its share. With no callers it runs at full speed. `1` turns the
   * pacing off (one macrotask between batches). A `RangeError` otherwise.
   * @default {0.5}
   */
  share?: number;
}

/** Internal wiring of an {@linkcode Api}. */
export interface ApiWiring {
  /**
   * The plugin's registry actor, or how to get it on first use (a plugin
   * with no ops of its own gets its registry only if it is used).
   */
  registry: AnyActorRef | (() => AnyActorRef);
  /** The API name (storage namespace). */
  ns: string;
  /** Default timeout of a call in ms. */
  timeout: number;
}

/** Bind ids: unique in the process, so progress events find their bind. */
let nextBind = 1;

function isLogic(x: unknown): x is StorageLogic {
  return typeof (x as StorageLogic)?.transition === "function" &&
    typeof (x as StorageLogic)?.getInitialSnapshot === "function";
}

function assertOp(op: unknown, what: string): asserts op is string {
  if (typeof op !== "string" || op === "") {
    throw new TypeError(`Cannot ${what}: op must be a non-empty string`);
  }
}

/**
 * One plugin's internal API (`xmpp.plugin["xep_0231"].api`).
 *
 * @example Override one op with a plain function, as in slixmpp
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createClient } from "../../mod.ts";
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * const seen: string[] = [];
 * bob.api.register((_jid, _node, _ifrom, cid: string) => void seen.push(cid), "del_bob");
 * await bob.delBob("sha1+da39a3ee5e6b4b0d3255bfef95601890afd80709@bob.xmpp.org");
 * strictEqual(seen.length, 1);
 * await xmpp.stop();
 * ```
 */
export class Api {
  #w: ApiWiring;
  #ref: AnyActorRef | undefined;

  /** The registry, made on first use when the wiring says how. */
  #registry(): AnyActorRef {
    return this.#ref ??= (this.#w.registry as () => AnyActorRef)();
  }

  /**
   * Wrap a plugin's registry actor (done by `registerPlugin`).
   * @param wiring The registry actor, namespace and default timeout
   *   (internal).
   */
  constructor(wiring: ApiWiring) {
    this.#w = wiring;
    const { registry } = wiring;
    if (typeof registry !== "function") this.#ref = registry;
  }

  /** The registry actor (state `ready` or `migrating`). */
  get actor(): AnyActorRef {
    return this.#registry();
  }

  /** The storage actor bound right now. */
  get storage(): AnyActorRef {
    return (this.#registry().getSnapshot().context as RegistryContext).storage;
  }

  /**
   * Register a function handler for `op`, globally or for one JID or
   * JID+node. Sync and async handlers are both fine.
   *
   * @param handler Called as `(jid, node, ifrom, args)`.
   * @param op The op name, e.g. `set_bob`.
   * @param options Scope, and whether this becomes the default.
   */
  register(
    handler: ApiHandler,
    op: string,
    options: RegisterOptions = {},
  ): void {
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot register ${String(op)}: handler must be a function`,
      );
    }
    this.#registerRoute({ kind: "function", handler }, op, options);
  }

  /**
   * Register the default global handler of `op` (slixmpp's
   * `register_default`): what `restoreDefault` brings back.
   *
   * @param handler A function handler, or a storage op (internal).
   * @param op The op name.
   */
  registerDefault(handler: ApiHandler | StorageOp, op: string): void {
    const route: Route = typeof handler === "function"
      ? { kind: "function", handler }
      : { kind: "storage", op: handler };
    this.#registerRoute(route, op, { default: true });
  }

  /**
   * Remove the handler of `op` at a scope. A call that then finds no
   * handler fails with an `ApiError`.
   *
   * @param op The op name.
   * @param scope The JID and node, or none for the global handler.
   */
  unregister(op: string, scope: Scope = {}): void {
    assertOp(op, "unregister");
    this.#registry().send({ type: "api.unregister", op, scope });
  }

  /**
   * Put the default handler of `op` back at a scope.
   *
   * @param op The op name.
   * @param scope The JID and node, or none for the global handler.
   */
  restoreDefault(op: string, scope: Scope = {}): void {
    assertOp(op, "restore default");
    this.#registry().send({ type: "api.restore_default", op, scope });
  }

  /**
   * Run `op`: the JID+node handler, else the JID handler, else the global
   * one. A storage op outside a migration takes the direct path: the call is
   * opened in the registry's table (id, deadline) and its storage request is
   * sent to the bound storage, which answers the registry, which settles the
   * promise (one message each way, one registry step). Any other call enters
   * the registry as one `api.call` event; the registry calls a function
   * handler, or sends the storage op to the bound storage (during a
   * migrating bind over both storages: at most one more storage message,
   * never a wait for the copy), and settles the promise from the answer. A
   * call without `jid` is for the client's JID (the bound full JID once
   * online).
   *
   * @param op The op name.
   * @param options JID, node, ifrom, args and timeout.
   * @returns What the handler returned.
   * @throws {ApiError} Unknown op, no handler, or the handler failed.
   * @throws {ClientStoppedError} The client is stopped.
   * @throws {TimeoutError} The storage or an async handler did not answer
   *   in time.
   * @throws {RangeError} A timeout that is not a number of ms in 1…2³¹−1.
   */
  run<R = unknown>(op: string, options: RunOptions = {}): Promise<R> {
    const w = this.#w;
    if (this.#registry().getSnapshot().status !== "active") {
      return Promise.reject(
        new ClientStoppedError(`Cannot run ${op}: the client is stopped`),
      );
    }
    let timeout: number;
    try {
      if (typeof op !== "string") {
        throw new TypeError("Cannot run op: op must be a string");
      }
      timeout = checkTimeout(options.timeout, "timeout", w.timeout);
    } catch (e) {
      return Promise.reject(e);
    }
    const { jid, node, ifrom, args } = options;
    return new Promise<R>((resolve, reject) => {
      const registry = this.#registry();
      const call: ApiCallEvent = {
        type: "api.call",
        op,
        jid,
        node,
        ifrom,
        args,
        timeout,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      // A storage op outside a migration: straight to the bound storage,
      // settled by the registry from its answer (see callDirect).
      if (!callDirect(registry, call)) registry.send(call);
    });
  }

  /**
   * Bind a storage actor to this API: actor logic (the registry spawns it
   * and stops it once drained) or an already running ref (left running, so
   * one store can serve several clients). The new storage must first answer
   * `storage.ready`; one that cannot start makes the bind reject and the
   * old storage stays bound. Binding the storage bound now does nothing.
   *
   * With `migrate: true`, every entry is copied in the background while
   * calls go on (see {@linkcode BindOptions.migrate}), with what is left of
   * its TTL, and the new storage then mirrors the old one (its own stale
   * keys are removed) unless `merge: true` (see
   * {@linkcode BindOptions.merge}); if the copy fails,
   * the bind rejects and the old storage, which got every write made
   * meanwhile, stays bound. A bind made while another is in progress waits
   * its turn.
   *
   * @param storage Storage actor logic or a running storage actor.
   * @param options `migrate`, `merge`, `isKey`, `onProgress`, `batchSize`,
   *   `share`.
   * @returns Resolves, once the new storage serves calls and the old one is
   *   retired, with what was copied.
   * @throws {StorageError} The new storage cannot start, or the migration
   *   failed.
   * @throws {ClientStoppedError} The client is stopped.
   *
   * @example Migrate with a progress callback
   * ```ts
   * import { ok, strictEqual } from "node:assert/strict";
   * import { createClient, memoryStorage } from "../../mod.ts";
   * const xmpp = createClient({ jid: "alice@localhost" });
   * const bob = xmpp.registerPlugin("xep_0231");
   * const cid = await bob.setBob(new TextEncoder().encode("hi"), "text/plain");
   * let last = -1;
   * const report = await bob.api.bind(memoryStorage(), {
   *   migrate: true,
   *   onProgress: (p) => void (last = p.copied),
   * });
   * strictEqual(report.copied, 1);
   * strictEqual(last, 1);
   * ok((await bob.getBob({ cid })).data.length === 2);
   * await xmpp.stop();
   * ```
   */
  bind(
    storage: StorageLogic | AnyActorRef,
    options: BindOptions = {},
  ): Promise<BindReport> {
    if (!isLogic(storage) && !isActorRef(storage)) {
      return Promise.reject(
        new TypeError(
          "Cannot bind storage: expected storage actor logic or a running actor",
        ),
      );
    }
    if (this.#registry().getSnapshot().status !== "active") {
      return Promise.reject(
        new ClientStoppedError("Cannot bind storage: the client is stopped"),
      );
    }
    const { isKey, onProgress, batchSize, merge } = options;
    let share: number;
    try {
      share = checkShare(options.share);
    } catch (e) {
      return Promise.reject(e);
    }
    if (merge !== undefined && typeof merge !== "boolean") {
      return Promise.reject(
        new TypeError("Cannot bind storage: merge must be a boolean"),
      );
    }
    if (merge === true && options.migrate !== true) {
      return Promise.reject(
        new TypeError("Cannot bind storage: merge needs migrate: true"),
      );
    }
    if (isKey !== undefined && typeof isKey !== "function") {
      return Promise.reject(
        new TypeError("Cannot bind storage: isKey must be a function"),
      );
    }
    if (
      batchSize !== undefined &&
      (!Number.isInteger(batchSize) || batchSize < 1)
    ) {
      return Promise.reject(
        new RangeError(
          `Cannot bind storage: batchSize must be a positive integer, got ${batchSize}`,
        ),
      );
    }
    // The registry settles every bind (its steps time out). Progress is
    // listened to before the bind is sent: a small migration between
    // storages that answer at once completes within the send.
    const id = nextBind++;
    const sub = typeof onProgress === "function"
      ? this.#registry().on("api.progress", (e: ProgressEvent) => {
        if (e.bind !== id) return;
        try {
          onProgress(e);
        } catch {
          // A failing progress callback must not disturb the migration.
        }
      })
      : undefined;
    const done = new Promise<BindReport>((resolve, reject) => {
      this.#registry().send(
        {
          type: "api.bind",
          storage,
          migrate: options.migrate === true,
          merge: merge === true,
          isKey,
          batchSize,
          share,
          id,
          resolve,
          reject,
        } satisfies BindEvent,
      );
    });
    if (sub === undefined) return done;
    // Unsubscribed a microtask after the bind settles: the last progress
    // event, emitted in the same step, has reached the callback by then.
    return done.finally(() => sub.unsubscribe());
  }

  #registerRoute(route: Route, op: string, options: RegisterOptions): void {
    assertOp(op, "register");
    const { default: isDefault, ...scope } = options;
    if (scope.node !== undefined && scope.jid === undefined) {
      throw new TypeError(`Cannot register ${op}: a node scope needs a jid`);
    }
    this.#registry().send({
      type: "api.register",
      op,
      route,
      scope,
      isDefault,
    });
  }
}
