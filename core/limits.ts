/**
 * Every limit of a server in one place, with its default.
 *
 * @module
 */

/** The limits a server enforces. The ones a client must respect are sent to it in the handshake. */
export interface Limits {
  /** Largest frame, in bytes, checked on the declared length before buffering. @default 65536 */
  maxFrameSize: number;
  /** Longest event name, in UTF-8 bytes. @default 64 */
  maxEventNameLength: number;
  /** Most namespaces one connection may open. @default 16 */
  maxNamespacesPerSocket: number;
  /** Most rooms one socket may be in (its own id room included). @default 256 */
  maxRoomsPerSocket: number;
  /**
   * Longest room name a client may ask to join, in UTF-8 bytes (not sent in the
   * handshake: the server refuses the join with `room-name-too-long`). @default 128
   */
  maxRoomNameLength: number;
  /** Most acks one side may wait for at once. @default 256 */
  maxPendingAcks: number;
  /** Bytes queued for one socket before it is cut as a slow consumer. @default 4194304 (4 MiB) */
  maxBufferedBytes: number;
  /** Bytes queued above which volatile messages are dropped. @default 262144 (256 KiB) */
  volatileHighWaterMark: number;
  /** Most open connections on the server. @default 10000 */
  maxConnections: number;
  /** Most open connections from one IP address. @default 256 */
  maxConnectionsPerAddress: number;
  /** Milliseconds a new connection has to complete the handshake. @default 10000 */
  handshakeTimeout: number;
  /**
   * Messages per second one connection may send, sustained (bursts up to twice that;
   * past the burst the client gets `rate-warning`, one second's worth later `rate-limit`).
   * @default 2000
   */
  maxMessagesPerSecond: number;
  /** Bytes per second one connection may send, sustained (bursts up to twice that). @default 1048576 (1 MiB) */
  maxBytesPerSecond: number;
}

/** The defaults of {@linkcode Limits}. Override any of them per server. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFrameSize: 64 * 1024,
  maxEventNameLength: 64,
  maxNamespacesPerSocket: 16,
  maxRoomsPerSocket: 256,
  maxRoomNameLength: 128,
  maxPendingAcks: 256,
  maxBufferedBytes: 4 * 1024 * 1024,
  volatileHighWaterMark: 256 * 1024,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 256,
  handshakeTimeout: 10_000,
  maxMessagesPerSecond: 2_000,
  maxBytesPerSecond: 1024 * 1024,
});

/**
 * Merge user overrides over the defaults, checking every value.
 *
 * @param overrides Limits to change.
 * @returns A complete, frozen set of limits.
 * @throws {RangeError} When a limit is not a positive integer.
 */
export function resolveLimits(overrides: Partial<Limits> = {}): Readonly<Limits> {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Cannot use limit ${name}=${value}: it must be a positive integer`);
    }
  }
  return Object.freeze(limits);
}

const encoder = new TextEncoder();

/**
 * True when `text` is longer than `max` UTF-8 bytes. Encodes only when the
 * string could be that long (a UTF-16 unit is at most 3 UTF-8 bytes).
 *
 * @param text A name from the wire or the API.
 * @param max Most UTF-8 bytes allowed.
 * @returns True when over the limit.
 */
export function longerThan(text: string, max: number): boolean {
  return text.length * 3 > max && (text.length > max || encoder.encode(text).length > max);
}
