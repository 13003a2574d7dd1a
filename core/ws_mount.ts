/**
 * Mount a server's WebSocket endpoint in someone else's HTTP server: a
 * `node:http` upgrade listener, or a fetch handler for `Deno.serve` / `Bun.serve`.
 *
 * @module
 */

import type {
  AcceptHandler,
  HttpServerLike,
  Listener,
  Runtime,
  WsFetchHandler,
  WsHandlerOptions,
} from "../runtime/types.ts";

/** Options of `GameSocketServer.handler()`. */
export type ServerHandlerOptions = Omit<WsHandlerOptions, "maxFrameSize">;

/**
 * Take WebSocket upgrades at `path` of a `node:http` server.
 *
 * @param runtime The runtime's sockets.
 * @param httpServer The HTTP server.
 * @param path The socket's path.
 * @param maxFrameSize Largest message accepted.
 * @param accept Gives each connection to the server.
 * @returns A listener whose `close()` detaches.
 * @throws {TypeError} When the runtime has no WebSocket server.
 */
export function attachWs(
  runtime: Runtime,
  httpServer: HttpServerLike,
  path: string,
  maxFrameSize: number,
  accept: AcceptHandler,
): Listener {
  if (!runtime.attachWs) {
    throw new TypeError(`Cannot attach: no WebSocket server on ${runtime.name}`);
  }
  return runtime.attachWs(httpServer, { path, maxFrameSize }, accept);
}

/**
 * Make a fetch-style WebSocket endpoint.
 *
 * @param runtime The runtime's sockets.
 * @param options Path and fallback.
 * @param maxFrameSize Largest message accepted.
 * @param accept Gives each connection to the server.
 * @returns The handler and a listener whose `close()` refuses new upgrades.
 * @throws {TypeError} On a runtime without one (Node: use `attach`).
 */
export function wsFetchHandler(
  runtime: Runtime,
  options: ServerHandlerOptions,
  maxFrameSize: number,
  accept: AcceptHandler,
): { handler: WsFetchHandler; listener: Listener } {
  if (!runtime.wsHandler) {
    throw new TypeError(
      `Cannot make a fetch handler on ${runtime.name}: use server.attach() with node:http`,
    );
  }
  return runtime.wsHandler({ ...options, maxFrameSize }, accept);
}
