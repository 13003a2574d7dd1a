/**
 * Scale-out: share rooms between several server processes.
 *
 * - {@linkcode MemoryAdapter}: several servers in one process (and the model
 *   of what an engine must do).
 * - `RedisAdapter` from `@x/game-socket/cluster/redis`: several processes or
 *   machines, through Redis pub/sub (needs the `redis` npm package).
 * - {@linkcode PubSubAdapter} over your own {@linkcode ClusterEngine} for
 *   another engine (NATS...).
 *
 * @example
 * ```ts ignore
 * import { GameSocketServer } from "@x/game-socket/server";
 * import { MemoryAdapter, MemoryHub } from "@x/game-socket/cluster";
 * const hub = new MemoryHub();
 * const a = new GameSocketServer({ adapter: new MemoryAdapter(hub) });
 * const b = new GameSocketServer({ adapter: new MemoryAdapter(hub) });
 * ```
 *
 * @module
 */

export type {
  AckSink,
  ClusterAdapter,
  ClusterEngine,
  ClusterEvents,
  ClusterHost,
  ClusterStats,
  ClusterStatus,
  EngineHandlers,
  NodeInfo,
  RemoteOp,
  SocketInfo,
} from "./adapter.ts";
export { PubSubAdapter } from "./pubsub.ts";
export type { PubSubAdapterOptions } from "./pubsub.ts";
export { MemoryAdapter, MemoryEngine, MemoryHub } from "./memory.ts";
