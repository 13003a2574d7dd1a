// FrameDecoder holds what arrived, not what a peer announced, and reports a frame in progress.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, FrameDecoder } from "../protocol/frame.ts";
import type { ProtocolError } from "../protocol/errors.ts";

describe("FrameDecoder buffering", () => {
  it("a large frame fed 100 bytes at a time arrives whole", () => {
    const body = new Uint8Array(60_000).map((_, i) => i * 7);
    const wire = encodeFrame(body);
    const decoder = new FrameDecoder({ maxFrameSize: 64 * 1024 });
    const frames: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += 100) {
      decoder.push(wire.subarray(i, i + 100), (f) => frames.push(f.slice()));
    }
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], body);
    assert.equal(decoder.inFrame, false);
  });

  it("a peer that announces 64 KiB and sends one byte is held at its bytes, and is mid-frame", () => {
    const decoder = new FrameDecoder({ maxFrameSize: 64 * 1024 });
    const wire = encodeFrame(new Uint8Array(64 * 1024));
    decoder.push(wire.subarray(0, 4), () => assert.fail("no frame yet"));
    assert.equal(decoder.bufferedBytes, 1);
    assert.equal(decoder.inFrame, true);
  });

  it("after a failure every push rethrows the original error", () => {
    const decoder = new FrameDecoder({ maxFrameSize: 10 });
    const wire = encodeFrame(new Uint8Array(11));
    assert.throws(
      () => decoder.push(wire, () => {}),
      (e: ProtocolError) => e.code === "ERR_FRAME_TOO_LARGE",
    );
    assert.throws(
      () => decoder.push(new Uint8Array([1, 0]), () => {}),
      (e: ProtocolError) => e.code === "ERR_FRAME_TOO_LARGE",
    );
  });
});
