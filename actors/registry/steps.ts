/**
 * Steps the registry machine takes that are plain functions: retiring the
 * bound storage, answering a bind, building the copier's input.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";
import type { ReplyTarget, StorageReply } from "../storage/protocol.ts";
import type { CopierInput } from "./copier.ts";
import type { MigrationProgress, RegistryContext } from "./protocol.ts";
import { deliver } from "./routes.ts";

/**
 * Plan the retirement of the storage bound now: the context change that lists
 * it as retiring, and the effect that sends it `storage.drain` (once answered,
 * or after the retire timeout, it is stopped if owned).
 */
export function retireCurrent(
  context: RegistryContext,
  self: AnyActorRef,
): {
  update: Pick<RegistryContext, "nextId" | "retiring">;
  effect: () => void;
} {
  const drainId = context.nextId;
  const { storage, ns } = context;
  return {
    update: {
      nextId: drainId + 1,
      retiring: {
        ...context.retiring,
        [drainId]: { ref: storage, owned: context.owned },
      },
    },
    effect: () =>
      deliver(storage, {
        type: "storage.drain",
        id: drainId,
        ns,
        replyTo: self,
      }),
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
 * Answer a requester, ignoring one that went away.
 *
 * @param target Who gets the answer.
 * @param out The answer.
 */
export function reply(target: ReplyTarget, out: StorageReply): void {
  try {
    target.send(out);
  } catch {
    // The requester is gone; nothing to answer.
  }
}

/**
 * The copier's input for the migration in progress.
 *
 * @param context The registry context (in `migrating.copying`).
 * @returns What the copier is created with.
 */
export function copierInput(context: RegistryContext): CopierInput {
  const p = context.pending!;
  return {
    ns: context.ns,
    from: context.storage,
    to: p.to,
    router: context.router!,
    mirror: p.bind.merge !== true,
    isKey: p.bind.isKey ?? context.isKey,
    timeout: context.timeout,
    maxBatch: p.bind.batchSize ?? MAX_BATCH,
    budgetMs: BATCH_BUDGET_MS,
  };
}
