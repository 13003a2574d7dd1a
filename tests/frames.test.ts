// Frame encoding for sends: one pass through a reused writer, small frames copied into slabs.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { messageFrame, packetFrame } from "../core/frames.ts";
import { encodePacket } from "../protocol/packet.ts";
import { defineSchema } from "../protocol/schema.ts";
import { copyToSlab, SLAB_COPY_MAX } from "../protocol/slab.ts";
import { type Packet, PacketKind } from "../protocol/types.ts";

const Move = defineSchema(2, { id: "uint16", x: "float32", firing: "bool" });

describe("frames", () => {
  it("packetFrame() and messageFrame() give encodePacket's bytes, and later encodes never change them", () => {
    const event: Packet = {
      kind: PacketKind.Event,
      nsp: 1,
      name: "chat",
      ackId: 0,
      payload: { type: "json", value: { text: "hi" } },
    };
    const a = packetFrame(event);
    const m = messageFrame(1, Move, { id: 7, x: 1.5, firing: true });
    const big = packetFrame({ ...event, payload: { type: "json", value: "x".repeat(500) } });
    for (let i = 0; i < 2000; i++) messageFrame(1, Move, { id: i, x: i, firing: false }); // fill slabs
    assert.deepEqual(a, encodePacket(event));
    const body = Move.encode({ id: 7, x: 1.5, firing: true });
    assert.deepEqual(m, encodePacket({ kind: PacketKind.Message, nsp: 1, code: 2, body }));
    assert.equal(
      big.length,
      encodePacket({ ...event, payload: { type: "json", value: "x".repeat(500) } }).length,
    );
  });

  it("messageFrame() throws the schema's error for a bad value and stays usable", () => {
    assert.throws(() => messageFrame(1, Move, { id: 70_000, x: 0, firing: false }), RangeError);
    assert.deepEqual(
      messageFrame(0, Move, { id: 1, x: 0, firing: false }),
      encodePacket({
        kind: PacketKind.Message,
        nsp: 0,
        code: 2,
        body: Move.encode({ id: 1, x: 0, firing: false }),
      }),
    );
  });

  it("copyToSlab() copies small arrays into views of a shared slab and large ones into their own", () => {
    const small = copyToSlab(new Uint8Array([1, 2, 3]));
    const next = copyToSlab(new Uint8Array([4]));
    assert.deepEqual(small, new Uint8Array([1, 2, 3]));
    assert.ok(small.buffer.byteLength > SLAB_COPY_MAX, "a view of a slab");
    assert.equal(small.buffer, next.buffer);
    assert.ok(next.byteOffset >= small.byteOffset + 3, "no overlap");
    const large = copyToSlab(new Uint8Array(SLAB_COPY_MAX + 1).fill(5));
    assert.equal(large.buffer.byteLength, SLAB_COPY_MAX + 1);
    const source = new Uint8Array([9, 9]);
    const copy = copyToSlab(source);
    source.fill(0);
    assert.deepEqual(copy, new Uint8Array([9, 9]));
  });
});
