/**
 * WebSocket server on `node:http`'s `upgrade` event, with game-socket's own
 * RFC 6455 framing over the `node:net` socket it hands over: `listen({ ws })`
 * on Node and Deno, `attach()` to an existing `node:http` server on every
 * runtime (Bun's `listen({ ws })` is `Bun.serve`, see `ws_bun.ts`).
 *
 * Why not the `ws` package here (it stays for the Node 20 client): `ws` keeps
 * a WebSocket, a Receiver (a Writable stream) and a Sender per connection and
 * writes each message as a header and a payload of their own. This server keeps one small
 * object per connection with shared listeners, parses only while a frame
 * spans chunks (one spare parser serves every other connection), and frames
 * a turn's messages into one pooled buffer as they are sent (one copy, one
 * write). Measured on Node 20 against the `ws` server it replaced: heap per
 * idle game-socket connection 4672 -> 3294 bytes (bench/idle_heap.ts, 2000
 * connections; a bare `ws` server: 3070); in three before/after pairs of
 * `bench/run.ts --only gs-ws-node --scenarios throughput,fanout`, server CPU
 * per echoed message 3.2-4.7 -> 2.0-3.2 µs (1.4-2.2x the messages per
 * second) and per fan-out delivery 1.5-2.4 -> 1.3-2.1 µs (+7-18%).
 *
 * Limits are checked on each frame's declared length, and on the running sum
 * of a fragmented message, before any of the body is buffered: an oversize
 * message costs the server nothing. Deno's own `Deno.upgradeWebSocket`
 * cannot do that (see `ws_deno.ts`), which is why `listen({ ws })` uses this
 * server on Deno too.
 *
 * @module
 */

import * as http from "node:http";
import type * as net from "node:net";
import { upgradeAnswer } from "./ws_handshake.ts";
import { acceptSocket } from "./ws_node_peer.ts";
import type { AcceptHandler, Listener, WsAttachFn, WsListenFn } from "./types.ts";

/** Socket errors (a reset) end in 'close', with 1006 once upgraded, as `ws` reported them. */
function ignore(): void {}

/** Answer an upgrade; when the answer is 101, wrap the socket in a transport. */
function upgrade(
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Uint8Array,
  maxFrameSize: number,
  accept: AcceptHandler,
): void {
  socket.on("error", ignore);
  const answer = upgradeAnswer(req);
  if (answer.status !== 101) {
    socket.end(answer.response, () => socket.destroy());
    return;
  }
  if (!socket.readable || !socket.writable) return void socket.destroy();
  // A client gone without a close frame (FIN) gets ours ended too, so 'close' follows: an
  // 'end' listener would be an array of two on every socket (net has one).
  socket.allowHalfOpen = false;
  socket.setTimeout(0);
  socket.setNoDelay(true);
  socket.write(answer.response);
  acceptSocket(socket, head, maxFrameSize, accept);
}

/** The `upgrade` listener that turns matching requests into transports (false: not its path). */
function upgrader(
  maxFrameSize: number,
  accept: AcceptHandler,
  path: string | undefined,
): {
  onUpgrade: (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => boolean;
  stop: () => void;
} {
  let stopped = false;
  const onUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => {
    if (path !== undefined && new URL(req.url ?? "/", "http://x").pathname !== path) return false;
    if (stopped) {
      socket.on("error", ignore);
      socket.end(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
      );
      return true;
    }
    upgrade(req, socket, head, maxFrameSize, accept);
    return true;
  };
  return { onUpgrade, stop: () => stopped = true };
}

/**
 * Listen for WebSocket connections on a new `node:http` server (any path, or
 * only `options.path`). Plain HTTP requests get 426 Upgrade Required.
 *
 * @param options Port, hostname, path and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns The bound listener.
 */
export const listen: WsListenFn = (options, accept) =>
  new Promise<Listener>((resolve, reject) => {
    const server = http.createServer((_req, res) => {
      res.writeHead(426, { "content-type": "text/plain", connection: "close" });
      res.end("This port speaks game-socket over WebSocket\n");
    });
    const { onUpgrade, stop } = upgrader(options.maxFrameSize, accept, options.path);
    server.on("upgrade", (req, socket: net.Socket, head) => {
      if (!onUpgrade(req, socket, head)) socket.destroy();
    });
    server.once("error", reject);
    server.listen({ port: options.port, host: options.hostname }, () => {
      server.off("error", reject);
      server.on("error", () => {});
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          // Stop accepting; upgraded sockets stay open (the core closes them).
          stop();
          if (server.listening) server.close();
          server.closeIdleConnections();
          return Promise.resolve();
        },
      });
    });
  });

/**
 * Serve WebSocket connections at `path` on an existing `node:http` server
 * (works on Node, Deno and Bun), so a game serves its page and its socket
 * from one port. Upgrades to other paths are left to other listeners (or
 * refused when there is none).
 *
 * @param server A `node:http` (or `node:https`) server.
 * @param options Path and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns A listener whose `close()` stops taking upgrades (the HTTP server stays up).
 */
export const attach: WsAttachFn = (server, options, accept) => {
  const { onUpgrade, stop } = upgrader(options.maxFrameSize, accept, options.path ?? "/");
  const httpServer = server as unknown as http.Server;
  const listener = (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => {
    if (!onUpgrade(req, socket, head) && httpServer.listenerCount("upgrade") === 1) {
      socket.destroy();
    }
  };
  httpServer.on("upgrade", listener);
  const address = httpServer.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: () => {
      stop();
      httpServer.off("upgrade", listener);
      return Promise.resolve();
    },
  };
};
