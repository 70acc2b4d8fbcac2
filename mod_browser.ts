/**
 * The browser entry of xmpp-actors: everything in `mod.ts` that runs in a
 * browser. It leaves out what needs Deno (the TCP and direct TLS transports,
 * the file storage); `createClient` here dials `ws://` and `wss://` only.
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
export { type BobContext, DEFAULT_MAX_SERVING } from "./actors/bob/machine.ts";
export { fetchBob, type FetchInput } from "./actors/bob/fetch.ts";
export { bobNetwork, type NetworkInput } from "./actors/bob/network.ts";
export {
  checkPeerCacheOptions,
  DEFAULT_PEER_CACHE_MAX_BYTES,
  DEFAULT_PEER_CACHE_MAX_ENTRIES,
  PeerCache,
  type PeerCacheOptions,
  type PeerCacheStats,
} from "./actors/bob/peer_cache.ts";
export {
  bobElement,
  DEFAULT_MAX_BOB_SIZE,
  NS_BOB,
  readBobElement,
  requestedCid,
} from "./src/bob_element.ts";
export {
  type DiscoIdentity,
  type DiscoInfo,
  type DiscoOptions,
  type DiscoPlugin,
  discoPlugin,
  NS_DISCO_INFO,
} from "./actors/disco/plugin.ts";
export { bobStorageOps } from "./actors/bob/ops.ts";
export type {
  BobDeleted,
  BobEmitted,
  BobEvent,
  BobExpiryDone,
  BobInlineDone,
  BobMigratedExpiry,
  BobStored,
  NetFetch,
  NetInline,
  NetServe,
  NetworkEvent,
} from "./actors/bob/protocol.ts";
export {
  definePlugin,
  type Plugin,
  type PluginContext,
  type PluginDefinition,
  type PluginHost,
  type PluginInput,
  type PluginStanzaHandler,
} from "./actors/plugin/define.ts";
export { pluginMachine } from "./actors/plugin/machine.ts";
export { deadlineScheduler } from "./actors/scheduler/scheduler.ts";
export type {
  ScheduleAt,
  ScheduleCancel,
  SchedulerBusy,
  SchedulerDue,
  SchedulerEvent,
  SchedulerOutput,
} from "./actors/scheduler/protocol.ts";
export { type BobData, type BobRecord, isMimeType } from "./src/bob_data.ts";
export {
  Api,
  type BindOptions,
  type RegisterOptions,
  type RunOptions,
} from "./actors/registry/api.ts";
export type {
  ApiHandler,
  BindEvent,
  BindReport,
  CopyOutcome,
  ExpiryEvent,
  KeyFilter,
  MigrationProgress,
  MigrationRoute,
  PendingBind,
  ProgressEvent,
  RegistryEmitted,
  RegistryEvent,
  Route,
  Scope,
  StorageCall,
  StorageOp,
} from "./actors/registry/protocol.ts";
export {
  type MigrationPhase,
  MigrationRouter,
  stallWatch,
  type StallWatchInput,
} from "./actors/registry/router.ts";
export { type CopierInput, copierMachine } from "./actors/registry/copier.ts";
export { registryMachine } from "./actors/registry/machine.ts";
export { bobMachine } from "./actors/bob/machine.ts";
export { clientMachine } from "./actors/client/machine.ts";
export { memoryStorage } from "./actors/storage/memory.ts";
export { idbStorage, type IdbStorageOptions } from "./actors/storage/idb.ts";
export {
  defineStorage,
  type StorageBackend,
  type StorageLogic,
} from "./actors/storage/define.ts";
export type {
  EntriesBatch,
  EntriesCursor,
  JsonValue,
  ReplyTarget,
  RequestBase,
  StorageDel,
  StorageDrain,
  StorageEntries,
  StorageEntry,
  StorageFailure,
  StorageGet,
  StorageKeys,
  StorageReady,
  StorageReply,
  StorageRequest,
  StorageResult,
  StorageSet,
  StorageSetMany,
} from "./actors/storage/protocol.ts";
export {
  assertCid,
  cidAlgorithm,
  cidMatches,
  cidOf,
  cidVerifies,
  isCid,
  isVerifiableCid,
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
export { connectionMachine } from "./actors/connection/machine.ts";
export { saslMachine } from "./actors/connection/sasl.ts";
export { iqCaller } from "./actors/connection/iq_caller.ts";
export { stanzaRouter } from "./actors/connection/router.ts";
export {
  type SmEvent,
  type SmInput,
  type SmOutput,
  smPolicy,
  streamManagement,
  type StreamManagementPolicy,
} from "./actors/connection/sm.ts";
export {
  discoverWebSocket,
  type HostMetaOptions,
  REL_WEBSOCKET,
} from "./src/host_meta.ts";
export {
  orderSrv,
  type SrvRecord,
  type SrvResolver,
  type SrvTarget,
  srvTargets,
} from "./src/srv.ts";
export type {
  DnsOptions,
  StreamManagementOptions,
  StreamManagementState,
} from "./actors/connection/protocol.ts";
export type {
  ConnectionCommand,
  ConnectionEmitted,
  ConnectionEvent,
  ConnectionInput,
  ConnectionStatus,
  HandlerMatch,
  IqCallerEvent,
  IqCallerOutput,
  ReconnectOptions,
  RouterEvent,
  RouterOutput,
  StanzaKind,
} from "./actors/connection/protocol.ts";
export {
  classify,
  type IncomingEvent,
  NS_SM,
  NS_STREAM_LIMITS,
  type StreamFeatures,
} from "./src/stanza.ts";
export { redirectTarget } from "./actors/transport/protocol.ts";
export { checkStanza, type StanzaLimits } from "./src/stanza_check.ts";
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
export type {
  ServiceAddress,
  ServiceProtocol,
  TransportCommand,
  TransportEvent,
  TransportInput,
} from "./actors/transport/protocol.ts";
export { type SaslMechanism, saslPrep } from "./src/sasl.ts";
export {
  isSecretKey,
  redact,
  REDACTED,
  redactJson,
  redactText,
} from "./src/redact.ts";
export { builtinSaslPrep, useSaslPrep } from "./src/saslprep.ts";
