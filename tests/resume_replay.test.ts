// ReplayBuffer and ResumeLink: numbering, acknowledgement, bounds, replay and renumbering.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isCounted, ReplayBuffer } from "../core/replay.ts";
import { ACK_ALONE, ACK_EVERY, resolveResumeSettings, ResumeLink } from "../core/resume_link.ts";
import { decodePacket, encodePacket } from "../protocol/packet.ts";
import { PacketKind } from "../protocol/types.ts";
import type { Transport, TransportKind } from "../runtime/types.ts";

const event = (n: number) =>
  encodePacket({
    kind: PacketKind.Event,
    nsp: 0,
    name: "n",
    ackId: 0,
    payload: { type: "json", value: n },
  });
const valueOf = (frame: Uint8Array) => {
  const packet = decodePacket(frame);
  assert.equal(packet.kind, PacketKind.Event);
  return packet.kind === PacketKind.Event && packet.payload.type === "json"
    ? packet.payload.value
    : -1;
};

/** A transport that records what it is given (the ResumeLink is what is under test). */
class Sink implements Transport {
  readonly kind: TransportKind = "memory";
  readonly remoteAddress = "";
  readonly remotePort = 0;
  readonly bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  closed = false;
  send(frame: Uint8Array): void {
    this.sent.push(frame);
  }
  close(): void {
    this.closed = true;
  }
}

describe("isCounted()", () => {
  it("counts every kind but hello, welcome, ping, pong and received", () => {
    const uncounted = [0x01, 0x02, 0x09, 0x0a, 0x0e];
    for (let kind = 0; kind < 256; kind++) {
      assert.equal(isCounted(new Uint8Array([kind])), !uncounted.includes(kind), `kind ${kind}`);
    }
  });
});

describe("ReplayBuffer", () => {
  it("numbers every frame, keeps the reliable ones, forgets what is acknowledged", () => {
    const buffer = new ReplayBuffer(100, 1 << 20);
    for (let i = 1; i <= 10; i++) assert.equal(buffer.record(event(i), i % 2 === 1), i);
    assert.equal(buffer.sent, 10);
    assert.equal(buffer.frames, 5);
    assert.deepEqual((buffer.after(0) as Uint8Array[]).map(valueOf), [1, 3, 5, 7, 9]);
    assert.equal(buffer.acknowledge(4), true);
    assert.equal(buffer.acked, 4);
    assert.deepEqual((buffer.after(4) as Uint8Array[]).map(valueOf), [5, 7, 9]);
    assert.deepEqual((buffer.after(7) as Uint8Array[]).map(valueOf), [9]);
    assert.equal(buffer.acknowledge(11), false, "more than was sent");
    assert.equal(buffer.after(11), "invalid");
    assert.equal(buffer.after(3), "invalid", "below what the peer already acknowledged");
    assert.equal(buffer.acknowledge(10), true);
    assert.equal(buffer.frames, 0);
    assert.equal(buffer.bytes, 0);
  });

  it("a first frame kept alone replays, renumbers and joins the ring in order", () => {
    const buffer = new ReplayBuffer(100, 1 << 20);
    const first = event(1);
    buffer.record(first, true);
    assert.equal(buffer.frames, 1);
    assert.equal(buffer.bytes, first.length);
    const [copy] = buffer.after(0) as Uint8Array[];
    assert.deepEqual(copy, first);
    assert.notEqual(copy, first, "a copy, not the caller's array");
    buffer.rebase(0);
    assert.equal(buffer.sent, 1);
    buffer.record(event(2), false);
    buffer.record(event(3), true);
    buffer.record(event(4), true);
    assert.deepEqual((buffer.after(0) as Uint8Array[]).map(valueOf), [1, 3, 4]);
    assert.equal(buffer.acknowledge(1), true);
    assert.deepEqual((buffer.after(1) as Uint8Array[]).map(valueOf), [3, 4]);
    const alone = new ReplayBuffer(100, 1 << 20);
    alone.record(event(5), true);
    assert.equal(alone.acknowledge(1), true);
    assert.equal(alone.frames, 0);
    assert.deepEqual(alone.after(1), []);
    alone.record(event(6), true);
    assert.deepEqual((alone.after(1) as Uint8Array[]).map(valueOf), [6]);
    alone.clear();
    assert.equal(alone.frames + alone.sent, 0);
  });

  it("keeps large frames by reference (a broadcast's bytes are not copied) and copies small ones", () => {
    const buffer = new ReplayBuffer(10, 1 << 20);
    const large = encodePacket({
      kind: PacketKind.Event,
      nsp: 0,
      name: "n",
      ackId: 0,
      payload: { type: "json", value: "x".repeat(200) },
    });
    const small = event(1);
    buffer.record(large, true);
    buffer.record(small, true);
    const [a, b] = buffer.after(0) as Uint8Array[];
    assert.equal(a, large);
    assert.notEqual(b, small, "a copy: no object per small frame outlives the send");
    assert.deepEqual(b, small);
  });

  it("copies a broadcast's shared small frame into every member's buffer", () => {
    const members = [1, 2, 3].map(() => new ReplayBuffer(10, 1 << 20));
    const shared = event(7);
    for (const m of members) m.record(shared, true);
    for (const m of members) {
      const [kept] = m.after(0) as Uint8Array[];
      assert.notEqual(kept, shared);
      assert.deepEqual(kept, shared);
    }
  });

  it("keeps the bytes of many small frames in order while it grows, compacts and is acknowledged", () => {
    const buffer = new ReplayBuffer(100_000, 1 << 30);
    const frame = (i: number) => new Uint8Array(1 + (i % 100)).fill(i & 0xff);
    let acked = 0;
    for (let i = 1; i <= 5_000; i++) {
      buffer.record(frame(i), true);
      if (i % 37 === 0) buffer.acknowledge(acked = i - (i % 5)); // leave a few unacknowledged
    }
    const rest = buffer.after(acked) as Uint8Array[];
    assert.equal(rest.length, 5_000 - acked);
    rest.forEach((f, i) => assert.deepEqual(f, frame(acked + 1 + i)));
    assert.equal(buffer.bytes, rest.reduce((n, f) => n + f.length, 0));
    buffer.acknowledge(5_000);
    assert.equal(buffer.frames, 0);
    assert.equal(buffer.bytes, 0);
  });

  it("evicts the oldest frames past its bounds and reports overflowed when the peer lacks one", () => {
    const buffer = new ReplayBuffer(3, 1 << 20);
    for (let i = 1; i <= 5; i++) buffer.record(event(i), true);
    assert.equal(buffer.frames, 3);
    assert.equal(buffer.overflowed, true);
    assert.equal(buffer.after(0), "overflowed");
    assert.equal(buffer.after(1), "overflowed");
    assert.deepEqual((buffer.after(2) as Uint8Array[]).map(valueOf), [3, 4, 5]);
    buffer.acknowledge(2);
    assert.equal(buffer.overflowed, false);
    const bytes = new ReplayBuffer(100, event(1).length * 2);
    for (let i = 1; i <= 4; i++) bytes.record(event(i), true);
    assert.equal(bytes.frames, 2);
    assert.ok(bytes.bytes <= bytes.maxBytes);
    assert.equal(bytes.hasRoom(event(5).length), false);
  });

  it("keeps order while frames are always in flight (its ring wraps), then rebases", () => {
    const buffer = new ReplayBuffer(100_000, 1 << 30);
    for (let i = 1; i <= 1000; i++) {
      buffer.record(event(i), i % 10 !== 0); // every tenth is volatile
      if (i > 20 && i % 7 === 0) buffer.acknowledge(i - 20); // 20 always unacknowledged
    }
    const acked = buffer.acked;
    const expected = [];
    for (let i = acked + 1; i <= 1000; i++) if (i % 10 !== 0) expected.push(i);
    assert.deepEqual((buffer.after(acked) as Uint8Array[]).map(valueOf), expected);
    buffer.rebase(acked);
    assert.equal(buffer.sent, acked + expected.length);
    assert.deepEqual((buffer.after(acked) as Uint8Array[]).map(valueOf), expected);
    assert.equal(buffer.acknowledge(buffer.sent), true);
    assert.equal(buffer.frames, 0);
  });

  it("rebase() renumbers after a replay so the skipped volatile frames are forgotten", () => {
    const buffer = new ReplayBuffer(100, 1 << 20);
    buffer.record(event(1), true); // 1
    buffer.record(event(2), false); // 2, volatile, lost with the link
    buffer.record(event(3), true); // 3
    // The peer got frame 1 only; frame 3 is replayed and becomes its frame 2.
    assert.deepEqual((buffer.after(1) as Uint8Array[]).map(valueOf), [3]);
    buffer.rebase(1);
    assert.equal(buffer.sent, 2);
    assert.equal(buffer.record(event(4), true), 3);
    assert.deepEqual((buffer.after(2) as Uint8Array[]).map(valueOf), [4]);
    assert.equal(buffer.acknowledge(3), true);
    assert.equal(buffer.frames, 0);
  });

  it("replays small and large frames, volatile ones skipped, in order through evictions and wraps", () => {
    // Small copies carry no position of their own: each is found after the one before it.
    const buffer = new ReplayBuffer(40, 6_000);
    const kept: { seq: number; bytes: Uint8Array }[] = []; // the model: what may be replayed
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 0x7fffffff);
    for (let i = 1; i <= 3_000; i++) {
      const bytes = new Uint8Array(next() % 5 === 0 ? 129 + next() % 400 : 1 + next() % 128);
      bytes.fill(i & 0xff);
      const reliable = next() % 6 !== 0;
      const seq = buffer.record(bytes, reliable);
      if (reliable) kept.push({ seq, bytes });
      if (i % 13 === 0) buffer.acknowledge(Math.max(buffer.acked, seq - (next() % 30)));
      while (kept.length > buffer.frames) kept.shift(); // acknowledged or evicted
      if (i % 97 === 0 && !buffer.overflowed) {
        const replay = buffer.after(buffer.acked) as Uint8Array[];
        assert.deepEqual(replay, kept.map((k) => k.bytes), `after frame ${i}`);
        assert.equal(buffer.bytes, kept.reduce((n, k) => n + k.bytes.length, 0));
      }
    }
    assert.ok(buffer.bytes <= buffer.maxBytes && buffer.frames <= buffer.maxFrames);
  });

  it("compacts its arrays on long runs without losing order", () => {
    const buffer = new ReplayBuffer(100_000, 1 << 30);
    let acked = 0;
    for (let i = 1; i <= 20_000; i++) {
      buffer.record(event(i), true);
      if (i % 700 === 0) buffer.acknowledge(acked = i - 50);
    }
    const rest = (buffer.after(acked) as Uint8Array[]).map(valueOf);
    assert.equal(rest.length, 20_000 - acked);
    rest.forEach((value, i) => assert.equal(value, acked + 1 + i));
  });
});

describe("ResumeLink", () => {
  it("numbers what reaches the transport: reliable kept, volatile numbered only, control not counted", () => {
    const sink = new Sink();
    const link = new ResumeLink(sink, true, 100, 1 << 20);
    const reliable = event(1);
    link.expect(reliable);
    link.send(reliable);
    link.expect(undefined);
    link.send(event(2)); // not marked: volatile
    link.send(encodePacket({ kind: PacketKind.Ping, time: 1 }));
    assert.equal(sink.sent.length, 3);
    assert.equal(link.replay.sent, 2);
    assert.equal(link.replay.frames, 1);
  });

  it("while detached keeps reliable frames only and writes nothing", () => {
    const sink = new Sink();
    const link = new ResumeLink(sink, true, 100, 1 << 20);
    link.detach();
    assert.equal(link.transport, undefined);
    const reliable = event(1);
    link.expect(reliable);
    link.send(reliable);
    link.expect(undefined);
    link.send(event(2));
    assert.equal(sink.sent.length, 0);
    assert.equal(link.replay.sent, 1, "a volatile frame sent while detached takes no number");
    const next = new Sink();
    const frames = link.check(0);
    assert.ok(Array.isArray(frames));
    link.resume(next, frames, 0);
    assert.deepEqual(next.sent.map(valueOf), [1]);
    assert.equal(link.transport, next);
  });

  it("counts frames received and asks for an ack on its own every ACK_ALONE frames", () => {
    const link = new ResumeLink(new Sink(), true, 100, 1 << 20);
    const due: number[] = [];
    for (let i = 1; i <= ACK_ALONE * 2; i++) {
      if (link.count(event(i))) {
        due.push(i);
        link.ackFrame();
      }
    }
    assert.deepEqual(due, [ACK_ALONE, ACK_ALONE * 2]);
    assert.equal(link.count(encodePacket({ kind: PacketKind.Pong, time: 1 })), false);
    assert.equal(link.received, ACK_ALONE * 2);
    assert.equal(link.ackFrame(), undefined, "nothing new to acknowledge");
    link.count(event(1));
    const ack = decodePacket(link.ackFrame()!);
    assert.deepEqual(ack, { kind: PacketKind.Received, count: ACK_ALONE * 2 + 1 });
  });

  it("asks for an ack on its own after ACK_ALONE_BYTES bytes, whatever the count", () => {
    const link = new ResumeLink(new Sink(), true, 100, 1 << 20);
    const big = encodePacket({ kind: PacketKind.Raw, nsp: 0, data: new Uint8Array(4 * 1024) });
    const due = [1, 2, 3, 4, 5].map(() => link.count(big));
    assert.deepEqual(due, [false, false, false, true, true]);
    link.ackFrame();
    assert.equal(link.count(big), false, "the byte count starts again after an ack");
  });

  it("carries the ack along with a frame it sends once ACK_EVERY frames came in", () => {
    const sink = new Sink();
    const link = new ResumeLink(sink, true, 100, 1 << 20);
    for (let i = 1; i < ACK_EVERY; i++) link.count(event(i));
    link.send(event(1));
    assert.equal(sink.sent.length, 1, "below ACK_EVERY the frame goes alone");
    link.count(event(ACK_EVERY));
    link.send(event(2));
    assert.deepEqual(sink.sent.slice(1).map((f) => decodePacket(f).kind), [
      PacketKind.Received,
      PacketKind.Event,
    ]);
    assert.deepEqual(decodePacket(sink.sent[1]!), { kind: PacketKind.Received, count: ACK_EVERY });
    link.send(event(3));
    assert.equal(sink.sent.length, 4, "acknowledged once");
  });

  it("does nothing when resume is off", () => {
    const sink = new Sink();
    const link = new ResumeLink(sink, false, 100, 1 << 20);
    const frame = event(1);
    link.expect(frame);
    link.send(frame);
    assert.equal(link.replay.sent, 0);
    assert.equal(link.count(frame), false);
    assert.equal(link.ackFrame(), undefined);
    assert.equal(sink.sent.length, 1);
  });
});

describe("resolveResumeSettings()", () => {
  it("fills in the defaults and refuses values out of range with a RangeError", () => {
    assert.deepEqual(resolveResumeSettings({}, 1234), {
      resumeWindow: 120_000,
      replayBufferFrames: 65_536,
      replayBufferBytes: 1234,
    });
    assert.equal(resolveResumeSettings({ resumeWindow: 0 }, 1).resumeWindow, 0);
    for (
      const bad of [
        { resumeWindow: -1 },
        { resumeWindow: 1.5 },
        { replayBufferFrames: 0 },
        { replayBufferBytes: Number.NaN },
      ]
    ) assert.throws(() => resolveResumeSettings(bad, 1), RangeError, JSON.stringify(bad));
  });
});
