// Issue 6: the pure parts of the UDP channel (no sockets): datagram layout,
// coalescing, latest-wins sequencing, duplicate suppression, bad input, tokens.
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodePacket } from "../protocol/packet.ts";
import { type Packet, PacketKind } from "../protocol/types.ts";
import { UdpBindings } from "../core/udp_bindings.ts";
import {
  bindDatagram,
  boundDatagram,
  DATAGRAM_PING,
  DATAGRAM_PONG,
  pingDatagram,
  seqDiff,
} from "../core/udp_datagram.ts";
import { UdpLink } from "../core/udp_link.ts";
import { UdpReceiver } from "../core/udp_receiver.ts";
import { UdpSender } from "../core/udp_sender.ts";
import { newUdpStats } from "../core/udp_stats.ts";
import { seeded } from "./udp_relay.ts";

const TAG = 0x0a0b0c0d;

/** A data datagram written by hand from PROTOCOL.md (not by the sender under test). */
function data(seq: number, back: number, frames: Uint8Array[]): Uint8Array {
  const bytes = [
    0xd3,
    0x0a,
    0x0b,
    0x0c,
    0x0d,
    seq >>> 24,
    (seq >>> 16) & 255,
    (seq >>> 8) & 255,
    seq & 255,
  ];
  bytes.push(back); // < 128 here: one uvarint byte
  for (const frame of frames) bytes.push(frame.length, ...frame); // < 128 bytes each
  return new Uint8Array(bytes);
}

const msg = (nsp: number, code: number, value: number) =>
  encodePacket({ kind: PacketKind.Message, nsp, code, body: new Uint8Array([value]) });
const event = (name: string, value: number) =>
  encodePacket({
    kind: PacketKind.Event,
    nsp: 0,
    name,
    ackId: 0,
    payload: { type: "json", value },
  });

/** A receiver that records what it delivers as "code:value" or "name:value". */
function receiver() {
  const stats = newUdpStats();
  const got: string[] = [];
  const rx = new UdpReceiver(stats, 65536, (p: Packet) => {
    if (p.kind === PacketKind.Message) got.push(`${p.code}:${p.body[0]}`);
    else if (p.kind === PacketKind.Event && p.payload.type === "json") {
      got.push(`${p.name}:${p.payload.value}`);
    }
  });
  return { stats, got, rx };
}

describe("UdpSender", () => {
  it("packs one turn's frames into datagrams of at most maxDatagramSize; seq counts datagrams, back points to the turn's first", async () => {
    const out: Uint8Array[] = [];
    const stats = newUdpStats();
    const sender = new UdpSender(TAG, 64, (b) => out.push(b) > 0, stats);
    const frame = new Uint8Array(9).fill(1); // 10-byte slots: 5 per 64-byte datagram
    for (let i = 0; i < 12; i++) assert.equal(sender.send(frame), true);
    await Promise.resolve();
    for (let i = 0; i < 2; i++) sender.send(frame);
    await Promise.resolve();
    const headers = out.map((
      d,
    ) => [d[0], (d[5]! << 24 | d[6]! << 16 | d[7]! << 8 | d[8]!) >>> 0, d[9]]);
    assert.deepEqual(headers, [[0xd3, 1, 0], [0xd3, 2, 1], [0xd3, 3, 2], [0xd3, 4, 0]]);
    assert.deepEqual(out.map((d) => d.length), [60, 60, 30, 30]);
    assert.deepEqual([...out[0]!.subarray(1, 5)], [0x0a, 0x0b, 0x0c, 0x0d]);
    assert.equal(stats.datagramsSent, 4);
    assert.equal(stats.framesSent, 14);
    assert.equal(sender.send(new Uint8Array(sender.maxFrameBytes + 1)), false);
    assert.equal(sender.maxFrameBytes, 64 - 12 - 1);
    assert.throws(() => new UdpSender(TAG, 63, () => true, stats), RangeError);
  });
});

describe("UdpReceiver", () => {
  it("delivers a whole turn in any arrival order, drops an older turn as late and a copy as duplicate", () => {
    const { stats, got, rx } = receiver();
    rx.receive(data(2, 1, [msg(0, 5, 2)])); // turn 1, second datagram, first to arrive
    rx.receive(data(1, 0, [msg(0, 5, 1)])); // turn 1, first datagram: same moment, delivered
    rx.receive(data(4, 0, [msg(0, 5, 4)])); // turn 4
    rx.receive(data(3, 0, [msg(0, 5, 3)])); // turn 3 arrives after turn 4: late
    rx.receive(data(4, 0, [msg(0, 5, 4)])); // a copy
    assert.deepEqual(got, ["5:2", "5:1", "5:4"]);
    assert.deepEqual(
      [stats.datagramsReceived, stats.framesReceived, stats.late, stats.duplicates, stats.invalid],
      [4, 3, 1, 1, 0],
    );
  });

  it("keeps channels apart: per schema code and namespace, per event name", () => {
    const { stats, got, rx } = receiver();
    rx.receive(data(2, 0, [msg(0, 5, 2), event("a", 2)]));
    rx.receive(
      data(1, 0, [msg(0, 6, 1), msg(1, 5, 1), event("b", 1), msg(0, 5, 1), event("a", 1)]),
    );
    assert.deepEqual(got, ["5:2", "a:2", "6:1", "5:1", "b:1"]); // "5:1" is nsp 1
    assert.equal(stats.late, 2); // code 5 and event "a" in namespace 0
  });

  it("orders across the 32-bit wrap of seq", () => {
    const { got, rx } = receiver();
    rx.receive(data(0xffffffff, 0, [msg(0, 1, 1)]));
    rx.receive(data(1, 0, [msg(0, 1, 2)])); // 0 is skipped: 1 follows 0xffffffff
    rx.receive(data(0xfffffffe, 0, [msg(0, 1, 0)]));
    assert.deepEqual(got, ["1:1", "1:2"]);
    assert.ok(seqDiff(1, 0xffffffff) > 0 && seqDiff(0xfffffffe, 1) < 0);
  });

  it("counts malformed or forbidden datagrams as invalid and delivers none of their frames", () => {
    const { stats, got, rx } = receiver();
    const ok = msg(0, 1, 1);
    const bad = [
      new Uint8Array([0xd3, 1, 2, 3, 4, 0, 0, 0, 1, 0, 1]), // shorter than any data datagram
      data(0, 0, [ok]), // seq 0 never appears
      data(1, 0, [ok]).subarray(0, 12), // a slot cut short
      new Uint8Array([...data(2, 0, [ok]), 0]), // an empty slot
      data(3, 0, [ok, new Uint8Array([0x07, 0x00])]), // a valid frame, then a truncated event
      data(4, 0, [encodePacket({ kind: PacketKind.Ping, time: 1 })]), // a ping has no place here
      data(5, 0, [
        encodePacket({
          kind: PacketKind.Event,
          nsp: 0,
          name: "e",
          ackId: 3,
          payload: { type: "none" },
        }),
      ]),
      data(6, 0, []), // no frame at all
      new Uint8Array([...data(7, 0, []), 0x80, 0x00]), // a non-minimal length
    ];
    for (const datagram of bad) rx.receive(datagram);
    assert.deepEqual(got, []);
    assert.equal(stats.invalid, bad.length);
    assert.equal(stats.datagramsReceived, 0);
  });

  it("survives seeded garbage: each datagram is counted once and only events and messages get through", () => {
    const random = seeded(66);
    const kinds = new Set<number>();
    const link = new UdpLink({
      tag: TAG,
      maxDatagramSize: 1200,
      maxFrameSize: 1024,
      send: () => true,
      deliver: (p) =>
        void kinds.add(p.kind === PacketKind.Event ? p.ackId * 1000 + p.kind : p.kind),
    });
    for (let i = 0; i < 3000; i++) {
      const bytes = new Uint8Array(1 + Math.floor(random() * 40));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      if (i % 2 === 0) bytes.set([0xd3, 0x0a, 0x0b, 0x0c, 0x0d].slice(0, bytes.length)); // right tag
      link.receive(bytes);
    }
    const s = link.stats;
    assert.equal(s.datagramsReceived + s.duplicates + s.invalid, 3000);
    assert.ok(s.invalid > 1500 && s.datagramsReceived > 0, `invalid ${s.invalid}`);
    for (const kind of kinds) assert.ok(kind === PacketKind.Event || kind >= 0x0c, `kind ${kind}`);
  });
});

describe("UdpBindings", () => {
  const bindOf = (token: Uint8Array) => new Uint8Array([0xd1, ...token]);

  it("issues 16 random bytes with distinct tags; the first bind fixes the address", () => {
    const bindings = new UdpBindings<string>(10_000);
    const a = bindings.issue((tag) => `a${tag}`);
    const b = bindings.issue(() => "b");
    assert.equal(a.token.length, 16);
    assert.notDeepEqual(a.token, b.token);
    assert.notEqual(a.tag, b.tag);
    assert.equal(a.owner, `a${a.tag}`);
    assert.equal(bindings.find(a.tag, 4000, "10.0.0.1"), undefined, "not bound yet");
    assert.equal(bindings.bind(bindOf(a.token), 4000, "10.0.0.1"), a);
    assert.equal(bindings.bind(bindOf(a.token), 4000, "10.0.0.1"), a, "a lost reply: bind again");
    assert.equal(a.binds, 2);
    assert.equal(bindings.bind(bindOf(a.token), 4001, "10.0.0.1"), undefined, "another port");
    assert.equal(bindings.bind(bindOf(a.token), 4000, "10.0.0.2"), undefined, "another address");
    const wrong = a.token.slice();
    wrong[15]! ^= 1;
    assert.equal(bindings.bind(bindOf(wrong), 5000, "10.0.0.3"), undefined, "one bit off");
    assert.equal(bindings.bind(bindOf(a.token).subarray(0, 16), 4000, "10.0.0.1"), undefined);
    assert.equal(bindings.find(a.tag, 4000, "10.0.0.1"), a);
    assert.equal(bindings.find(a.tag, 4000, "10.0.0.2"), undefined);
    assert.equal(bindings.size, 2);
    bindings.release(a);
    bindings.release(b);
    assert.equal(bindings.size, 0);
    assert.equal(bindings.find(a.tag, 4000, "10.0.0.1"), undefined);
  });

  it("refuses a token after it expired", async () => {
    const bindings = new UdpBindings<null>(20);
    const a = bindings.issue(() => null);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(bindings.bind(bindOf(a.token), 4000, "10.0.0.1"), undefined);
    assert.equal(a.port, 0);
  });
});

describe("PROTOCOL.md section 10", () => {
  it("lists the datagram vectors the code writes", async () => {
    const doc = readFileSync(new URL("../protocol/PROTOCOL.md", import.meta.url), "utf8");
    const rows = [...doc.matchAll(/^\| (udp [^|]*?)\s*\| `([0-9a-f ]+)`\s*\|$/gm)].map((m) => m[2]);
    const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
    const token = Uint8Array.from({ length: 16 }, (_, i) => i < 4 ? 0x0a + i : i);
    const out: Uint8Array[] = [];
    const sender = new UdpSender(TAG, 1200, (b) => out.push(b) > 0, newUdpStats());
    sender.send(msg(0, 1, 0x2a));
    sender.send(
      encodePacket({
        kind: PacketKind.Event,
        nsp: 1,
        name: "hp",
        ackId: 0,
        payload: { type: "json", value: 7 },
      }),
    );
    await Promise.resolve();
    assert.deepEqual(rows, [
      hex(bindDatagram(token)),
      hex(boundDatagram(TAG)),
      hex(pingDatagram(DATAGRAM_PING, TAG, 1.5)),
      hex(pingDatagram(DATAGRAM_PONG, TAG, 1.5)),
      hex(out[0]!),
      hex(data(3, 1, [msg(0, 1, 0x2a)])),
    ]);
  });
});
