/**
 * Web Streams wrappers over the frame codec of `frame.ts`.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { encodeFrame, FrameDecoder, type FrameDecoderOptions } from "./frame.ts";
import { varintLength } from "./varint.ts";

/**
 * Turns frames into length-prefixed bytes for a byte stream.
 *
 * @example
 * ```ts
 * import { FrameEncoderStream } from "./frame_stream.ts";
 * const stream = new FrameEncoderStream();
 * const writer = stream.writable.getWriter();
 * writer.write(new Uint8Array([1, 2, 3]));
 * const { value } = await stream.readable.getReader().read();
 * console.log(value); // Uint8Array [3, 1, 2, 3]
 * ```
 */
export class FrameEncoderStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor() {
    super({
      transform(frame, controller) {
        controller.enqueue(encodeFrame(frame));
      },
    });
  }
}

/**
 * Splits a byte stream into frames, chunks of any size in, whole frames out.
 *
 * A frame that lies inside one input chunk comes out as a **view** into that
 * chunk (do not reuse chunks after writing them). A frame over
 * `maxFrameSize` errors the stream with `ProtocolError` `ERR_FRAME_TOO_LARGE`
 * before its body is buffered; a stream that ends inside a frame errors with
 * `ERR_TRUNCATED`.
 *
 * @example
 * ```ts
 * import { FrameDecoderStream } from "./frame_stream.ts";
 * const frames = ReadableStream.from([new Uint8Array([2, 7]), new Uint8Array([8, 0])])
 *   .pipeThrough(new FrameDecoderStream({ maxFrameSize: 1024 }));
 * for await (const frame of frames) console.log(frame); // [7, 8], then []
 * ```
 */
export class FrameDecoderStream extends TransformStream<Uint8Array, Uint8Array> {
  /**
   * Create a decoder.
   *
   * @param options The frame size limit.
   */
  constructor(options: FrameDecoderOptions) {
    const decoder = new FrameDecoder(options);
    // Bytes in minus bytes of whole frames out: what an unfinished frame holds.
    let held = 0;
    super({
      transform(chunk, controller) {
        held += chunk.length;
        decoder.push(chunk, (frame) => {
          held -= varintLength(frame.length) + frame.length;
          controller.enqueue(frame);
        });
      },
      flush() {
        if (held > 0) {
          throw new ProtocolError(
            "ERR_TRUNCATED",
            `Cannot decode frame: the stream ended with ${held} bytes of an unfinished frame`,
          );
        }
      },
    });
  }
}
