/**
 * Reconnection delays: jittered exponential backoff, as a pure function.
 *
 * @module
 */

/** Options of the client's automatic reconnection (all optional). */
export interface ReconnectOptions {
  /** Milliseconds before the first attempt (before jitter). @default 500 */
  initialDelay?: number;
  /** Longest delay between two attempts, jitter included. @default 5000 */
  maxDelay?: number;
  /** Each delay is the previous one times this. @default 2 */
  factor?: number;
  /**
   * Randomness, 0..1: a delay `d` becomes a random value in
   * `d * (1 - jitter) .. d * (1 + jitter)` (then capped at `maxDelay`), so
   * clients cut together do not all come back together. @default 0.5
   */
  jitter?: number;
  /** Attempts before giving up (`reconnect_failed`); `Infinity` never gives up. @default Infinity */
  maxAttempts?: number;
}

/** {@linkcode ReconnectOptions} with every default filled in. */
export type ResolvedReconnectOptions = Required<ReconnectOptions>;

/** The defaults of {@linkcode ReconnectOptions}. */
export const DEFAULT_RECONNECT: Readonly<ResolvedReconnectOptions> = Object.freeze({
  initialDelay: 500,
  maxDelay: 5_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
});

/**
 * Fill in the defaults and check every value.
 *
 * @param options What the user gave.
 * @returns Complete options.
 * @throws {RangeError} A negative delay, a factor below 1, a jitter outside 0..1,
 *   or a number of attempts that is not a positive integer (or Infinity).
 */
export function resolveReconnectOptions(options: ReconnectOptions = {}): ResolvedReconnectOptions {
  const o = { ...DEFAULT_RECONNECT, ...options };
  const check = (name: string, ok: boolean, rule: string) => {
    if (!ok) {
      throw new RangeError(
        `Cannot use reconnect ${name}=${o[name as keyof ReconnectOptions]}: ${rule}`,
      );
    }
  };
  check("initialDelay", Number.isFinite(o.initialDelay) && o.initialDelay >= 0, "use ms >= 0");
  check("maxDelay", Number.isFinite(o.maxDelay) && o.maxDelay >= 0, "use ms >= 0");
  check("factor", Number.isFinite(o.factor) && o.factor >= 1, "use a number >= 1");
  check("jitter", o.jitter >= 0 && o.jitter <= 1, "use a number from 0 to 1");
  check(
    "maxAttempts",
    o.maxAttempts === Infinity || (Number.isSafeInteger(o.maxAttempts) && o.maxAttempts > 0),
    "use a positive integer or Infinity",
  );
  return o;
}

/**
 * The delay before a reconnection attempt: `initialDelay * factor^(attempt - 1)`,
 * capped at `maxDelay`, then spread by `jitter` and capped again.
 *
 * @param attempt 1 for the first attempt.
 * @param options Resolved options.
 * @param random A source of numbers in [0, 1) (seed one in tests).
 * @returns Milliseconds to wait, an integer in 0..maxDelay.
 *
 * @example
 * ```ts
 * import { backoffDelay, resolveReconnectOptions } from "./backoff.ts";
 * const options = resolveReconnectOptions({ initialDelay: 100, jitter: 0 });
 * console.log([1, 2, 3].map((n) => backoffDelay(n, options, Math.random))); // [100, 200, 400]
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: ResolvedReconnectOptions,
  random: () => number,
): number {
  const { initialDelay, maxDelay, factor, jitter } = options;
  // factor ** n may be Infinity after many attempts; 0 * Infinity would be NaN.
  const grown = initialDelay === 0 ? 0 : initialDelay * factor ** Math.max(0, attempt - 1);
  const base = Math.min(maxDelay, grown);
  const spread = jitter === 0 ? base : base * (1 - jitter + 2 * jitter * random());
  return Math.round(Math.min(maxDelay, Math.max(0, spread)));
}
