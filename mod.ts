/**
 * game-socket: real-time multiplayer networking for games, server and client
 * in one package, on Deno, Bun and Node.
 *
 * - `./server`: {@linkcode GameSocketServer}, namespaces, rooms, broadcasts.
 * - `./client`: {@linkcode GameSocketClient}.
 * - `./protocol`: the wire codec and typed schemas, runtime-free.
 *
 * @example
 * ```ts ignore
 * import { defineSchema, GameSocketClient, GameSocketServer } from "@x/game-socket";
 * const Move = defineSchema(2, { id: "uint16", x: "float32", y: "float32" });
 * ```
 *
 * @module
 */

export { GameSocketServer } from "./server.ts";
export type { BoundPorts, ServerListenOptions, ServerOptions } from "./server.ts";
export { BroadcastOperator, DEFAULT_LIMITS, Namespace, ServerSocket } from "./server.ts";
export { ClientNamespace, GameSocketClient } from "./client.ts";
export type { ClientOptions } from "./client.ts";
export * from "./core/errors.ts";
export type * from "./core/types.ts";
export type { Limits } from "./core/limits.ts";
export { defineSchema } from "./protocol/schema.ts";
export type { Schema } from "./protocol/schema.ts";
