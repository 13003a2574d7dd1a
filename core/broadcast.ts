/**
 * Immutable broadcast targets: `to`, `except` and `volatile` return new operators.
 *
 * @module
 */

import type { SocketInfo } from "../cluster/message.ts";
import type { Schema } from "../protocol/schema.ts";
import { encodePacket } from "../protocol/packet.ts";
import { messageFrame, packetFrame } from "./frames.ts";
import { PacketKind } from "../protocol/types.ts";
import { AckCollector } from "./ack_collector.ts";
import type { Namespace } from "./namespace.ts";
import { toPayload } from "./payload.ts";
import { checkEventName } from "./inbound.ts";
import type { ServerSocket } from "./socket.ts";
import { type AckOptions, DEFAULT_ACK_TIMEOUT, type EventMap } from "./types.ts";

/** Who a broadcast goes to. */
export interface BroadcastTarget {
  /** Rooms to send to; empty means the whole namespace. */
  readonly rooms: ReadonlySet<string>;
  /** Rooms (or socket ids) to leave out. */
  readonly except: ReadonlySet<string>;
  /** Drop instead of queueing for congested members. */
  readonly volatile: boolean;
  /** This process's members only, no cluster traffic. */
  readonly local?: boolean;
  /** Milliseconds to wait for acks and cluster answers. @default 5000 */
  readonly timeout?: number;
}

/** Called once with every reply (`error` set when some did not come in time). */
export type BroadcastAckCallback = (error: Error | null, replies: unknown[]) => void;

const NONE: ReadonlySet<string> = new Set();

/**
 * A broadcast: the packet is encoded once and the same bytes are written to
 * every member. Each method returns a new operator, so a stored operator can
 * be reused safely (the seed's shared `to()` state was a bug).
 *
 * @example
 * ```ts ignore
 * namespace.to("lobby").except("muted").emit("chat", "hello");
 * ```
 */
export class BroadcastOperator<E extends EventMap = EventMap> {
  readonly #namespace: Namespace;
  readonly #target: BroadcastTarget;

  /**
   * Make an operator; users get one from `to()`, `except()` or `volatile`.
   *
   * @param namespace Where to broadcast.
   * @param target Who to (everyone by default).
   */
  constructor(
    namespace: Namespace,
    target: BroadcastTarget = { rooms: NONE, except: NONE, volatile: false },
  ) {
    this.#namespace = namespace;
    this.#target = target;
  }

  /** Who this operator sends to. */
  get target(): BroadcastTarget {
    return this.#target;
  }

  /** Also send to these rooms. */
  to(...rooms: string[]): BroadcastOperator<E> {
    return new BroadcastOperator(this.#namespace, {
      ...this.#target,
      rooms: new Set([...this.#target.rooms, ...rooms]),
    });
  }

  /** Same as {@linkcode BroadcastOperator.to}. */
  in(...rooms: string[]): BroadcastOperator<E> {
    return this.to(...rooms);
  }

  /** Leave out the members of these rooms (a socket id is its own room). */
  except(...rooms: string[]): BroadcastOperator<E> {
    return new BroadcastOperator(this.#namespace, {
      ...this.#target,
      except: new Set([...this.#target.except, ...rooms]),
    });
  }

  /** Drop, rather than queue, for members whose link is congested. */
  get volatile(): BroadcastOperator<E> {
    return new BroadcastOperator(this.#namespace, { ...this.#target, volatile: true });
  }

  /** This process's members only: nothing goes to the cluster. */
  get local(): BroadcastOperator<E> {
    return new BroadcastOperator(this.#namespace, { ...this.#target, local: true });
  }

  /**
   * Wait `ms` milliseconds for acks (`emit` with a callback, `emitWithAck`)
   * and for the other processes' answers (`fetchSockets`).
   *
   * @throws {RangeError} When `ms` is not a positive number.
   */
  timeout(ms: number): BroadcastOperator<E> {
    if (!(ms > 0) || !Number.isFinite(ms)) {
      throw new RangeError(`Cannot use timeout ${ms}: pass a positive number of milliseconds`);
    }
    return new BroadcastOperator(this.#namespace, { ...this.#target, timeout: ms });
  }

  /**
   * Emit an event to every target, on every process of the cluster.
   *
   * @param ack When given, every target is asked for an ack, and `ack` gets
   *   the replies once all have answered, or the error `ERR_ACK_TIMEOUT` and
   *   the replies so far when the timeout comes first.
   * @returns The number of local sockets the event was written to.
   * @throws {GameSocketError} `ERR_RESERVED_EVENT` for a reserved name.
   */
  emit<K extends keyof E & string>(event: K, payload?: E[K], ack?: BroadcastAckCallback): number {
    checkEventName(event);
    if (ack) {
      return this.#emitWithAcks(event, payload, this.#target.timeout ?? DEFAULT_ACK_TIMEOUT, ack);
    }
    const frame = packetFrame({
      kind: PacketKind.Event,
      nsp: this.#namespace.id,
      name: event,
      ackId: 0,
      payload: toPayload(payload),
    });
    return this.#namespace.broadcastFrame(frame, this.#target);
  }

  /**
   * Emit an event to every target, on every process, and wait for all their acks.
   * A target that disconnects before answering is not waited for.
   *
   * @returns The replies, in arrival order.
   * @throws {GameSocketError} `ERR_ACK_TIMEOUT` when some did not answer in time.
   */
  emitWithAck<K extends keyof E & string>(
    event: K,
    payload?: E[K],
    options: AckOptions = {},
  ): Promise<unknown[]> {
    checkEventName(event);
    const timeout = options.timeout ?? this.#target.timeout ?? DEFAULT_ACK_TIMEOUT;
    return new Promise((resolve, reject) => {
      this.#emitWithAcks(
        event,
        payload,
        timeout,
        (error, replies) => error ? reject(error) : resolve(replies),
      );
    });
  }

  /** Send a typed schema message to every target. */
  send<T>(schema: Schema<T>, value: T): number {
    const frame = messageFrame(this.#namespace.id, schema, value);
    return this.#namespace.broadcastFrame(frame, this.#target);
  }

  /** Ids of the local sockets this operator targets. */
  socketIds(): Set<string> {
    return this.#namespace.select(this.#target);
  }

  /**
   * Ids, rooms and data of every target, on every process of the cluster.
   *
   * @throws {GameSocketError} `ERR_NOT_CONNECTED` while the cluster is down,
   *   `ERR_ACK_TIMEOUT` when a process did not answer in time.
   */
  async fetchSockets(): Promise<SocketInfo[]> {
    const ns = this.#namespace;
    const node = ns.cluster?.nodeId ?? "";
    const local: SocketInfo[] = [];
    for (const socket of this.#localSockets()) local.push(socketInfo(socket, node));
    if (ns.cluster === undefined || this.#target.local) return local;
    const remote = await ns.cluster.fetchSockets(
      ns,
      this.#target,
      this.#target.timeout ?? DEFAULT_ACK_TIMEOUT,
    );
    return local.concat(remote);
  }

  /** Make every target join a room, on every process. */
  socketsJoin(room: string): void {
    for (const socket of this.#localSockets()) socket.join(room);
    this.#remote({ op: "join", room });
  }

  /** Make every target leave a room, on every process. */
  socketsLeave(room: string): void {
    for (const socket of this.#localSockets()) socket.leave(room);
    this.#remote({ op: "leave", room });
  }

  /** Disconnect every target, on every process (`close`: their whole connection). */
  disconnectSockets(close = false): void {
    for (const socket of this.#localSockets()) socket.disconnect(close);
    this.#remote({ op: "disconnect", close });
  }

  #localSockets(): ServerSocket[] {
    const out: ServerSocket[] = [];
    for (const id of this.socketIds()) {
      const socket = this.#namespace.sockets.get(id);
      if (socket) out.push(socket);
    }
    return out;
  }

  #remote(op: Parameters<NonNullable<Namespace["cluster"]>["apply"]>[2]): void {
    const ns = this.#namespace;
    if (ns.cluster !== undefined && !this.#target.local) ns.cluster.apply(ns, this.#target, op);
  }

  #emitWithAcks(
    event: string,
    payload: unknown,
    timeout: number,
    ack: BroadcastAckCallback,
  ): number {
    const ns = this.#namespace;
    const collector = new AckCollector(timeout, ack);
    const sockets = this.#localSockets();
    collector.local(sockets.length);
    for (const socket of sockets) {
      socket.emitWithAck(event, payload, { timeout }).then(
        (reply) => collector.reply(true, reply),
        () => collector.reply(false, undefined),
      );
    }
    if (ns.cluster === undefined || this.#target.local) collector.nodes(0);
    else {
      const frame = encodePacket({
        kind: PacketKind.Event,
        nsp: ns.id,
        name: event,
        ackId: 0,
        payload: toPayload(payload),
      });
      ns.cluster.emitWithAck(ns, this.#target, frame, timeout, collector);
    }
    return sockets.length;
  }
}

/**
 * A socket as `fetchSockets` reports it.
 *
 * @param socket A local socket.
 * @param node This process's node id.
 * @returns Its id, rooms (its own id room left out), data and node.
 */
export function socketInfo(socket: ServerSocket, node: string): SocketInfo {
  const rooms: string[] = [];
  for (const room of socket.rooms) if (room !== socket.id) rooms.push(room);
  return { id: socket.id, rooms, data: socket.data, node };
}
