/**
 * Contender: the `ws` package on Node, with the raw one-byte-op protocol.
 * Broadcast is the loop ws's README shows.
 *
 * @module
 */

import { type WebSocket, WebSocketServer } from "ws";
import { Op, packRawControl } from "../wire.ts";
import { serveControl } from "./control.ts";

const joined = packRawControl(Op.Joined);
const room = new Set<WebSocket>();

await serveControl(() =>
  new Promise((resolve) => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
    wss.on("connection", (ws) => {
      ws.on("message", (data: Buffer) => {
        switch (data[0]) {
          case Op.Echo:
            return ws.send(data);
          case Op.Relay:
            for (const member of room) if (member !== ws) member.send(data);
            return;
          case Op.Join:
            room.add(ws);
            return ws.send(joined);
        }
      });
      ws.on("error", () => {});
      ws.on("close", () => room.delete(ws));
    });
    wss.on("listening", () => {
      const address = wss.address();
      resolve({
        port: typeof address === "object" && address ? address.port : 0,
        close: () =>
          new Promise<void>((done) => {
            for (const ws of wss.clients) ws.terminate();
            wss.close(() => done());
          }),
      });
    });
  })
);
