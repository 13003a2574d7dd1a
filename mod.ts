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

export * from "./server.ts";
export * from "./client.ts";
