/**
 * The inside of xmpp-actors, for those who write a transport, a storage
 * actor by hand, a test or a diagram of one machine: the XState machines,
 * the actors on the data path, the routing of a migration and the message
 * protocols between actors. Nothing here is needed to use a client
 * (`mod.ts`, `mod_browser.ts`), and nothing here is a stable API: it may
 * change in any release.
 *
 * Everything here runs in a browser as in Deno.
 *
 * @example Draw the connection machine
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { toMermaid } from "./mod_browser.ts";
 * import { connectionMachine } from "./internals.ts";
 * ok(toMermaid(connectionMachine).includes("online"));
 * ```
 *
 * @module
 */
export { clientMachine } from "./actors/client/machine.ts";
export {
  type BobContext,
  bobMachine,
  DEFAULT_MAX_SERVING,
} from "./actors/bob/machine.ts";
export { bobStorageOps } from "./actors/bob/ops.ts";
export { checkPeerCacheOptions, PeerCache } from "./actors/bob/peer_cache.ts";
export {
  cidAlgorithm,
  cidMatches,
  cidVerifies,
  isVerifiableCid,
} from "./src/cid.ts";
export { bobElement, readBobElement, requestedCid } from "./src/bob_element.ts";
export type {
  ApiAnswer,
  BobCall,
  BobDel,
  BobDelivery,
  BobEvent,
  BobFetch,
  BobMigratedExpiry,
  BobSet,
} from "./actors/bob/protocol.ts";
export {
  fetchedBob,
  inlineBobs,
  servedPayload,
  serveRequest,
} from "./actors/bob/serve.ts";
export type { IqAnswer } from "./actors/connection/protocol.ts";
export { isMimeType } from "./src/bob_data.ts";
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
export type {
  ApiCallEvent,
  ApiErrorEvent,
  ApiResultEvent,
  ApiRunEvent,
  BindEvent,
  CallFields,
  CopyOutcome,
  ExpiryEvent,
  MigrationKeys,
  PendingBind,
  RegistryEmitted,
  RegistryEvent,
  Route,
} from "./actors/registry/protocol.ts";
export {
  stallWatch,
  type StallWatchInput,
} from "./actors/registry/migration.ts";
export {
  type Call,
  CallTable,
  CONTROL_BASE,
  COPIER_BASE,
  type MigrationLeg,
} from "./actors/registry/requests.ts";
export { type CopierInput, copierMachine } from "./actors/registry/copier.ts";
export { registryMachine } from "./actors/registry/machine.ts";
export { storageId } from "./actors/storage/names.ts";
export type {
  ReplyTarget,
  RequestBase,
  StorageDel,
  StorageDrain,
  StorageEntries,
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
export type {
  ConnectionCommand,
  ConnectionEmitted,
  ConnectionEvent,
  HandlerDelivery,
  IqCallerEvent,
  IqCallerOutput,
  RouterEvent,
  RouterOutput,
  StreamManagementState,
} from "./actors/connection/protocol.ts";
export {
  discoverWebSocket,
  type HostMetaOptions,
  REL_WEBSOCKET,
} from "./src/host_meta.ts";
export { orderSrv, type SrvTarget, srvTargets } from "./src/srv.ts";
export {
  classify,
  type IncomingEvent,
  NS_SM,
  NS_STREAM_LIMITS,
} from "./src/stanza.ts";
export { checkStanza } from "./src/stanza_check.ts";
export {
  redirectTarget,
  type ServiceAddress,
  type TransportCommand,
  type TransportEvent,
  type TransportInput,
} from "./actors/transport/protocol.ts";
export { saslPrep } from "./src/sasl.ts";
export { isSecretKey, redactJson } from "./src/redact.ts";
export {
  type ChartLayouts,
  Collector,
  type CollectorOptions,
  type PageSink,
} from "./actors/inspector/collector.ts";
export {
  type LayoutAnswer,
  LayoutQueue,
  type LayoutQueueOptions,
  NO_WORKER,
  QUEUE_FULL,
  TOO_LARGE,
} from "./actors/inspector/layout_queue.ts";
export {
  chartOf,
  FRAME_VERSION,
  type FrameSnapshot,
  type InspectorFrame,
  MAX_LAID_OUT,
  type PageMessage,
  preview,
} from "./actors/inspector/frames.ts";
export {
  type ChartBox,
  type ChartEdge,
  type ChartInternal,
  type ChartLayout,
  headerOf,
  internalText,
  layoutChart,
  overTitle,
} from "./src/diagram/layout.ts";
export { toSvg } from "./src/diagram/svg.ts";
// Issue 26 part 1: XEP-0030, XEP-0115, XEP-0128 (their facades and data
// types are on mod.ts; their op lists, machine and the caps hash here).
export { DISCO_OPS } from "./actors/disco/plugin.ts";
export {
  CAPS_OPS,
  capsMachine,
  capsPlugin,
  NS_CAPS,
} from "./actors/caps/plugin.ts";
export { DISCO_EXT_OPS, discoExtPlugin } from "./actors/disco_ext/plugin.ts";
export {
  CAPS_HASHES,
  CapsError,
  capsString,
  checkCapsInfo,
  parseDiscoInfo,
  verString,
} from "./src/caps_ver.ts";
export {
  isDiscoKey,
  recordKey,
  type RecordKind,
} from "./actors/disco/store.ts";
