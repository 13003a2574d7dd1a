/**
 * Contender: Bun's built-in WebSocket server with its native pub/sub
 * (`ws.subscribe`, `ws.publish`), the raw one-byte-op protocol.
 *
 * @module
 */

import { Op, packRawControl, ROOM } from "../wire.ts";
import { serveControl } from "./control.ts";

interface BunWebSocket {
  send(data: Uint8Array): number;
  subscribe(topic: string): void;
  publish(topic: string, data: Uint8Array): number;
}

interface BunServe {
  serve(options: {
    hostname: string;
    port: number;
    fetch(req: Request, server: { upgrade(req: Request): boolean }): Response | undefined;
    websocket: {
      perMessageDeflate: boolean;
      message(ws: BunWebSocket, data: string | Uint8Array): void;
    };
  }): { port: number; stop(closeActive: boolean): void };
}

const Bun = (globalThis as unknown as { Bun: BunServe }).Bun;
const joined = packRawControl(Op.Joined);

await serveControl(() => {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, server) {
      return server.upgrade(req) ? undefined : new Response("websocket only", { status: 400 });
    },
    websocket: {
      perMessageDeflate: false,
      message(ws, data) {
        if (typeof data === "string") return;
        switch (data[0]) {
          case Op.Echo:
            ws.send(data);
            return;
          case Op.Relay:
            ws.publish(ROOM, data);
            return;
          case Op.Join:
            ws.subscribe(ROOM);
            ws.send(joined);
            return;
        }
      },
    },
  });
  return Promise.resolve({ port: server.port, close: () => server.stop(true) });
});
