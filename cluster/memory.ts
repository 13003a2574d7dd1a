/**
 * The in-memory cluster: several servers in one process share rooms through a
 * {@linkcode MemoryHub}. It is the reference engine (what Redis does, without
 * a network) and what the cluster tests run on every runtime.
 *
 * @module
 */

import type { ClusterEngine, EngineHandlers } from "./adapter.ts";
import { PubSubAdapter, type PubSubAdapterOptions } from "./pubsub.ts";

/** Channels and heartbeats shared by the {@linkcode MemoryEngine}s of one process. */
export class MemoryHub {
  /** Subscribers of each channel. */
  readonly channels: Map<string, Set<MemoryEngine>> = new Map();
  /** Heartbeats: node id to its info and expiry (ms since the epoch). */
  readonly heartbeats: Map<string, { info: string; expires: number }> = new Map();
}

/** A {@linkcode ClusterEngine} in memory; messages arrive in a later microtask, in order. */
export class MemoryEngine implements ClusterEngine {
  readonly #hub: MemoryHub;
  readonly #mine = new Set<string>();
  #handlers: EngineHandlers | undefined;
  #closed = false;

  /**
   * Make an engine on a hub.
   *
   * @param hub The hub shared with the other servers. @default a hub of its own
   */
  constructor(hub: MemoryHub = new MemoryHub()) {
    this.#hub = hub;
  }

  /** Report `up` in a microtask. */
  start(handlers: EngineHandlers): void {
    this.#handlers = handlers;
    queueMicrotask(() => this.#closed || handlers.up());
  }

  /** Receive these channels. */
  subscribe(channels: string[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    for (const channel of channels) {
      let subscribers = this.#hub.channels.get(channel);
      if (!subscribers) this.#hub.channels.set(channel, subscribers = new Set());
      subscribers.add(this);
      this.#mine.add(channel);
    }
    return Promise.resolve();
  }

  /** Stop receiving these channels. */
  unsubscribe(channels: string[]): Promise<void> {
    for (const channel of channels) {
      const subscribers = this.#hub.channels.get(channel);
      subscribers?.delete(this);
      if (subscribers?.size === 0) this.#hub.channels.delete(channel);
      this.#mine.delete(channel);
    }
    return Promise.resolve();
  }

  /** Deliver to the current subscribers, each in a later microtask. */
  publish(channel: string, data: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Error("The memory engine is closed"));
    const subscribers = [...this.#hub.channels.get(channel) ?? []];
    for (const engine of subscribers) queueMicrotask(() => engine.#receive(channel, data));
    return Promise.resolve(subscribers.length);
  }

  /** Record a heartbeat with its expiry. */
  heartbeat(node: string, info: string, ttl: number): Promise<void> {
    this.#hub.heartbeats.set(node, { info, expires: Date.now() + ttl });
    return Promise.resolve();
  }

  /** Infos of unexpired heartbeats (expired ones are dropped). */
  nodes(): Promise<string[]> {
    const now = Date.now();
    const out: string[] = [];
    for (const [node, { info, expires }] of this.#hub.heartbeats) {
      if (expires > now) out.push(info);
      else this.#hub.heartbeats.delete(node);
    }
    return Promise.resolve(out);
  }

  /** Leave every channel and drop this node's heartbeat. */
  close(node: string): Promise<void> {
    this.#closed = true;
    void this.unsubscribe([...this.#mine]);
    this.#hub.heartbeats.delete(node);
    return Promise.resolve();
  }

  #receive(channel: string, data: Uint8Array): void {
    if (!this.#closed && this.#mine.has(channel)) this.#handlers?.message(channel, data);
  }
}

/**
 * A cluster adapter for servers in one process.
 *
 * @example
 * ```ts ignore
 * const hub = new MemoryHub();
 * const a = new GameSocketServer({ adapter: new MemoryAdapter(hub) });
 * const b = new GameSocketServer({ adapter: new MemoryAdapter(hub) });
 * // a broadcast on `a` to a room reaches its members on `b`
 * ```
 */
export class MemoryAdapter extends PubSubAdapter {
  /**
   * Make an adapter on a hub.
   *
   * @param hub Shared by the servers that form one cluster. @default a hub of its own
   * @param options Prefix and heartbeat timing.
   */
  constructor(hub: MemoryHub = new MemoryHub(), options: PubSubAdapterOptions = {}) {
    super(new MemoryEngine(hub), options);
  }
}
