// Issue 7: socket-level fuzzing with a fixed seed. Thousands of random and mutated byte streams
// go to a live server over real TCP; the server must not crash, nothing may reject unhandled,
// no handler error may reach the server, a control client keeps its echo, and the registries
// are empty at the end.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import process from "node:process";
import { defineSchema } from "../protocol/schema.ts";
import { FrameDecoder } from "../protocol/frame.ts";
import { decodePacket } from "../protocol/packet.ts";
import { type Packet, PacketKind, RoomOp } from "../protocol/types.ts";
import { concat, frameOf, HELLO, prng, untilEmpty } from "./bad_input_peer.ts";
import { connect, startServer } from "./helpers.ts";

const SEED = 0x5eed7;
const CODED = new Set([
  "protocol-error",
  "invalid-packet",
  "frame-too-large",
  "reserved-event",
  "unknown-schema",
  "event-name-too-long",
]);
const STREAMS = 2_000;
const CONCURRENCY = 16;

const Move = defineSchema(2, {
  id: "uint16",
  x: "float32",
  tag: { type: "string", optional: true },
});

/** Valid packets a client may send once "/" is namespace 0 and "/game" namespace 1. */
function validPackets(rand: () => number): Packet[] {
  const n = () => Math.floor(rand() * 5);
  const json = { type: "json" as const, value: { a: [1, "é", null], b: rand() } };
  return [
    { kind: PacketKind.Connect, name: "/", auth: { type: "none" } },
    { kind: PacketKind.Connect, name: "/game", auth: json },
    { kind: PacketKind.Event, nsp: n() % 2, name: "echo", ackId: n(), payload: json },
    {
      kind: PacketKind.Event,
      nsp: 0,
      name: "note",
      ackId: 0,
      payload: { type: "bytes", value: new Uint8Array(n() * 9) },
    },
    { kind: PacketKind.Ack, nsp: n() % 2, ackId: n(), payload: { type: "none" } },
    {
      kind: PacketKind.Room,
      nsp: n() % 2,
      op: RoomOp.Join,
      reqId: n() + 1,
      room: `room${n()}`,
      reason: "",
    },
    {
      kind: PacketKind.Room,
      nsp: 0,
      op: RoomOp.Leave,
      reqId: n() + 1,
      room: `room${n()}`,
      reason: "",
    },
    {
      kind: PacketKind.Message,
      nsp: 1,
      code: Move.code,
      body: Move.encode({ id: n(), x: rand(), tag: "t" }),
    },
    { kind: PacketKind.Raw, nsp: 0, data: new Uint8Array(n()) },
    { kind: PacketKind.Ping, time: rand() * 1e6 },
    { kind: PacketKind.Pong, time: 1 },
    { kind: PacketKind.Received, count: n() },
    { kind: PacketKind.Disconnect, nsp: 1, reason: "namespace-leave", message: "" },
  ];
}

/** One byte stream: random bytes, or a valid session with a few mutations. */
function makeStream(rand: () => number): Uint8Array {
  const int = (max: number) => Math.floor(rand() * max);
  const randomBytes = (length: number) => new Uint8Array(length).map(() => int(256));
  if (rand() < 0.2) return randomBytes(1 + int(512));
  const pool = validPackets(rand);
  const frames = [HELLO, frameOf(pool[0]!), frameOf(pool[1]!)];
  for (let i = int(12); i > 0; i--) frames.push(frameOf(pool[int(pool.length)]!));
  let bytes = concat(...frames);
  for (let m = 1 + int(6); m > 0; m--) {
    const at = int(bytes.length);
    switch (int(7)) {
      case 0: // flip a byte
        bytes[at] = int(256);
        break;
      case 1: // insert random bytes
        bytes = concat(bytes.subarray(0, at), randomBytes(1 + int(16)), bytes.subarray(at));
        break;
      case 2: // delete a range
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + 1 + int(16)));
        break;
      case 3: // duplicate a range
        bytes = concat(
          bytes.subarray(0, at),
          bytes.subarray(at, at + 1 + int(64)),
          bytes.subarray(at),
        );
        break;
      case 4: // truncate
        bytes = bytes.subarray(0, at);
        break;
      case 5: // a huge or odd length prefix
        bytes[at] = [0xff, 0x80, 0x00, 0x7f][int(4)]!;
        break;
      default: // a bit flip
        bytes[at] = (bytes[at] ?? 0) ^ (1 << int(8));
    }
  }
  return bytes;
}

/** What the server did with one stream. */
interface Outcome {
  /** False when the server did not close the link within 5 s of the peer's FIN. */
  closed: boolean;
  /** The server's welcome came. */
  welcomed: boolean;
  /** Reason of the server's connection-level disconnect, "" when none came. */
  reason: string;
}

/** Write one stream, half-close, and wait (bounded) for the server to close the link. */
function play(port: number, bytes: Uint8Array, split: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const outcome: Outcome = { closed: false, welcomed: false, reason: "" };
    const decoder = new FrameDecoder({ maxFrameSize: 1 << 24 });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(outcome);
    }, 5_000);
    socket.on("error", () => {});
    socket.on("data", (chunk: Uint8Array) => {
      decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), (f) => {
        const p = decodePacket(f);
        if (p.kind === PacketKind.Welcome) outcome.welcomed = true;
        if (p.kind === PacketKind.Disconnect && p.nsp === -1) outcome.reason = p.reason;
      });
    });
    socket.on("close", () => {
      clearTimeout(timer);
      outcome.closed = true;
      resolve(outcome);
    });
    socket.once("connect", () => {
      // Two writes: the server must cope with a frame split anywhere.
      socket.write(bytes.subarray(0, split));
      socket.end(bytes.subarray(split));
    });
  });
}

describe("socket fuzzing", () => {
  it(`${STREAMS} seeded random and mutated streams: no crash, nothing unhandled, the control client unaffected`, async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    process.on("uncaughtException", onUnhandled);
    const errors: unknown[] = [];
    const { server, url, port } = await startServer(
      { resumeWindow: 0, pingInterval: 1_000 },
      (s) => {
        s.on("error", (error) => errors.push(error));
        for (const name of ["/", "/game"]) {
          s.of(name).on("connection", (socket) => {
            socket.on("echo", (payload, ack) => ack?.(payload));
            socket.on("note", () => {});
          });
        }
        s.of("/game").on(Move, () => {});
      },
    );
    const control = await connect(url);
    const home = control.of("/");
    await home.ready();
    const rand = prng(SEED);
    const outcomes: Outcome[] = [];
    try {
      for (let done = 0; done < STREAMS; done += CONCURRENCY) {
        const batch = [];
        for (let i = 0; i < CONCURRENCY && done + i < STREAMS; i++) {
          const bytes = makeStream(rand);
          batch.push(play(port, bytes, Math.floor(rand() * (bytes.length + 1))));
        }
        outcomes.push(...await Promise.all(batch));
        if (done % (CONCURRENCY * 25) === 0) {
          assert.deepEqual(await home.emitWithAck("echo", { done }, { timeout: 5_000 }), { done });
        }
      }
      assert.deepEqual(await home.emitWithAck("echo", "end"), "end");
      assert.equal(control.state, "open");
      assert.equal(outcomes.filter((o) => o.closed).length, STREAMS, "every link closed");
      // The fuzz reaches past the handshake, and every goodbye is a coded reason.
      assert.ok(
        outcomes.filter((o) => o.welcomed).length > STREAMS / 2,
        "most streams got a welcome",
      );
      const reasons = new Set(outcomes.map((o) => o.reason).filter((r) => r !== ""));
      for (const reason of reasons) assert.ok(CODED.has(reason), `unexpected reason ${reason}`);
      assert.ok(reasons.size >= 4, `several kinds of failure: ${[...reasons]}`);
      assert.deepEqual(errors, [], "no handler error reached the server");
      assert.deepEqual(unhandled, [], "no unhandled rejection or exception");
      control.close();
      await untilEmpty(server);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      process.off("uncaughtException", onUnhandled);
      control.close();
      await server.close();
    }
  });
});
