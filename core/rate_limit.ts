/**
 * Per-connection rate limiting: two token buckets, one on messages and one on
 * bytes, checked on every frame a client sends.
 *
 * @module
 */

import { type Packet, PacketKind } from "../protocol/types.ts";
import { turnNow } from "./types.ts";

/** Which rate a peer went over. */
export type RateLimitName = "maxMessagesPerSecond" | "maxBytesPerSecond";

/** What a `rate-warning` event carries. */
export interface RateWarning {
  /** The limit the peer went over. */
  limit: RateLimitName;
  /** The sustained rate it allows, per second. */
  allowed: number;
}

/** What {@linkcode RateLimiter.take} decided about one frame. */
export type RateVerdict = "ok" | "warn" | "exceeded";

/** Options of {@linkcode RateLimiter}. */
export interface RateLimiterOptions {
  /** Messages per second, sustained. */
  maxMessagesPerSecond: number;
  /** Bytes per second, sustained. */
  maxBytesPerSecond: number;
  /** The clock, in milliseconds. @default performance.now, read once per event-loop turn */
  clock?: () => number;
}

/**
 * Token buckets on messages and bytes for one connection.
 *
 * A peer may burst up to twice its sustained rates. Past that, `take` answers
 * `"warn"` once (the session then sends `rate-warning`); the frames are still
 * handled, so a peer that slows down loses nothing. When the peer keeps on
 * for another second's worth (a debt of one second of tokens), `take` answers
 * `"exceeded"` and the session disconnects it with `rate-limit`. Once both
 * buckets are out of debt, a later burst warns again.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limit.ts";
 * let t = 0;
 * const limiter = new RateLimiter({ maxMessagesPerSecond: 2, maxBytesPerSecond: 1000, clock: () => t });
 * const verdicts = [1, 2, 3, 4, 5, 6, 7].map(() => limiter.take(10));
 * console.log(verdicts); // ["ok", "ok", "ok", "ok", "warn", "ok", "exceeded"]
 * ```
 */
export class RateLimiter {
  // Two token buckets as plain numbers (objects were ~100 bytes per connection).
  // Each holds up to two seconds of tokens (the burst) and may go into debt
  // down to minus one second of tokens.
  #messages: number;
  #bytes: number;
  readonly #options: RateLimiterOptions;
  /** Whole milliseconds: a small integer, not a boxed number per connection. */
  #last: number;
  #warned = false;
  /** The limit named by the last `"warn"` or `"exceeded"`. */
  broken: RateWarning | undefined;

  /** @param options Sustained rates and, for tests, a clock. */
  constructor(options: RateLimiterOptions) {
    this.#options = options;
    this.#messages = options.maxMessagesPerSecond * 2;
    this.#bytes = options.maxBytesPerSecond * 2;
    this.#last = Math.floor((options.clock ?? turnNow)());
  }

  /**
   * Count one frame.
   *
   * @param bytes The frame's size.
   * @returns `"ok"`, `"warn"` the first time the peer goes over, `"exceeded"` when it must go.
   */
  take(bytes: number): RateVerdict {
    const { maxMessagesPerSecond, maxBytesPerSecond } = this.#options;
    const t = Math.floor((this.#options.clock ?? turnNow)());
    const elapsed = t - this.#last;
    if (elapsed > 0) {
      this.#last = t;
      const seconds = elapsed / 1000;
      this.#messages = Math.min(
        2 * maxMessagesPerSecond,
        this.#messages + seconds * maxMessagesPerSecond,
      );
      this.#bytes = Math.min(2 * maxBytesPerSecond, this.#bytes + seconds * maxBytesPerSecond);
    }
    const m = this.#messages -= 1;
    const b = this.#bytes -= bytes;
    if (m >= 0 && b >= 0) {
      this.#warned = false;
      return "ok";
    }
    this.broken = m < 0
      ? { limit: "maxMessagesPerSecond", allowed: maxMessagesPerSecond }
      : { limit: "maxBytesPerSecond", allowed: maxBytesPerSecond };
    if (m < -maxMessagesPerSecond || b < -maxBytesPerSecond) return "exceeded";
    if (this.#warned) return "ok";
    this.#warned = true;
    return "warn";
  }
}

/**
 * Data bytes of a packet that came by UDP, as far as the decoded packet tells
 * (a JSON payload counts 0: it was counted as a message).
 *
 * @param packet A decoded volatile packet.
 * @returns Its body bytes.
 */
export function dataBytes(packet: Packet): number {
  if (packet.kind === PacketKind.Message) return packet.body.length;
  if (packet.kind === PacketKind.Raw) return packet.data.length;
  if (packet.kind === PacketKind.Event && packet.payload.type === "bytes") {
    return packet.payload.value.length;
  }
  return 0;
}
