/**
 * Pending acknowledgements: ids out, replies (or timeouts) back.
 *
 * @module
 */

import { GameSocketError } from "./errors.ts";

/** Called with the reply to an event, or an error on timeout or disconnect. */
export type AckCallback = (error: Error | null, reply?: unknown) => void;

interface Pending {
  callback: AckCallback;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The acks one side waits for on one socket; bounded, cleaned on disconnect. */
export class PendingAcks {
  /** Made on the first ack: most sockets wait for none, and an empty map costs ~200 bytes. */
  #pending: Map<number, Pending> | undefined;
  readonly #max: number;
  #nextId = 1;

  /** @param max Most acks waited for at once. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Number of acks being waited for. */
  get size(): number {
    return this.#pending?.size ?? 0;
  }

  /**
   * Register a callback and get the ack id to send.
   *
   * @param callback Called once with the reply or an error.
   * @param timeout Milliseconds before `ERR_ACK_TIMEOUT`, 0 for none.
   * @throws {GameSocketError} `ERR_TOO_MANY_PENDING_ACKS` when the bound is reached.
   */
  add(callback: AckCallback, timeout: number): number {
    const pending = this.#pending ??= new Map();
    if (pending.size >= this.#max) {
      throw new GameSocketError(
        "ERR_TOO_MANY_PENDING_ACKS",
        `Cannot wait for another ack: ${this.#max} are pending (maxPendingAcks)`,
      );
    }
    const id = this.#nextId;
    this.#nextId = id >= 0x7fffffff ? 1 : id + 1;
    const timer = timeout > 0
      ? setTimeout(() => {
        pending.delete(id);
        callback(
          new GameSocketError("ERR_ACK_TIMEOUT", `No ack within ${timeout} ms`),
        );
      }, timeout)
      : undefined;
    pending.set(id, { callback, timer });
    return id;
  }

  /**
   * Deliver a reply.
   *
   * @returns False when no ack with that id is pending (late, unknown or duplicate).
   */
  resolve(id: number, reply: unknown): boolean {
    const pending = this.#pending?.get(id);
    if (!pending) return false;
    this.#pending!.delete(id);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.callback(null, reply);
    return true;
  }

  /** Fail every pending ack (on disconnect) and forget them. */
  rejectAll(error: Error): void {
    if (this.#pending === undefined) return;
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.callback(error);
    }
  }
}
