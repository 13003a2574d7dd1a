/**
 * Framing for stream transports: each frame is a varint length and the frame bytes.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { readVarint, varintLength, type VarintRead, writeVarint } from "./varint.ts";

/** Options of {@linkcode FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest frame accepted, in bytes; checked before the body is buffered. */
  maxFrameSize: number;
}

/**
 * Where lengths are read: shared by every decoder (each result is used before
 * any frame is delivered, so no call can overwrite one still needed).
 */
const scratch: VarintRead = { value: 0, end: 0 };

/**
 * Push-style frame splitter. Feed it chunks of any size; it calls `onFrame`
 * for each whole frame. A frame that lies inside one chunk is passed as a view
 * into that chunk (no copy); only a frame that spans chunks is copied, into a
 * buffer of exactly its declared size, allocated after the size is checked.
 *
 * This is the only place that decides "wait for more bytes".
 *
 * @example
 * ```ts
 * import { FrameDecoder, encodeFrame } from "./frame.ts";
 * const frames: Uint8Array[] = [];
 * const decoder = new FrameDecoder({ maxFrameSize: 1024 });
 * const wire = encodeFrame(new Uint8Array([1, 2, 3]));
 * decoder.push(wire.subarray(0, 2), (f) => frames.push(f.slice()));
 * decoder.push(wire.subarray(2), (f) => frames.push(f.slice()));
 * console.log(frames); // [Uint8Array [1, 2, 3]]
 * ```
 */
export class FrameDecoder {
  readonly #maxFrameSize: number;
  /** Bytes of an unfinished length prefix (at most 8). */
  #header: Uint8Array | null = null;
  /** Body of a frame that spans chunks (grown as bytes arrive), its declared length, and fill. */
  #body: Uint8Array | null = null;
  #length = 0;
  #filled = 0;
  #failure: ProtocolError | null = null;

  /**
   * Create a decoder.
   *
   * @param options The frame size limit.
   */
  constructor(options: FrameDecoderOptions) {
    this.#maxFrameSize = options.maxFrameSize;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return (this.#header?.length ?? 0) + this.#filled;
  }

  /** True between the first byte of a frame and its last (a stream that ends now is truncated). */
  get inFrame(): boolean {
    return this.#header !== null || this.#body !== null;
  }

  /**
   * Feed bytes. Calls `onFrame` for each whole frame, in order. The frame may
   * be a view into `chunk`; copy it if you keep it after `onFrame` returns.
   *
   * @param chunk Bytes from the stream.
   * @param onFrame Called for each whole frame, with `context` (so one
   *   function can serve every connection, where a closure each costs memory).
   * @param context Passed to `onFrame`.
   * @throws {ProtocolError} `ERR_FRAME_TOO_LARGE` or `ERR_BAD_VARINT`; the decoder is then unusable.
   */
  push<C = undefined>(
    chunk: Uint8Array,
    onFrame: (frame: Uint8Array, context: C) => void,
    context?: C,
  ): void {
    if (this.#failure) throw this.#failure;
    let pos = 0;
    if (this.#body !== null) pos = this.#fillBody(chunk, 0, onFrame, context as C);
    else if (this.#header !== null) {
      const joined = new Uint8Array(this.#header.length + Math.min(chunk.length, 8));
      joined.set(this.#header);
      joined.set(chunk.subarray(0, joined.length - this.#header.length), this.#header.length);
      const v = this.#readLength(joined, 0);
      if (v.end === -1) {
        this.#header = joined;
        return;
      }
      this.#header = null;
      pos = v.end - (joined.length - Math.min(chunk.length, 8));
      pos = this.#startBody(chunk, pos, v.value, onFrame, context as C);
    }
    while (pos < chunk.length) {
      const v = this.#readLength(chunk, pos);
      if (v.end === -1) {
        this.#header = chunk.slice(pos);
        return;
      }
      pos = this.#startBody(chunk, v.end, v.value, onFrame, context as C);
    }
  }

  #readLength(bytes: Uint8Array, pos: number): VarintRead {
    try {
      const v = readVarint(bytes, pos, scratch);
      if (v.end !== -1 && v.value > this.#maxFrameSize) {
        throw new ProtocolError(
          "ERR_FRAME_TOO_LARGE",
          `Cannot decode frame: length ${v.value} exceeds maxFrameSize ${this.#maxFrameSize}`,
        );
      }
      return v;
    } catch (error) {
      this.#failure = error as ProtocolError;
      throw error;
    }
  }

  #startBody<C>(
    chunk: Uint8Array,
    pos: number,
    length: number,
    onFrame: (frame: Uint8Array, context: C) => void,
    context: C,
  ): number {
    if (chunk.length - pos >= length) {
      onFrame(chunk.subarray(pos, pos + length), context);
      return pos + length;
    }
    // Grow the buffer with the bytes that arrive instead of trusting the declared
    // length: a peer that announces 64 KiB and sends 1 byte holds 4 KiB, not 64.
    this.#body = new Uint8Array(Math.min(length, Math.max(4096, 2 * (chunk.length - pos))));
    this.#length = length;
    this.#filled = 0;
    return this.#fillBody(chunk, pos, onFrame, context);
  }

  #fillBody<C>(
    chunk: Uint8Array,
    pos: number,
    onFrame: (frame: Uint8Array, context: C) => void,
    context: C,
  ): number {
    const take = Math.min(this.#length - this.#filled, chunk.length - pos);
    let body = this.#body!;
    if (this.#filled + take > body.length) {
      const grown = new Uint8Array(
        Math.min(this.#length, Math.max(2 * body.length, this.#filled + take)),
      );
      grown.set(body.subarray(0, this.#filled));
      this.#body = body = grown;
    }
    body.set(chunk.subarray(pos, pos + take), this.#filled);
    this.#filled += take;
    if (this.#filled < this.#length) return chunk.length;
    this.#body = null;
    this.#filled = 0;
    onFrame(body, context);
    return pos + take;
  }
}

/**
 * Prefix a frame with its varint length (a new buffer).
 *
 * @param frame Frame bytes.
 * @returns Length prefix and frame.
 */
export function encodeFrame(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(frame.length) + frame.length);
  out.set(frame, writeVarint(out, 0, frame.length));
  return out;
}
