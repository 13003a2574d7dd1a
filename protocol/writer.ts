/**
 * A growable, reusable byte buffer with a typed write method per field type.
 *
 * @module
 */

import { DEFAULT_MAX_LENGTH, MAX_VARINT, MIN_VARINT, TAU } from "./field_types.ts";
import {
  FLOAT32_MAX,
  float32Check,
  intError,
  radiansError,
  singleError,
  stringError,
  typeError,
} from "./encode_errors.ts";
import { encodeUtf8Into, utf8Length } from "./utf8.ts";
import { varintLength, writeVarint } from "./varint.ts";

const RADIANS_SCALE = 65536 / TAU;

/**
 * Writes typed values, big-endian, into one growable buffer that is reused
 * across messages: call {@linkcode ByteWriter.reset} before each message.
 *
 * Every write checks its value and throws instead of wrapping or truncating:
 * `RangeError` for an out-of-range number or an over-long string or byte
 * array, `TypeError` for a value of the wrong JavaScript type. A failed write
 * writes nothing.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./writer.ts";
 * const w = new ByteWriter();
 * w.uint16(7);
 * w.string("hi");
 * console.log(w.finish()); // Uint8Array [0x00, 0x07, 0x02, 0x68, 0x69]
 * ```
 */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;

  /**
   * Create a writer.
   *
   * @param initialCapacity Bytes to allocate up front; the buffer doubles when full.
   */
  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Bytes written since the last {@linkcode ByteWriter.reset}. */
  get length(): number {
    return this.#pos;
  }

  /** Forget what was written; the buffer is kept for the next message. @returns This writer. */
  reset(): this {
    this.#pos = 0;
    return this;
  }

  /**
   * Drop the bytes written after `length` (to undo a partly written message).
   *
   * @param length A length this writer had earlier (0..{@linkcode ByteWriter.length}).
   */
  truncate(length: number): void {
    if (length >= 0 && length <= this.#pos) this.#pos = length;
  }

  /**
   * The bytes written so far, as a **view** into the writer's buffer (no copy).
   * It is valid until the next write or {@linkcode ByteWriter.reset}; use
   * {@linkcode ByteWriter.toBytes} for a copy you can keep.
   *
   * @returns A view of the written bytes.
   */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  /** The bytes written so far, as a **copy** the caller owns. @returns A new array. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#pos);
  }

  /** Make room for `n` more bytes; returns the write position. */
  #room(n: number): number {
    const p = this.#pos;
    if (p + n > this.#buf.length) this.#grow(p + n);
    return p;
  }

  #grow(size: number): void {
    let cap = this.#buf.length * 2;
    while (cap < size) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Write a uint8 (1 byte). @param value An integer in 0..255. */
  uint8(value: number): void {
    if ((value & 0xff) !== value) throw intError("uint8", value, "0..255");
    const p = this.#room(1);
    this.#buf[p] = value;
    this.#pos = p + 1;
  }

  /** Write an int8 (1 byte, two's complement). @param value An integer in -128..127. */
  int8(value: number): void {
    if (((value << 24) >> 24) !== value) throw intError("int8", value, "-128..127");
    const p = this.#room(1);
    this.#buf[p] = value;
    this.#pos = p + 1;
  }

  /** Write a uint16 (2 bytes, big-endian). @param value An integer in 0..65535. */
  uint16(value: number): void {
    if ((value & 0xffff) !== value) throw intError("uint16", value, "0..65535");
    const p = this.#room(2);
    this.#view.setUint16(p, value, false);
    this.#pos = p + 2;
  }

  /** Write an int16 (2 bytes, big-endian). @param value An integer in -32768..32767. */
  int16(value: number): void {
    if (((value << 16) >> 16) !== value) throw intError("int16", value, "-32768..32767");
    const p = this.#room(2);
    this.#view.setInt16(p, value, false);
    this.#pos = p + 2;
  }

  /** Write a uint32 (4 bytes, big-endian). @param value An integer in 0..4294967295. */
  uint32(value: number): void {
    if (value >>> 0 !== value) throw intError("uint32", value, "0..4294967295");
    const p = this.#room(4);
    this.#view.setUint32(p, value, false);
    this.#pos = p + 4;
  }

  /** Write an int32 (4 bytes, big-endian). @param value An integer in -2147483648..2147483647. */
  int32(value: number): void {
    if ((value | 0) !== value) throw intError("int32", value, "-2147483648..2147483647");
    const p = this.#room(4);
    this.#view.setInt32(p, value, false);
    this.#pos = p + 4;
  }

  /**
   * Write a float32 (4 bytes, big-endian).
   *
   * @param value Any number whose magnitude fits a float32 (NaN and ±Infinity are allowed).
   */
  float32(value: number): void {
    if (typeof value !== "number" || Math.abs(value) > FLOAT32_MAX) float32Check(value);
    const p = this.#room(4);
    this.#view.setFloat32(p, value, false);
    this.#pos = p + 4;
  }

  /**
   * Write a float64 (8 bytes, big-endian).
   *
   * @param value Any number (NaN and ±Infinity are allowed).
   */
  float64(value: number): void {
    if (typeof value !== "number") throw typeError("float64", "a number", value);
    const p = this.#room(8);
    this.#view.setFloat64(p, value, false);
    this.#pos = p + 8;
  }

  /**
   * Write a signed varint.
   *
   * @param value An integer in -2^52..2^52-1, written zigzag then LEB128 (1 to 8 bytes).
   */
  varint(value: number): void {
    if (!(Number.isInteger(value) && value >= MIN_VARINT && value <= MAX_VARINT)) {
      throw intError("varint", value, "-2^52..2^52-1");
    }
    this.#uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /**
   * Write an unsigned varint.
   *
   * @param value An integer in 0..2^53-1, written LEB128 (1 to 8 bytes).
   */
  uvarint(value: number): void {
    if ((value & 0x7f) === value) {
      const p = this.#room(1);
      this.#buf[p] = value;
      this.#pos = p + 1;
      return;
    }
    if (!(Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER)) {
      throw intError("uvarint", value, "0..2^53-1");
    }
    this.#uvarint(value);
  }

  #uvarint(value: number): void {
    const p = this.#room(varintLength(value));
    this.#pos = writeVarint(this.#buf, p, value);
  }

  /** A number in 0..1 in one byte: round(value * 255). @param value A number in 0..1. */
  single(value: number): void {
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw singleError(value);
    const p = this.#room(1);
    this.#buf[p] = Math.round(value * 255);
    this.#pos = p + 1;
  }

  /**
   * An angle in two bytes: normalised to [0, 2π), then round(a / 2π * 65536) mod 65536.
   *
   * @param value A finite angle in radians (any sign, any number of turns).
   */
  radians(value: number): void {
    if (typeof value !== "number" || !Number.isFinite(value)) throw radiansError(value);
    let a = value;
    if (a < 0 || a >= TAU) {
      a %= TAU;
      if (a < 0) a += TAU;
    }
    const p = this.#room(2);
    this.#view.setUint16(p, Math.round(a * RADIANS_SCALE) & 0xffff, false);
    this.#pos = p + 2;
  }

  /**
   * UTF-8 text with a uvarint byte-length prefix. Lone surrogates become U+FFFD.
   *
   * @param value The text.
   * @param maxLength Most UTF-8 bytes allowed; {@linkcode DEFAULT_MAX_LENGTH} by default.
   */
  string(value: string, maxLength: number = DEFAULT_MAX_LENGTH): void {
    if (typeof value !== "string") throw typeError("string", "a string", value);
    const units = value.length;
    if (units > maxLength) throw stringError(value, maxLength);
    if (units > 4096) {
      // Big strings: count first rather than reserve 3 bytes per code unit.
      const n = utf8Length(value);
      if (n > maxLength) throw stringError(value, maxLength);
      const start = this.#room(varintLength(n) + n);
      const p = writeVarint(this.#buf, start, n);
      this.#pos = encodeUtf8Into(value, this.#buf, p);
      return;
    }
    // Encode after a prefix sized for the worst case (3 bytes per code unit),
    // then move the text back if the real length needs a shorter prefix.
    const guess = varintLength(units * 3);
    const p = this.#room(guess + units * 3);
    const end = encodeUtf8Into(value, this.#buf, p + guess);
    const n = end - p - guess;
    if (n > maxLength) throw stringError(value, maxLength);
    const prefix = varintLength(n);
    if (prefix !== guess) this.#buf.copyWithin(p + prefix, p + guess, end);
    writeVarint(this.#buf, p, n);
    this.#pos = p + prefix + n;
  }

  /**
   * Bytes with a uvarint length prefix.
   *
   * @param value The bytes.
   * @param maxLength Most bytes allowed; {@linkcode DEFAULT_MAX_LENGTH} by default.
   */
  bytes(value: Uint8Array, maxLength: number = DEFAULT_MAX_LENGTH): void {
    if (!(value instanceof Uint8Array)) throw typeError("bytes", "a Uint8Array", value);
    const n = value.length;
    if (n > maxLength) {
      throw new RangeError(`Cannot encode bytes: ${n} bytes exceed maxLength ${maxLength}`);
    }
    let p = this.#room(varintLength(n) + n);
    p = writeVarint(this.#buf, p, n);
    this.#buf.set(value, p);
    this.#pos = p + n;
  }

  /** Append bytes. @param value Bytes to append as they are, with no length prefix. */
  raw(value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw typeError("raw bytes", "a Uint8Array", value);
    const p = this.#room(value.length);
    this.#buf.set(value, p);
    this.#pos = p + value.length;
  }

  /** Append text. @param value Text to append as UTF-8, with no length prefix. */
  utf8(value: string): void {
    if (typeof value !== "string") throw typeError("text", "a string", value);
    const n = value.length > 4096 ? utf8Length(value) : value.length * 3;
    const p = this.#room(n);
    this.#pos = encodeUtf8Into(value, this.#buf, p);
  }

  /**
   * Start a length-prefixed frame (see `frame.ts`): reserves one byte for the
   * length. Write the frame's bytes, then call {@linkcode ByteWriter.endFrame}.
   *
   * @returns A mark to pass to `endFrame`.
   */
  beginFrame(): number {
    const p = this.#room(1);
    this.#pos = p + 1;
    return p;
  }

  /**
   * Finish a frame begun at `mark`: writes its varint length (moving the body
   * when the length needs more than one byte).
   *
   * @param mark What {@linkcode ByteWriter.beginFrame} returned.
   */
  endFrame(mark: number): void {
    const length = this.#pos - mark - 1;
    if (length < 0x80) {
      this.#buf[mark] = length;
      return;
    }
    const extra = varintLength(length) - 1;
    this.#room(extra);
    this.#buf.copyWithin(mark + 1 + extra, mark + 1, this.#pos);
    writeVarint(this.#buf, mark, length);
    this.#pos += extra;
  }
}
