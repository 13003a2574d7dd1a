/**
 * The replay buffer of session resume: numbered frames kept until the peer
 * says it has them, so a dropped link loses nothing.
 *
 * Sequence numbers are implicit (zero bytes per message): on a stream link
 * both sides count every "counted" frame, in each direction, from 1. The
 * sender keeps the reliable ones here; the receiver tells it how many it got
 * with a `received` packet now and then, and the sender forgets those. After
 * a reconnection each side says how many it got, and the other replays the
 * rest. See protocol/PROTOCOL.md, "Sessions and resume".
 *
 * @module
 */

import { PacketKind } from "../protocol/types.ts";

/** Kinds that are never counted: the handshake and the link's own bookkeeping. */
const UNCOUNTED = (1 << PacketKind.Hello) | (1 << PacketKind.Welcome) | (1 << PacketKind.Ping) |
  (1 << PacketKind.Pong) | (1 << PacketKind.Received);

/**
 * True when a frame takes a sequence number: every kind but hello, welcome,
 * ping, pong and received (those belong to one link, not to the session).
 *
 * @param frame An encoded packet (its first byte is the kind).
 * @returns Whether both sides count it.
 */
export function isCounted(frame: Uint8Array): boolean {
  const kind = frame[0] ?? 0;
  return kind >= 32 || ((UNCOUNTED >>> kind) & 1) === 0;
}

/**
 * What {@linkcode ReplayBuffer.after} gives: the frames to send again, or why
 * it cannot: `"overflowed"` (a frame the peer lacks was evicted to respect the
 * bounds) or `"invalid"` (the peer claims frames that were never sent).
 */
export type ReplayResult = Uint8Array[] | "overflowed" | "invalid";

/**
 * Numbered outgoing frames, bounded in count and bytes.
 *
 * Frames are kept by reference (a broadcast's shared bytes are not copied):
 * the caller must never change a frame after recording it. Volatile frames
 * take a number but are not kept, so they are never replayed.
 *
 * @example
 * ```ts
 * import { ReplayBuffer } from "./replay.ts";
 * const buffer = new ReplayBuffer(1024, 1 << 20);
 * buffer.record(new Uint8Array([7, 0]), true); // frame 1, reliable
 * buffer.record(new Uint8Array([7, 1]), false); // frame 2, volatile
 * buffer.record(new Uint8Array([7, 2]), true); // frame 3, reliable
 * buffer.acknowledge(1);
 * console.log(buffer.after(1)); // [Uint8Array [7, 2]]: frame 2 is not replayed
 * ```
 */
export class ReplayBuffer {
  /** Most frames kept. */
  readonly maxFrames: number;
  /** Most bytes kept. */
  readonly maxBytes: number;
  #frames: Uint8Array[] = [];
  #seqs: number[] = [];
  #head = 0;
  #sent = 0;
  #acked = 0;
  #bytes = 0;
  /** Highest number evicted before the peer acknowledged it (0 when none). */
  #lost = 0;

  /**
   * Make an empty buffer.
   *
   * @param maxFrames Most frames kept; older ones are evicted past it.
   * @param maxBytes Most bytes kept; older frames are evicted past it.
   */
  constructor(maxFrames: number, maxBytes: number) {
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
  }

  /** Number of the last frame recorded (frames sent in this session). */
  get sent(): number {
    return this.#sent;
  }

  /** Frames the peer said it received. */
  get acked(): number {
    return this.#acked;
  }

  /** Frames kept (reliable, not yet acknowledged). */
  get frames(): number {
    return this.#frames.length - this.#head;
  }

  /** Bytes kept. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True when a frame the peer may lack was evicted: a resume will likely fail. */
  get overflowed(): boolean {
    return this.#lost > this.#acked;
  }

  /** True when a frame of `length` bytes fits without evicting anything. */
  hasRoom(length: number): boolean {
    return this.frames < this.maxFrames && this.#bytes + length <= this.maxBytes;
  }

  /**
   * Number a frame, and keep it when it is reliable.
   *
   * @param frame The encoded packet (kept by reference).
   * @param keep False for volatile frames: numbered, never replayed.
   * @returns The frame's number.
   */
  record(frame: Uint8Array, keep: boolean): number {
    const seq = ++this.#sent;
    if (!keep) return seq;
    this.#frames.push(frame);
    this.#seqs.push(seq);
    this.#bytes += frame.length;
    while (this.frames > 1 && (this.frames > this.maxFrames || this.#bytes > this.maxBytes)) {
      this.#lost = this.#seqs[this.#head]!;
      this.#shift();
    }
    return seq;
  }

  /**
   * The peer received frames 1..count: forget them.
   *
   * @param count The peer's cumulative count.
   * @returns False when the peer claims more frames than were sent.
   */
  acknowledge(count: number): boolean {
    if (count > this.#sent) return false;
    if (count <= this.#acked) return true;
    this.#acked = count;
    while (this.#head < this.#frames.length && this.#seqs[this.#head]! <= count) this.#shift();
    return true;
  }

  /**
   * The reliable frames numbered after `count`, in order, to send again.
   *
   * @param count Frames the peer has.
   * @returns The frames, `"overflowed"` or `"invalid"`.
   */
  after(count: number): ReplayResult {
    if (count > this.#sent || count < this.#acked) return "invalid";
    if (this.#lost > count) return "overflowed";
    const out: Uint8Array[] = [];
    for (let i = this.#head; i < this.#frames.length; i++) {
      if (this.#seqs[i]! > count) out.push(this.#frames[i]!);
    }
    return out;
  }

  /**
   * After replaying `after(count)` on a new link, renumber: the peer counts
   * the replayed frames `count + 1...`, and the volatile frames it never got
   * are forgotten, so both sides agree again.
   *
   * @param count The `count` given to {@linkcode ReplayBuffer.after}.
   */
  rebase(count: number): void {
    this.acknowledge(count);
    this.#frames = this.#frames.slice(this.#head);
    this.#head = 0;
    this.#seqs = this.#frames.map((_, i) => count + 1 + i);
    this.#sent = count + this.#frames.length;
    this.#lost = 0;
  }

  /** Forget everything and start numbering from 1 again (a new session, or the end). */
  clear(): void {
    this.#frames = [];
    this.#seqs = [];
    this.#head =
      this.#sent =
      this.#acked =
      this.#bytes =
      this.#lost =
        0;
  }

  #shift(): void {
    this.#bytes -= this.#frames[this.#head]!.length;
    this.#head++;
    // Compact now and then instead of shifting the arrays on every frame.
    if (this.#head === this.#frames.length) {
      this.#frames = [];
      this.#seqs = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#seqs = this.#seqs.slice(this.#head);
      this.#head = 0;
    }
  }
}
