/**
 * Where each inspected actor sits in its tree (its root and its parent),
 * learned from XState's public API only:
 *
 * - every inspection event carries `rootId`, the session id of its system's
 *   root;
 * - an actor's first event is `xstate.init`, reported as an `@xstate.event`
 *   whose `sourceRef` is its parent (a root's has none);
 * - a parent's `getSnapshot().children` lists its children by id: it
 *   confirms a parent (an event of that type from anyone else is not taken
 *   for one), and it gives the tree of actors that started before they were
 *   observed.
 *
 * Browser-safe.
 *
 * @module
 */
import type { AnyActorRef } from "../../src/types.ts";

/** An actor's place: its root's session id and, once known, its parent's. */
interface Place {
  rootId: string;
  parentId?: string;
}

/**
 * The children an actor's snapshot lists, by id (none for logic without
 * children, such as callbacks and promises).
 *
 * @param ref An actor.
 * @returns Its `getSnapshot().children`, or `undefined`.
 */
export function childrenOf(
  ref: AnyActorRef,
): Record<string, AnyActorRef | undefined> | undefined {
  const snap = ref.getSnapshot() as
    | { children?: Record<string, AnyActorRef | undefined> }
    | undefined;
  const children = snap?.children;
  return typeof children === "object" && children !== null
    ? children
    : undefined;
}

/** The status of an actor's snapshot (`active` when it has none yet). */
function statusOf(ref: AnyActorRef): string | undefined {
  const snap = ref.getSnapshot() as { status?: string } | undefined;
  return snap === undefined ? "active" : snap.status;
}

/**
 * The roots and parents of the actors an inspector has seen. Places are
 * kept by actor object (a `WeakMap`), so they go with the actors and never
 * need pruning; an event kept for a late page still finds its root.
 *
 * @example Usage
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { createActor, createMachine } from "npm:xstate@^5.33.0";
 * import { Lineage } from "./lineage.ts";
 *
 * const root = createActor(
 *   createMachine({ invoke: { id: "kid", src: createMachine({}) } }),
 * ).start();
 * const lineage = new Lineage();
 * const seen: string[] = [];
 * lineage.adopt(root, (ref) => seen.push(ref.sessionId));
 * const kid = root.getSnapshot().children.kid!;
 * strictEqual(seen.length, 2);
 * strictEqual(lineage.parentOf(kid), root.sessionId);
 * strictEqual(lineage.rootOf(kid), root.sessionId);
 * strictEqual(lineage.parentOf(root), undefined);
 * ```
 */
export class Lineage {
  #places = new WeakMap<AnyActorRef, Place>();

  /**
   * An actor was reported (`@xstate.actor`, from its constructor): its root
   * is the event's; its parent is learned at its `xstate.init`.
   * @param ref The new actor.
   * @param rootId The event's `rootId`.
   */
  born(ref: AnyActorRef, rootId: string): void {
    if (!this.#places.has(ref)) this.#places.set(ref, { rootId });
  }

  /**
   * An event reached an actor: remember its root if it is not known yet
   * (an actor that started before it was observed).
   * @param ref The event's target.
   * @param rootId The event's `rootId`.
   */
  seen(ref: AnyActorRef, rootId: string): void {
    if (!this.#places.has(ref)) this.#places.set(ref, { rootId });
  }

  /**
   * An `xstate.init` event reached `ref` from `source`. The source is taken
   * as the parent only if its snapshot lists `ref` under `ref.id`: anyone
   * can send an event of that type, only the parent lists the actor as its
   * child.
   *
   * @param ref The event's target.
   * @param source The event's `sourceRef`.
   * @param rootId The event's `rootId`.
   * @returns Whether this taught `ref`'s parent (it was not known before).
   */
  init(
    ref: AnyActorRef,
    source: AnyActorRef | undefined,
    rootId: string,
  ): boolean {
    let place = this.#places.get(ref);
    if (place === undefined) {
      place = { rootId };
      this.#places.set(ref, place);
    }
    if (source === undefined || place.parentId !== undefined) return false;
    if (childrenOf(source)?.[ref.id] !== ref) return false;
    place.parentId = source.sessionId;
    return true;
  }

  /**
   * Learn a running tree from its top down, through each actor's
   * `getSnapshot().children`: every active actor under `top` (and `top`
   * itself) gets its place and is visited. `top` keeps the root it is known
   * under; one not seen before is taken as a root.
   *
   * @param top Where to start (e.g. a watched client's root actor).
   * @param visit Called with each active actor found, `top` first.
   */
  adopt(top: AnyActorRef, visit: (ref: AnyActorRef) => void): void {
    if (statusOf(top) !== "active") return;
    let place = this.#places.get(top);
    if (place === undefined) {
      place = { rootId: top.sessionId };
      this.#places.set(top, place);
    }
    const rootId = place.rootId;
    // Depth first, each parent before its children and siblings in the
    // order their parent lists them, without recursion: a deep tree cannot
    // overflow the stack.
    const stack: AnyActorRef[] = [top];
    for (let ref = stack.pop(); ref; ref = stack.pop()) {
      visit(ref);
      const children = Object.values(childrenOf(ref) ?? {});
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i];
        if (!child || statusOf(child) !== "active") continue;
        const known = this.#places.get(child);
        if (known === undefined) {
          this.#places.set(child, { rootId, parentId: ref.sessionId });
        } else known.parentId ??= ref.sessionId;
        stack.push(child);
      }
    }
  }

  /**
   * The session id of an actor's root, if known.
   * @param ref An actor.
   */
  rootOf(ref: AnyActorRef): string | undefined {
    return this.#places.get(ref)?.rootId;
  }

  /**
   * The session id of an actor's parent, if known (never for a root).
   * @param ref An actor.
   */
  parentOf(ref: AnyActorRef): string | undefined {
    return this.#places.get(ref)?.parentId;
  }
}
