/**
 * The broadcast adapter contract: how a server shares its rooms with other
 * server processes.
 *
 * Two levels, so that another engine can follow Redis with little code:
 *
 * - {@linkcode ClusterAdapter} is what the server calls (room lifecycle,
 *   broadcasts, acks from many, remote queries). `PubSubAdapter` implements
 *   it once for every engine, room-aware: a process subscribes only to the
 *   channels of the rooms and namespaces it has local members in.
 * - {@linkcode ClusterEngine} is what an engine provides: channels
 *   (subscribe, unsubscribe, publish with a receiver count) and node
 *   heartbeats with a time to live. `RedisEngine` implements it on Redis
 *   pub/sub; `MemoryEngine` in one process (the default, for tests and for
 *   several servers in one process). A NATS engine would be the same seven methods.
 *
 * Without an adapter a server is a cluster of one: broadcasts, acks from many
 * and socket queries cover its own sockets, at no extra cost.
 *
 * @module
 */

import type { BroadcastTarget } from "../core/broadcast.ts";
import type { Namespace } from "../core/namespace.ts";
import type { SocketInfo } from "./message.ts";

export type { SocketInfo };

/** What an adapter may use of the server it is attached to. */
export interface ClusterHost {
  /** The server's namespaces by name. */
  readonly namespaces: ReadonlyMap<string, Namespace>;
  /** Report an error nobody listens for (the server's `error` event, or the console). */
  reportError(error: unknown, where: string): void;
}

/** Collects the outcome of a broadcast that asks every member for an ack. */
export interface AckSink {
  /** `count` processes got the request; each reports once with {@linkcode AckSink.asked}. */
  nodes(count: number): void;
  /** A process asked `count` of its sockets. */
  asked(count: number): void;
  /** An asked socket replied (`ok`) or was lost (disconnected, timed out). */
  reply(ok: boolean, value: unknown): void;
  /** The adapter closed: no more answers will come. */
  abort(error: Error): void;
}

/** An operation to apply to the members of a target on every process. */
export type RemoteOp =
  | { readonly op: "join" | "leave"; readonly room: string }
  | { readonly op: "disconnect"; readonly close: boolean };

/**
 * What a {@linkcode GameSocketServer} asks of a cluster. Every method covers
 * the *other* processes: the server handles its own sockets itself.
 */
export interface ClusterAdapter {
  /** This process's id in the cluster. */
  readonly nodeId: string;
  /**
   * Bind to a server and start (called once, by the server's constructor).
   *
   * @throws {TypeError} When the adapter is already attached to a server.
   */
  attach(host: ClusterHost): void;
  /** A room of `nsp` got its first local member: start receiving its broadcasts. */
  roomCreated(nsp: Namespace, room: string): void;
  /** A room of `nsp` lost its last local member: stop receiving its broadcasts. */
  roomDeleted(nsp: Namespace, room: string): void;
  /** Send an encoded frame to the members of `target` on the other processes. */
  broadcast(nsp: Namespace, frame: Uint8Array, target: BroadcastTarget): void;
  /**
   * Emit an event with an ack to the members of `target` on the other processes.
   *
   * @param event The event packet, encoded with ack id 0 (each socket gets its own id).
   */
  emitWithAck(
    nsp: Namespace,
    target: BroadcastTarget,
    event: Uint8Array,
    timeout: number,
    sink: AckSink,
  ): void;
  /** Ids, rooms and data of the members of `target` on the other processes. */
  fetchSockets(nsp: Namespace, target: BroadcastTarget, timeout: number): Promise<SocketInfo[]>;
  /** Make the members of `target` on the other processes join, leave or disconnect. */
  apply(nsp: Namespace, target: BroadcastTarget, op: RemoteOp): void;
  /** Leave the cluster (called by `server.close()`). */
  close(): Promise<void>;
}

/** What an engine calls back. */
export interface EngineHandlers {
  /** A message arrived on a subscribed channel. */
  message(channel: string, data: Uint8Array): void;
  /** Connected (first time or again), subscriptions in place. */
  up(): void;
  /** Lost the connection; the engine keeps trying by itself. */
  down(error: Error): void;
}

/**
 * A message engine (Redis, NATS, memory): channels and node heartbeats.
 * Methods never throw synchronously; while down, `publish` and `heartbeat`
 * reject at once and (un)subscriptions are remembered and applied on reconnect.
 */
export interface ClusterEngine {
  /** Connect in the background and report through `handlers`. */
  start(handlers: EngineHandlers): void;
  /** Receive the messages of these channels (idempotent). */
  subscribe(channels: string[]): Promise<void>;
  /** Stop receiving these channels (idempotent). */
  unsubscribe(channels: string[]): Promise<void>;
  /** Send to a channel. @returns How many processes received it (-1: the engine cannot tell). */
  publish(channel: string, data: Uint8Array): Promise<number>;
  /** Record that `node` is alive, with `info`, for `ttl` milliseconds. */
  heartbeat(node: string, info: string, ttl: number): Promise<void>;
  /** The `info` of every node whose heartbeat has not expired. */
  nodes(): Promise<string[]>;
  /** Disconnect and forget this node's heartbeat. */
  close(node: string): Promise<void>;
}

/** Where the adapter stands with its engine. */
export type ClusterStatus = "connecting" | "up" | "down" | "closed";

/** Handlers of the events a cluster adapter emits. */
export interface ClusterEvents {
  /** Connected (first time or again) with every subscription restored. */
  up: () => void;
  /** The engine is unreachable: local traffic goes on, remote broadcasts are dropped until `up`. */
  down: (error: Error) => void;
  /** A message could not be handled (a malformed message, a failed publish while up). */
  error: (error: unknown) => void;
}

/** Counters, for metrics and tests. */
export interface ClusterStats {
  /** Messages published. */
  published: number;
  /** Messages received from other processes. */
  received: number;
  /** Messages that could not be published (engine down). */
  dropped: number;
}

/** A live process, as its last heartbeat described it. */
export interface NodeInfo {
  /** The process's node id. */
  id: string;
  /** Its sockets, all namespaces together. */
  sockets: number;
  /** When it started (ms since the epoch). */
  startedAt: number;
  /** When it last sent a heartbeat (ms since the epoch). */
  seenAt: number;
}
