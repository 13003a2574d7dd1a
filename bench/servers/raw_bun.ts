/**
 * Contender: raw `Bun.listen` with u16-length-prefixed frames batched per
 * turn. Bun's `write` takes what the kernel accepts; the rest is kept and
 * written on `drain`.
 *
 * @module
 */

import { Op, packRawControl } from "../wire.ts";
import { TurnBatch, U16FrameReader } from "../raw_frames.ts";
import { serveControl } from "./control.ts";

interface Peer {
  batch: TurnBatch;
  reader: U16FrameReader;
  rest: Uint8Array | null;
}

interface BunSocket {
  data: Peer;
  write(bytes: Uint8Array): number;
  setNoDelay?(on: boolean): void;
}

interface BunListen {
  listen(options: {
    hostname: string;
    port: number;
    socket: {
      open(s: BunSocket): void;
      data(s: BunSocket, chunk: Uint8Array): void;
      drain(s: BunSocket): void;
      close(s: BunSocket): void;
      error(s: BunSocket): void;
    };
  }): { port: number; stop(closeActive: boolean): void };
}

const Bun = (globalThis as unknown as { Bun: BunListen }).Bun;
const joined = packRawControl(Op.Joined);
const room = new Set<Peer>();

function write(socket: BunSocket, bytes: Uint8Array): void {
  const peer = socket.data;
  if (peer.rest !== null) {
    const next = new Uint8Array(peer.rest.length + bytes.length);
    next.set(peer.rest);
    next.set(bytes, peer.rest.length);
    peer.rest = next;
    return;
  }
  const n = socket.write(bytes);
  if (n < bytes.length) peer.rest = bytes.slice(Math.max(n, 0));
}

await serveControl(() => {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.setNoDelay?.(true);
        socket.data = {
          batch: new TurnBatch((bytes) => write(socket, bytes)),
          reader: new U16FrameReader(),
          rest: null,
        };
      },
      data(socket, chunk) {
        const peer = socket.data;
        peer.reader.push(chunk, (frame) => {
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
        });
      },
      drain(socket) {
        const rest = socket.data.rest;
        if (rest === null) return;
        socket.data.rest = null;
        write(socket, rest);
      },
      close(socket) {
        room.delete(socket.data);
      },
      error() {},
    },
  });
  return Promise.resolve({ port: server.port, close: () => server.stop(true) });
});
