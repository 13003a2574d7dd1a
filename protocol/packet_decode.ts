/**
 * Packet decoding: the bytes of one frame to a {@linkcode Packet} object.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { readPayload } from "./payload.ts";
import { ByteReader } from "./reader.ts";
import { COMPACT_MESSAGE, type Packet, PacketKind, type RoomOpValue } from "./types.ts";

// Decoding runs no user code (JSON.parse has no reviver), so one reader serves every call.
const reader = new ByteReader();

/**
 * Decode one frame into a packet. Fields that carry bytes (`body`, `data`,
 * bytes payloads, `udpToken`) are **views** into `frame`: copy them to keep
 * them after the frame's buffer is reused.
 *
 * @param frame The bytes of exactly one frame (no length prefix).
 * @returns The packet.
 * @throws {ProtocolError} Only `ProtocolError`: `ERR_UNKNOWN_PACKET`, `ERR_TRUNCATED`,
 * `ERR_TRAILING_BYTES`, `ERR_BAD_UTF8`, `ERR_BAD_JSON`, `ERR_BAD_PAYLOAD`, `ERR_BAD_VALUE`,
 * `ERR_BAD_VARINT`, `ERR_STRING_TOO_LONG`, `ERR_BYTES_TOO_LONG`.
 *
 * @example
 * ```ts
 * import { decodePacket } from "./packet_decode.ts";
 * console.log(decodePacket(new Uint8Array([0x0e, 0x03]))); // { kind: 14, count: 3 }
 * ```
 */
export function decodePacket(frame: Uint8Array): Packet {
  const r = reader.reset(frame);
  const kind = r.uint8();
  if (kind >= COMPACT_MESSAGE) {
    return { kind: PacketKind.Message, nsp: (kind >> 5) & 3, code: kind & 31, body: r.rest() };
  }
  let p: Packet;
  switch (kind) {
    case PacketKind.Hello:
      p = { kind, version: r.uvarint(), resumeToken: r.string(), received: r.uvarint() };
      break;
    case PacketKind.Welcome:
      p = {
        kind,
        sid: r.string(),
        pingInterval: r.uvarint(),
        pingTimeout: r.uvarint(),
        limits: {
          maxFrameSize: r.uvarint(),
          maxEventNameLength: r.uvarint(),
          maxNamespacesPerSocket: r.uvarint(),
          maxRoomsPerSocket: r.uvarint(),
          maxPendingAcks: r.uvarint(),
          maxMessagesPerSecond: r.uvarint(),
          maxBytesPerSecond: r.uvarint(),
        },
        resumeToken: r.string(),
        resumed: flag(r.uint8()),
        received: r.uvarint(),
        udpToken: r.bytes(),
        udpPort: atMost(r.uvarint(), 0xffff, "udpPort"),
      };
      break;
    case PacketKind.Connect:
      p = { kind, name: r.string(), auth: readPayload(r) };
      break;
    case PacketKind.ConnectOk:
      p = { kind, name: r.string(), nsp: r.uvarint() };
      break;
    case PacketKind.ConnectError:
      p = { kind, name: r.string(), code: r.string(), message: r.string() };
      break;
    case PacketKind.Disconnect:
      p = { kind, nsp: r.uvarint() - 1, reason: r.string(), message: r.string() };
      break;
    case PacketKind.Event:
      p = { kind, nsp: r.uvarint(), name: r.string(), ackId: r.uvarint(), payload: readPayload(r) };
      break;
    case PacketKind.Ack:
      p = { kind, nsp: r.uvarint(), ackId: r.uvarint(), payload: readPayload(r) };
      break;
    case PacketKind.Ping:
    case PacketKind.Pong:
      p = { kind, time: r.float64() };
      break;
    case PacketKind.Room:
      p = {
        kind,
        nsp: r.uvarint(),
        op: roomOp(r.uint8()),
        reqId: r.uvarint(),
        room: r.string(),
        reason: r.string(),
      };
      break;
    case PacketKind.Message:
      p = { kind, nsp: r.uvarint(), code: atMost(r.uvarint(), 0xffff, "code"), body: r.rest() };
      break;
    case PacketKind.Raw:
      p = { kind, nsp: r.uvarint(), data: r.rest() };
      break;
    case PacketKind.Received:
      p = { kind, count: r.uvarint() };
      break;
    default:
      throw new ProtocolError(
        "ERR_UNKNOWN_PACKET",
        `Cannot decode packet: unknown kind 0x${kind.toString(16).padStart(2, "0")}`,
      );
  }
  r.expectEnd("packet");
  return p;
}

function flag(byte: number): boolean {
  if (byte > 1) {
    throw new ProtocolError("ERR_BAD_VALUE", `Cannot decode flag: ${byte} is not 0 or 1`);
  }
  return byte === 1;
}

function atMost(value: number, max: number, field: string): number {
  if (value > max) {
    throw new ProtocolError("ERR_BAD_VALUE", `Cannot decode ${field}: ${value} is above ${max}`);
  }
  return value;
}

function roomOp(op: number): RoomOpValue {
  if (op < 1 || op > 5) {
    throw new ProtocolError("ERR_BAD_VALUE", `Cannot decode room packet: unknown op ${op}`);
  }
  return op as RoomOpValue;
}

/**
 * The namespace id of a typed message in compact form (the 60 Hz case), or -1
 * for any other frame: a receiver routes it, and decodes the body in place
 * from offset 1 with `schema.decode(frame, 1)`, without a packet object.
 *
 * @param frame A frame.
 * @returns Namespace id 0-3, or -1.
 *
 * @example
 * ```ts
 * import { compactMessageNsp } from "./packet_decode.ts";
 * console.log(compactMessageNsp(new Uint8Array([0xa3, 1, 2]))); // 1 (code 3)
 * ```
 */
export function compactMessageNsp(frame: Uint8Array): number {
  const kind = frame[0] ?? 0;
  return kind >= COMPACT_MESSAGE ? (kind >> 5) & 3 : -1;
}
