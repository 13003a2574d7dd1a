/**
 * The framing of the raw TCP contenders, written as a careful developer would
 * write it by hand: a big-endian u16 length before each message, frames
 * sliced out of the received chunk without copying, and every frame sent in
 * one event-loop turn written to the socket in one call.
 *
 * @module
 */

/** Splits a TCP stream into u16-length-prefixed frames. */
export class U16FrameReader {
  #rest: Uint8Array | null = null;

  /**
   * Feed a chunk; `onFrame` gets each whole frame as a view valid during the call.
   *
   * @param chunk Bytes from the socket.
   * @param onFrame Called per frame.
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    let buf = chunk;
    if (this.#rest !== null) {
      buf = new Uint8Array(this.#rest.length + chunk.length);
      buf.set(this.#rest);
      buf.set(chunk, this.#rest.length);
      this.#rest = null;
    }
    let pos = 0;
    const end = buf.length;
    while (end - pos >= 2) {
      const length = (buf[pos]! << 8) | buf[pos + 1]!;
      if (end - pos - 2 < length) break;
      onFrame(buf.subarray(pos + 2, pos + 2 + length));
      pos += 2 + length;
    }
    if (pos < end) this.#rest = buf.slice(pos);
  }
}

/**
 * Per-turn write batching: `push` appends a prefixed frame to a reusable
 * buffer and, on the first frame of a turn, schedules one `write` of
 * everything in a microtask. `write` gets a view it must copy if it keeps it.
 */
export class TurnBatch {
  #buf = new Uint8Array(4096);
  #length = 0;
  #scheduled = false;
  readonly #write: (bytes: Uint8Array) => void;
  readonly #flush = (): void => {
    this.#scheduled = false;
    const length = this.#length;
    this.#length = 0;
    if (length > 0) this.#write(this.#buf.subarray(0, length));
  };

  /** @param write Called once per turn with the batched bytes. */
  constructor(write: (bytes: Uint8Array) => void) {
    this.#write = write;
  }

  /**
   * Queue one frame (copied).
   *
   * @param frame At most 65535 bytes.
   */
  push(frame: Uint8Array): void {
    const start = this.#length;
    const end = start + 2 + frame.length;
    if (end > this.#buf.length) {
      let size = this.#buf.length * 2;
      while (size < end) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(0, start));
      this.#buf = next;
    }
    this.#buf[start] = frame.length >> 8;
    this.#buf[start + 1] = frame.length & 0xff;
    this.#buf.set(frame, start + 2);
    this.#length = end;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }
}
