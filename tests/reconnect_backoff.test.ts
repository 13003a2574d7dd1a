// The reconnection delays: a pure function, checked with a seeded random source.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, DEFAULT_RECONNECT, resolveReconnectOptions } from "../core/backoff.ts";
import { Reconnector } from "../core/reconnect.ts";

/** mulberry32: a small seeded PRNG, so the jittered delays are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("backoffDelay()", () => {
  it("grows by factor from initialDelay and stops at maxDelay without jitter", () => {
    const options = resolveReconnectOptions({
      initialDelay: 100,
      factor: 2,
      maxDelay: 1_000,
      jitter: 0,
    });
    const delays = [1, 2, 3, 4, 5, 6, 50, 5_000].map((n) => backoffDelay(n, options, () => 0.9));
    assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]);
  });

  it("spreads each delay within base * (1 ± jitter), capped at maxDelay, the same for a seed", () => {
    const options = resolveReconnectOptions({
      initialDelay: 200,
      factor: 3,
      maxDelay: 4_000,
      jitter: 0.25,
    });
    const run = (seed: number) => {
      const random = seeded(seed);
      return Array.from({ length: 8 }, (_, i) => backoffDelay(i + 1, options, random));
    };
    const a = run(42);
    assert.deepEqual(run(42), a, "same seed, same delays");
    assert.notDeepEqual(run(7), a, "another seed, other delays");
    a.forEach((delay, i) => {
      const base = Math.min(4_000, 200 * 3 ** i);
      assert.ok(delay >= Math.floor(base * 0.75) && delay <= Math.min(4_000, base * 1.25), `${i}`);
    });
    // The extremes of the random source give the extremes of the range.
    assert.equal(backoffDelay(1, options, () => 0), 150);
    assert.equal(backoffDelay(1, options, () => 0.999999), 250);
    assert.equal(backoffDelay(10, options, () => 0.999999), 4_000);
    assert.equal(backoffDelay(10, options, () => 0), 3_000);
  });

  it("uses the documented defaults", () => {
    assert.deepEqual(resolveReconnectOptions(), {
      initialDelay: 500,
      maxDelay: 5_000,
      factor: 2,
      jitter: 0.5,
      maxAttempts: Infinity,
    });
    assert.equal(backoffDelay(1, DEFAULT_RECONNECT, () => 0.5), 500);
    assert.equal(backoffDelay(2_000, DEFAULT_RECONNECT, () => 0.5), 5_000, "no overflow to NaN");
    assert.equal(backoffDelay(5, resolveReconnectOptions({ initialDelay: 0 }), () => 0.5), 0);
  });

  it("rejects options out of range with a RangeError", () => {
    for (
      const bad of [
        { initialDelay: -1 },
        { maxDelay: Number.NaN },
        { factor: 0.5 },
        { jitter: 1.5 },
        { maxAttempts: 0 },
        { maxAttempts: 2.5 },
      ]
    ) assert.throws(() => resolveReconnectOptions(bad), RangeError, JSON.stringify(bad));
  });
});

describe("Reconnector", () => {
  it("waits the backoff delays, stops after maxAttempts and reports it once", async () => {
    const options = resolveReconnectOptions({
      initialDelay: 5,
      factor: 2,
      maxDelay: 20,
      jitter: 0,
      maxAttempts: 4,
    });
    const scheduled: Array<[number, number]> = [];
    const attempts: number[] = [];
    let resolveGaveUp: (value: [number, unknown]) => void = () => {};
    const gaveUp = new Promise<[number, unknown]>((resolve) => resolveGaveUp = resolve);
    const loop = new Reconnector(options, {
      scheduled: (n, delay) => scheduled.push([n, delay]),
      attempt: (n) => {
        attempts.push(n);
        return Promise.reject(new Error(`no ${n}`));
      },
      gaveUp: (n, error) => resolveGaveUp([n, error]),
    });
    loop.start();
    loop.start(); // a second start while one runs changes nothing
    const [count, error] = await gaveUp;
    assert.equal(count, 4);
    assert.equal((error as Error).message, "no 4");
    assert.deepEqual(scheduled, [[1, 5], [2, 10], [3, 20], [4, 20]]);
    assert.deepEqual(attempts, [1, 2, 3, 4]);
    assert.equal(loop.active, false);
  });

  it("stops at the first success, and stop() cancels a pending wait", async () => {
    const options = resolveReconnectOptions({ initialDelay: 1, jitter: 0, maxDelay: 5 });
    const attempts: number[] = [];
    const loop = new Reconnector(options, {
      scheduled: () => {},
      attempt: (n) => {
        attempts.push(n);
        return n < 3 ? Promise.reject(new Error("down")) : Promise.resolve();
      },
      gaveUp: () => assert.fail("gave up"),
    });
    loop.start();
    const end = Date.now() + 5_000;
    while (loop.active && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(attempts, [1, 2, 3]);
    const slow = new Reconnector(resolveReconnectOptions({ initialDelay: 60_000 }), {
      scheduled: () => {},
      attempt: () => assert.fail("attempted after stop()"),
      gaveUp: () => assert.fail("gave up"),
    });
    slow.start();
    slow.stop();
    assert.equal(slow.active, false);
  });
});
