// FrameBatch: per-turn coalescing, buffer reuse, bufferedAmount and drain, without sockets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameBatch } from "../runtime/batch.ts";
import { encodeFrame } from "../protocol/frame.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function batchWith(held = () => 0, options = {}) {
  const calls = { flush: 0, drain: 0 };
  const batch = new FrameBatch({
    flush: () => calls.flush++,
    held,
    drain: () => calls.drain++,
  }, options);
  return { batch, calls };
}

describe("FrameBatch", () => {
  it("FrameBatch.send() coalesces a turn's frames into one flush", async () => {
    const { batch, calls } = batchWith();
    const frames = Array.from({ length: 200 }, (_, i) => new Uint8Array([i, i + 1, 7]));
    for (const f of frames) batch.send(f);
    assert.equal(calls.flush, 0, "not flushed synchronously");
    assert.equal(batch.pending, 200 * 4);
    await Promise.resolve();
    assert.equal(calls.flush, 1);
    assert.deepEqual(batch.take(), concat(frames.map(encodeFrame)));
    assert.equal(batch.take(), null);
    assert.equal(batch.pending, 0);
  });

  it("FrameBatch.send() copies large frames and grows its buffer", async () => {
    const { batch, calls } = batchWith();
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    batch.send(new Uint8Array([1]));
    batch.send(big);
    big[0] = 99; // the batch holds a copy
    await Promise.resolve();
    assert.equal(calls.flush, 1);
    big[0] = 0;
    assert.deepEqual(batch.take(), concat([encodeFrame(new Uint8Array([1])), encodeFrame(big)]));
  });

  it("FrameBatch.take() never hands out a buffer still lent to the runtime", () => {
    const { batch } = batchWith();
    batch.send(new Uint8Array([1, 1, 1]));
    const first = batch.take()!;
    batch.send(new Uint8Array([2, 2, 2]));
    const second = batch.take()!;
    assert.notEqual(first.buffer, second.buffer);
    assert.deepEqual(first, new Uint8Array([3, 1, 1, 1]), "first batch untouched");
    batch.recycle(first);
    batch.send(new Uint8Array([4]));
    const third = batch.take()!;
    assert.equal(third.buffer, first.buffer, "a recycled buffer is reused");
    assert.deepEqual(third, new Uint8Array([1, 4]));
    batch.recycle(second);
    batch.recycle(third);
  });

  it("FrameBatch sizes a turn's buffer to its frames: 512 bytes for a few small ones, 16 KiB past that", () => {
    // A broadcast to a room of 500 starts 500 batches in one turn: each must be cheap.
    const batches = Array.from({ length: 500 }, () => batchWith().batch);
    const chunks = batches.map((b) => (b.send(new Uint8Array(15)), b.take()!));
    for (const c of chunks) assert.equal(c.buffer.byteLength, 512);
    assert.equal(new Set(chunks.map((c) => c.buffer)).size, 500, "no buffer lent twice");
    for (const [i, c] of chunks.entries()) batches[i]!.recycle(c);
    const { batch } = batchWith();
    batch.send(new Uint8Array(15));
    const again = batch.take()!;
    assert.ok(chunks.some((c) => c.buffer === again.buffer), "small buffers are reused");
    batch.recycle(again);
    for (let i = 0; i < 40; i++) batch.send(new Uint8Array(15)); // 640 bytes: outgrows 512
    const grown = batch.take()!;
    assert.equal(grown.length, 640);
    assert.ok(grown.buffer.byteLength >= 16 * 1024);
    batch.recycle(grown);
  });

  it("FrameBatch.bufferedAmount counts held bytes and drain fires once below the low mark", () => {
    let held = 0;
    const { batch, calls } = batchWith(() => held, { highWaterMark: 100, lowWaterMark: 10 });
    held = 50; // the runtime still holds an earlier write
    batch.send(new Uint8Array(60)); // 111 > highWaterMark: full
    assert.equal(batch.bufferedAmount, 61 + 50);
    const chunk = batch.take()!;
    held += chunk.length;
    batch.checkDrain();
    assert.equal(calls.drain, 0, "still above the low mark");
    held = 10;
    batch.checkDrain();
    batch.checkDrain();
    assert.equal(calls.drain, 1);
    batch.recycle(chunk);
  });
});
