/**
 * The XState types that our public API mentions, under their XState names,
 * so the documentation of our API can name them (a type imported straight
 * from `npm:` is private to the module that imports it). Only plain aliases
 * work so: our public API uses `AnyActorLogic` where XState has a generic
 * logic type (e.g. a storage actor's `CallbackActorLogic<StorageRequest>`).
 *
 * @module
 */
import type {
  AnyActorLogic as XAnyActorLogic,
  AnyActorRef as XAnyActorRef,
  AnyStateMachine as XAnyStateMachine,
  InspectionEvent as XInspectionEvent,
} from "./deps.ts";

/** A running actor (XState's `AnyActorRef`). */
export type AnyActorRef = XAnyActorRef;
/** Any actor logic: a machine, a callback, a promise… (XState's `AnyActorLogic`). */
export type AnyActorLogic = XAnyActorLogic;
/** Any state machine (XState's `AnyStateMachine`). */
export type AnyStateMachine = XAnyStateMachine;
/** What an inspection observer receives (XState's `InspectionEvent`). */
export type InspectionEvent = XInspectionEvent;
/** An XState inspection observer: sees every actor, event and snapshot. */
export type Inspector = (event: InspectionEvent) => void;
/**
 * Something that observes actor trees on demand, such as the live
 * inspector: `watch(root)` returns a function that stops watching.
 */
export interface ActorWatcher {
  /**
   * Watch the actor tree under `root`.
   * @param root The root actor.
   * @returns A function that stops watching.
   */
  watch(root: AnyActorRef): () => void;
}
