/**
 * Heartbeat timers of one connection: a ping every interval, and a dead-peer
 * deadline at interval + timeout after the last frame received.
 *
 * @module
 */

import { now } from "./types.ts";

/** Ping sender and liveness watch for one connection (used on both sides). */
export class Heartbeat {
  readonly #pingTimer: ReturnType<typeof setInterval>;
  #deadTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Start both timers.
   *
   * @param interval Milliseconds between pings.
   * @param timeout Extra milliseconds of silence before `onDead`.
   * @param ping Sends a ping carrying the given clock value.
   * @param onDead Called once when the peer has been silent too long.
   * @param lastReceived When the last frame came (`now()` clock; the owner keeps it:
   *   a write to this object on every frame was one more cold object per frame).
   */
  constructor(
    interval: number,
    timeout: number,
    ping: (time: number) => void,
    onDead: () => void,
    lastReceived: () => number,
  ) {
    this.#pingTimer = setInterval(() => ping(now()), interval);
    // One timer, re-armed lazily: when it fires before the deadline it sleeps
    // until the new deadline, so frames never touch the timer.
    const check = () => {
      const left = lastReceived() + interval + timeout - now();
      if (left <= 0) {
        this.stop();
        return onDead();
      }
      this.#deadTimer = setTimeout(check, left + 1);
    };
    this.#deadTimer = setTimeout(check, interval + timeout);
  }

  /** Round-trip time from a pong's echoed clock value. */
  static rttOf(time: number): number {
    return Math.max(0, now() - time);
  }

  /** Stop both timers. */
  stop(): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#deadTimer);
  }
}
