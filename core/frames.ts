/**
 * Encoding a packet into the frame the session sends: one pass through a
 * reused writer, then one copy (see `protocol/slab.ts` for why small frames
 * are slab views), instead of a body array, a packet object and a frame array.
 *
 * @module
 */

import { encodeMessageInto, encodePacket, encodePacketInto } from "../protocol/packet.ts";
import type { Schema } from "../protocol/schema.ts";
import { copyToSlab } from "../protocol/slab.ts";
import { type Packet, PacketKind } from "../protocol/types.ts";
import { ByteWriter } from "../protocol/writer.ts";

/** The shared writer; null while in use (a getter in a payload may encode another frame). */
let shared: ByteWriter | null = new ByteWriter();

/**
 * Encode a packet into a frame that is never changed afterwards.
 *
 * @param packet The packet.
 * @returns The frame (a slab view when small).
 * @throws {RangeError} A number out of range or a string over its limit.
 * @throws {TypeError} A field of the wrong type.
 */
export function packetFrame(packet: Packet): Uint8Array {
  const w = shared;
  if (w === null) return encodePacket(packet);
  shared = null;
  try {
    encodePacketInto(w.reset(), packet);
    return copyToSlab(w.finish());
  } finally {
    shared = w;
  }
}

/**
 * Encode a typed message for namespace `nsp` straight into its frame (no body array).
 *
 * @param nsp Namespace id.
 * @param schema The message's schema.
 * @param value The message.
 * @returns The frame (a slab view when small).
 * @throws {RangeError} A value out of its field's range; {@linkcode TypeError} a missing field.
 */
export function messageFrame<T>(nsp: number, schema: Schema<T>, value: T): Uint8Array {
  const w = shared;
  if (w === null) {
    return encodePacket({
      kind: PacketKind.Message,
      nsp,
      code: schema.code,
      body: schema.encode(value),
    });
  }
  shared = null;
  try {
    encodeMessageInto(w.reset(), nsp, schema, value);
    return copyToSlab(w.finish());
  } finally {
    shared = w;
  }
}
