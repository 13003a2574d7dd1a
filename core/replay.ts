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
const NO_META = new Float64Array(0);
/** Shared by every ring without a large frame: never written (`#keepLarge` makes a ring's own). */
const NO_REFS: (Uint8Array | undefined)[] = [];
/** First size of the bytes of the copied frames (grown by doubling). */
const INLINE_INITIAL = 64;

/**
 * The kept frames of a buffer that has had two at once: a ring of entries
 * (capacity a power of two) from `head`, each a number and a length side by
 * side in `meta`. A small frame's copy follows the one before it in `data`
 * (logical positions [from, to) live at data[position - base]), so its place
 * is found by walking from `from`; a large frame is kept in `refs`.
 * A ring, because a link that always has frames in flight is never fully
 * acknowledged: arrays that grew and were sliced now and then made
 * medium-lived garbage, which doubled the collector's work on a busy server.
 * One array of numbers and lengths, and no position per entry: a broadcast
 * records a frame in every member's ring, and three arrays of entries were
 * more cold objects per member (500 members on Bun in one process: 0.120 ->
 * 0.089 µs of server time per relayed delivery).
 */
class Ring {
  /** Entry i: number at meta[2i], length at meta[2i + 1]. */
  meta: Float64Array = NO_META;
  /** Entry i's frame when it is larger than INLINE_MAX. */
  refs: (Uint8Array | undefined)[] = NO_REFS;
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
    if (2 * this.#count >= this.#ring.meta.length) this.#grow(); // > when the first frame is alone
    const ring = this.#ring;
    const at = (ring.head + this.#count++) & ((ring.meta.length >> 1) - 1);
    ring.meta[2 * at] = seq;
    ring.meta[2 * at + 1] = length;
    // Even a broadcast's shared frame is copied: a reference to a young array stored in
    // each member's (old) array is a remembered-set entry the next scavenge must visit,
    // which cost a busy broadcast five times the copies (330 ms of collection against 60).
    if (length <= INLINE_MAX) this.#copy(ring, frame);
    else this.#keepLarge(ring, at, frame);
    this.#bytes += length;
    while (this.frames > 1 && (this.frames > this.maxFrames || this.#bytes > this.maxBytes)) {
      this.#lost = this.#ring.meta[2 * this.#ring.head]!;
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
    while (this.#count > 0 && this.#ring.meta[2 * this.#ring.head]! <= count) this.#shift();
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
    const ring = this.#ring;
    const mask = (ring.meta.length >> 1) - 1;
    let position = ring.from; // of the next small frame's copy
    for (let k = 0; k < this.#count; k++) {
      const i = (ring.head + k) & mask;
      const length = ring.meta[2 * i + 1]!;
      const small = length <= INLINE_MAX;
      if (ring.meta[2 * i]! > count) {
        out.push(
          small
            ? ring.data!.slice(position - ring.base, position - ring.base + length)
            : ring.refs[i]!,
        );
      }
      if (small) position += length;
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
    const mask = (this.#ring.meta.length >> 1) - 1;
    if (this.#oneSeq !== 0) this.#oneSeq = count + 1;
    else {for (let k = 0; k < this.#count; k++) {
        this.#ring.meta[2 * ((this.#ring.head + k) & mask)] = count + 1 + k;
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

  /** Keep a large frame by reference, as entry `at`. */
  #keepLarge(ring: Ring, at: number, frame: Uint8Array): void {
    if (ring.refs === NO_REFS) ring.refs = new Array(ring.meta.length >> 1).fill(undefined);
    ring.refs[at] = frame;
  }

  /** Copy a small frame after the others. */
  #copy(ring: Ring, frame: Uint8Array): void {
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
    const at = ring.to - ring.base;
    // A position update is 17 bytes: Bun's set() cost more than a loop (sampled: a seventh of
    // a broadcast's time; 500 members in one process, 0.093 -> 0.088 µs a delivery), Node's ~the same.
    if (length > 24) data.set(frame, at);
    else for (let i = 0; i < length; i++) data[at + i] = frame[i]!;
    ring.to += length;
  }

  #shift(): void {
    const ring = this.#ring;
    const i = ring.head;
    const length = ring.meta[2 * i + 1]!;
    this.#bytes -= length;
    if (length <= INLINE_MAX) ring.from += length;
    else ring.refs[i] = undefined; // drop the reference now
    ring.head = (i + 1) & ((ring.meta.length >> 1) - 1);
    if (--this.#count === 0) {
      // Everything acknowledged: start again at the front of the bytes
      // (and after a burst past 4096 frames, let the big ring go).
      ring.head = 0;
      ring.base = ring.from = ring.to;
      if (ring.meta.length > 2 * 4096) this.#ring = NO_RING;
    }
  }

  /**
   * Double the ring (4 entries at first, taking in a first frame kept alone),
   * keeping the entries in order from index 0.
   */
  #grow(): void {
    if (this.#ring === NO_RING) this.#ring = new Ring();
    const ring = this.#ring;
    const old = ring.meta.length >> 1;
    const size = Math.max(4, old * 2);
    const meta = new Float64Array(2 * size);
    const refs: (Uint8Array | undefined)[] = ring.refs === NO_REFS
      ? NO_REFS
      : new Array(size).fill(undefined);
    if (this.#oneSeq !== 0) {
      meta[0] = this.#oneSeq;
      meta[1] = this.#one.length;
      this.#copy(ring, bytesOf(this.#one));
      this.#oneSeq = 0;
      this.#one = "";
    }
    for (let k = 0; k < old && k < this.#count; k++) {
      const i = (ring.head + k) & (old - 1);
      meta[2 * k] = ring.meta[2 * i]!;
      meta[2 * k + 1] = ring.meta[2 * i + 1]!;
      if (refs !== NO_REFS) refs[k] = ring.refs[i];
    }
    ring.meta = meta;
    ring.refs = refs;
    ring.head = 0;
  }
}

/** The bytes of a one-byte string (a frame kept alone). */
function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
