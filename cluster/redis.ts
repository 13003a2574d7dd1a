/**
 * The Redis cluster adapter: several server processes share rooms through
 * Redis pub/sub, with the maintained `redis` client from npm (node-redis),
 * on Deno, Bun and Node.
 *
 * Install the client next to game-socket (`npm install redis`; with Deno an
 * `npm:redis` import), then:
 *
 * @example
 * ```ts ignore
 * import { GameSocketServer } from "@x/game-socket/server";
 * import { RedisAdapter } from "@x/game-socket/cluster/redis";
 *
 * const adapter = new RedisAdapter({ url: "redis://127.0.0.1:6379" });
 * adapter.on("down", (error) => console.warn("redis unreachable:", error.message));
 * const server = new GameSocketServer({ adapter });
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createClient } from "redis";
import type { ClusterEngine, EngineHandlers } from "./adapter.ts";
import { PubSubAdapter, type PubSubAdapterOptions } from "./pubsub.ts";

/** Options of {@linkcode RedisAdapter} and {@linkcode RedisEngine}. */
export interface RedisAdapterOptions extends PubSubAdapterOptions {
  /** Where Redis is: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. @default "redis://127.0.0.1:6379" */
  url?: string;
  /** Longest pause between two reconnection attempts, in milliseconds. @default 2000 */
  maxReconnectDelay?: number;
  /** Milliseconds to wait for one connection attempt. @default 5000 */
  connectTimeout?: number;
}

type Client = ReturnType<typeof createClient>;

/**
 * A {@linkcode ClusterEngine} on Redis: one connection publishes and keeps the
 * heartbeat keys, one subscribes. Both reconnect by themselves with jittered
 * backoff; on every reconnection the subscriptions are brought back in line
 * with what the server wants before `up` is reported.
 *
 * Keys: `<prefix>:node:<id>` (the heartbeat, with a TTL) and the sorted set
 * `<prefix>:nodes` (id scored by expiry, pruned on every heartbeat).
 */
export class RedisEngine implements ClusterEngine {
  readonly #pub: Client;
  readonly #sub: Client;
  readonly #prefix: string;
  readonly #wanted = new Set<string>();
  #handlers: EngineHandlers | undefined;
  #up = false;
  #closed = false;
  readonly #listener = (message: Buffer, channel: Buffer): void => {
    if (!this.#closed) this.#handlers?.message(channel.toString(), message);
  };

  /**
   * Make the two clients; nothing connects before `start`.
   *
   * @param options Where Redis is, and how to reconnect.
   */
  constructor(options: RedisAdapterOptions = {}) {
    const max = options.maxReconnectDelay ?? 2_000;
    this.#prefix = options.prefix ?? "gs";
    this.#pub = createClient({
      url: options.url ?? "redis://127.0.0.1:6379",
      // While Redis is away, fail fast: a late broadcast is worse than a lost one.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeout ?? 5_000,
        reconnectStrategy: (retries: number) =>
          Math.min(50 * 2 ** retries, max) * (0.5 + Math.random() / 2),
      },
    });
    this.#sub = this.#pub.duplicate();
  }

  /** Connect both clients in the background; they reconnect by themselves. */
  start(handlers: EngineHandlers): void {
    this.#handlers = handlers;
    for (const client of [this.#pub, this.#sub]) {
      client.on("error", (error: Error) => this.#down(error));
      client.on("ready", () => void this.#ready());
      client.connect().catch((error: Error) => this.#down(error));
    }
  }

  /** Want these channels; subscribed now if connected, else on reconnection. */
  async subscribe(channels: string[]): Promise<void> {
    for (const channel of channels) this.#wanted.add(channel);
    if (this.#sub.isReady) await this.#sub.subscribe(channels, this.#listener, true);
  }

  /** Stop wanting these channels. */
  async unsubscribe(channels: string[]): Promise<void> {
    for (const channel of channels) this.#wanted.delete(channel);
    if (this.#sub.isReady) await this.#sub.unsubscribe(channels, this.#listener, true);
  }

  /** PUBLISH; rejects at once while disconnected (no offline queue). */
  publish(channel: string, data: Uint8Array): Promise<number> {
    return this.#pub.publish(channel, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  /** SET the node key with a PX expiry, ZADD it to the node set, prune expired ids. */
  async heartbeat(node: string, info: string, ttl: number): Promise<void> {
    const now = Date.now();
    const nodes = `${this.#prefix}:nodes`;
    await Promise.all([
      this.#pub.set(`${this.#prefix}:node:${node}`, info, {
        expiration: { type: "PX", value: ttl },
      }),
      this.#pub.zAdd(nodes, { score: now + ttl, value: node }),
      this.#pub.zRemRangeByScore(nodes, "-inf", now),
    ]);
  }

  /** Infos of the nodes whose key has not expired. */
  async nodes(): Promise<string[]> {
    const ids = await this.#pub.zRangeByScore(`${this.#prefix}:nodes`, Date.now(), "+inf");
    if (ids.length === 0) return [];
    const infos = await this.#pub.mGet(ids.map((id) => `${this.#prefix}:node:${id}`));
    return infos.filter((info): info is string => typeof info === "string");
  }

  /** Delete this node's heartbeat, then disconnect both clients. */
  async close(node: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pub.isReady) {
      // A clean exit leaves nothing behind; a crash leaves a heartbeat that expires.
      await Promise.all([
        this.#pub.del(`${this.#prefix}:node:${node}`),
        this.#pub.zRem(`${this.#prefix}:nodes`, node),
      ]).catch(() => {});
    }
    await Promise.all([this.#pub, this.#sub].map(shut));
  }

  async #ready(): Promise<void> {
    if (this.#closed || !this.#pub.isReady || !this.#sub.isReady) return;
    try {
      // node-redis restores the subscriptions it had; add what was asked for while down, drop the rest.
      const have = new Set(this.#sub.getPubSubListeners("CHANNELS").keys());
      const add = [...this.#wanted].filter((c) => !have.has(c));
      const drop = [...have].filter((c) => !this.#wanted.has(c));
      if (drop.length) await this.#sub.unsubscribe(drop, this.#listener, true);
      if (add.length) await this.#sub.subscribe(add, this.#listener, true);
    } catch (error) {
      return this.#down(error as Error); // the connection fell again: the next ready retries
    }
    if (this.#closed || this.#up || !this.#pub.isReady || !this.#sub.isReady) return;
    this.#up = true;
    this.#handlers?.up();
  }

  #down(error: Error): void {
    if (this.#closed) return;
    if (this.#pub.isReady && this.#sub.isReady) return; // a command error, not an outage
    this.#up = false;
    this.#handlers?.down(error);
  }
}

/**
 * A cluster adapter on Redis; see {@linkcode RedisEngine} and `PubSubAdapter`.
 * Events: `down` (Redis unreachable; local traffic goes on), `up` (back,
 * subscriptions restored), `error`.
 */
export class RedisAdapter extends PubSubAdapter {
  /**
   * Make an adapter on Redis; it connects when a server attaches it.
   *
   * @param options Redis URL, reconnection, prefix and heartbeat timing.
   */
  constructor(options: RedisAdapterOptions = {}) {
    super(new RedisEngine(options), options);
  }
}

async function shut(client: Client): Promise<void> {
  try {
    if (client.isReady) await client.close();
    else if (client.isOpen) client.destroy();
  } catch {
    client.destroy();
  }
}
