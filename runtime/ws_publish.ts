/**
 * Broadcasts through a runtime's native publish/subscribe (Bun's
 * uWebSockets topics), found by the transports themselves.
 *
 * A broadcast gives the same frame to each member's transport, and on Bun a
 * `send()` from JavaScript to each of 500 sockets costs about ten times what
 * one native `publish()` to 500 subscribers costs. So the transports of one
 * server share a hub: their frames of a turn are flushed together, frames that
 * went to many transports in that turn are found (by identity, then checked
 * byte for byte), and each is published once to a topic whose subscribers are
 * exactly those transports. A topic is made the first time a set of
 * recipients is seen and reused while the set is the same (a room whose
 * members do not change), so the core, rooms, resume and limits above see
 * nothing of it. Each transport still gets its frames in the order they were
 * sent; when a turn's frames cannot be published in order they are sent one
 * by one, as without a hub.
 *
 * @module
 */

import { copyToSlab } from "../protocol/slab.ts";

/** A transport that flushes through a {@linkcode PublishHub}. */
export interface PublishMember {
  /** A random number, the same for the member's life (for the topic lookup). */
  readonly hubId: number;
  /** How many frames the member queued this turn. */
  readonly queuedCount: number;
  /** The copy of this turn's frame `i` (owned by the member; the hub only reads it). */
  queuedFrame(i: number): Uint8Array;
  /** The array `send()` was given for this turn's frame `i`. */
  queuedKey(i: number): Uint8Array;
  /** The hub sent every queued frame: forget them (keeping the arrays for the next turn). */
  dropQueued(): void;
  /**
   * Take the frames queued this turn: push the copies to send onto `frames`
   * and the arrays `send()` was given onto `keys`.
   *
   * @returns False when nothing was queued (then nothing is pushed).
   */
  takeQueued(frames: Uint8Array[][], keys: Uint8Array[][]): boolean;
  /** Send frames one by one, in order. */
  sendFrames(frames: Uint8Array[]): void;
  /** Subscribe the socket to a topic. */
  subscribe(topic: string): void;
  /** Unsubscribe the socket from a topic. */
  unsubscribe(topic: string): void;
  /**
   * Publish to every subscriber of `topic` but this socket, then send to this socket too.
   *
   * @returns False when this socket is closed: nothing was published.
   */
  publishFrom(topic: string, frame: Uint8Array): boolean;
  /** Publishes of `bytes` in all reached this member. */
  published(bytes: number): void;
}

/** A set of recipients with a topic of its own. */
interface Topic {
  name: string;
  members: Set<PublishMember>;
  /** The members in the order last published to (a room's order does not change). */
  list: PublishMember[];
  used: number;
}

/** Frames sent to fewer transports than this in a turn are sent one by one. */
const MIN_RECIPIENTS = 8;
/** Topics kept per hub; the least recently used one is dropped (unsubscribed) past this. */
const MAX_TOPICS = 64;

let nextTopic = 1;
const EMPTY = new Uint8Array(0);

/** The recipients of one frame in a flush: queue indexes and positions in those queues. */
interface Group {
  at: number[];
  queue: number[];
}

/** True when every member queued the same arrays, in the same order, with the same bytes. */
function sameEverywhere(members: PublishMember[]): boolean {
  const head = members[0]!;
  const count = head.queuedCount;
  for (let m = 1; m < members.length; m++) {
    const member = members[m]!;
    if (member.queuedCount !== count) return false;
    for (let i = 0; i < count; i++) {
      if (member.queuedKey(i) !== head.queuedKey(i)) return false;
      const f = member.queuedFrame(i);
      const first = head.queuedFrame(i);
      if (f !== first && !equal(f, first)) return false;
    }
  }
  return true;
}

/** True when the frame went to enough distinct members, each with the same bytes. */
function sameBytes(g: Group, frames: Uint8Array[][]): boolean {
  if (g.queue.length < MIN_RECIPIENTS) return false;
  // Recipients are listed in queue order: a repeat means twice to one member.
  for (let i = 1; i < g.queue.length; i++) if (g.queue[i]! <= g.queue[i - 1]!) return false;
  const first = frames[g.queue[0]!]![g.at[0]!]!;
  for (let i = 1; i < g.queue.length; i++) {
    const other = frames[g.queue[i]!]![g.at[i]!]!;
    if (other !== first && !equal(other, first)) return false;
  }
  return true;
}

/** Same members in the same order. */
function sameList(a: PublishMember[], b: PublishMember[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Same length, same bytes. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Publish through the first member from `at` on that is open (one whose own
 * send failed closed at once, and a closed socket cannot publish).
 *
 * @returns The index of the member that published.
 */
function publishVia(
  members: PublishMember[],
  at: number,
  topic: string,
  frame: Uint8Array,
): number {
  while (at < members.length && !members[at]!.publishFrom(topic, frame)) at++;
  return at;
}

/** True when a frame in `from..to` (exclusive) still waits to be published. */
function blocked(waiting: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (waiting[i] === 1) return true;
  return false;
}

/**
 * One per server: collects the frames its transports send in a turn and
 * flushes them in one microtask, publishing shared frames natively.
 */
export class PublishHub {
  // Two lists swapped at each flush, and a list of recipients, reused: a room
  // broadcast flushes once per message, and fresh arrays per flush (and per
  // member queue) kept Bun's collector and block warm-up thread busy. They are
  // filled by index and emptied slot by slot, never by `length = 0`, which
  // let their storage go: it grew again at each flush (42 bytes of garbage per
  // delivery in a sampled allocation profile of 500 members, on Node).
  #dirty: (PublishMember | undefined)[] = [];
  #dirtyCount = 0;
  #spare: (PublishMember | undefined)[] = [];
  readonly #members: (PublishMember | undefined)[] = [];
  readonly #frames: Uint8Array[] = [];
  /** The topic last published to, and its key in #topics. */
  #lastTopic: [number, Topic] | undefined;
  #scheduled = false;
  #turn = 0;
  readonly #topics = new Map<number, Topic>();
  #lastKey: Uint8Array | undefined;
  #lastCopy: Uint8Array | undefined;
  readonly #flush = (): void => this.flush();

  /**
   * A copy of `frame` to queue: a broadcast gives the same array to every
   * member in a row, so one copy serves them all (after a byte check, in
   * case the caller changed the array between two sends).
   *
   * @param frame The array given to `send()`.
   * @returns A copy the hub and its members never change.
   */
  copy(frame: Uint8Array): Uint8Array {
    const last = this.#lastCopy;
    if (frame === this.#lastKey && last !== undefined && equal(frame, last)) return last;
    this.#lastKey = frame;
    return this.#lastCopy = copyToSlab(frame);
  }

  /**
   * A member queued its first frame of the turn.
   *
   * @param member The transport.
   */
  queued(member: PublishMember): void {
    this.#dirty[this.#dirtyCount++] = member;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Send everything queued this turn (members that flushed themselves meanwhile have nothing). */
  flush(): void {
    this.#scheduled = false;
    this.#lastKey = this.#lastCopy = undefined;
    const dirty = this.#dirty;
    const n = this.#dirtyCount;
    this.#dirty = this.#spare;
    this.#dirtyCount = 0;
    this.#turn++;
    const list = this.#members;
    try {
      let k = 0;
      for (let i = 0; i < n; i++) {
        const m = dirty[i]!;
        dirty[i] = undefined;
        if (m.queuedCount > 0) list[k++] = m;
      }
      if (list.length !== k) list.length = k; // the same room: the same length, nothing moves
      const members = list as PublishMember[];
      // A room broadcast: every member got the same frames. Kept apart from the
      // general case, so the hot function stays small (and cheap to optimise).
      if (k >= MIN_RECIPIENTS && sameEverywhere(members)) this.#publishAll(members);
      else this.#flushMixed(members);
    } finally {
      for (let i = 0; i < n; i++) dirty[i] = undefined; // after a throw, some are left
      list.fill(undefined);
      this.#spare = dirty;
    }
  }

  /** Frames differ between members: publish those shared by enough of them, in order. */
  #flushMixed(dirty: PublishMember[]): void {
    const members: PublishMember[] = [];
    const frames: Uint8Array[][] = [];
    const keys: Uint8Array[][] = [];
    for (const member of dirty) if (member.takeQueued(frames, keys)) members.push(member);
    const n = members.length;
    if (n < MIN_RECIPIENTS) {
      for (let qi = 0; qi < n; qi++) members[qi]!.sendFrames(frames[qi]!);
      return;
    }
    // Recipients of each frame, in the order first met; `base` places each
    // queue's frames in the flat `waiting` flags (1: to be published).
    const groups = new Map<Uint8Array, Group>();
    const base = new Array<number>(n);
    let total = 0;
    for (let qi = 0; qi < n; qi++) {
      const k = keys[qi]!;
      base[qi] = total;
      total += k.length;
      for (let at = 0; at < k.length; at++) {
        let g = groups.get(k[at]!);
        if (g === undefined) groups.set(k[at]!, g = { at: [], queue: [] });
        g.at.push(at);
        g.queue.push(qi);
      }
    }
    const cursor = new Array<number>(n).fill(0);
    const waiting = new Uint8Array(total);
    const publishable: Group[] = [];
    for (const g of groups.values()) {
      if (!sameBytes(g, frames)) continue;
      publishable.push(g);
      for (let i = 0; i < g.queue.length; i++) waiting[base[g.queue[i]!]! + g.at[i]!] = 1;
    }
    for (const g of publishable) {
      // Bring each recipient up to this frame with its own frames; another shared frame
      // still in the way means this turn cannot be published in order.
      let done = 0;
      for (; done < g.queue.length; done++) {
        const qi = g.queue[done]!;
        const at = g.at[done]!;
        const from = cursor[qi]!;
        if (blocked(waiting, base[qi]! + from, base[qi]! + at)) break;
        if (at > from) members[qi]!.sendFrames(frames[qi]!.slice(from, at));
        cursor[qi] = at + 1;
      }
      if (done < g.queue.length) {
        // This frame did not go out: the recipients brought up to it resume at it.
        for (let i = 0; i < done; i++) cursor[g.queue[i]!] = g.at[i]!;
        break;
      }
      const recipients = g.queue.map((qi) => members[qi]!);
      const first = g.queue[0]!;
      publishVia(recipients, 0, this.#topicFor(recipients), frames[first]![g.at[0]!]!);
      for (let i = 0; i < g.queue.length; i++) {
        waiting[base[g.queue[i]!]! + g.at[i]!] = 0;
        recipients[i]!.published(frames[first]![g.at[0]!]!.length);
      }
    }
    for (let qi = 0; qi < n; qi++) {
      const f = frames[qi]!;
      if (cursor[qi]! < f.length) {
        members[qi]!.sendFrames(cursor[qi] === 0 ? f : f.slice(cursor[qi]));
      }
    }
  }

  /** Every member queued the same frames (a room broadcast): publish each once to all of them. */
  #publishAll(members: PublishMember[]): void {
    const topic = this.#topicFor(members);
    // The first member's frames, read first: publishVia may close (and empty) it.
    const head = members[0]!;
    const frames = this.#frames;
    const count = head.queuedCount;
    for (let i = 0; i < count; i++) frames[i] = head.queuedFrame(i);
    if (frames.length !== count) frames.length = count;
    let bytes = 0;
    let via = 0;
    for (const frame of frames) {
      via = publishVia(members, via, topic, frame);
      bytes += frame.length;
    }
    frames.fill(EMPTY);
    for (const m of members) {
      m.dropQueued();
      m.published(bytes);
    }
  }

  /** The topic whose subscribers are exactly `members`, made (and subscribed) when new. */
  #topicFor(members: PublishMember[]): string {
    // The same recipients in the same order as the last publish (a room's next broadcast):
    // one pass over two arrays, where the hash and a set lookup per member cost more.
    const last = this.#lastTopic;
    if (
      last !== undefined && this.#topics.get(last[0]) === last[1] && sameList(members, last[1].list)
    ) {
      last[1].used = this.#turn;
      return last[1].name;
    }
    let sig = members.length;
    for (const m of members) sig = (sig + m.hubId) % 0x7fffffff;
    const known = this.#topics.get(sig);
    if (
      known && known.members.size === members.length && members.every((m) => known.members.has(m))
    ) {
      known.used = this.#turn;
      known.list = members.slice();
      this.#lastTopic = [sig, known];
      return known.name;
    }
    if (known) this.#drop(sig, known);
    if (this.#topics.size >= MAX_TOPICS) {
      let oldest: [number, Topic] | undefined;
      for (const entry of this.#topics) {
        if (!oldest || entry[1].used < oldest[1].used) oldest = entry;
      }
      if (oldest) this.#drop(...oldest);
    }
    const topic: Topic = {
      name: `gs:${nextTopic++}`,
      members: new Set(members),
      list: members.slice(),
      used: this.#turn,
    };
    for (const m of members) m.subscribe(topic.name);
    this.#topics.set(sig, topic);
    this.#lastTopic = [sig, topic];
    return topic.name;
  }

  #drop(sig: number, topic: Topic): void {
    this.#topics.delete(sig);
    for (const m of topic.members) m.unsubscribe(topic.name);
  }
}
