/**
 * Per-turn write coalescing for stream adapters: every frame sent in one
 * event-loop turn is length-prefixed into one buffer, and the adapter writes
 * that buffer with one call.
 *
 * @module
 */

import { varintLength, writeVarint } from "../protocol/varint.ts";
import { TurnQueue } from "./turn.ts";

/**
 * Size of a turn's first buffer when its first frame fits: most turns carry a
 * few small game messages, and a broadcast to a room of 500 starts 500
 * batches in the same turn, so small buffers keep that cheap.
 */
const SMALL_SIZE = 512;
/** Most small buffers the pool keeps (512 KiB at most, shared by all connections). */
const SMALL_POOL_MAX_COUNT = 1024;
/** Size of a batch buffer that outgrew a small one. */
const LARGE_SIZE = 16 * 1024;
/** Largest buffer returned to the pool; bigger ones are left to the GC. */
const POOL_MAX_SIZE = 64 * 1024;
/** Most large buffers the pool keeps (shared by all connections, so idle ones hold none). */
const POOL_MAX_COUNT = 64;
const smallPool: Uint8Array[] = [];
const DEFAULT_MARKS = { high: 64 * 1024, low: 16 * 1024 };
const pool: Uint8Array[] = [];

/**
 * A buffer of at least `size` bytes from the pools {@linkcode FrameBatch}
 * uses (the WebSocket writer on `node:net` shares them), or a new one.
 *
 * @param size Bytes needed.
 * @returns A buffer to give back with {@linkcode recycleBuffer} once the runtime no longer reads it.
 */
export function pooledBuffer(size: number): Uint8Array {
  if (size <= SMALL_SIZE) return smallPool.pop() ?? new Uint8Array(SMALL_SIZE);
  const pooled = size <= LARGE_SIZE ? pool.pop() : undefined;
  if (pooled !== undefined && pooled.length >= size) return pooled;
  return new Uint8Array(Math.max(size, LARGE_SIZE));
}

/**
 * Give back a buffer (or a view of it) from {@linkcode pooledBuffer} or a
 * batch; buffers of other sizes are left to the GC.
 *
 * @param chunk The buffer, or a view of it.
 */
export function recycleBuffer(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  if (!(buffer instanceof ArrayBuffer)) return;
  if (buffer.byteLength === SMALL_SIZE) {
    if (smallPool.length < SMALL_POOL_MAX_COUNT) smallPool.push(new Uint8Array(buffer));
  } else if (buffer.byteLength <= POOL_MAX_SIZE && pool.length < POOL_MAX_COUNT) {
    pool.push(new Uint8Array(buffer));
  }
}

/** What a {@linkcode FrameBatch} asks of its adapter. */
export interface FrameBatchSink {
  /** Called in a microtask after the first frame of a turn: `take()` the bytes and write them. */
  flush(): void;
  /** Bytes the runtime still holds (given to it and not yet taken by the operating system). */
  held(): number;
  /** The queue fell to the low-water mark after being above the high-water mark. */
  drain(): void;
}

/** Options of {@linkcode FrameBatch}. */
export interface FrameBatchOptions {
  /**
   * Above this many buffered bytes the queue counts as full.
   * @default {65536}
   */
  highWaterMark?: number;
  /**
   * When a full queue falls to this many bytes, `drain` is called.
   * @default {16384}
   */
  lowWaterMark?: number;
}

/**
 * The send side of a stream transport. `send()` copies a varint length and
 * the frame into one growable buffer and, on the first frame of a turn,
 * schedules one `flush` in a microtask (one for every batch of the turn). The adapter then calls
 * `take()` and writes the result in one call; frames sent while a write is
 * pending keep accumulating, so a slow socket gets fewer, larger writes.
 *
 * Buffers come from two small shared pools (512-byte buffers for turns of a
 * few messages, 16 KiB and up for the rest) and go back to them through
 * `recycle()` once the runtime no longer reads them.
 */
export class FrameBatch {
  #buf: Uint8Array | null = null;
  #length = 0;
  #scheduled = false;
  #full = false;
  readonly #sink: FrameBatchSink;
  /** Water marks: one shared object unless options gave others (a field each cost every connection). */
  readonly #marks: { high: number; low: number };
  /** Batches with frames of this turn, flushed by one promise reaction (see `turn.ts`). */
  static readonly #turn: TurnQueue<FrameBatch> = new TurnQueue((batch) => batch.#flushTurn());

  /**
   * @param sink The adapter's write, held-bytes and drain callbacks.
   * @param options Water marks.
   */
  constructor(sink: FrameBatchSink, options: FrameBatchOptions = {}) {
    this.#sink = sink;
    const { highWaterMark: high, lowWaterMark: low } = options;
    this.#marks = high === undefined && low === undefined
      ? DEFAULT_MARKS
      : { high: high ?? DEFAULT_MARKS.high, low: low ?? DEFAULT_MARKS.low };
  }

  #flushTurn(): void {
    this.#scheduled = false;
    if (this.#length > 0) this.#sink.flush();
  }

  /** Bytes in the batch, not yet taken. */
  get pending(): number {
    return this.#length;
  }

  /** Bytes in the batch plus what the runtime still holds. */
  get bufferedAmount(): number {
    return this.#length + this.#sink.held();
  }

  /**
   * Append one length-prefixed frame (a copy) and schedule a flush.
   *
   * @param frame Frame bytes; the caller may reuse them when this returns.
   */
  send(frame: Uint8Array): void {
    const start = this.#length;
    const end = start + varintLength(frame.length) + frame.length;
    let buf = this.#buf;
    if (buf === null || buf.length < end) buf = this.#grow(end);
    buf.set(frame, writeVarint(buf, start, frame.length));
    this.#length = end;
    if (!this.#full && this.bufferedAmount > this.#marks.high) this.#full = true;
    if (!this.#scheduled) {
      this.#scheduled = true;
      FrameBatch.#turn.add(this);
    }
  }

  /**
   * Hand over everything batched so far and start a new batch.
   *
   * @returns A view of the batched bytes (valid until passed to `recycle`), or null when empty.
   */
  take(): Uint8Array | null {
    if (this.#length === 0) return null;
    const out = this.#buf!.subarray(0, this.#length);
    this.#buf = null;
    this.#length = 0;
    return out;
  }

  /**
   * Give back the buffer of a `take()` result once the runtime is done with it.
   *
   * @param chunk A `take()` result or a view of the same buffer.
   */
  recycle(chunk: Uint8Array): void {
    recycleBuffer(chunk);
  }

  /** Call when the runtime's held bytes fell; calls `drain` if the queue was full and now is low. */
  checkDrain(): void {
    if (this.#full && this.bufferedAmount <= this.#marks.low) {
      this.#full = false;
      this.#sink.drain();
    }
  }

  /** Drop what is batched (the transport is gone). */
  clear(): void {
    if (this.#buf !== null) this.recycle(this.#buf);
    this.#buf = null;
    this.#length = 0;
  }

  #grow(size: number): Uint8Array {
    const old = this.#buf;
    let next: Uint8Array | undefined;
    if (old === null && size <= SMALL_SIZE) {
      next = smallPool.pop() ?? new Uint8Array(SMALL_SIZE);
    } else {
      if (size <= LARGE_SIZE) next = pool.pop();
      if (next === undefined || next.length < size) {
        let capacity = Math.max(LARGE_SIZE, old === null ? 0 : old.length * 2);
        while (capacity < size) capacity *= 2;
        next = new Uint8Array(capacity);
      }
    }
    if (old !== null) {
      next.set(old.subarray(0, this.#length));
      this.recycle(old);
    }
    this.#buf = next;
    return next;
  }
}
