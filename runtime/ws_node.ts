/**
 * WebSocket client on the `ws` package: Node 20 has no global `WebSocket`,
 * and Deno's leaves Nagle's algorithm on (see `auto.ts`). The server side is
 * game-socket's own (`ws_server_node.ts`).
 *
 * `ws` checks `maxPayload` on each frame's declared length, and on the sum of
 * a fragmented message's frames, before it buffers the body: an oversize
 * message from the server costs the client nothing.
 *
 * @module
 */

import type * as net from "node:net";
import { WebSocket } from "ws";
import { closeReason, tooLarge, WsCloseCode } from "./ws_close.ts";
import { type WsPeer, WsTransport } from "./ws_transport.ts";
import type { Transport, TransportHandlers, WsConnectOptions } from "./types.ts";

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

/** Wrap a `ws` client socket in a transport. */
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
