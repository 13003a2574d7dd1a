/**
 * Packet codec: a {@linkcode Packet} object to the bytes of one frame and back.
 * Byte layouts are in `PROTOCOL.md`.
 *
 * @module
 */

import { writePayload } from "./payload.ts";
import type { Schema } from "./schema.ts";
import {
  COMPACT_MAX_CODE,
  COMPACT_MAX_NSP,
  COMPACT_MESSAGE,
  type Packet,
  PacketKind,
} from "./types.ts";
import { ByteWriter } from "./writer.ts";

export { compactMessageNsp, decodePacket } from "./packet_decode.ts";

let sharedWriter: ByteWriter | null = new ByteWriter();

/**
 * Encode a packet into one frame's bytes (without the stream length prefix;
 * see `encodeFrame`).
 *
 * @param packet The packet.
 * @returns A new array the caller owns.
 * @throws {RangeError} A number out of range or a string over its limit.
 * @throws {TypeError} A field of the wrong type, or an unknown kind.
 *
 * @example
 * ```ts
 * import { encodePacket } from "./packet.ts";
 * import { PacketKind } from "./types.ts";
 * console.log(encodePacket({ kind: PacketKind.Received, count: 3 })); // Uint8Array [0x0e, 0x03]
 * ```
 */
export function encodePacket(packet: Packet): Uint8Array {
  const w = sharedWriter ?? new ByteWriter(64);
  sharedWriter = null; // a toJSON() in a payload may encode another packet
  try {
    encodePacketInto(w.reset(), packet);
    return w.toBytes();
  } finally {
    sharedWriter = w;
  }
}

/**
 * Encode a packet with its stream length prefix (see `frame.ts`) into one new
 * array: the same bytes as `encodeFrame(encodePacket(packet))`, one
 * allocation instead of two.
 *
 * @param packet The packet.
 * @returns A new array the caller owns.
 * @throws {RangeError} A number out of range or a string over its limit.
 * @throws {TypeError} A field of the wrong type, or an unknown kind.
 */
export function encodePacketFrame(packet: Packet): Uint8Array {
  const w = sharedWriter ?? new ByteWriter(64);
  sharedWriter = null;
  try {
    const mark = w.reset().beginFrame();
    encodePacketInto(w, packet);
    w.endFrame(mark);
    return w.toBytes();
  } finally {
    sharedWriter = w;
  }
}

/**
 * Append a packet to a writer, e.g. one reused for every frame
 * (see {@linkcode ByteWriter.beginFrame}).
 *
 * @param w Where to write.
 * @param p The packet.
 * @throws {RangeError} A number out of range or a string over its limit.
 * @throws {TypeError} A field of the wrong type, or an unknown kind.
 */
export function encodePacketInto(w: ByteWriter, p: Packet): void {
  switch (p.kind) {
    case PacketKind.Hello:
      w.uint8(p.kind);
      uint(w, p.version, "version");
      str(w, p.resumeToken, "resumeToken");
      uint(w, p.received, "received");
      return;
    case PacketKind.Welcome: {
      const l = p.limits;
      w.uint8(p.kind);
      str(w, p.sid, "sid");
      uint(w, p.pingInterval, "pingInterval");
      uint(w, p.pingTimeout, "pingTimeout");
      uint(w, l.maxFrameSize, "limits.maxFrameSize");
      uint(w, l.maxEventNameLength, "limits.maxEventNameLength");
      uint(w, l.maxNamespacesPerSocket, "limits.maxNamespacesPerSocket");
      uint(w, l.maxRoomsPerSocket, "limits.maxRoomsPerSocket");
      uint(w, l.maxPendingAcks, "limits.maxPendingAcks");
      uint(w, l.maxMessagesPerSecond, "limits.maxMessagesPerSecond");
      uint(w, l.maxBytesPerSecond, "limits.maxBytesPerSecond");
      str(w, p.resumeToken, "resumeToken");
      if (typeof p.resumed !== "boolean") throw fieldType("resumed", "a boolean", p.resumed);
      w.uint8(p.resumed ? 1 : 0);
      uint(w, p.received, "received");
      w.bytes(p.udpToken);
      uint(w, p.udpPort, "udpPort", 0xffff);
      return;
    }
    case PacketKind.Connect:
      w.uint8(p.kind);
      str(w, p.name, "name");
      writePayload(w, p.auth);
      return;
    case PacketKind.ConnectOk:
      w.uint8(p.kind);
      str(w, p.name, "name");
      uint(w, p.nsp, "nsp");
      return;
    case PacketKind.ConnectError:
      w.uint8(p.kind);
      str(w, p.name, "name");
      str(w, p.code, "code");
      str(w, p.message, "message");
      return;
    case PacketKind.Disconnect:
      w.uint8(p.kind);
      if (p.nsp === -1) w.uint8(0);
      else uint(w, p.nsp, "nsp", Number.MAX_SAFE_INTEGER - 1, 1);
      str(w, p.reason, "reason");
      str(w, p.message, "message");
      return;
    case PacketKind.Event:
      w.uint8(p.kind);
      uint(w, p.nsp, "nsp");
      str(w, p.name, "name");
      uint(w, p.ackId, "ackId");
      writePayload(w, p.payload);
      return;
    case PacketKind.Ack:
      w.uint8(p.kind);
      uint(w, p.nsp, "nsp");
      uint(w, p.ackId, "ackId");
      writePayload(w, p.payload);
      return;
    case PacketKind.Ping:
    case PacketKind.Pong:
      w.uint8(p.kind);
      w.float64(p.time);
      return;
    case PacketKind.Room:
      w.uint8(p.kind);
      uint(w, p.nsp, "nsp");
      uint(w, p.op, "op", 5, 0, 1);
      uint(w, p.reqId, "reqId");
      str(w, p.room, "room");
      str(w, p.reason, "reason");
      return;
    case PacketKind.Message:
      messageHeader(w, p.nsp, p.code);
      w.raw(p.body);
      return;
    case PacketKind.Raw:
      w.uint8(p.kind);
      uint(w, p.nsp, "nsp");
      w.raw(p.data);
      return;
    case PacketKind.Received:
      w.uint8(p.kind);
      uint(w, p.count, "count");
      return;
    default:
      throw new TypeError(
        `Cannot encode packet: unknown kind ${
          (p as { kind: unknown }).kind
        }; use a PacketKind value`,
      );
  }
}

/**
 * Append a schema message for namespace `nsp`, encoding `value` straight into
 * the writer (no intermediate body array). The same bytes as
 * `encodePacket({ kind: PacketKind.Message, nsp, code: schema.code, body: schema.encode(value) })`.
 *
 * @param w Where to write.
 * @param nsp Namespace id.
 * @param schema The message's schema.
 * @param value The message.
 */
export function encodeMessageInto<T>(
  w: ByteWriter,
  nsp: number,
  schema: Schema<T>,
  value: T,
): void {
  messageHeader(w, nsp, schema.code);
  schema.encodeInto(w, value);
}

function messageHeader(w: ByteWriter, nsp: number, code: number): void {
  if ((nsp & COMPACT_MAX_NSP) === nsp && (code & COMPACT_MAX_CODE) === code) {
    w.uint8(COMPACT_MESSAGE | (nsp << 5) | code);
    return;
  }
  w.uint8(PacketKind.Message);
  uint(w, nsp, "nsp");
  uint(w, code, "code", 0xffff);
}

/** Write `value + add` as a uvarint after checking `value` is an integer in min..max. */
function uint(
  w: ByteWriter,
  value: number,
  field: string,
  max = Number.MAX_SAFE_INTEGER,
  add = 0,
  min = 0,
): void {
  if (!(typeof value === "number" && Number.isInteger(value) && value >= min && value <= max)) {
    if (typeof value !== "number") throw fieldType(field, "a number", value);
    throw new RangeError(
      `Cannot encode packet field ${field}: ${value} is not an integer in ${min}..${max}`,
    );
  }
  w.uvarint(value + add);
}

function str(w: ByteWriter, value: string, field: string): void {
  try {
    w.string(value);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new RangeError(`Cannot encode packet field ${field}: ${error.message}`, {
        cause: error,
      });
    }
    throw typeof value === "string" ? error : fieldType(field, "a string", value);
  }
}

function fieldType(field: string, expected: string, value: unknown): TypeError {
  return new TypeError(
    `Cannot encode packet field ${field}: expected ${expected}, got ${typeof value}`,
  );
}
