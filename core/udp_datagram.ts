/**
 * The byte layout of game-socket datagrams (protocol/PROTOCOL.md, "UDP
 * datagrams"). Every datagram starts with a kind byte and the session's
 * 32-bit tag (the first 4 bytes of its UDP token); fixed-width numbers are
 * big-endian, as everywhere in the protocol.
 *
 * ```
 * bind   d1 | token (16 bytes, the tag first)         client -> server
 * bound  d2 | tag                                     server -> client
 * data   d3 | tag | seq u32 | back uvarint | slots    both ways
 * ping   d4 | tag | time float64                      both ways
 * pong   d5 | tag | time float64 (the ping's)         both ways
 * slot = uvarint length | frame (one packet, as on a stream)
 * ```
 *
 * `seq` counts the sender's data datagrams from 1; `back` is how many
 * datagrams earlier the sender's event-loop turn began (`seq - back` is the
 * turn's first seq), so frames sent in one turn are one moment in time.
 *
 * @module
 */

/** Kind byte of a bind datagram (client to server: the token). */
export const DATAGRAM_BIND = 0xd1;
/** Kind byte of a bound datagram (server to client: the token was accepted). */
export const DATAGRAM_BOUND = 0xd2;
/** Kind byte of a data datagram (frames). */
export const DATAGRAM_DATA = 0xd3;
/** Kind byte of a UDP ping (the sender's clock). */
export const DATAGRAM_PING = 0xd4;
/** Kind byte of a UDP pong (the ping's clock, echoed). */
export const DATAGRAM_PONG = 0xd5;

/** Bytes of a UDP token. */
export const UDP_TOKEN_SIZE = 16;
/** Bytes of a bind datagram. */
export const BIND_SIZE = 17;
/** Bytes of a bound datagram. */
export const BOUND_SIZE = 5;
/** Bytes of a ping or pong datagram. */
export const PING_SIZE = 13;
/** Smallest data datagram: header with a one-byte `back`, and one slot of a one-byte frame. */
export const MIN_DATA_SIZE = 12;
/** Largest data header: kind, tag, seq and a `back` of up to 3 bytes. */
export const MAX_DATA_HEADER = 12;
/** Largest `back` accepted (more datagrams in one turn are sent as a new turn). */
export const MAX_BACK = 0x1fffff;

const f64 = new DataView(new ArrayBuffer(8));

/** Read a big-endian uint32 at `at` (the caller checked the length). */
export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>>
    0;
}

/** Write a big-endian uint32 at `at`. */
export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

/**
 * Read a uvarint of at most 3 bytes (the datagram's `back` and slot lengths).
 *
 * @returns The value, with its end offset in `end.at`; -1 when truncated or longer.
 */
export function readShortUvarint(bytes: Uint8Array, at: number, end: { at: number }): number {
  let value = 0;
  for (let i = 0; i < 3; i++) {
    if (at + i >= bytes.length) return -1;
    const b = bytes[at + i]!;
    value |= (b & 0x7f) << (7 * i);
    if (b < 0x80) {
      if (b === 0 && i > 0) return -1; // not minimal
      end.at = at + i + 1;
      return value;
    }
  }
  return -1;
}

/** Bytes of `value` as a uvarint (value < 2^21). */
export function shortUvarintLength(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : 3;
}

/** Write `value` (< 2^21) as a uvarint at `at`; returns the end offset. */
export function writeShortUvarint(bytes: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    bytes[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  bytes[at] = value;
  return at + 1;
}

/** `a - b` in 32-bit serial arithmetic: negative when `a` comes before `b`. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** The bind datagram carrying `token`. */
export function bindDatagram(token: Uint8Array): Uint8Array {
  const out = new Uint8Array(BIND_SIZE);
  out[0] = DATAGRAM_BIND;
  out.set(token, 1);
  return out;
}

/** The bound datagram for `tag`. */
export function boundDatagram(tag: number): Uint8Array {
  const out = new Uint8Array(BOUND_SIZE);
  out[0] = DATAGRAM_BOUND;
  writeU32(out, 1, tag);
  return out;
}

/** A ping or pong datagram. */
export function pingDatagram(kind: number, tag: number, time: number): Uint8Array {
  const out = new Uint8Array(PING_SIZE);
  out[0] = kind;
  writeU32(out, 1, tag);
  f64.setFloat64(0, time, false);
  for (let i = 0; i < 8; i++) out[5 + i] = f64.getUint8(i);
  return out;
}

/** The time of a ping or pong datagram (the caller checked the length). */
export function readPingTime(bytes: Uint8Array): number {
  for (let i = 0; i < 8; i++) f64.setUint8(i, bytes[5 + i]!);
  return f64.getFloat64(0, false);
}

/** The tag of a token: its first 4 bytes, big-endian. */
export function tagOf(token: Uint8Array): number {
  return readU32(token, 0);
}
