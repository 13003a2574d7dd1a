/**
 * The server's side of RFC 6455 framing, read side: bytes from a client in,
 * whole messages, pings and the close frame out. Every length is checked
 * against the limit from the frame header (and from the running sum of a
 * fragmented message) before any of the body is buffered, and every rule a
 * client must follow is checked: masked frames, no RSV bits (no extension is
 * ever agreed), known opcodes, short final control frames, fragments in order.
 *
 * @module
 */

import { ProtocolError } from "../protocol/errors.ts";
import { tooLarge, WsCloseCode } from "./ws_close.ts";

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

const OP_CONTINUATION = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10;
/** A header is at most 2 bytes, 8 of extended length and 4 of mask. */
const MAX_HEADER = 14;
/** First buffer of a message that spans chunks; it doubles as bytes arrive (not sized by a claim). */
const FIRST_CAPACITY = 16 * 1024;
const utf8 = new TextDecoder("utf-8", { fatal: true });

function bad(message: string): ProtocolError {
  return new ProtocolError("ERR_BAD_WS_FRAME", `Cannot read the WebSocket frame: ${message}`);
}

/** True for a close code a peer may send (RFC 6455 section 7.4). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

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
        if (b0 & 0x80 && op !== OP_CONTINUATION && end - pos >= n) {
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
    const b1 = src[at + 1]!;
    const length = this.#checkHeader(src, at, src[at]!, b1, maxFrameSize, sink);
    if (length < 0) return -1;
    const size = headerLength(b1);
    this.#mask.set(src.subarray(at + size - 4, at + size));
    this.#frame = src[at]!;
    this.#remaining = length;
    this.#read = 0;
    return pos;
  }

  /** Check a frame header against the rules and the limit; returns its payload length or -1. */
  #checkHeader(
    src: Uint8Array,
    at: number,
    b0: number,
    b1: number,
    maxFrameSize: number,
    sink: WsFrameSink,
  ): number {
    const op = b0 & 0x0f;
    if (b0 & 0x70) return this.#fail(sink, WsCloseCode.ProtocolError, bad("RSV bits are set"));
    if (op > OP_BINARY && op < OP_CLOSE || op > OP_PONG) {
      return this.#fail(sink, WsCloseCode.ProtocolError, bad(`unknown opcode ${op}`));
    }
    if (!(b1 & 0x80)) {
      return this.#fail(sink, WsCloseCode.ProtocolError, bad("a client frame must be masked"));
    }
    let length = b1 & 0x7f;
    if (op >= OP_CLOSE) {
      if (!(b0 & 0x80) || length > 125) {
        return this.#fail(
          sink,
          WsCloseCode.ProtocolError,
          bad("a control frame must be final and at most 125 bytes"),
        );
      }
      return length;
    }
    if (op === OP_CONTINUATION ? this.#messageOpcode === 0 : this.#messageOpcode !== 0) {
      return this.#fail(sink, WsCloseCode.ProtocolError, bad("fragments out of order"));
    }
    if (length === 126) length = (src[at + 2]! << 8) | src[at + 3]!;
    else if (length === 127) {
      const high =
        ((src[at + 2]! << 24) | (src[at + 3]! << 16) | (src[at + 4]! << 8) | src[at + 5]!) >>> 0;
      const low =
        ((src[at + 6]! << 24) | (src[at + 7]! << 16) | (src[at + 8]! << 8) | src[at + 9]!) >>> 0;
      length = high * 0x1_0000_0000 + low;
    }
    // Decided on the header (and the message so far), before any of the body is buffered.
    if (this.#filled + length > maxFrameSize) {
      return this.#fail(
        sink,
        WsCloseCode.MessageTooBig,
        tooLarge(this.#filled + length, maxFrameSize),
      );
    }
    if (op !== OP_CONTINUATION) this.#messageOpcode = op;
    return length;
  }

  /** Read payload bytes of the current frame from `pos`; returns where the next frame starts. */
  #readPayload(chunk: Uint8Array, pos: number, sink: WsFrameSink): number {
    const n = Math.min(this.#remaining, chunk.length - pos);
    const control = (this.#frame & 0x0f) >= OP_CLOSE;
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

  /** Room for `n` more bytes of the message, growing as they arrive (never to a claimed size at once). */
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
    if (op >= OP_CLOSE) {
      const payload = (this.#control ?? new Uint8Array(0)).subarray(0, this.#read);
      this.#control = undefined;
      return this.#whole(op, payload, sink);
    }
    if (!(b0 & 0x80)) return; // more fragments follow
    const message = (this.#message ?? new Uint8Array(0)).subarray(0, this.#filled);
    const messageOp = this.#messageOpcode;
    this.#message = undefined;
    this.#filled = 0;
    this.#messageOpcode = 0;
    this.#whole(messageOp, message, sink);
  }

  /** A whole message or control frame (unmasked). */
  #whole(op: number, payload: Uint8Array, sink: WsFrameSink): void {
    switch (op) {
      case OP_BINARY:
        this.#messageOpcode = 0;
        return sink.message(payload);
      case OP_TEXT: {
        this.#messageOpcode = 0;
        const text = decodeUtf8(payload);
        if (text === undefined) {
          return void this.#fail(
            sink,
            WsCloseCode.InvalidData,
            new ProtocolError("ERR_BAD_UTF8", "Cannot read a text message: it is not valid UTF-8"),
          );
        }
        return sink.message(text);
      }
      case OP_PING:
        return sink.ping(payload);
      case OP_PONG:
        return; // an answer to nothing we sent
      case OP_CLOSE:
        return this.#close(payload, sink);
    }
  }

  #close(payload: Uint8Array, sink: WsFrameSink): void {
    if (payload.length === 0) {
      this.#done = true;
      return sink.closeFrame(1005, "");
    }
    const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 0;
    if (!isValidCloseCode(code)) {
      return void this.#fail(
        sink,
        WsCloseCode.ProtocolError,
        bad(`close code ${code} is not allowed`),
      );
    }
    const reason = decodeUtf8(payload.subarray(2));
    if (reason === undefined) {
      return void this.#fail(
        sink,
        WsCloseCode.InvalidData,
        new ProtocolError("ERR_BAD_UTF8", "Cannot read the close reason: it is not valid UTF-8"),
      );
    }
    this.#done = true;
    sink.closeFrame(code, reason);
  }

  #fail(sink: WsFrameSink, code: number, error: ProtocolError): -1 {
    this.#done = true;
    this.#message = this.#control = undefined;
    sink.fail(code, error);
    return -1;
  }
}

/** Bytes of a header whose second byte is `b1`: 2, plus 2 or 8 of extended length, plus the mask. */
function headerLength(b1: number): number {
  const length = b1 & 0x7f;
  return (length < 126 ? 2 : length === 126 ? 4 : 10) + (b1 & 0x80 ? 4 : 0);
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
