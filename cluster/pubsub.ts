/**
 * The room-aware cluster adapter, written once over any {@linkcode ClusterEngine}.
 *
 * A process subscribes to a namespace's channel while it has sockets there
 * and to a room's channel while it has members in it (see `channels.ts`), so
 * a broadcast to a room reaches only the processes that hold members of that
 * room. Requests (acks from many, socket queries) go the same way; answers
 * come back on the requester's own channel.
 *
 * @module
 */

import type { BroadcastTarget } from "../core/broadcast.ts";
import { Emitter } from "../core/emitter.ts";
import { GameSocketError } from "../core/errors.ts";
import type { Namespace } from "../core/namespace.ts";
import type {
  AckSink,
  ClusterAdapter,
  ClusterEngine,
  ClusterEvents,
  ClusterHost,
  ClusterStats,
  ClusterStatus,
  NodeInfo,
  RemoteOp,
  SocketInfo,
} from "./adapter.ts";
import {
  type ClusterMessage,
  decodeMessage,
  encodeMessage,
  MessageKind,
  QueryOp,
  type Targeted,
} from "./message.ts";
import { Channels, RecentMessages } from "./channels.ts";
import { Remote } from "./remote.ts";

/** Options of {@linkcode PubSubAdapter}. */
export interface PubSubAdapterOptions {
  /** Prefix of every channel and key, so several games can share one engine. @default "gs" */
  prefix?: string;
  /** Milliseconds between heartbeats. @default 5000 */
  heartbeatInterval?: number;
  /** Milliseconds a heartbeat lasts: a process silent that long is gone. @default 3 × heartbeatInterval */
  heartbeatTtl?: number;
}

/**
 * A {@linkcode ClusterAdapter} over a {@linkcode ClusterEngine}; see the module doc.
 * Use `RedisAdapter` or `MemoryAdapter`, which build one.
 */
export class PubSubAdapter extends Emitter implements ClusterAdapter {
  /** This process's id in the cluster. */
  readonly nodeId: string = crypto.randomUUID();
  /** Message counters. */
  readonly stats: ClusterStats = { published: 0, received: 0, dropped: 0 };
  readonly #engine: ClusterEngine;
  readonly #channels: Channels;
  readonly #recent = new RecentMessages();
  readonly #interval: number;
  readonly #ttl: number;
  readonly #startedAt = Date.now();
  #host: ClusterHost | undefined;
  #remote: Remote | undefined;
  #status: ClusterStatus = "connecting";
  #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #seq = 0;

  /**
   * Make an adapter over an engine; it starts when a server attaches it.
   *
   * @param engine The message engine.
   * @param options Prefix and heartbeat timing.
   */
  constructor(engine: ClusterEngine, options: PubSubAdapterOptions = {}) {
    super();
    this.#engine = engine;
    this.#channels = new Channels(options.prefix ?? "gs", engine, (error) => {
      if (this.#status === "up") this.#report(error, "cluster subscribe");
    });
    this.#interval = positive("heartbeatInterval", options.heartbeatInterval ?? 5_000);
    this.#ttl = positive("heartbeatTtl", options.heartbeatTtl ?? 3 * this.#interval);
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => {}); // nobody has to wait for it
  }

  /** Where the adapter stands with its engine. */
  get status(): ClusterStatus {
    return this.#status;
  }

  /** Listen to an adapter event. */
  on<K extends keyof ClusterEvents>(event: K, handler: ClusterEvents[K]): this {
    this.addHandler(event, handler);
    return this;
  }

  /** Remove a handler, or every handler of the event. */
  off<K extends keyof ClusterEvents>(event: K, handler?: ClusterEvents[K]): this {
    this.removeHandler(event, handler);
    return this;
  }

  /** Resolve once connected the first time (reject if closed before). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Resolve once every (un)subscription asked for so far is in place. */
  flush(): Promise<void> {
    return this.#channels.flush();
  }

  /** The processes whose heartbeat has not expired (this one included once it has sent one). */
  async nodes(): Promise<NodeInfo[]> {
    const out: NodeInfo[] = [];
    for (const text of await this.#engine.nodes()) {
      try {
        out.push(JSON.parse(text) as NodeInfo);
      } catch { /* a foreign key under our prefix: skip it */ }
    }
    return out;
  }

  /** Bind to a server and connect (see {@linkcode ClusterAdapter.attach}). */
  attach(host: ClusterHost): void {
    if (this.#host) {
      throw new TypeError("Cannot attach the cluster adapter: it already serves a server");
    }
    this.#host = host;
    this.#remote = new Remote(
      this.nodeId,
      host,
      (node, m) => void this.#publish(this.#channels.node(node), encodeMessage(m)),
    );
    this.#channels.want(this.#channels.node(this.nodeId), true);
    this.#engine.start({
      message: (channel, data) => this.#onMessage(channel, data),
      up: () => this.#onUp(),
      down: (error) => this.#onDown(error),
    });
    this.#timer = setInterval(() => this.#beat(), this.#interval);
  }

  /** Start receiving a room's broadcasts (its first local member joined). */
  roomCreated(nsp: Namespace, room: string): void {
    this.#channels.roomCreated(nsp.name, room);
  }

  /** Stop receiving a room's broadcasts (its last local member left). */
  roomDeleted(nsp: Namespace, room: string): void {
    this.#channels.roomDeleted(nsp.name, room);
  }

  /** Publish a frame for the members of `target` on the other processes. */
  broadcast(nsp: Namespace, frame: Uint8Array, target: BroadcastTarget): void {
    const channels = this.#channels.of(nsp, target);
    if (channels.length === 0) return;
    const m = { ...this.#targeted(nsp, target, channels), kind: 1 as const, nspId: nsp.id };
    this.#publishAll(channels, encodeMessage({ ...m, volatile: target.volatile, frame }));
  }

  /** Ask the members of `target` on the other processes for acks; answers go to `sink`. */
  emitWithAck(
    nsp: Namespace,
    target: BroadcastTarget,
    event: Uint8Array,
    timeout: number,
    sink: AckSink,
  ): void {
    const channels = this.#channels.of(nsp, target);
    if (channels.length === 0 || this.#status !== "up") return sink.nodes(0);
    const req = this.#remote!.expectAcks(sink, timeout);
    const m = { ...this.#targeted(nsp, target, channels), kind: 2 as const, req, timeout };
    this.#publishAll(channels, encodeMessage({ ...m, frame: event }))
      .then(({ receivers }) => sink.nodes(receivers)); // when down: the local replies only
  }

  /** Ids, rooms and data of the members of `target` on the other processes. */
  fetchSockets(nsp: Namespace, target: BroadcastTarget, timeout: number): Promise<SocketInfo[]> {
    const channels = this.#channels.of(nsp, target);
    if (channels.length === 0) return Promise.resolve([]);
    if (this.#status !== "up") {
      return Promise.reject(
        new GameSocketError(
          "ERR_NOT_CONNECTED",
          `Cannot fetch sockets cluster-wide: the cluster is ${this.#status}`,
        ),
      );
    }
    const { req, result, expect } = this.#remote!.expectSockets(timeout);
    const m = {
      ...this.#targeted(nsp, target, channels),
      kind: 5 as const,
      req,
      op: QueryOp.Fetch,
    };
    this.#publishAll(channels, encodeMessage({ ...m, room: "", close: false }))
      .then(({ receivers, failed }) => expect(failed ? -1 : receivers));
    return result;
  }

  /** Make the members of `target` on the other processes join, leave or disconnect. */
  apply(nsp: Namespace, target: BroadcastTarget, op: RemoteOp): void {
    const channels = this.#channels.of(nsp, target);
    if (channels.length === 0) return;
    const code = op.op === "join"
      ? QueryOp.Join
      : op.op === "leave"
      ? QueryOp.Leave
      : QueryOp.Disconnect;
    const m = { ...this.#targeted(nsp, target, channels), kind: 5 as const, req: 0, op: code };
    const room = "room" in op ? op.room : "";
    this.#publishAll(channels, encodeMessage({ ...m, room, close: "close" in op && op.close }));
  }

  /** Leave the cluster: stop the heartbeat, end pending requests, disconnect. */
  async close(): Promise<void> {
    if (this.#status === "closed") return;
    this.#status = "closed";
    clearInterval(this.#timer);
    this.#channels.close();
    this.#rejectReady(new GameSocketError("ERR_DISCONNECTED", "The cluster adapter closed"));
    this.#remote?.abortAll(new GameSocketError("ERR_DISCONNECTED", "The cluster adapter closed"));
    await this.#engine.close(this.nodeId);
  }

  /** Handler errors of the adapter's own events go to the server. */
  protected override onHandlerError(error: unknown, event: string): void {
    this.#report(error, `handler of cluster "${event}"`);
  }

  #onUp(): void {
    if (this.#status === "closed") return;
    this.#status = "up";
    this.#resolveReady();
    this.#beat();
    this.dispatch("up");
  }

  #onDown(error: Error): void {
    if (this.#status === "closed" || this.#status === "down") return;
    this.#status = "down";
    if (!this.dispatch("down", error)) this.#report(error, "cluster engine down");
  }

  #onMessage(_channel: string, data: Uint8Array): void {
    let m: ClusterMessage;
    try {
      m = decodeMessage(data);
    } catch (error) {
      return this.#report(error, "cluster message");
    }
    const remote = this.#remote;
    if (!remote) return;
    const own = (m.kind === MessageKind.Broadcast || m.kind === MessageKind.AckRequest ||
      m.kind === MessageKind.Query) && m.node === this.nodeId;
    if (!own) this.stats.received++;
    try {
      switch (m.kind) {
        case MessageKind.Broadcast:
          if (!own && this.#recent.first(m)) remote.deliver(m);
          return;
        case MessageKind.AckRequest:
          return remote.onAckRequest(m, !own && this.#recent.first(m));
        case MessageKind.Query:
          return remote.onQuery(m, !own && this.#recent.first(m));
        default:
          return remote.onReply(m);
      }
    } catch (error) {
      this.#report(error, "cluster message");
    }
  }

  #targeted(nsp: Namespace, target: BroadcastTarget, channels: string[]): Targeted {
    return {
      node: this.nodeId,
      seq: ++this.#seq,
      multi: channels.length > 1,
      nsp: nsp.name,
      rooms: [...target.rooms],
      except: [...target.except],
    };
  }

  /** Publish to every channel; resolve with the receivers and whether a publish failed. */
  async #publishAll(
    channels: string[],
    bytes: Uint8Array,
  ): Promise<{ receivers: number; failed: boolean }> {
    const counts = await Promise.all(channels.map((c) => this.#publish(c, bytes)));
    return {
      receivers: counts.reduce((a, b) => a + Math.max(0, b), 0),
      failed: counts.includes(-1),
    };
  }

  /** Publish; resolve with the receiver count, -1 when dropped (down) or failed. */
  async #publish(channel: string, bytes: Uint8Array): Promise<number> {
    if (this.#status !== "up") {
      this.stats.dropped++;
      return -1;
    }
    try {
      const n = await this.#engine.publish(channel, bytes);
      this.stats.published++;
      return n;
    } catch (error) {
      this.stats.dropped++;
      if (this.#status === "up") this.#report(error, "cluster publish");
      return -1;
    }
  }

  #beat(): void {
    if (this.#status !== "up") return;
    let sockets = 0;
    for (const nsp of this.#host?.namespaces.values() ?? []) sockets += nsp.sockets.size;
    const info: NodeInfo = {
      id: this.nodeId,
      sockets,
      startedAt: this.#startedAt,
      seenAt: Date.now(),
    };
    this.#engine.heartbeat(this.nodeId, JSON.stringify(info), this.#ttl).catch(() => {});
  }

  #report(error: unknown, where: string): void {
    if (this.hasListeners("error")) this.dispatch("error", error);
    else if (this.#host) this.#host.reportError(error, where);
    else console.error(`game-socket: ${where}:`, error);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot use ${name}=${value}: it must be a positive number of milliseconds`,
    );
  }
  return value;
}
