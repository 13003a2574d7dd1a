/**
 * Contender: socket.io 4 on Node, with its default parser or with
 * `socket.io-msgpack-parser` (`sio.ts msgpack`). The websocket transport only,
 * as a game would configure it (long-polling first would only add a round trip).
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { Server } from "socket.io";
import * as msgpackParser from "socket.io-msgpack-parser";
import { ROOM } from "../wire.ts";
import { serveControl } from "./control.ts";

const msgpack = process.argv.includes("msgpack");

await serveControl(() =>
  new Promise((resolve) => {
    const http = createServer();
    const io = new Server(http, {
      transports: ["websocket"],
      ...(msgpack ? { parser: msgpackParser } : {}),
    });
    io.on("connection", (socket) => {
      socket.on("move", (move: unknown) => socket.emit("move", move));
      socket.on("relay", (move: unknown) => socket.to(ROOM).emit("relay", move));
      socket.on("join", (room: string, ack: () => void) => {
        void socket.join(room);
        ack();
      });
    });
    http.listen(0, "127.0.0.1", () => {
      resolve({
        port: (http.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => io.close(() => done())),
      });
    });
  })
);
