/**
 * Immutable broadcast targets: `to`, `except` and `volatile` return new operators.
 *
 * @module
 */

import type { Schema } from "../protocol/schema.ts";
import { encodePacket } from "../protocol/packet.ts";
import { PacketKind } from "../protocol/types.ts";
import type { Namespace } from "./namespace.ts";
import { toPayload } from "./payload.ts";
import { checkEventName } from "./socket.ts";
import type { EventMap } from "./types.ts";

/** Who a broadcast goes to. */
export interface BroadcastTarget {
  /** Rooms to send to; empty means the whole namespace. */
  readonly rooms: ReadonlySet<string>;
  /** Rooms (or socket ids) to leave out. */
  readonly except: ReadonlySet<string>;
  /** Drop instead of queueing for congested members. */
  readonly volatile: boolean;
}

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

  /**
   * Emit an event to every target.
   *
   * @returns The number of local sockets the frame was written to.
   * @throws {GameSocketError} `ERR_RESERVED_EVENT` for a reserved name.
   */
  emit<K extends keyof E & string>(event: K, payload?: E[K]): number {
    checkEventName(event);
    const frame = encodePacket({
      kind: PacketKind.Event,
      nsp: this.#namespace.id,
      name: event,
      ackId: 0,
      payload: toPayload(payload),
    });
    return this.#namespace.broadcastFrame(frame, this.#target);
  }

  /** Send a typed schema message to every target. */
  send<T>(schema: Schema<T>, value: T): number {
    const frame = encodePacket({
      kind: PacketKind.Message,
      nsp: this.#namespace.id,
      code: schema.code,
      body: schema.encode(value),
    });
    return this.#namespace.broadcastFrame(frame, this.#target);
  }

  /** Ids of the local sockets this operator targets. */
  socketIds(): Set<string> {
    return this.#namespace.select(this.#target);
  }

  /** Make every target join a room. */
  socketsJoin(room: string): void {
    for (const id of this.socketIds()) this.#namespace.sockets.get(id)?.join(room);
  }

  /** Make every target leave a room. */
  socketsLeave(room: string): void {
    for (const id of this.socketIds()) this.#namespace.sockets.get(id)?.leave(room);
  }

  /** Disconnect every target. */
  disconnectSockets(close = false): void {
    for (const id of this.socketIds()) this.#namespace.sockets.get(id)?.disconnect(close);
  }
}
