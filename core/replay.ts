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

/** Frames up to this many bytes are copied into the buffer's own bytes; larger ones are kept by reference. */
const INLINE_MAX = 128;
const NO_SEQS = new Float64Array(0);
const NO_LENS = new Int32Array(0);
/** Shared by every empty buffer: never written (#grow makes a ring's own). */
const NO_REFS: (Uint8Array | number)[] = [];
/** First size of the bytes of the copied frames (grown by doubling). */
const INLINE_INITIAL = 64;

/**
 * The kept frames of a buffer that has had two at once: a ring of entries
 * (capacity a power of two) from `head`: number, length, and the frame itself
 * when large, or else the logical position of its copy in `data`. Copies of
 * small frames: logical positions [from, to) live at data[position - base].
 * A ring, because a link that always has frames in flight is never fully
 * acknowledged: arrays that grew and were sliced now and then made
 * medium-lived garbage, which doubled the collector's work on a busy server.
 */
class Ring {
  seqs: Float64Array = NO_SEQS;
  lens: Int32Array = NO_LENS;
  refs: (Uint8Array | number)[] = NO_REFS;
  head = 0;
  data: Uint8Array | null = null;
  base = 0;
  from = 0;
  to = 0;
}

/** Shared by every buffer without a ring (never written: `#grow` makes one first). */
const NO_RING = new Ring();

/**
 * Numbered outgoing frames, bounded in count and bytes.
 *
 * Small frames (up to 128 bytes: game messages, events) are copied into one
 * growing byte buffer. Keeping each of them as an object until the peer
 * acknowledges it, a round trip later, made them outlive the young
 * generation, and the garbage collector became the largest cost of a busy
 * server (a fifth of its time at 150,000 messages a second). Larger frames
 * are kept by reference, so a broadcast's shared bytes are not copied per
 * member: the caller must never change a frame after recording it. Volatile
 * frames take a number but are not kept, so they are never replayed.
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
  /** The ring and the bytes of copied frames, made with the second frame kept. */
  #ring: Ring = NO_RING;
  #count = 0;
  #sent = 0;
  #acked = 0;
  #bytes = 0;
  /** Highest number evicted before the peer acknowledged it (0 when none). */
  #lost = 0;
  // The first frame kept, while it is alone: its number and its bytes as a
  // one-byte string. An idle connection keeps just one frame (its namespace's
  // connect reply) until the client acknowledges it, and the ring's three
  // typed arrays and byte buffer cost it ~800 heap bytes; the string ~40.
  #oneSeq = 0;
  #one = "";

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
    return this.#count;
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
   * @param frame The encoded packet (copied when small, else kept by reference).
   * @param keep False for volatile frames: numbered, never replayed.
   * @returns The frame's number.
   */
  record(frame: Uint8Array, keep: boolean): number {
    const seq = ++this.#sent;
    if (!keep) return seq;
    const length = frame.length;
    if (this.#count === 0 && this.#ring === NO_RING && length <= INLINE_MAX) {
      this.#oneSeq = seq;
      // apply, not a spread: no iterator and argument array per frame
      this.#one = String.fromCharCode.apply(null, frame as unknown as number[]);
      this.#count = 1;
      this.#bytes = length;
      return seq;
    }
    if (this.#count >= this.#ring.seqs.length) this.#grow(); // > when the first frame is alone
    const ring = this.#ring;
    const at = (ring.head + this.#count++) & (ring.seqs.length - 1);
    ring.seqs[at] = seq;
    ring.lens[at] = length;
    // Even a broadcast's shared frame is copied: a reference to a young array stored in
    // each member's (old) array is a remembered-set entry the next scavenge must visit,
    // which cost a busy broadcast five times the copies (330 ms of collection against 60).
    ring.refs[at] = length <= INLINE_MAX ? this.#copy(ring, frame) : frame;
    this.#bytes += length;
    while (this.frames > 1 && (this.frames > this.maxFrames || this.#bytes > this.maxBytes)) {
      this.#lost = this.#ring.seqs[this.#ring.head]!;
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
    if (this.#oneSeq !== 0) {
      if (this.#oneSeq <= count) {
        this.#oneSeq = this.#count = this.#bytes = 0;
        this.#one = ""; // let the acknowledged frame go
      }
      return true;
    }
    while (this.#count > 0 && this.#ring.seqs[this.#ring.head]! <= count) this.#shift();
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
    if (this.#oneSeq !== 0) return this.#oneSeq > count ? [bytesOf(this.#one)] : [];
    const out: Uint8Array[] = [];
    const mask = this.#ring.seqs.length - 1;
    for (let k = 0; k < this.#count; k++) {
      const i = (this.#ring.head + k) & mask;
      if (this.#ring.seqs[i]! > count) out.push(this.#frame(i));
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
    const mask = this.#ring.seqs.length - 1;
    if (this.#oneSeq !== 0) this.#oneSeq = count + 1;
    else {for (let k = 0; k < this.#count; k++) {
        this.#ring.seqs[(this.#ring.head + k) & mask] = count + 1 + k;
      }}
    this.#sent = count + this.#count;
    this.#lost = 0;
  }

  /** Forget everything and start numbering from 1 again (a new session, or the end). */
  clear(): void {
    this.#ring = NO_RING;
    this.#oneSeq = 0;
    this.#one = "";
    this.#count =
      this.#sent =
      this.#acked =
      this.#bytes =
      this.#lost =
        0;
  }

  /** Kept frame `i` (a copy when it was copied in). */
  #frame(i: number): Uint8Array {
    const ref = this.#ring.refs[i]!;
    if (typeof ref !== "number") return ref;
    const at = ref - this.#ring.base;
    return this.#ring.data!.slice(at, at + this.#ring.lens[i]!);
  }

  /** Copy a small frame after the others; returns its logical position. */
  #copy(ring: Ring, frame: Uint8Array): number {
    const length = frame.length;
    let data = ring.data;
    if (data === null || ring.to - ring.base + length > data.length) {
      const live = ring.to - ring.from;
      if (data !== null && live + length <= data.length >> 1) {
        data.copyWithin(0, ring.from - ring.base, ring.to - ring.base);
      } else {
        let size = data === null ? INLINE_INITIAL : data.length * 2;
        while (size < 2 * (live + length)) size *= 2;
        const grown = new Uint8Array(size);
        if (data !== null) {
          grown.set(
            data.subarray(ring.from - ring.base, ring.to - ring.base),
          );
        }
        ring.data = data = grown;
      }
      ring.base = ring.from;
    }
    const at = ring.to;
    data.set(frame, at - ring.base);
    ring.to += length;
    return at;
  }

  #shift(): void {
    const i = this.#ring.head;
    const length = this.#ring.lens[i]!;
    this.#bytes -= length;
    if (typeof this.#ring.refs[i] === "number") this.#ring.from += length;
    this.#ring.refs[i] = 0; // drop the reference now
    this.#ring.head = (i + 1) & (this.#ring.seqs.length - 1);
    if (--this.#count === 0) {
      // Everything acknowledged: start again at the front of the bytes
      // (and after a burst past 4096 frames, let the big ring go).
      this.#ring.head = 0;
      this.#ring.base = this.#ring.from = this.#ring.to;
      if (this.#ring.seqs.length > 4096) this.#ring = NO_RING;
    }
  }

  /**
   * Double the ring (4 entries at first, taking in a first frame kept alone),
   * keeping the entries in order from index 0.
   */
  #grow(): void {
    if (this.#ring === NO_RING) this.#ring = new Ring();
    const old = this.#ring.seqs.length;
    const size = Math.max(4, old * 2);
    const seqs = new Float64Array(size);
    const lens = new Int32Array(size);
    const refs: (Uint8Array | number)[] = new Array(size).fill(0);
    if (this.#oneSeq !== 0) {
      seqs[0] = this.#oneSeq;
      lens[0] = this.#one.length;
      refs[0] = this.#copy(this.#ring, bytesOf(this.#one));
      this.#oneSeq = 0;
      this.#one = "";
    }
    for (let k = 0; k < old && k < this.#count; k++) {
      const i = (this.#ring.head + k) & (old - 1);
      seqs[k] = this.#ring.seqs[i]!;
      lens[k] = this.#ring.lens[i]!;
      refs[k] = this.#ring.refs[i]!;
    }
    this.#ring.seqs = seqs;
    this.#ring.lens = lens;
    this.#ring.refs = refs;
    this.#ring.head = 0;
  }
}

/** The bytes of a one-byte string (a frame kept alone). */
function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
