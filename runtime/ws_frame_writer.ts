/**
 * The server's side of RFC 6455 framing, write side: final, unmasked frames
 * with a 2, 4 or 10-byte header (`ws_server_node.ts` writes a turn's
 * messages back to back into one buffer).
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Bytes of a server frame carrying `n` payload bytes.
 *
 * @param n Payload length.
 * @returns Header plus payload length.
 */
export function frameLength(n: number): number {
  return (n < 126 ? 2 : n < 0x10000 ? 4 : 10) + n;
}

/**
 * Write one final, unmasked frame at `pos`.
 *
 * @param out Where to write (room for `frameLength(payload.length)` bytes at `pos`).
 * @param pos Where the frame starts.
 * @param opcode The frame's opcode.
 * @param payload The payload.
 * @returns Where the next frame starts.
 */
export function writeFrame(
  out: Uint8Array,
  pos: number,
  opcode: number,
  payload: Uint8Array,
): number {
  const n = payload.length;
  out[pos++] = 0x80 | opcode;
  if (n < 126) out[pos++] = n;
  else if (n < 0x10000) {
    out[pos++] = 126;
    out[pos++] = n >>> 8;
    out[pos++] = n & 0xff;
  } else {
    out[pos++] = 127;
    const high = Math.floor(n / 0x1_0000_0000);
    for (let shift = 24; shift >= 0; shift -= 8) out[pos++] = (high >>> shift) & 0xff;
    for (let shift = 24; shift >= 0; shift -= 8) out[pos++] = (n >>> shift) & 0xff;
  }
  out.set(payload, pos);
  return pos + n;
}

/**
 * One control frame (close, ping or pong) in a buffer of its own.
 *
 * @param opcode The opcode.
 * @param payload At most 125 bytes.
 * @returns The frame.
 */
export function controlFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(frameLength(payload.length));
  writeFrame(out, 0, opcode, payload);
  return out;
}

/**
 * A close frame's payload: the code, then the reason's UTF-8 (the caller
 * keeps it within 123 bytes, see `closeReason`). 1005 means no code.
 *
 * @param code The close code.
 * @param reason The reason.
 * @returns The payload.
 */
export function closePayload(code: number, reason: string): Uint8Array {
  if (code === 1005) return new Uint8Array(0);
  const text = encoder.encode(reason).subarray(0, 123);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}
