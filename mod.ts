/**
 * xmpp-actors: an XMPP client runtime for Deno and browsers in which the
 * connection, each protocol plugin and each storage backend is an XState v5
 * actor. Plugins reach storage through an internal API registry modelled on
 * slixmpp's `plugin.api`; the bound storage can be swapped at runtime without
 * losing a call.
 *
 * @example Bits of Binary, stored in files
 * ```ts
 * import { createClient, fileStorage } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const xmpp = createClient({ jid: "alice@localhost", password: "pw" });
 * const bob = xmpp.registerPlugin("xep_0231");
 * await bob.api.bind(fileStorage({ dir }));
 * const cid = await bob.setBob(new TextEncoder().encode("coucou"), "text/plain", { maxAge: 86400 });
 * const got = await bob.getBob({ cid });
 * console.assert(new TextDecoder().decode(got.data) === "coucou");
 * await bob.delBob(cid);
 * await xmpp.stop();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export {
  Client,
  type ClientOptions,
  type PluginMap,
  type PluginName,
} from "./src/client.ts";
export { createClient } from "./src/client_deno.ts";
export {
  BobPlugin,
  bobStorageOps,
  type GetBobOptions,
  type SetBobOptions,
} from "./src/bob.ts";
export { type BobData, type BobRecord } from "./src/bob_data.ts";
export {
  Api,
  type BindOptions,
  type RegisterOptions,
  type RunOptions,
} from "./src/api.ts";
export {
  type ApiHandler,
  type BindEvent,
  type RegistryEvent,
  registryMachine,
  type Route,
  type Scope,
  type StorageCall,
  type StorageOp,
} from "./actors/registry.ts";
export { bobMachine } from "./actors/bob.ts";
export { clientMachine } from "./actors/client.ts";
export { memoryStorage } from "./actors/storage/memory.ts";
export { fileStorage, type FileStorageOptions } from "./actors/storage/file.ts";
export { idbStorage, type IdbStorageOptions } from "./actors/storage/idb.ts";
export {
  defineStorage,
  type StorageBackend,
  type StorageLogic,
} from "./src/storage_backend.ts";
export type {
  JsonValue,
  ReplyTarget,
  RequestBase,
  StorageDel,
  StorageDrain,
  StorageFailure,
  StorageGet,
  StorageKeys,
  StorageReply,
  StorageRequest,
  StorageResult,
  StorageSet,
} from "./actors/storage/protocol.ts";
export { assertCid, cidOf, isCid } from "./src/cid.ts";
export {
  ApiError,
  ItemNotFound,
  StorageError,
  TimeoutError,
} from "./src/errors.ts";
export { Connection } from "./src/connection.ts";
export type {
  ConnectionEvents,
  ConnectionOptions,
  StanzaHandler,
  TransportLogic,
  TransportMap,
} from "./src/connection.ts";
export { DenoConnection, denoTransports } from "./src/connection_deno.ts";
export { connectionMachine } from "./actors/connection.ts";
export type {
  ConnectionInput,
  ConnectionStatus,
  HandlerMatch,
  ReconnectOptions,
  StanzaKind,
} from "./actors/connection.ts";
export { websocketTransport } from "./actors/transport_websocket.ts";
export { directTlsTransport, tcpTransport } from "./actors/transport_tcp.ts";
export {
  ConnectionError,
  QueueOverflowError,
  SASLError,
  StanzaError,
  StreamError,
  TLSError,
  XMPPError,
} from "./src/xmpp_error.ts";
export {
  bareJid,
  formatJid,
  type Jid,
  jidEquals,
  parseJid,
} from "./src/jid.ts";
export { xml } from "./src/deps.ts";
export type { ServiceProtocol } from "./actors/transport_protocol.ts";
export type { SaslMechanism } from "./src/sasl.ts";
