/**
 * WebSocket adapter on `node:http` and the `ws` package: the server side on
 * Node and Deno, `attach()` to an existing `node:http` server on every
 * runtime, and the client on Node 20 (no global `WebSocket`).
 *
 * `ws` checks `maxPayload` on each frame's declared length, and on the sum of
 * a fragmented message's frames, before it buffers the body: an oversize
 * message costs the server nothing. Deno's own `Deno.upgradeWebSocket`
 * cannot do that (see `ws_deno.ts`), which is why `listen({ ws })` uses this
 * adapter on Deno too.
 *
 * @module
 */

import * as http from "node:http";
import type * as net from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { closeReason, tooLarge, WsCloseCode } from "./ws_close.ts";
import { type WsPeer, WsTransport } from "./ws_transport.ts";
import type {
  AcceptHandler,
  Listener,
  Transport,
  TransportHandlers,
  WsAttachFn,
  WsConnectOptions,
  WsListenFn,
} from "./types.ts";

/**
 * ws closes by itself on a bad frame; give its close frame a reason text too.
 * The socket is also the transport's peer: a separate peer object cost every
 * connection 40 heap bytes.
 */
class GameWebSocket extends WebSocket implements WsPeer {
  /** The transport wrapping this socket (for the shared listeners). */
  transport: WsTransport | undefined;

  override close(code?: number, reason?: string | Uint8Array): void {
    if (reason === undefined && code === WsCloseCode.MessageTooBig) {
      reason = closeReason(
        "frame-too-large",
        tooLarge(0, this.transport?.maxFrameSize ?? 0).message,
      );
    } else if (reason === undefined && code !== undefined && code > WsCloseCode.Normal) {
      reason = closeReason("protocol-error", "Cannot decode the WebSocket frame");
    }
    super.close(code, reason as string);
  }

  /** Frames of one turn leave in one write of the TCP socket (`ws` keeps it as `_socket`). */
  cork(fn: () => void): void {
    const raw = (this as unknown as { _socket: net.Socket | null })._socket;
    if (!raw) return fn();
    raw.cork();
    try {
      fn();
    } finally {
      raw.uncork();
    }
  }
}

const decoder = new TextDecoder();

// One set of listeners for every socket, finding the transport on the socket
// (three closures per connection before).
function onMessage(this: WebSocket, data: Uint8Array, isBinary: boolean): void {
  (this as GameWebSocket).transport!.message(isBinary ? data : decoder.decode(data));
}
function onError(this: WebSocket, error: Error & { code?: string }): void {
  const ws = this as GameWebSocket;
  if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
    ws.transport!.refuse(WsCloseCode.MessageTooBig, tooLarge(0, ws.transport!.maxFrameSize));
  } else ws.transport!.failed(error);
}
function onClose(this: WebSocket, code: number, reason: Uint8Array): void {
  (this as GameWebSocket).transport!.closed(code, decoder.decode(reason));
}

/** Wrap a `ws` socket (server or client side) in a transport. */
function wrap(
  ws: GameWebSocket,
  maxFrameSize: number,
  address: string,
  port: number,
): WsTransport {
  const transport = new WsTransport(ws, maxFrameSize, address, port);
  ws.transport = transport;
  ws.on("message", onMessage);
  ws.on("error", onError);
  ws.on("close", onClose);
  return transport;
}

/** The `upgrade` listener that turns matching requests into transports. */
function upgrader(
  maxFrameSize: number,
  accept: AcceptHandler,
  path: string | undefined,
): {
  onUpgrade: (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => boolean;
  wss: WebSocketServer;
} {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameSize,
    perMessageDeflate: false,
    clientTracking: false,
    WebSocket: GameWebSocket,
  });
  wss.on("error", () => {}); // handshake errors are answered by ws itself
  const onUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => {
    if (path !== undefined && new URL(req.url ?? "/", "http://x").pathname !== path) return false;
    wss.handleUpgrade(req, socket, head as Buffer, (ws) => {
      socket.setNoDelay(true);
      const address = req.socket.remoteAddress ?? "";
      const port = req.socket.remotePort ?? 0;
      const transport = wrap(ws as GameWebSocket, maxFrameSize, address, port);
      transport.start(accept(transport));
    });
    return true;
  };
  return { onUpgrade, wss };
}

/**
 * Listen for WebSocket connections on a new `node:http` server (any path).
 * Plain HTTP requests get 426 Upgrade Required.
 *
 * @param options Port, hostname and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns The bound listener.
 */
export const listen: WsListenFn = (options, accept) =>
  new Promise<Listener>((resolve, reject) => {
    const server = http.createServer((_req, res) => {
      res.writeHead(426, { "content-type": "text/plain", connection: "close" });
      res.end("This port speaks game-socket over WebSocket\n");
    });
    const { onUpgrade, wss } = upgrader(options.maxFrameSize, accept, options.path);
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
          if (server.listening) server.close();
          server.closeIdleConnections();
          wss.close();
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
  const { onUpgrade, wss } = upgrader(options.maxFrameSize, accept, options.path ?? "/");
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
      httpServer.off("upgrade", listener);
      wss.close();
      return Promise.resolve();
    },
  };
};

/**
 * Open a WebSocket connection with the `ws` package (Node 20 has no global
 * `WebSocket`). `ws` checks the server's messages against `maxFrameSize`
 * before buffering them.
 *
 * @param options URL and frame size limit.
 * @param handlers The connection's handlers, attached once the socket is open.
 * @returns The open transport.
 */
export function connect(
  options: WsConnectOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const ws = new GameWebSocket(options.url, {
      maxPayload: options.maxFrameSize,
      perMessageDeflate: false,
    });
    const url = new URL(options.url);
    const transport = wrap(ws, options.maxFrameSize, url.hostname, Number(url.port));
    // Handlers only once open: a failed connect rejects and tells the owner nothing else.
    const fail = (error: Error) => {
      ws.off("open", open);
      ws.terminate();
      reject(error);
    };
    const open = () => {
      ws.off("error", fail);
      transport.start(handlers);
      resolve(transport);
    };
    ws.once("error", fail);
    ws.once("open", open);
  });
}
