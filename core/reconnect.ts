/**
 * The client's reconnection loop: wait (jittered exponential backoff), try,
 * and again until an attempt succeeds, the attempts run out, or it is stopped.
 *
 * @module
 */

import { backoffDelay, type ResolvedReconnectOptions } from "./backoff.ts";

/** What the loop asks of its owner. */
export interface ReconnectHooks {
  /** An attempt is about to wait `delay` ms (the `reconnecting` event). */
  scheduled(attempt: number, delay: number): void;
  /** Make attempt `attempt`; resolve when connected again, reject when it failed. */
  attempt(attempt: number): Promise<void>;
  /** Every attempt failed (the `reconnect_failed` event). */
  gaveUp(attempts: number, lastError: unknown): void;
}

/** Runs reconnection attempts one after the other; at most one loop at a time. */
export class Reconnector {
  readonly #options: ResolvedReconnectOptions;
  readonly #hooks: ReconnectHooks;
  readonly #random: () => number;
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  #active = false;

  /**
   * Make a loop (it starts with `start()`).
   *
   * @param options Delays and the number of attempts.
   * @param hooks The owner's side of each step.
   * @param random Jitter source in [0, 1).
   */
  constructor(
    options: ResolvedReconnectOptions,
    hooks: ReconnectHooks,
    random: () => number = Math.random,
  ) {
    this.#options = options;
    this.#hooks = hooks;
    this.#random = random;
  }

  /** True while a loop runs (waiting or attempting). */
  get active(): boolean {
    return this.#active;
  }

  /** Start a loop (no effect when one runs). */
  start(): void {
    if (this.#active) return;
    this.#active = true;
    void this.#run(++this.#generation);
  }

  /** Stop the loop: no more attempts, the pending timer is cleared. */
  stop(): void {
    this.#generation++;
    this.#active = false;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  async #run(generation: number): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.#options.maxAttempts; attempt++) {
      const delay = backoffDelay(attempt, this.#options, this.#random);
      this.#hooks.scheduled(attempt, delay);
      if (generation !== this.#generation) return; // a handler closed the client
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, delay);
      });
      this.#wake = undefined;
      if (generation !== this.#generation) return;
      try {
        await this.#hooks.attempt(attempt);
        if (generation === this.#generation) this.#active = false;
        return;
      } catch (error) {
        if (generation !== this.#generation) return;
        lastError = error;
      }
    }
    this.#active = false;
    this.#hooks.gaveUp(this.#options.maxAttempts, lastError);
  }
}
