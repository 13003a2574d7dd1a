/**
 * Disconnect reasons and the coded error the API raises.
 *
 * @module
 */

/**
 * Why a socket or a namespace was disconnected. The reason reaches the other side.
 *
 * Ordinary ends:
 * - `server-shutdown`: the server closed.
 * - `kicked`: the server disconnected this socket (`socket.disconnect()`).
 * - `client-close`: the client closed (`client.close()`).
 * - `namespace-leave`: the client left this namespace (`nsp.close()`), the others stay.
 * - `ping-timeout`: no frame from the peer within pingInterval + pingTimeout.
 * - `transport-close`: the link closed without a goodbye.
 * - `transport-error`: the link failed.
 * - `session-expired`: the client came back but its session could not be resumed (its
 *   replay buffer overflowed, or the resume window had passed). The sockets of a session
 *   whose window passes get the reason the link was lost (`transport-close`...).
 *
 * A limit was broken (see `Limits`):
 * - `frame-too-large`: a frame longer than `maxFrameSize` (declared length).
 * - `event-name-too-long`: an event name longer than `maxEventNameLength`.
 * - `rate-limit`: more than `maxMessagesPerSecond` or `maxBytesPerSecond`, after a `rate-warning`.
 * - `slow-consumer`: more than `maxBufferedBytes` of reliable data queued for a peer that does not read.
 * - `handshake-timeout`: no hello within `handshakeTimeout`.
 * - `too-many-connections`: the server already has `maxConnections`.
 * - `too-many-connections-per-address`: the address already has `maxConnectionsPerAddress`.
 * - `too-many-namespaces`, `too-many-pending-acks`: kept for peers; this server refuses the
 *   namespace (connect_error code `too-many-namespaces`) and bounds its own acks instead.
 *
 * A rule of the protocol was broken:
 * - `protocol-error`: bytes that cannot be decoded (bad varint, UTF-8, JSON, unknown kind...).
 * - `invalid-packet`: a packet that decodes but makes no sense here (before the hello,
 *   a server-only kind, an undeclared namespace id, an unknown room operation).
 * - `reserved-event`: an event named like one only the library emits (`RESERVED_EVENTS`).
 * - `unknown-schema`: a schema message with a code the server never registered.
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
  | "event-name-too-long"
  | "rate-limit"
  | "slow-consumer"
  | "handshake-timeout"
  | "too-many-connections"
  | "too-many-connections-per-address"
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
  /** The server's reason when it refused or ended the connection, e.g. `too-many-connections`. */
  readonly reason: string | undefined;

  /**
   * Make an error with a code.
   *
   * @param code What went wrong.
   * @param message What went wrong, for people.
   * @param options The cause and the server's reason, if any.
   */
  constructor(
    code: GameSocketErrorCode,
    message: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "GameSocketError";
    this.code = code;
    this.reason = options?.reason;
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
  "link-lost",
  "link-restored",
  "rate-warning",
  "newListener",
  "removeListener",
]);
