/**
 * One client connection per contender family, behind one small interface, so
 * the scenarios are written once. Every client is the one a developer of
 * that stack would use: game-socket's own client, socket.io-client, the `ws`
 * package, or `node:net` with the hand-made framing.
 *
 * @module
 */

import * as net from "node:net";
import { io, type Socket } from "socket.io-client";
import * as msgpackParser from "socket.io-msgpack-parser";
import { WebSocket } from "ws";
import { GameSocketClient } from "../../client.ts";
import type { ClientNamespace } from "../../core/client_namespace.ts";
import { TurnBatch, U16FrameReader } from "../raw_frames.ts";
import {
  Move,
  type MoveValue,
  moveValue,
  Op,
  packRawControl,
  packRawMove,
  Relay,
  ROOM,
  unpackRawMove,
} from "../wire.ts";

/** Which client a contender needs. */
export type ClientKind = "gs" | "sio-json" | "sio-msgpack" | "ws" | "raw-tcp";

/** One connection, as the scenarios drive it. */
export interface BenchClient {
  /** Join the fan-out room; resolves once the server confirmed. */
  join(): Promise<void>;
  /** Send a position update the server echoes back. */
  echo(): void;
  /** Send a position update the server relays to the rest of the room. */
  relay(): void;
  /** Called for every position update received (echoed or relayed). */
  onMove: () => void;
  /** Close the connection. */
  close(): void;
}

const noop = () => {};
/** The last update a raw client decoded (kept so the decoding is not optimised away). */
export let last: MoveValue | undefined;

/**
 * Connect one client.
 *
 * @param kind The contender's client.
 * @param url `tcp://`, `ws://` or `http://` address of the server.
 */
export function connectClient(kind: ClientKind, url: string): Promise<BenchClient> {
  switch (kind) {
    case "gs":
      return connectGs(url);
    case "sio-json":
    case "sio-msgpack":
      return connectSio(url, kind === "sio-msgpack");
    case "ws":
      return connectWs(url);
    case "raw-tcp":
      return connectRawTcp(url);
  }
}

async function connectGs(url: string): Promise<BenchClient> {
  const client = await GameSocketClient.connect(url);
  const home: ClientNamespace = client.of("/");
  await home.ready();
  const move = moveValue(7);
  const self: BenchClient = {
    onMove: noop,
    join: () => home.join(ROOM),
    echo: () => home.send(Move, move),
    relay: () => home.send(Relay, move),
    close: () => client.close(),
  };
  home.on(Move, (m) => (last = m, self.onMove()));
  home.on(Relay, (m) => (last = m, self.onMove()));
  return self;
}

function connectSio(url: string, msgpack: boolean): Promise<BenchClient> {
  const socket: Socket = io(url, {
    transports: ["websocket"],
    forceNew: true,
    reconnection: false,
    ...(msgpack ? { parser: msgpackParser } : {}),
  });
  const move: MoveValue = moveValue(7);
  const self: BenchClient = {
    onMove: noop,
    join: async () => void await socket.timeout(10_000).emitWithAck("join", ROOM),
    echo: () => void socket.emit("move", move),
    relay: () => void socket.emit("relay", move),
    close: () => void socket.disconnect(),
  };
  socket.on("move", (m: MoveValue) => (last = m, self.onMove()));
  socket.on("relay", (m: MoveValue) => (last = m, self.onMove()));
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(self));
    socket.once("connect_error", reject);
  });
}

function connectWs(url: string): Promise<BenchClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const echo = packRawMove(Op.Echo, moveValue(7));
  const relay = packRawMove(Op.Relay, moveValue(7));
  let joined: (() => void) | undefined;
  const self: BenchClient = {
    onMove: noop,
    join: () =>
      new Promise((resolve) => {
        joined = resolve;
        ws.send(packRawControl(Op.Join, ROOM));
      }),
    echo: () => ws.send(echo),
    relay: () => ws.send(relay),
    close: () => ws.close(),
  };
  ws.on("message", (data: Buffer) => {
    if (data[0] === Op.Joined) joined?.();
    else {
      last = unpackRawMove(data);
      self.onMove();
    }
  });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(self));
    ws.once("error", reject);
  });
}

function connectRawTcp(url: string): Promise<BenchClient> {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  socket.setNoDelay(true);
  const batch = new TurnBatch((bytes) => socket.write(Buffer.from(bytes)));
  const reader = new U16FrameReader();
  const echo = packRawMove(Op.Echo, moveValue(7));
  const relay = packRawMove(Op.Relay, moveValue(7));
  let joined: (() => void) | undefined;
  const self: BenchClient = {
    onMove: noop,
    join: () =>
      new Promise((resolve) => {
        joined = resolve;
        batch.push(packRawControl(Op.Join, ROOM));
      }),
    echo: () => batch.push(echo),
    relay: () => batch.push(relay),
    close: () => void socket.end(),
  };
  const onFrame = (frame: Uint8Array) => {
    if (frame[0] === Op.Joined) joined?.();
    else {
      last = unpackRawMove(frame);
      self.onMove();
    }
  };
  socket.on("data", (chunk) => reader.push(chunk, onFrame));
  return new Promise((resolve, reject) => {
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve(self);
    });
    socket.once("error", reject);
  });
}
