/**
 * A cursor over a complete frame, with a typed read method per field type.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { DEFAULT_MAX_LENGTH, TAU } from "./field_types.ts";
import { decodeUtf8 } from "./utf8.ts";
import { readVarint, type VarintRead } from "./varint.ts";

const EMPTY = new Uint8Array(0);
const RADIANS_STEP = TAU / 65536;

// Floats are assembled in a scratch buffer in the host's byte order: on V8,
// `bytes.buffer` and `new DataView()` cost ~25 ns each for small arrays,
// more than the whole decode of a small message.
const scratch = new Uint8Array(8);
const f32 = new Float32Array(scratch.buffer, 0, 1);
const f64 = new Float64Array(scratch.buffer, 0, 1);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A plain `Uint8Array` view of `bytes[p, p + n)`, whatever subclass `bytes` is:
 * transports may hand over a runtime's `Buffer` (whose `slice()` is a view, not
 * a copy), and what a decoder gives users must copy with `slice()` as usual.
 */
function view(bytes: Uint8Array, p: number, n: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + p, n);
}

/**
 * Reads typed values, big-endian, from bytes that are known to be complete
 * (one frame, or one schema body). Running out of bytes is therefore an error
 * (`ProtocolError` `ERR_TRUNCATED`), never "wait for more": only the frame
 * splitter waits.
 *
 * A reader can be reused with {@linkcode ByteReader.reset}; it allocates
 * nothing but the views and strings it returns.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./reader.ts";
 * const r = new ByteReader(new Uint8Array([0x00, 0x07, 0x02, 0x68, 0x69]));
 * console.log(r.uint16(), r.string()); // 7 "hi"
 * r.expectEnd();
 * ```
 */
export class ByteReader {
  #bytes: Uint8Array = EMPTY;
  #pos = 0;
  #end = 0;
  readonly #varint: VarintRead = { value: 0, end: 0 };

  /** Create a reader over `bytes`. @param bytes The bytes to read (not copied). */
  constructor(bytes: Uint8Array = EMPTY) {
    this.reset(bytes);
  }

  /**
   * Start reading other bytes.
   *
   * @param bytes The bytes to read (not copied).
   * @param start Offset of the first byte to read.
   * @returns This reader.
   */
  reset(bytes: Uint8Array, start = 0): this {
    this.#bytes = bytes;
    this.#pos = start;
    this.#end = bytes.length;
    return this;
  }

  /** Offset of the next byte to read. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** Advance by `n` bytes; returns the old position. */
  #take(n: number, what: string): number {
    const p = this.#pos;
    if (p + n > this.#end) throw truncated(what, n, this.#end - p);
    this.#pos = p + n;
    return p;
  }

  /** Big-endian 32-bit two's complement at `p`. */
  #int32(p: number): number {
    const b = this.#bytes;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  /** Copy `n` big-endian bytes at `p` into the scratch buffer in host order. */
  #toScratch(p: number, n: number): void {
    const b = this.#bytes;
    if (!LITTLE_ENDIAN) scratch.set(b.subarray(p, p + n));
    else if (n === 4) {
      scratch[0] = b[p + 3]!;
      scratch[1] = b[p + 2]!;
      scratch[2] = b[p + 1]!;
      scratch[3] = b[p]!;
    } else for (let i = 0; i < 8; i++) scratch[i] = b[p + 7 - i]!;
  }

  /** Read a uint8. @returns An integer in 0..255. */
  uint8(): number {
    return this.#bytes[this.#take(1, "uint8")]!;
  }

  /** Read an int8. @returns An integer in -128..127. */
  int8(): number {
    return (this.#bytes[this.#take(1, "int8")]! << 24) >> 24;
  }

  /** Read a big-endian uint16. @returns An integer in 0..65535. */
  uint16(): number {
    const p = this.#take(2, "uint16");
    const b = this.#bytes;
    return (b[p]! << 8) | b[p + 1]!;
  }

  /** Read a big-endian int16. @returns An integer in -32768..32767. */
  int16(): number {
    const p = this.#take(2, "int16");
    const b = this.#bytes;
    return ((b[p]! << 24) >> 16) | b[p + 1]!;
  }

  /** Read a big-endian uint32. @returns An integer in 0..4294967295. */
  uint32(): number {
    return this.#int32(this.#take(4, "uint32")) >>> 0;
  }

  /** Read a big-endian int32. @returns An integer in -2147483648..2147483647. */
  int32(): number {
    return this.#int32(this.#take(4, "int32"));
  }

  /** Read a big-endian float32. @returns A float32 value (as a number). */
  float32(): number {
    this.#toScratch(this.#take(4, "float32"), 4);
    return f32[0]!;
  }

  /** Read a big-endian float64. @returns A float64 value. */
  float64(): number {
    this.#toScratch(this.#take(8, "float64"), 8);
    return f64[0]!;
  }

  /**
   * Read an unsigned varint.
   *
   * @returns An integer in 0..2^53-1.
   * @throws {ProtocolError} `ERR_BAD_VARINT` for an over-long, non-minimal or too large varint.
   */
  uvarint(): number {
    const p = this.#pos;
    if (p < this.#end) {
      const b = this.#bytes[p]!;
      if (b < 0x80) {
        this.#pos = p + 1;
        return b;
      }
    }
    const v = readVarint(this.#bytes, p, this.#varint);
    if (v.end === -1) {
      throw new ProtocolError("ERR_TRUNCATED", "Cannot decode varint: the bytes end inside it");
    }
    this.#pos = v.end;
    return v.value;
  }

  /** Read a signed (zigzag) varint. @returns A zigzag-decoded signed integer. */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Read a `single`. @returns A number in 0..1 (byte / 255). */
  single(): number {
    return this.#bytes[this.#take(1, "single")]! / 255;
  }

  /** Read a `radians` angle. @returns An angle in [0, 2π). */
  radians(): number {
    const p = this.#take(2, "radians");
    const b = this.#bytes;
    return ((b[p]! << 8) | b[p + 1]!) * RADIANS_STEP;
  }

  /**
   * Read a string.
   *
   * @param maxLength Most UTF-8 bytes accepted; {@linkcode DEFAULT_MAX_LENGTH} by default.
   * @returns Text read as a uvarint byte length and UTF-8 bytes.
   * @throws {ProtocolError} `ERR_STRING_TOO_LONG` (checked before decoding), `ERR_BAD_UTF8`.
   */
  string(maxLength: number = DEFAULT_MAX_LENGTH): string {
    const n = this.uvarint();
    if (n > maxLength) {
      throw new ProtocolError(
        "ERR_STRING_TOO_LONG",
        `Cannot decode string: length ${n} exceeds maxLength ${maxLength}`,
      );
    }
    const p = this.#take(n, "string");
    return decodeUtf8(this.#bytes.subarray(p, p + n));
  }

  /**
   * Read length-prefixed bytes.
   *
   * @param maxLength Most bytes accepted; {@linkcode DEFAULT_MAX_LENGTH} by default.
   * @returns Bytes read as a uvarint length and the bytes: a **view** into the input.
   * @throws {ProtocolError} `ERR_BYTES_TOO_LONG` (checked before reading).
   */
  bytes(maxLength: number = DEFAULT_MAX_LENGTH): Uint8Array {
    const n = this.uvarint();
    if (n > maxLength) {
      throw new ProtocolError(
        "ERR_BYTES_TOO_LONG",
        `Cannot decode bytes: length ${n} exceeds maxLength ${maxLength}`,
      );
    }
    const p = this.#take(n, "bytes");
    return view(this.#bytes, p, n);
  }

  /**
   * Read `n` bytes.
   *
   * @param n How many bytes.
   * @returns The next `n` bytes, as a **view** into the input.
   */
  raw(n: number): Uint8Array {
    const p = this.#take(n, "bytes");
    return view(this.#bytes, p, n);
  }

  /**
   * Read everything that is left.
   *
   * @returns Every byte left, as a **view** into the input; the reader is then at the end.
   */
  rest(): Uint8Array {
    const p = this.#pos;
    this.#pos = this.#end;
    return view(this.#bytes, p, this.#end - p);
  }

  /**
   * Check that every byte was read.
   *
   * @param what What was being decoded, for the error message.
   * @throws {ProtocolError} `ERR_TRAILING_BYTES` when bytes are left.
   */
  expectEnd(what = "frame"): void {
    if (this.#pos !== this.#end) {
      throw new ProtocolError(
        "ERR_TRAILING_BYTES",
        `Cannot decode ${what}: ${this.#end - this.#pos} unexpected bytes after the end`,
      );
    }
  }
}

function truncated(what: string, n: number, left: number): ProtocolError {
  return new ProtocolError(
    "ERR_TRUNCATED",
    `Cannot decode ${what}: needs ${n} bytes, ${left} left`,
  );
}
