/**
 * Unsigned LEB128 varints up to 2^53 - 1 and zigzag for signed values.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

/** Most bytes a varint may take (enough for 2^53 - 1). */
export const MAX_VARINT_BYTES = 8;

/**
 * Number of bytes `value` takes as a varint.
 *
 * @param value A non-negative safe integer.
 * @returns 1 to 8.
 */
export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/**
 * Write `value` as a varint at `offset`.
 *
 * @param target Where to write; must have room ({@linkcode varintLength}).
 * @param offset First byte to write.
 * @param value A non-negative safe integer (checked by the caller).
 * @returns The offset after the varint.
 */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    target[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

/** Result of {@linkcode readVarint}: the value and the offset after it, or -1 when more bytes are needed. */
export interface VarintRead {
  /** The decoded value. */
  value: number;
  /** Offset after the varint, or -1 when the bytes end inside it. */
  end: number;
}

/**
 * Read a varint at `offset`. Returns `end: -1` when the bytes end first, so a
 * stream splitter can wait for more; throws when the varint is longer than
 * {@linkcode MAX_VARINT_BYTES} or above 2^53 - 1.
 *
 * @param source Bytes to read.
 * @param offset First byte of the varint.
 * @param out Reused result object (avoids an allocation per read).
 * @returns `out`.
 */
export function readVarint(source: Uint8Array, offset: number, out: VarintRead): VarintRead {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (offset + i >= source.length) {
      out.end = -1;
      return out;
    }
    const byte = source[offset + i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (i > 0 && byte === 0) {
        throw new ProtocolError(
          "ERR_BAD_VARINT",
          "Cannot decode varint: it has a redundant zero byte",
        );
      }
      if (value > Number.MAX_SAFE_INTEGER) {
        throw new ProtocolError("ERR_BAD_VARINT", "Cannot decode varint: it is above 2^53 - 1");
      }
      out.value = value;
      out.end = offset + i + 1;
      return out;
    }
    scale *= 128;
  }
  throw new ProtocolError(
    "ERR_BAD_VARINT",
    `Cannot decode varint: it is longer than ${MAX_VARINT_BYTES} bytes`,
  );
}

/**
 * Zigzag-encode a signed safe integer (0, -1, 1, -2 ... become 0, 1, 2, 3 ...).
 *
 * @param value A safe integer.
 * @returns A non-negative safe integer.
 */
export function zigzagEncode(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/**
 * Undo {@linkcode zigzagEncode}.
 *
 * @param value A non-negative integer.
 * @returns The signed value.
 */
export function zigzagDecode(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}
