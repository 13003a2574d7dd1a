/**
 * The collector of an acks-from-many broadcast: it counts the processes that
 * got the request, the sockets they asked and the replies, and calls back
 * once with every reply, or with `ERR_ACK_TIMEOUT` and the replies so far.
 *
 * @module
 */

import type { AckSink } from "../cluster/adapter.ts";
import type { BroadcastAckCallback } from "./broadcast.ts";
import { GameSocketError } from "./errors.ts";

/** Counts processes, asked sockets and replies of one acks-from-many broadcast. */
export class AckCollector implements AckSink {
  readonly #replies: unknown[] = [];
  readonly #ack: BroadcastAckCallback;
  readonly #timer: ReturnType<typeof setTimeout>;
  #nodes = -1;
  #reported = 0;
  #asked = 0;
  #answered = 0;
  #done = false;

  /**
   * @param timeout Milliseconds before the callback gets `ERR_ACK_TIMEOUT`.
   * @param ack Called once.
   */
  constructor(timeout: number, ack: BroadcastAckCallback) {
    this.#ack = ack;
    this.#timer = setTimeout(() => {
      const nodes = this.#nodes < 0
        ? ""
        : ` (${this.#reported} of ${this.#nodes} other processes reported)`;
      const message = `${this.#answered} of ${this.#asked} acks within ${timeout} ms${nodes}`;
      this.#finish(new GameSocketError("ERR_ACK_TIMEOUT", message));
    }, timeout);
  }

  /** Sockets of this process asked. */
  local(count: number): void {
    this.#asked += count;
  }

  nodes(count: number): void {
    this.#nodes = count;
    this.#check();
  }

  asked(count: number): void {
    this.#reported++;
    this.#asked += count;
    this.#check();
  }

  reply(ok: boolean, value: unknown): void {
    this.#answered++;
    if (ok) this.#replies.push(value);
    this.#check();
  }

  abort(error: Error): void {
    this.#finish(error);
  }

  #check(): void {
    if (this.#nodes >= 0 && this.#reported >= this.#nodes && this.#answered >= this.#asked) {
      this.#finish(null);
    }
  }

  #finish(error: Error | null): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.#ack(error, this.#replies);
  }
}
