/**
 * WebSocket close codes and reasons: how a game-socket goodbye (a disconnect
 * reason and a message) maps to a close frame, and back.
 *
 * @module
 */

import { ProtocolError } from "../protocol/errors.ts";
import { decodePacket, encodePacket } from "../protocol/packet.ts";
import { PacketKind } from "../protocol/types.ts";

/** WebSocket close codes (RFC 6455 section 7.4.1). */
export const WsCloseCode = {
  /** A normal goodbye. */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** The peer broke the protocol. */
  ProtocolError: 1002,
  /** The peer sent a kind of message this endpoint does not take (text). */
  UnsupportedData: 1003,
  /** A text message or close reason was not valid UTF-8. */
  InvalidData: 1007,
  /** The peer broke a rule (a limit, a reserved event). */
  PolicyViolation: 1008,
  /** A message was over the size limit. */
  MessageTooBig: 1009,
  /** The server is full; try again later. */
  TryAgainLater: 1013,
} as const;

/** The close code for each disconnect reason the core sends; others get 1008. */
const codeOfReason: Record<string, number> = {
  "client-close": WsCloseCode.Normal,
  "kicked": WsCloseCode.Normal,
  "namespace-leave": WsCloseCode.Normal,
  "server-shutdown": WsCloseCode.GoingAway,
  "ping-timeout": WsCloseCode.GoingAway,
  "frame-too-large": WsCloseCode.MessageTooBig,
  "protocol-error": WsCloseCode.ProtocolError,
  "invalid-packet": WsCloseCode.ProtocolError,
  "unknown-schema": WsCloseCode.ProtocolError,
  "too-many-connections": WsCloseCode.TryAgainLater,
  "too-many-connections-per-address": WsCloseCode.TryAgainLater,
};

/** A close frame's reason holds at most 123 bytes of UTF-8. */
const MAX_REASON_BYTES = 123;

/**
 * The close code for a disconnect reason.
 *
 * @param reason A disconnect reason.
 * @returns 1000, 1001, 1002, 1009, 1013, or 1008 for any other reason.
 */
export function closeCodeOf(reason: string): number {
  return codeOfReason[reason] ?? WsCloseCode.PolicyViolation;
}

/**
 * `"<reason>: <message>"`, cut to the 123 UTF-8 bytes a close frame holds.
 *
 * @param reason A disconnect reason.
 * @param message Detail for people.
 * @returns The close frame's reason text.
 */
export function closeReason(reason: string, message: string): string {
  let text = (message ? `${reason}: ${message}` : reason).slice(0, MAX_REASON_BYTES);
  const encoder = new TextEncoder();
  while (encoder.encode(text).length > MAX_REASON_BYTES) text = text.slice(0, -1);
  return text;
}

/**
 * The error for a message over the limit.
 *
 * @param length The message's length (0 when only the runtime knows it).
 * @param max The limit.
 * @returns A `ProtocolError` with code `ERR_FRAME_TOO_LARGE`.
 */
export function tooLarge(length: number, max: number): ProtocolError {
  const size = length > max ? `a ${length}-byte message` : "a message";
  return new ProtocolError(
    "ERR_FRAME_TOO_LARGE",
    `Cannot accept ${size}: maxFrameSize is ${max} bytes`,
  );
}

/**
 * The reason and message of a frame when it is a goodbye to the whole
 * connection (a disconnect packet for namespace -1).
 *
 * @param frame Any frame.
 * @returns The goodbye, or undefined.
 */
export function goodbyeOf(frame: Uint8Array): { reason: string; message: string } | undefined {
  if (frame[0] !== PacketKind.Disconnect) return undefined;
  try {
    const packet = decodePacket(frame);
    if (packet.kind === PacketKind.Disconnect && packet.nsp === -1) return packet;
  } catch { /* not ours to judge */ }
  return undefined;
}

/**
 * A goodbye frame for a close the runtime made without one (ws and Bun refuse
 * an oversize message themselves): "<reason>: <message>" from a game-socket
 * peer, or 1009 as `frame-too-large`. Undefined for a normal or unknown close.
 *
 * @param code The close code received.
 * @param text The close reason received.
 * @returns An encoded disconnect packet, or undefined.
 */
export function goodbyeFromClose(code: number, text: string): Uint8Array | undefined {
  if (code < WsCloseCode.ProtocolError || code === 1005 || code === 1006) return undefined;
  const match = /^([a-z][a-z-]*): (.*)$/s.exec(text);
  let reason: string | undefined;
  let message = text;
  if (match && codeOfReason[match[1]!] === code) [reason, message] = [match[1], match[2]!];
  else if (code === WsCloseCode.MessageTooBig) reason = "frame-too-large";
  if (!reason) return undefined;
  return encodePacket({ kind: PacketKind.Disconnect, nsp: -1, reason, message });
}
