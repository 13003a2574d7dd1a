/**
 * WebSocket endpoint for `Deno.serve`, with `Deno.upgradeWebSocket`.
 *
 * Measured on Deno 2.9 (see README, "WebSocket and the browser"):
 * `Deno.upgradeWebSocket` has no message size option. It drops a single
 * frame over 64 MiB on its declared length, but it buffers anything below
 * that whole, and it buffers a fragmented message without any bound (1 GB
 * in 1 MB fragments was delivered). So this endpoint can only check
 * `maxFrameSize` once the message has arrived (it then closes with 1009, as
 * everywhere). `server.listen({ ws })` on Deno therefore uses
 * `ws_server_node.ts` (`node:http` and game-socket's own RFC 6455 server,
 * limit checked before buffering) instead.
 *
 * @module
 */

import { tooLarge, WsCloseCode } from "./ws_close.ts";
import { WsTransport } from "./ws_transport.ts";
import type { WsFetchHandler, WsHandlerFn } from "./types.ts";
import type { WebSocketLike } from "./ws_client.ts";

/** Deno's server-side `WebSocket` has the WHATWG members the client uses too. */
type DenoWebSocket = WebSocketLike;

/** `Deno.serve`'s second handler argument: the members used here. */
interface DenoServeInfo {
  remoteAddr?: { hostname?: string; port?: number };
}

interface DenoNamespace {
  upgradeWebSocket(request: Request): { socket: DenoWebSocket; response: Response };
}

function denoGlobal(): DenoNamespace {
  return (globalThis as unknown as { Deno: DenoNamespace }).Deno;
}

/**
 * A fetch-style endpoint for `Deno.serve({ port }, handler.fetch)`: requests
 * for a WebSocket at `options.path` are upgraded, others go to
 * `options.fallback` (404 without one).
 *
 * @param options Path, frame size limit and the fallback for other requests.
 * @param accept Called for each connection once it is open; returns its handlers.
 * @returns The handler and a listener whose `close()` refuses new upgrades.
 */
export const handler: WsHandlerFn = (options, accept) => {
  const path = options.path ?? "/";
  let closed = false;
  const fetch = (request: Request, info?: never): Response | Promise<Response> => {
    const isUpgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
    if (!closed && isUpgrade && new URL(request.url).pathname === path) {
      const addr = (info as DenoServeInfo | undefined)?.remoteAddr;
      return upgrade(request, options.maxFrameSize, addr?.hostname ?? "", addr?.port ?? 0, accept);
    }
    if (options.fallback) return options.fallback(request, info as never);
    return new Response("Not Found\n", { status: 404 });
  };
  const result: WsFetchHandler = { fetch, websocket: {} };
  return {
    handler: result,
    listener: {
      port: 0,
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    },
  };
};

function upgrade(
  request: Request,
  maxFrameSize: number,
  address: string,
  port: number,
  accept: Parameters<WsHandlerFn>[1],
): Response {
  const { socket, response } = denoGlobal().upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  const transport = new WsTransport(
    {
      send: (data) => {
        if (socket.readyState === 1) socket.send(data);
      },
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      close: (code, reason) => socket.close(code, reason),
    },
    maxFrameSize,
    address,
    port,
  );
  // Messages cannot come before open, and the core only sends after the hello.
  socket.onopen = () => transport.start(accept(transport));
  socket.onmessage = (event) => {
    const data = event.data;
    if (typeof data === "string" || data instanceof ArrayBuffer) transport.message(data);
  };
  socket.onerror = (event) => {
    const message = (event as { message?: string }).message ?? "WebSocket error";
    // Deno's own frame limit (64 MiB): refused on the declared length, like ours.
    if (/too large/i.test(message)) {
      transport.refuse(WsCloseCode.MessageTooBig, tooLarge(0, maxFrameSize));
    } else transport.failed(new Error(message));
  };
  socket.onclose = (event) => transport.closed(event.code, event.reason);
  return response;
}
