/**
 * Disconnect reasons and the coded error the API raises.
 *
 * @module
 */

/**
 * Why a socket or a namespace was disconnected. The reason reaches the other side.
 *
 * - `server-shutdown`: the server closed.
 * - `kicked`: the server disconnected this socket (`socket.disconnect()`).
 * - `client-close`: the client closed (`client.close()`).
 * - `namespace-leave`: the client left this namespace (`nsp.close()`), the others stay.
 * - `ping-timeout`: no frame from the peer within pingInterval + pingTimeout.
 * - `transport-close`: the link closed without a goodbye.
 * - `transport-error`: the link failed.
 * - `protocol-error`: the peer sent bytes that cannot be decoded.
 * - `frame-too-large`, `rate-limit`, `slow-consumer`, `handshake-timeout`,
 *   `too-many-connections`, `too-many-namespaces`, `too-many-pending-acks`,
 *   `reserved-event`, `unknown-schema`, `invalid-packet`: a limit was broken or a rule was violated.
 * - `session-expired`: a resume came after the resume window.
 */
export type DisconnectReason =
  | "server-shutdown"
  | "kicked"
  | "client-close"
  | "namespace-leave"
  | "ping-timeout"
  | "transport-close"
  | "transport-error"
  | "protocol-error"
  | "frame-too-large"
  | "rate-limit"
  | "slow-consumer"
  | "handshake-timeout"
  | "too-many-connections"
  | "too-many-namespaces"
  | "too-many-pending-acks"
  | "reserved-event"
  | "unknown-schema"
  | "invalid-packet"
  | "session-expired";

/** Codes of {@linkcode GameSocketError}. */
export type GameSocketErrorCode =
  | "ERR_ACK_TIMEOUT"
  | "ERR_TOO_MANY_PENDING_ACKS"
  | "ERR_DISCONNECTED"
  | "ERR_NOT_CONNECTED"
  | "ERR_CONNECT_REFUSED"
  | "ERR_CONNECT_FAILED"
  | "ERR_UNKNOWN_NAMESPACE"
  | "ERR_JOIN_REFUSED"
  | "ERR_RESERVED_EVENT"
  | "ERR_LIMIT"
  | "ERR_HANDLER";

/**
 * An error with a machine-readable code, raised by the API (ack timeouts,
 * refused connects and joins, limits the peer would reject).
 */
export class GameSocketError extends Error {
  /** What went wrong, for programs. */
  readonly code: GameSocketErrorCode;

  /**
   * Make an error with a code.
   *
   * @param code What went wrong.
   * @param message What went wrong, for people.
   * @param options The cause, if any.
   */
  constructor(code: GameSocketErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GameSocketError";
    this.code = code;
  }
}

/** Event names that only the library emits; `emit()` refuses them on both sides. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "connection",
  "disconnect",
  "disconnecting",
  "error",
  "ping",
  "pong",
  "join-room",
  "leave-room",
  "create-room",
  "delete-room",
  "reconnect",
  "reconnecting",
  "reconnect_failed",
  "resume_failed",
  "rate-warning",
  "newListener",
  "removeListener",
]);
