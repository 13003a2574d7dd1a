/**
 * UTF-8 encoding and strict decoding.
 *
 * Very short strings (event names, ids) are encoded and decoded by hand,
 * which is 2-4x faster than the platform codecs below about a dozen
 * characters (their call costs 40-60 ns); longer ones go through
 * `TextEncoder`/`TextDecoder`. Both paths give the same bytes.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

const encoder = new TextEncoder();
// ignoreBOM: keep a leading U+FEFF as a character, so strings round-trip exactly.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Strings up to this many UTF-16 code units (or bytes) are encoded (decoded) by hand. */
const SHORT_STRING = 12;

/**
 * Number of bytes `text` takes in UTF-8. A lone surrogate counts as U+FFFD
 * (3 bytes), as `TextEncoder` writes it.
 *
 * @param text Any string.
 * @returns The UTF-8 byte length.
 */
export function utf8Length(text: string): number {
  const n = text.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && isLow(text.charCodeAt(i + 1))) {
      bytes += 2; // 4 bytes for 2 code units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Write `text` as UTF-8 at `offset`. Lone surrogates become U+FFFD, as with
 * `TextEncoder`.
 *
 * @param text Any string.
 * @param target Where to write; must have {@linkcode utf8Length} bytes (at most
 * 3 × `text.length`) free at `offset`.
 * @param offset First byte to write.
 * @returns The offset after the text.
 */
export function encodeUtf8Into(text: string, target: Uint8Array, offset: number): number {
  const n = text.length;
  if (n > SHORT_STRING) return offset + encoder.encodeInto(text, target.subarray(offset)).written;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      target[offset++] = c;
    } else if (c < 0x800) {
      target[offset++] = 0xc0 | (c >> 6);
      target[offset++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && isLow(next)) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        target[offset++] = 0xf0 | (c >> 18);
        target[offset++] = 0x80 | ((c >> 12) & 0x3f);
        target[offset++] = 0x80 | ((c >> 6) & 0x3f);
        target[offset++] = 0x80 | (c & 0x3f);
      } else {
        target[offset++] = 0xef; // U+FFFD
        target[offset++] = 0xbf;
        target[offset++] = 0xbd;
      }
    } else {
      target[offset++] = 0xe0 | (c >> 12);
      target[offset++] = 0x80 | ((c >> 6) & 0x3f);
      target[offset++] = 0x80 | (c & 0x3f);
    }
  }
  return offset;
}

/**
 * Encode `text` as UTF-8 into a new array.
 *
 * @param text Any string (lone surrogates become U+FFFD).
 * @returns The UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { encodeUtf8 } from "./utf8.ts";
 * console.log(encodeUtf8("é")); // Uint8Array [0xc3, 0xa9]
 * ```
 */
export function encodeUtf8(text: string): Uint8Array {
  if (text.length > SHORT_STRING) return encoder.encode(text);
  const out = new Uint8Array(utf8Length(text));
  encodeUtf8Into(text, out, 0);
  return out;
}

/**
 * Decode UTF-8 strictly: any invalid sequence (overlong form, surrogate,
 * truncated character, stray continuation byte) is an error, never U+FFFD.
 * A leading byte order mark is kept as U+FEFF.
 *
 * @param bytes UTF-8 bytes.
 * @returns The text.
 * @throws {ProtocolError} `ERR_BAD_UTF8` when the bytes are not valid UTF-8.
 *
 * @example
 * ```ts
 * import { decodeUtf8 } from "./utf8.ts";
 * console.log(decodeUtf8(new Uint8Array([0x68, 0x69]))); // "hi"
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= SHORT_STRING) {
    let text = "";
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) {
        text = "";
        break;
      }
      text += String.fromCharCode(b);
      if (i === n - 1) return text;
    }
    if (n === 0) return "";
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new ProtocolError("ERR_BAD_UTF8", `Cannot decode string: ${n} bytes are not valid UTF-8`);
  }
}
