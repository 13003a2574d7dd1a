/**
 * Contender: raw `node:net` with u16-length-prefixed frames batched per turn
 * (the practical limit of a hand-written TCP protocol on this runtime).
 *
 * @module
 */

import * as net from "node:net";
import { Op, packRawControl } from "../wire.ts";
import { TurnBatch, U16FrameReader } from "../raw_frames.ts";
import { serveControl } from "./control.ts";

interface Peer {
  batch: TurnBatch;
}

const joined = packRawControl(Op.Joined);
const room = new Set<Peer>();

await serveControl(() =>
  new Promise((resolve) => {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true);
      const peer: Peer = { batch: new TurnBatch((bytes) => socket.write(Buffer.from(bytes))) };
      const reader = new U16FrameReader();
      const onFrame = (frame: Uint8Array) => {
        switch (frame[0]) {
          case Op.Echo:
            return peer.batch.push(frame);
          case Op.Relay:
            for (const member of room) if (member !== peer) member.batch.push(frame);
            return;
          case Op.Join:
            room.add(peer);
            return peer.batch.push(joined);
        }
      };
      socket.on("data", (chunk) => reader.push(chunk, onFrame));
      socket.on("error", () => {});
      socket.on("close", () => room.delete(peer));
    });
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => void server.close(),
      });
    });
  })
);
