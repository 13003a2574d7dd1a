/**
 * Flushes deferred to the end of the turn, for many owners at once: one
 * promise reaction runs the flush of every owner queued in the turn, in
 * order. Node's `queueMicrotask` allocates an async resource per call, and a
 * function per owner for it cost each connection heap.
 *
 * @module
 */

const resolved = Promise.resolve();

/** Owners (batches, transports) whose flush runs once at the end of the turn. */
export class TurnQueue<T> {
  #due: T[] = [];
  /** The other list, swapped in while one is flushed (no array per turn). */
  #spare: T[] = [];
  readonly #flush: (owner: T) => void;
  readonly #run = (): void => this.#flushDue();

  /** @param flush Called once for each owner queued in the turn. */
  constructor(flush: (owner: T) => void) {
    this.#flush = flush;
  }

  /**
   * Queue an owner's flush; the caller queues it at most once a turn (it keeps a flag).
   *
   * @param owner The owner.
   */
  add(owner: T): void {
    if (this.#due.push(owner) === 1) void resolved.then(this.#run);
  }

  #flushDue(): void {
    const due = this.#due;
    this.#due = this.#spare;
    this.#spare = due;
    for (const owner of due) {
      try {
        this.#flush(owner);
      } catch (error) {
        // One owner's failure must not leave the others unflushed; it stays uncaught.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    due.length = 0;
  }
}
