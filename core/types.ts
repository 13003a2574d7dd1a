/**
 * Types shared by the server and the client API.
 *
 * @module
 */

/**
 * Maps event names to the payload type of each event, for typed `on`/`emit`.
 *
 * @example
 * ```ts
 * interface LobbyEvents { hello: string; move: { x: number; y: number } }
 * ```
 */
// `any`, not `unknown`: an `interface` has no index signature, so only `any`
// lets users describe their events with interfaces.
// deno-lint-ignore no-explicit-any
export type EventMap = Record<string, any>;

/** The ack function a handler gets when the sender asked for a reply. */
export type AckFn = (reply?: unknown) => void;

/** A handler of a user event: the payload, and an ack function when the sender wants a reply. */
export type EventHandler<T> = (payload: T, ack?: AckFn) => unknown;

/** Options of `emitWithAck`. */
export interface AckOptions {
  /** Milliseconds to wait for the reply before rejecting with `ERR_ACK_TIMEOUT`. @default 5000 */
  timeout?: number;
}

/** Default ack timeout in milliseconds. */
export const DEFAULT_ACK_TIMEOUT = 5_000;

/** Milliseconds since an arbitrary origin, monotonic. */
export function now(): number {
  return performance.now();
}

let turnClock = -1;
const forgetTurnClock = (): void => {
  turnClock = -1;
};
// A promise reaction, not queueMicrotask: node's allocates an async resource
// and a bound function per call (~300 bytes per turn).
const resolved = Promise.resolve();

/**
 * {@linkcode now}, read once per event-loop turn: for what every received
 * frame stamps (liveness, rate limits), where microseconds do not matter
 * and a clock read per frame does (an op call on Deno, 5% of a busy server).
 *
 * @returns Milliseconds, as `now()` at the first call of this turn.
 */
export function turnNow(): number {
  if (turnClock < 0) {
    turnClock = performance.now();
    void resolved.then(forgetTurnClock);
  }
  return turnClock;
}
