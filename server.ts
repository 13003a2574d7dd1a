/**
 * The game-socket server, wired to the sockets of the runtime it runs on
 * (Deno, Bun or Node).
 *
 * @example
 * ```ts ignore
 * import { GameSocketServer } from "@x/game-socket/server";
 * const server = new GameSocketServer({ pingInterval: 25_000 });
 * server.of("/home").on("connection", (socket) => {
 *   socket.join("lobby");
 *   socket.on("hello", (text) => socket.to("lobby").emit("hello", text));
 * });
 * const { tcp } = await server.listen({ tcp: 3103 });
 * ```
 *
 * @module
 */

import { GameSocketServer as CoreServer, type ServerOptions } from "./core/server.ts";
import { autoRuntime } from "./runtime/auto.ts";
import type { EventMap } from "./core/types.ts";

/** A game-socket server on this runtime's sockets. See `core/server.ts` for the API. */
export class GameSocketServer<E extends EventMap = EventMap> extends CoreServer<E> {
  /** @param options Timers, limits, schemas. */
  constructor(options: ServerOptions = {}) {
    super({ runtime: autoRuntime(), ...options });
  }
}

export type {
  BoundPorts,
  ServerEvents,
  ServerListenOptions,
  ServerOptions,
} from "./core/server.ts";
export { Namespace } from "./core/namespace.ts";
export type { JoinGuard, Middleware, NamespaceEvents } from "./core/namespace.ts";
export { ServerSocket } from "./core/socket.ts";
export type { ServerSocketReservedEvents, VolatileSender } from "./core/socket.ts";
export { BroadcastOperator } from "./core/broadcast.ts";
export type { BroadcastTarget } from "./core/broadcast.ts";
export { DEFAULT_LIMITS } from "./core/limits.ts";
export type { Limits } from "./core/limits.ts";
export * from "./core/errors.ts";
export type * from "./core/types.ts";
export { defineSchema } from "./protocol/schema.ts";
