/**
 * The receive side of a stream adapter: chunks in, whole frames out.
 *
 * @module
 */

import { FrameDecoder } from "../protocol/frame.ts";
import type { TransportHandlers } from "./types.ts";

/** One function for every connection's frames (a closure each was ~100 bytes of an idle connection). */
function deliver(frame: Uint8Array, handlers: TransportHandlers): void {
  handlers.frame(frame);
}

/**
 * Feed one chunk to a decoder, delivering whole frames to `handlers`. Frames
 * are plain `Uint8Array`s even when the runtime reads into `Buffer`s, and may
 * be views into the chunk, valid only during `frame()`. When the stream cannot
 * be decoded (a `ProtocolError` such as `ERR_FRAME_TOO_LARGE`), or the frame
 * handler throws, it calls `handlers.error` and returns false: feed nothing more.
 *
 * @param decoder The stream's decoder.
 * @param handlers Where frames and the error go.
 * @param chunk Bytes from the socket.
 * @returns False once the stream failed.
 */
export function readChunk(
  decoder: FrameDecoder,
  handlers: TransportHandlers,
  chunk: Uint8Array,
): boolean {
  // node and Bun pass Buffers, whose slice() is a view: hand out plain Uint8Arrays.
  if (chunk.constructor !== Uint8Array) {
    chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  try {
    decoder.push(chunk, deliver, handlers);
    return true;
  } catch (error) {
    handlers.error(error instanceof Error ? error : new Error(String(error)));
    return false;
  }
}

/**
 * Splits received chunks into frames for a transport's handlers (see
 * {@linkcode readChunk}); after an error it delivers nothing more, and
 * closing is left to the owner.
 */
export class FrameReader {
  readonly #decoder: FrameDecoder;
  readonly #handlers: TransportHandlers;
  #failed = false;

  /**
   * @param maxFrameSize Largest frame accepted.
   * @param handlers Where frames and the error go.
   */
  constructor(maxFrameSize: number, handlers: TransportHandlers) {
    this.#decoder = new FrameDecoder({ maxFrameSize });
    this.#handlers = handlers;
  }

  /**
   * Feed one chunk. Frames may be views into it, valid only during `frame()`.
   *
   * @param chunk Bytes from the socket.
   */
  push(chunk: Uint8Array): void {
    if (!this.#failed) this.#failed = !readChunk(this.#decoder, this.#handlers, chunk);
  }
}
