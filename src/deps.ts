/**
 * Every third-party import of the library, as full `npm:` specifiers.
 *
 * A module imported by URL does not see this package's deno.json import map,
 * so the rest of the code imports these names from here by relative path.
 * (Re-exports only: `no-import-prefix`, enabled in deno.json, keeps inline
 * specifiers out of every other file.) Nothing here may touch `Deno.*` or `node:*`: this file is part of the
 * browser build.
 *
 * @module
 */
export {
  and,
  type AnyActorLogic,
  type AnyActorRef,
  type AnyStateMachine,
  assertEvent,
  assign,
  type CallbackActorLogic,
  createActor,
  createMachine,
  emit,
  enqueueActions,
  fromCallback,
  fromPromise,
  type InspectionEvent,
  raise,
  sendParent,
  sendTo,
  setup,
  spawnChild,
  stopChild,
  toPromise,
} from "npm:xstate@^5.33.0";
export { Element, Parser, xml, XMLError } from "npm:@xmpp/xml@^0.14.0";
export { parse as parseXmppJid } from "npm:@xmpp/jid@^0.14.0";
export { default as xmppId } from "npm:@xmpp/id@^0.14.0";
export {
  createStore,
  del as idbDel,
  get as idbGet,
  keys as idbKeys,
  set as idbSet,
} from "npm:idb-keyval@^6.2.0";
export { sha1 } from "npm:@noble/hashes@^2.0.0/legacy.js";
export {
  sha224,
  sha256,
  sha384,
  sha512,
} from "npm:@noble/hashes@^2.0.0/sha2.js";
export { hmac } from "npm:@noble/hashes@^2.0.0/hmac.js";
export { pbkdf2 } from "npm:@noble/hashes@^2.0.0/pbkdf2.js";
