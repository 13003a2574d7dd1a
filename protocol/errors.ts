/**
 * Wire errors: what a peer sent that cannot be decoded or breaks a limit.
 *
 * @module
 */

/** Machine-readable codes of {@linkcode ProtocolError}. */
export type ProtocolErrorCode =
  | "ERR_FRAME_TOO_LARGE"
  | "ERR_TRUNCATED"
  | "ERR_TRAILING_BYTES"
  | "ERR_BAD_VARINT"
  | "ERR_UNKNOWN_PACKET"
  | "ERR_BAD_UTF8"
  | "ERR_BAD_JSON"
  | "ERR_BAD_PAYLOAD"
  | "ERR_BAD_VALUE"
  | "ERR_UNKNOWN_SCHEMA"
  | "ERR_STRING_TOO_LONG"
  | "ERR_BYTES_TOO_LONG"
  | "ERR_UNSUPPORTED_VERSION"
  | "ERR_BAD_WS_FRAME";

/** Close codes sent to the peer (the WebSocket numbers, so ws transports can reuse them). */
export const CloseCode = {
  /** The peer broke the protocol. */
  ProtocolError: 1002,
  /** The data was not valid (bad UTF-8, bad JSON, bad value). */
  InvalidData: 1007,
  /** A frame or string was over its limit. */
  TooLarge: 1009,
} as const;

const closeCodeOf: Record<ProtocolErrorCode, number> = {
  ERR_FRAME_TOO_LARGE: CloseCode.TooLarge,
  ERR_STRING_TOO_LONG: CloseCode.TooLarge,
  ERR_BYTES_TOO_LONG: CloseCode.TooLarge,
  ERR_TRUNCATED: CloseCode.ProtocolError,
  ERR_TRAILING_BYTES: CloseCode.ProtocolError,
  ERR_BAD_VARINT: CloseCode.ProtocolError,
  ERR_UNKNOWN_PACKET: CloseCode.ProtocolError,
  ERR_UNKNOWN_SCHEMA: CloseCode.ProtocolError,
  ERR_UNSUPPORTED_VERSION: CloseCode.ProtocolError,
  ERR_BAD_WS_FRAME: CloseCode.ProtocolError,
  ERR_BAD_UTF8: CloseCode.InvalidData,
  ERR_BAD_JSON: CloseCode.InvalidData,
  ERR_BAD_PAYLOAD: CloseCode.InvalidData,
  ERR_BAD_VALUE: CloseCode.InvalidData,
};

/**
 * A peer sent bytes that cannot be decoded, or that break a limit.
 *
 * @example
 * ```ts
 * import { ProtocolError } from "./errors.ts";
 * const err = new ProtocolError("ERR_TRUNCATED", "Cannot read uint16: 1 byte left");
 * console.log(err.code, err.closeCode); // ERR_TRUNCATED 1002
 * ```
 */
export class ProtocolError extends Error {
  /** What went wrong, for programs. */
  readonly code: ProtocolErrorCode;
  /** The close code to send to the peer. */
  readonly closeCode: number;

  /**
   * Create a protocol error.
   *
   * @param code What went wrong.
   * @param message What went wrong, for people.
   */
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
    this.closeCode = closeCodeOf[code];
  }
}
