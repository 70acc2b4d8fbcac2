/**
 * Steps the registry machine takes that are plain functions: retiring the
 * bound storage, the registry's own requests (start handshake, drain),
 * building the copier's input.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type { CopierInput } from "./copier.ts";
import { DEFAULT_SHARE } from "./pacer.ts";
import type {
  BindEvent,
  BindReport,
  MigrationProgress,
  RegistryContext,
} from "./protocol.ts";
import { sendStorage, type Step } from "./calls.ts";
import { COPIER_BASE } from "./requests.ts";

/**
 * Spawn options with an id. XState's types allow no `id` on a child spawned
 * from logic given at run time, though its runtime takes one (and keys the
 * child by it): the options are upcast to drop it from the type.
 *
 * @param id The child's id.
 * @returns Spawn options.
 */
export function named(id: string): { systemId?: string } {
  return { id } as { systemId?: string };
}

/**
 * The ids of the storages alive under this registry (bound, retiring, the
 * one being bound).
 *
 * @param context The registry context.
 * @returns Their actor ids.
 */
export function storageIds(context: RegistryContext): Set<string> {
  const ids = new Set([context.storage.id]);
  for (const r of Object.values(context.retiring)) ids.add(r.ref.id);
  if (context.pending !== undefined) ids.add(context.pending.to.id);
  return ids;
}

/**
 * The arguments of a data-path action, as `calls.ts` takes them.
 *
 * @param args What `enqueueActions` gives.
 * @returns The step.
 */
export function stepOf(
  { context, enqueue, self }: {
    context: RegistryContext;
    enqueue: unknown;
    self: AnyActorRef;
  },
): Step {
  return { context, enqueue: enqueue as Step["enqueue"], self };
}

/**
 * Settle a bind with its report.
 *
 * @param context The registry context.
 * @param bind The bind.
 * @param report What it did.
 */
export function resolveBind(
  context: RegistryContext,
  bind: BindEvent,
  report: BindReport,
): void {
  context.calls.releaseBind(bind.id);
  bind.resolve(report);
}

/**
 * Reject a bind.
 *
 * @param context The registry context.
 * @param bind The bind.
 * @param error Why it failed.
 */
export function rejectBind(
  context: RegistryContext,
  bind: BindEvent,
  error: Error,
): void {
  context.calls.releaseBind(bind.id);
  bind.reject(error);
}

/**
 * Retire the storage bound now: list it as retiring (in the returned context
 * change) and send it `storage.drain` (once answered, or after the retire
 * timeout, it is stopped if owned).
 *
 * @param step The step.
 * @returns The context change.
 */
export function retireCurrent(
  step: Step,
): Pick<RegistryContext, "nextId" | "retiring"> {
  const { context } = step;
  const drainId = context.nextId;
  const { storage, ns, owned } = context;
  sendStorage(step, storage, owned, { type: "storage.drain", id: drainId, ns });
  return {
    nextId: drainId + 1,
    retiring: { ...context.retiring, [drainId]: { ref: storage, owned } },
  };
}

/** The progress of a bind that copied nothing. */
export const NO_COPY: MigrationProgress = {
  copied: 0,
  skipped: 0,
  superseded: 0,
  removed: 0,
  elapsedMs: 0,
  rate: 0,
};

/** Upper bound of a copy batch (entries) unless the bind says otherwise. */
const MAX_BATCH = 1024;
/** Target duration of one copy batch in ms (see `copier.ts`). */
const BATCH_BUDGET_MS = 2;

/**
 * The copier's input for the migration in progress. A storage the registry
 * spawned answers the copier's requests to the registry (its parent, by
 * `sendBack`); one passed as a running ref gets `replyTo: registry`. Either
 * way the registry forwards the answer to the copier (`sendTo`).
 *
 * @param context The registry context (in `migrating.copying`).
 * @param self The registry.
 * @returns What the copier is created with.
 */
export function copierInput(
  context: RegistryContext,
  self: AnyActorRef,
): CopierInput {
  const p = context.pending!;
  return {
    ns: context.ns,
    from: context.storage,
    fromReplyTo: context.owned ? undefined : self,
    to: p.to,
    toReplyTo: p.owned ? undefined : self,
    keys: context.migration!,
    mirror: p.bind.merge !== true,
    isKey: p.bind.isKey ?? context.isKey,
    timeout: context.timeout,
    maxBatch: p.bind.batchSize ?? MAX_BATCH,
    budgetMs: BATCH_BUDGET_MS,
    share: p.bind.share ?? DEFAULT_SHARE,
    firstId: COPIER_BASE,
  };
}
