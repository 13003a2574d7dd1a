/**
 * The server's side of RFC 6455 framing, read side: bytes from a client in,
 * whole messages, pings and the close frame out, at any split of the
 * stream. Each header is checked (`ws_frame_rules.ts`: masking, RSV bits,
 * opcodes, control frames, fragment order, and the size limit on the
 * declared length and a fragmented message's running sum) before any of its
 * body is buffered.
 *
 * @module
 */

import type { ProtocolError } from "../protocol/errors.ts";
import { checkHeader, headerLength, Opcode, readClose, readText } from "./ws_frame_rules.ts";

/** Where a {@linkcode WsFrameParser} puts what it read. */
export interface WsFrameSink {
  /**
   * A whole message: binary bytes (a view that is only valid during the
   * call, possibly into the chunk pushed) or the text of a text message.
   */
  message(data: Uint8Array | string): void;
  /** A ping arrived; `payload` is only valid during the call. */
  ping(payload: Uint8Array): void;
  /** The client's close frame arrived (1005 when it had no code); nothing more is read. */
  closeFrame(code: number, reason: string): void;
  /** The client broke the protocol; close with `code`. Nothing more is read. */
  fail(code: number, error: ProtocolError): void;
}

/** A header is at most 2 bytes, 8 of extended length and 4 of mask. */
const MAX_HEADER = 14;
/** First buffer of a message that spans chunks; doubled as bytes arrive, not sized by a claim. */
const FIRST_CAPACITY = 16 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * XOR `length` bytes of `src` from `from` with the mask (starting at mask
 * byte `phase`) into `dst` at `to` (in place when both are the same).
 */
function unmask(
  src: Uint8Array,
  from: number,
  dst: Uint8Array,
  to: number,
  length: number,
  mask: Uint8Array,
  phase: number,
): void {
  for (let i = 0; i < length; i++) dst[to + i] = src[from + i]! ^ mask[(phase + i) & 3]!;
}

/**
 * Reads a client's frames. One parser may serve many connections in turn:
 * when {@linkcode WsFrameParser.idle} is true after a `push`, it holds
 * nothing of the connection, so idle connections need no parser of their own.
 */
export class WsFrameParser {
  /** Header bytes of a header split across chunks. */
  readonly #head = new Uint8Array(MAX_HEADER);
  #headLength = 0;
  /** The current frame's mask key, and how many payload bytes are still to come. */
  readonly #mask = new Uint8Array(4);
  #remaining = 0;
  /** Payload bytes of the current frame already read (the mask phase). */
  #read = 0;
  /** Header byte 0 of the current frame (FIN and opcode); -1 between frames. */
  #frame = -1;
  /** Opcode of the message in progress (text or binary), 0 when none. */
  #messageOpcode = 0;
  /** The message in progress (unmasked), and how much of it is filled. */
  #message: Uint8Array | undefined;
  #filled = 0;
  /** Payload of a control frame split across chunks (at most 125 bytes). */
  #control: Uint8Array | undefined;
  #done = false;

  /** True between frames with no message in progress: the parser holds no connection state. */
  get idle(): boolean {
    return this.#frame === -1 && this.#headLength === 0 && this.#messageOpcode === 0 &&
      !this.#done;
  }

  /** True once the client failed or sent its close frame: `push` reads nothing more. */
  get done(): boolean {
    return this.#done;
  }

  /** Forget everything (for the next connection). */
  reset(): void {
    this.#headLength =
      this.#remaining =
      this.#read =
      this.#messageOpcode =
      this.#filled =
        0;
    this.#frame = -1;
    this.#message = this.#control = undefined;
    this.#done = false;
  }

  /**
   * Read one chunk from the client. Payloads are unmasked in place, so the
   * chunk is changed.
   *
   * @param chunk Bytes from the socket (any split is fine).
   * @param maxFrameSize Largest message accepted.
   * @param sink Where messages, pings, the close frame and failures go.
   */
  push(chunk: Uint8Array, maxFrameSize: number, sink: WsFrameSink): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end && !this.#done) {
      if (this.#frame === -1) {
        pos = this.#readHeader(chunk, pos, maxFrameSize, sink);
        if (pos < 0) return; // the header is incomplete (kept for the next chunk), or failed
        const b0 = this.#frame;
        const op = b0 & 0x0f;
        const n = this.#remaining;
        if (b0 & 0x80 && op !== Opcode.Continuation && end - pos >= n) {
          // A whole unfragmented message or control frame in this chunk: unmasked in place,
          // delivered as a view of the chunk (no copy).
          unmask(chunk, pos, chunk, pos, n, this.#mask, 0);
          this.#frame = -1;
          this.#remaining = 0;
          this.#whole(op, chunk.subarray(pos, pos + n), sink);
          pos += n;
          continue;
        }
        if (n === 0) {
          this.#endFrame(sink); // an empty fragment
          continue;
        }
      }
      pos = this.#readPayload(chunk, pos, sink);
    }
  }

  /**
   * Read a header at `pos`, or finish one begun in an earlier chunk. Returns
   * where its payload starts, or -1 when it is incomplete or broke a rule.
   */
  #readHeader(chunk: Uint8Array, pos: number, maxFrameSize: number, sink: WsFrameSink): number {
    const end = chunk.length;
    let src = chunk;
    let at = pos;
    if (this.#headLength === 0 && end - pos >= 2 && end - pos >= headerLength(chunk[pos + 1]!)) {
      pos += headerLength(chunk[pos + 1]!);
    } else {
      // Gather the header in #head: its first two bytes tell how long it is.
      const head = this.#head;
      for (;;) {
        const need = this.#headLength < 2 ? 2 : headerLength(head[1]!);
        if (this.#headLength >= need) break;
        const take = Math.min(need - this.#headLength, end - pos);
        if (take === 0) return -1;
        head.set(chunk.subarray(pos, pos + take), this.#headLength);
        this.#headLength += take;
        pos += take;
      }
      src = head;
      at = 0;
      this.#headLength = 0;
    }
    const length = checkHeader(src, at, this.#messageOpcode, this.#filled, maxFrameSize);
    if (typeof length !== "number") return this.#fail(sink, length);
    const b0 = src[at]!;
    if ((b0 & 0x0f) < Opcode.Close && (b0 & 0x0f) !== Opcode.Continuation) {
      this.#messageOpcode = b0 & 0x0f;
    }
    const size = headerLength(src[at + 1]!);
    this.#mask.set(src.subarray(at + size - 4, at + size));
    this.#frame = b0;
    this.#remaining = length;
    this.#read = 0;
    return pos;
  }

  /** Read payload bytes of the current frame from `pos`; returns where the next frame starts. */
  #readPayload(chunk: Uint8Array, pos: number, sink: WsFrameSink): number {
    const n = Math.min(this.#remaining, chunk.length - pos);
    const control = (this.#frame & 0x0f) >= Opcode.Close;
    let dst: Uint8Array;
    let to: number;
    if (control) {
      dst = this.#control ??= new Uint8Array(125);
      to = this.#read;
    } else {
      dst = this.#reserve(n);
      to = this.#filled;
      this.#filled += n;
    }
    unmask(chunk, pos, dst, to, n, this.#mask, this.#read & 3);
    this.#read += n;
    this.#remaining -= n;
    if (this.#remaining === 0) this.#endFrame(sink);
    return pos + n;
  }

  /** Room for `n` more bytes of the message, grown as they arrive (not to a claimed size). */
  #reserve(n: number): Uint8Array {
    const need = this.#filled + n;
    const message = this.#message;
    if (message && message.length >= need) return message;
    const claimed = this.#filled + this.#remaining;
    let capacity = Math.max(message?.length ?? 0, FIRST_CAPACITY);
    while (capacity < need) capacity *= 2;
    const next = new Uint8Array(Math.min(capacity, Math.max(claimed, need)));
    if (message) next.set(message.subarray(0, this.#filled));
    return this.#message = next;
  }

  /** The current frame's payload is complete. */
  #endFrame(sink: WsFrameSink): void {
    const b0 = this.#frame;
    const op = b0 & 0x0f;
    this.#frame = -1;
    if (op >= Opcode.Close) {
      const payload = (this.#control ?? EMPTY).subarray(0, this.#read);
      this.#control = undefined;
      return this.#whole(op, payload, sink);
    }
    if (!(b0 & 0x80)) return; // more fragments follow
    const message = (this.#message ?? EMPTY).subarray(0, this.#filled);
    const messageOp = this.#messageOpcode;
    this.#message = undefined;
    this.#filled = 0;
    this.#messageOpcode = 0;
    this.#whole(messageOp, message, sink);
  }

  /** A whole message or control frame (unmasked). */
  #whole(op: number, payload: Uint8Array, sink: WsFrameSink): void {
    if (op === Opcode.Binary) {
      this.#messageOpcode = 0;
      return sink.message(payload);
    }
    if (op === Opcode.Text) {
      this.#messageOpcode = 0;
      const text = readText(payload);
      return typeof text === "string" ? sink.message(text) : void this.#fail(sink, text);
    }
    if (op === Opcode.Ping) return sink.ping(payload);
    if (op === Opcode.Close) {
      const close = readClose(payload);
      if (close instanceof Error) return void this.#fail(sink, close);
      this.#done = true;
      sink.closeFrame(close.code, close.reason);
    }
    // A pong answers nothing we sent: ignored.
  }

  #fail(sink: WsFrameSink, error: ProtocolError): -1 {
    this.#done = true;
    this.#message = this.#control = undefined;
    sink.fail(error.closeCode, error);
    return -1;
  }
}
