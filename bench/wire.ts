/**
 * What every contender of the benchmark agrees on: the game message, the room,
 * and the hand-made binary protocol of the raw contenders.
 *
 * game-socket sends the message as a typed schema; socket.io sends it as the
 * plain object its users would emit; the raw contenders (node:net, Bun.listen,
 * Deno.listen, `ws`, Bun's WebSocket) send the same fields packed by hand into
 * 14 bytes behind a one-byte op, which is the least any protocol can send.
 *
 * @module
 */

import { defineSchema } from "../protocol/schema.ts";

/** The room of the fan-out scenario. */
export const ROOM = "arena";

/** A position update, echoed back to its sender. */
export const Move = defineSchema(2, {
  id: "uint16",
  x: "float32",
  y: "float32",
  angle: "radians",
  throttle: "single",
  firing: "bool",
}, { name: "Move" });

/** The same fields, relayed by the server to the rest of the room. */
export const Relay = defineSchema(3, {
  id: "uint16",
  x: "float32",
  y: "float32",
  angle: "radians",
  throttle: "single",
  firing: "bool",
}, { name: "Relay" });

/** The value of a position update. */
export interface MoveValue {
  /** Player id; the benchmark puts a sequence number here. */
  id: number;
  /** Position. */
  x: number;
  /** Position. */
  y: number;
  /** Heading in radians. */
  angle: number;
  /** 0..1. */
  throttle: number;
  /** Trigger held. */
  firing: boolean;
}

/** A fresh position update. */
export function moveValue(seq: number): MoveValue {
  return { id: seq & 0xffff, x: 1.5, y: -3, angle: Math.PI / 3, throttle: 0.5, firing: true };
}

/** Ops of the raw protocol (first byte of every raw message). */
export const Op = {
  /** Send this message back to me. */
  Echo: 1,
  /** Send this message to everyone else in the room. */
  Relay: 2,
  /** Put me in the room named by the UTF-8 rest of the message. */
  Join: 3,
  /** Server: you are in the room. */
  Joined: 4,
} as const;

/** Bytes of a raw position update: op + id u16 + x f32 + y f32 + angle u16 + throttle u8 + bits u8. */
export const RAW_MOVE_SIZE = 15;

/**
 * Pack a raw position update by hand, as a developer writing their own protocol would.
 *
 * @param op Op.Echo or Op.Relay.
 * @param m The update.
 * @returns 15 bytes.
 */
export function packRawMove(op: number, m: MoveValue): Uint8Array {
  const out = new Uint8Array(RAW_MOVE_SIZE);
  const view = new DataView(out.buffer);
  out[0] = op;
  view.setUint16(1, m.id, false);
  view.setFloat32(3, m.x, false);
  view.setFloat32(7, m.y, false);
  view.setUint16(11, Math.round((m.angle / (2 * Math.PI)) * 65536) & 0xffff, false);
  out[13] = Math.round(m.throttle * 255);
  out[14] = m.firing ? 1 : 0;
  return out;
}

/**
 * Read a raw position update back into an object, as a game client must
 * (every contender's client ends with the same object in hand: game-socket
 * and socket.io decode for it, the raw clients do it here).
 *
 * @param frame A raw update (op first).
 * @returns The update.
 */
export function unpackRawMove(frame: Uint8Array): MoveValue {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return {
    id: view.getUint16(1, false),
    x: view.getFloat32(3, false),
    y: view.getFloat32(7, false),
    angle: (view.getUint16(11, false) / 65536) * 2 * Math.PI,
    throttle: frame[13]! / 255,
    firing: frame[14] === 1,
  };
}

/**
 * A raw control message: an op and an optional UTF-8 room name.
 *
 * @param op The op.
 * @param room Room name for Op.Join.
 */
export function packRawControl(op: number, room = ""): Uint8Array {
  const name = new TextEncoder().encode(room);
  const out = new Uint8Array(1 + name.length);
  out[0] = op;
  out.set(name, 1);
  return out;
}

/**
 * Limits of the game-socket bench server: the defaults are tuned for players on
 * the internet (256 connections per address, 2,000 messages per second per
 * connection), and the load generator is one address sending as fast as it can.
 */
export const BENCH_LIMITS = {
  maxConnections: 60_000,
  maxConnectionsPerAddress: 60_000,
  maxMessagesPerSecond: 10_000_000,
  maxBytesPerSecond: 1_000_000_000,
  maxBufferedBytes: 64 * 1024 * 1024,
};
