/**
 * One timer for many deadlines: a server's sessions (handshake timeouts,
 * heartbeats, resume windows) share it instead of holding timers of their own.
 *
 * @module
 */

import { now } from "./types.ts";

/** Something with a deadline in a {@linkcode Deadlines} heap. */
export interface DeadlineEntry {
  /** When it is due, on the `now()` clock (set by the heap). */
  deadlineAt: number;
  /** Its place in the heap, -1 when not scheduled (kept by the heap). */
  deadlineSlot: number;
  /**
   * Called once when due, out of the heap (it may schedule itself again).
   * `time` is the clock a millisecond ahead: what is due by then is due.
   */
  onDeadline(time: number): void;
}

/** A timer may fire up to this early against `now()` (timers count whole milliseconds). */
const EARLY_MS = 1;

/**
 * A min-heap of deadlines with one timer armed for the earliest. Two timers
 * and four closures per connection were a tenth of an idle server's memory
 * per connection (about 700 of 6,800 heap bytes); here a connection costs a
 * slot in an array and two numbers. The timer runs only while something is
 * scheduled, so it never keeps a process alive by itself.
 *
 * @example
 * ```ts
 * import { Deadlines } from "./deadlines.ts";
 * const deadlines = new Deadlines();
 * const entry = { deadlineAt: 0, deadlineSlot: -1, onDeadline: () => console.log("due") };
 * deadlines.schedule(entry, performance.now() + 10); // "due" after ~10 ms
 * ```
 */
export class Deadlines {
  readonly #heap: DeadlineEntry[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedAt = Infinity;
  readonly #fire = (): void => this.#run();

  /** Entries scheduled. */
  get size(): number {
    return this.#heap.length;
  }

  /**
   * Schedule (or move) an entry.
   *
   * @param entry The entry; its `onDeadline` runs at `at` (or up to a millisecond late).
   * @param at When, on the `now()` clock.
   */
  schedule(entry: DeadlineEntry, at: number): void {
    const heap = this.#heap;
    const earlier = entry.deadlineSlot >= 0 && at < entry.deadlineAt;
    // Whole milliseconds: a small integer is stored in the entry, where a
    // fraction would be a boxed number (16 heap bytes) per entry.
    at = Math.ceil(at);
    entry.deadlineAt = at;
    if (entry.deadlineSlot < 0) {
      entry.deadlineSlot = heap.length;
      heap.push(entry);
      this.#up(entry.deadlineSlot);
    } else if (earlier) this.#up(entry.deadlineSlot);
    else this.#down(entry.deadlineSlot);
    if (at < this.#armedAt) this.#arm(at);
  }

  /**
   * Unschedule an entry (nothing happens when it is not scheduled).
   *
   * @param entry The entry.
   */
  cancel(entry: DeadlineEntry): void {
    const slot = entry.deadlineSlot;
    if (slot < 0) return;
    entry.deadlineSlot = -1;
    const heap = this.#heap;
    const last = heap.pop()!;
    if (slot < heap.length) {
      heap[slot] = last;
      last.deadlineSlot = slot;
      this.#up(slot);
      this.#down(last.deadlineSlot);
    }
    if (heap.length === 0) this.#disarm();
  }

  #run(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const heap = this.#heap;
    const time = now() + EARLY_MS;
    // Bounded: an entry that reschedules itself into the past waits for the next timer.
    for (
      let n = heap.length;
      n > 0 && heap.length > 0 && heap[0]!.deadlineAt <= time;
      n--
    ) {
      const entry = heap[0]!;
      this.cancel(entry);
      entry.onDeadline(time);
    }
    if (heap.length > 0 && heap[0]!.deadlineAt < this.#armedAt) this.#arm(heap[0]!.deadlineAt);
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - now()));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
  }

  #up(slot: number): void {
    const heap = this.#heap;
    const entry = heap[slot]!;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      const above = heap[parent]!;
      if (above.deadlineAt <= entry.deadlineAt) break;
      heap[slot] = above;
      above.deadlineSlot = slot;
      slot = parent;
    }
    heap[slot] = entry;
    entry.deadlineSlot = slot;
  }

  #down(slot: number): void {
    const heap = this.#heap;
    const entry = heap[slot]!;
    const size = heap.length;
    for (;;) {
      let child = 2 * slot + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1]!.deadlineAt < heap[child]!.deadlineAt) child++;
      const below = heap[child]!;
      if (below.deadlineAt >= entry.deadlineAt) break;
      heap[slot] = below;
      below.deadlineSlot = slot;
      slot = child;
    }
    heap[slot] = entry;
    entry.deadlineSlot = slot;
  }
}
