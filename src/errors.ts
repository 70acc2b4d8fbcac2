/**
 * The one error family of the library. Every error a caller can catch is an
 * {@linkcode XMPPError} with a `condition` (an RFC 6120 condition where one
 * fits, so a plugin can answer a peer with it) and an optional `text`:
 *
 * - from the wire: {@linkcode StanzaError} (and its {@linkcode ItemNotFound}),
 *   {@linkcode StreamError}, {@linkcode SASLError};
 * - from the runtime: {@linkcode TimeoutError}, {@linkcode ConnectionError}
 *   (and {@linkcode TLSError}), {@linkcode QueueOverflowError},
 *   {@linkcode ClientStoppedError}, {@linkcode ApiError},
 *   {@linkcode StorageError}.
 *
 * Bad arguments are the built-in `TypeError` / `RangeError`.
 *
 * @module
 */
export {
  NS_SASL,
  NS_STANZAS,
  NS_STREAMS,
  RuntimeError,
  XMPPError,
} from "./errors/base.ts";
export {
  ItemNotFound,
  SASLError,
  StanzaError,
  StreamError,
} from "./errors/wire.ts";
export {
  ClientStoppedError,
  ConnectionError,
  QueueOverflowError,
  TimeoutError,
  TLSError,
  UnackedOverflowError,
} from "./errors/session.ts";
export { ApiError, StorageError, VerificationError } from "./errors/api.ts";
