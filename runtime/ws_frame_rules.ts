/**
 * What RFC 6455 lets a client send a server, checked on a frame's header
 * before any of its body is read: masked frames, no RSV bits (no extension
 * is ever agreed), known opcodes, final control frames of at most 125
 * bytes, fragments in order, a message within the size limit; then valid
 * close codes and UTF-8 in text messages and close reasons.
 *
 * @module
 */

import { ProtocolError } from "../protocol/errors.ts";
import { tooLarge } from "./ws_close.ts";

/** Frame opcodes (RFC 6455 section 5.2). */
export const Opcode = {
  /** A later fragment of a message. */
  Continuation: 0,
  /** A text message (UTF-8). */
  Text: 1,
  /** A binary message. */
  Binary: 2,
  /** The closing handshake. */
  Close: 8,
  /** A ping, answered with a pong. */
  Ping: 9,
  /** A pong. */
  Pong: 10,
} as const;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function bad(message: string): ProtocolError {
  return new ProtocolError("ERR_BAD_WS_FRAME", `Cannot read the WebSocket frame: ${message}`);
}

/**
 * Bytes of a header whose second byte is `b1`.
 *
 * @param b1 The header's second byte (mask bit and 7-bit length).
 * @returns 2, plus 2 or 8 of extended length, plus 4 when masked.
 */
export function headerLength(b1: number): number {
  const length = b1 & 0x7f;
  return (length < 126 ? 2 : length === 126 ? 4 : 10) + (b1 & 0x80 ? 4 : 0);
}

/**
 * True for a close code a peer may send (RFC 6455 section 7.4).
 *
 * @param code The code.
 * @returns True for 1000-1003, 1007-1014 and 3000-4999.
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

/**
 * Check a client frame's complete header against the rules and the limit.
 *
 * @param head Bytes holding the header at `at`.
 * @param at Where the header starts.
 * @param messageOpcode Opcode of the message in progress (0 when none).
 * @param filled Bytes of the message in progress so far.
 * @param maxFrameSize Largest message accepted.
 * @returns The payload length, or the error to close with (its `closeCode` is 1002 or 1009).
 */
export function checkHeader(
  head: Uint8Array,
  at: number,
  messageOpcode: number,
  filled: number,
  maxFrameSize: number,
): number | ProtocolError {
  const b0 = head[at]!, b1 = head[at + 1]!;
  const op = b0 & 0x0f;
  if (b0 & 0x70) return bad("RSV bits are set");
  if ((op > Opcode.Binary && op < Opcode.Close) || op > Opcode.Pong) {
    return bad(`unknown opcode ${op}`);
  }
  if (!(b1 & 0x80)) return bad("a client frame must be masked");
  let length = b1 & 0x7f;
  if (op >= Opcode.Close) {
    if (!(b0 & 0x80) || length > 125) {
      return bad("a control frame must be final and at most 125 bytes");
    }
    return length;
  }
  if (op === Opcode.Continuation ? messageOpcode === 0 : messageOpcode !== 0) {
    return bad("fragments out of order");
  }
  if (length === 126) length = (head[at + 2]! << 8) | head[at + 3]!;
  else if (length === 127) {
    const view = new DataView(head.buffer, head.byteOffset + at + 2, 8);
    length = view.getUint32(0, false) * 0x1_0000_0000 + view.getUint32(4, false);
  }
  // Decided on the header (and the message so far), before any of the body is buffered.
  if (filled + length > maxFrameSize) return tooLarge(filled + length, maxFrameSize);
  return length;
}

/**
 * A text message's text.
 *
 * @param payload The whole message, unmasked.
 * @returns The text, or `ERR_BAD_UTF8` (close 1007).
 */
export function readText(payload: Uint8Array): string | ProtocolError {
  try {
    return utf8.decode(payload);
  } catch {
    return new ProtocolError("ERR_BAD_UTF8", "Cannot read a text message: it is not valid UTF-8");
  }
}

/**
 * A close frame's code and reason.
 *
 * @param payload The close frame's payload, unmasked.
 * @returns The code (1005 for an empty payload) and reason, or the error for a bad code (1002)
 *   or a reason that is not UTF-8 (1007).
 */
export function readClose(payload: Uint8Array): { code: number; reason: string } | ProtocolError {
  if (payload.length === 0) return { code: 1005, reason: "" };
  const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 0;
  if (!isValidCloseCode(code)) return bad(`close code ${code} is not allowed`);
  const reason = readText(payload.subarray(2));
  if (typeof reason !== "string") {
    return new ProtocolError("ERR_BAD_UTF8", "Cannot read the close reason: it is not valid UTF-8");
  }
  return { code, reason };
}
