/**
 * The browser entry of xmpp-actors: everything in `mod.ts` that runs in a
 * browser. It leaves out what needs Deno (the TCP and direct TLS transports,
 * the file and Redis storages, the inspector server); `createClient` here
 * dials `ws://` and `wss://` only.
 *
 * This is the surface a user types. The machines, the routing and the
 * message protocols between actors (for writing a transport, a storage
 * actor by hand, or a test) are in `internals.ts` (`./internals`), with no
 * promise of stability.
 *
 * @module
 */
export {
  Client,
  type ClientOptions,
  createClient,
  type PluginMap,
  type PluginName,
  type PluginOptionsMap,
} from "./actors/client/client.ts";
export {
  type BobOptions,
  BobPlugin,
  bobPlugin,
  cidUri,
  type GetBobOptions,
  type SetBobOptions,
} from "./actors/bob/plugin.ts";
export {
  DEFAULT_PEER_CACHE_MAX_BYTES,
  DEFAULT_PEER_CACHE_MAX_ENTRIES,
  type PeerCacheOptions,
  type PeerCacheStats,
} from "./actors/bob/peer_cache.ts";
export { DEFAULT_MAX_BOB_SIZE, NS_BOB } from "./src/bob_element.ts";
export type { BobEmitted } from "./actors/bob/protocol.ts";
// The built-in plugins' facades and options (loaded by name with
// registerPlugin; their machines, op lists and helpers are in internals.ts).
export {
  type DataForm,
  type DiscoIdentity,
  type DiscoInfo,
  type DiscoItem,
  type DiscoOptions,
  type DiscoPlugin,
  discoPlugin,
  type DiscoQueryOptions,
  type DiscoScope,
  type FormField,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
} from "./actors/disco/plugin.ts";
export type {
  CapsEvent,
  CapsOptions,
  CapsPlugin,
} from "./actors/caps/plugin.ts";
export type { DiscoExtPlugin } from "./actors/disco_ext/plugin.ts";
// xep_0054, xep_0153, xep_0012, xep_0319 (vCard, avatars, last activity, idle)
export type { VcardOptions, VcardPlugin } from "./actors/vcard/plugin.ts";
export type { AvatarPlugin } from "./actors/avatar/plugin.ts";
export type { LastOptions, LastPlugin } from "./actors/last/plugin.ts";
export type { IdlePlugin } from "./actors/idle/plugin.ts";
export {
  definePlugin,
  type Plugin,
  type PluginContext,
  type PluginDefinition,
  type PluginHost,
  type PluginInput,
  type PluginStanzaHandler,
} from "./actors/plugin/define.ts";
export type { RouterAnswer } from "./actors/connection/router_protocol.ts";
export type { BobData, BobRecord } from "./src/bob_data.ts";
export {
  Api,
  type BindOptions,
  type RegisterOptions,
  type RunOptions,
} from "./actors/registry/api.ts";
export type {
  ApiHandler,
  BindReport,
  KeyFilter,
  MigrationProgress,
  ProgressEvent,
  Scope,
  StorageCall,
  StorageOp,
} from "./actors/registry/protocol.ts";
export { memoryStorage } from "./actors/storage/memory.ts";
export { idbStorage, type IdbStorageOptions } from "./actors/storage/idb.ts";
export {
  defineStorage,
  type DefineStorageOptions,
  type StorageBackend,
  type StorageLogic,
} from "./actors/storage/define.ts";
export type {
  EntriesBatch,
  EntriesCursor,
  JsonValue,
  StorageEntry,
} from "./actors/storage/protocol.ts";
export {
  assertCid,
  cidOf,
  isCid,
  normalizeCid,
  VERIFIED_CID_ALGORITHMS,
} from "./src/cid.ts";
export {
  ApiError,
  ClientStoppedError,
  ConnectionError,
  ItemNotFound,
  QueueOverflowError,
  RuntimeError,
  SASLError,
  StanzaError,
  StorageError,
  StreamError,
  TimeoutError,
  TLSError,
  UnackedOverflowError,
  VerificationError,
  XMPPError,
} from "./src/errors.ts";
export { Connection } from "./actors/connection/connection.ts";
export type {
  ConnectionEvents,
  ConnectionOptions,
  StanzaHandler,
  StopResult,
  TransportLogic,
  TransportMap,
} from "./actors/connection/connection.ts";
export type {
  ConnectionInput,
  ConnectionStatus,
  DnsOptions,
  HandlerMatch,
  ReconnectOptions,
  StanzaKind,
  StreamManagementOptions,
} from "./actors/connection/protocol.ts";
export type { StreamFeatures } from "./src/stanza.ts";
export type { StanzaLimits } from "./src/stanza_check.ts";
export type { SrvRecord, SrvResolver } from "./src/srv.ts";
export type { ServiceProtocol } from "./actors/transport/protocol.ts";
export { websocketTransport } from "./actors/transport/websocket.ts";
export {
  bareJid,
  formatJid,
  type Jid,
  jidEquals,
  parseJid,
} from "./src/jid.ts";
export {
  type DiagramActor,
  type DiagramState,
  type DiagramStateType,
  type DiagramTransition,
  type DiagramTransitionKind,
  type MachineGraph,
  machineGraph,
  toDot,
  toMermaid,
} from "./src/diagram.ts";
export {
  type Element,
  xml,
  type XmlAttributes,
  type XmlChild,
} from "./src/xml.ts";
export type {
  ActorWatcher,
  AnyActorLogic,
  AnyActorRef,
  AnyStateMachine,
  InspectionEvent,
  Inspector,
} from "./src/types.ts";
export type { SaslMechanism } from "./src/sasl.ts";
export { redact, REDACTED, redactText } from "./src/redact.ts";
export { builtinSaslPrep, useSaslPrep } from "./src/saslprep.ts";
