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

import { setDefaultRuntime } from "./core/default_runtime.ts";
import { autoRuntime } from "./runtime/auto.ts";

setDefaultRuntime(autoRuntime());

export { GameSocketServer } from "./core/server.ts";
export * from "./shared_exports.ts";
export type { ServerContext } from "./core/server_context.ts";
export type { DeadlineEntry, Deadlines } from "./core/deadlines.ts";
export type { SessionSockets } from "./core/session_sockets.ts";
export type { ServerSession, SessionState } from "./core/session.ts";
export type { RoomEvents, Rooms } from "./core/rooms.ts";
export type { UdpServerOptions } from "./core/udp_server.ts";
export type { ServerHandlerOptions } from "./core/ws_mount.ts";
export type { ServerStats } from "./core/server_stats.ts";
export type { ReplayBuffer, ReplayResult } from "./core/replay.ts";
export type {
  BoundPorts,
  ServerEvents,
  ServerListenOptions,
  ServerOptions,
} from "./core/server.ts";
export { Namespace } from "./core/namespace.ts";
export type { JoinGuard, Middleware, NamespaceEvents } from "./core/namespace.ts";
export { ServerSocket } from "./core/socket.ts";
export type { ServerSocketReservedEvents } from "./core/socket.ts";
export type { VolatileSender } from "./core/socket_volatile.ts";
export { BroadcastOperator } from "./core/broadcast.ts";
export type { BroadcastAckCallback, BroadcastTarget } from "./core/broadcast.ts";
export type {
  AckSink,
  ClusterAdapter,
  ClusterHost,
  RemoteOp,
  SocketInfo,
} from "./cluster/adapter.ts";
export { DEFAULT_LIMITS } from "./core/limits.ts";
export type { Limits } from "./core/limits.ts";
