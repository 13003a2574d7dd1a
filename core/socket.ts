/**
 * A client's socket in one namespace, as the server sees it.
 *
 * @module
 */

import type { Schema } from "../protocol/schema.ts";
import { messageFrame } from "./frames.ts";
import { type Packet, PacketKind } from "../protocol/types.ts";
import { type AckCallback, PendingAcks } from "./acks.ts";
import { BroadcastOperator } from "./broadcast.ts";
import { Emitter } from "./emitter.ts";
import { type DisconnectReason, GameSocketError, RESERVED_EVENTS } from "./errors.ts";
import { checkEventName, onceAck, SchemaHandlers } from "./inbound.ts";
import type { Namespace } from "./namespace.ts";
import { fromPayload, toPayload } from "./payload.ts";
import { longerThan } from "./limits.ts";
import { joinRoom, leaveRoom, onRoomRequest } from "./socket_rooms.ts";
import { type VolatileSender, volatileSender } from "./socket_volatile.ts";
import type { RateWarning } from "./rate_limit.ts";
import type { ServerSession } from "./session.ts";
import type { UdpStatus } from "./udp_stats.ts";
import { type AckOptions, DEFAULT_ACK_TIMEOUT, type EventHandler, type EventMap } from "./types.ts";

/** Handlers of the events the library emits on a server socket. */
export interface ServerSocketReservedEvents {
  /** The socket left the namespace or the connection closed. */
  disconnect: (reason: DisconnectReason) => void;
  /** A handler of this socket threw. */
  error: (error: unknown) => void;
  /** The client went over its message or byte rate; it is disconnected with `rate-limit` if it keeps on. */
  "rate-warning": (warning: RateWarning) => void;
  /** The client's link dropped; the socket waits for it to resume (`disconnect` if it does not in time). */
  "link-lost": (reason: DisconnectReason) => void;
  /** The client resumed: what was sent meanwhile has been replayed to it. */
  "link-restored": () => void;
}

/**
 * One client connection's presence in one namespace.
 *
 * @typeParam L Events the client sends (what `on` listens to).
 * @typeParam E Events the server sends (what `emit` sends).
 */
export class ServerSocket<L extends EventMap = EventMap, E extends EventMap = EventMap>
  extends Emitter {
  /** The namespace this socket is in. */
  readonly namespace: Namespace;
  /** What the client sent when it connected to the namespace. */
  readonly auth: unknown;
  readonly #session: ServerSession;
  // Made on first use: most sockets never wait for an ack, register a schema
  // handler on themselves or store data (~150 heap bytes of each idle connection).
  #data: Record<string, unknown> | undefined;
  #acks: PendingAcks | undefined;
  #schemaHandlers: SchemaHandlers | undefined;
  #connected = true;

  /**
   * Made by the namespace when a client connects; not for users.
   *
   * @param namespace The namespace.
   * @param session The client's connection.
   * @param auth The client's connect data.
   */
  constructor(namespace: Namespace, session: ServerSession, auth: unknown) {
    super();
    this.namespace = namespace;
    this.#session = session;
    this.auth = auth;
  }

  /** Free storage for the application (player name, team...). */
  get data(): Record<string, unknown> {
    return this.#data ??= {};
  }

  set data(value: Record<string, unknown>) {
    this.#data = value;
  }

  #pendingAcks(): PendingAcks {
    return this.#acks ??= new PendingAcks(this.namespace.server.limits.maxPendingAcks);
  }

  /** The connection's id (the same in every namespace); also the name of its own room. */
  get id(): string {
    return this.#session.sid;
  }

  /** True until the socket leaves the namespace or the connection closes. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Rooms this socket is in, its own id room included. */
  get rooms(): ReadonlySet<string> {
    return this.namespace.rooms.roomsOf(this.id);
  }

  /** False while the client's link is down and the session waits for a resume. */
  get linked(): boolean {
    return this.#connected && this.#session.linked;
  }

  /** Round-trip time of the connection's last heartbeat, in milliseconds. */
  get rtt(): number {
    return this.#session.rtt;
  }

  /**
   * Whether `volatile` sends to this client go over UDP (`state` is "bound")
   * or over the stream, and the connection's UDP counters (shared by its
   * namespaces).
   */
  get udp(): UdpStatus {
    return this.#session.udp;
  }

  /** The client's IP address. */
  get remoteAddress(): string {
    return this.#session.transport.remoteAddress;
  }

  /** The connection (internal: used by broadcasts). */
  get session(): ServerSession {
    return this.#session;
  }

  /** Number of acks this socket waits for. */
  get pendingAcks(): number {
    return this.#acks?.size ?? 0;
  }

  /** Listen to a client event, to a library event, or to a schema message. */
  on<K extends keyof ServerSocketReservedEvents>(
    event: K,
    handler: ServerSocketReservedEvents[K],
  ): this;
  /** Listen to an event (see the first signature). */
  on<K extends keyof L & string>(event: K, handler: EventHandler<L[K]>): this;
  /** Listen to an event (see the first signature). */
  on<T>(schema: Schema<T>, handler: (value: T) => unknown): this;
  on(event: string | Schema<unknown>, handler: (...args: never[]) => unknown): this {
    if (typeof event === "string") this.addHandler(event, handler);
    else {
      this.#schemaHandlers ??= new SchemaHandlers(this.namespace.server.schemas);
      this.#schemaHandlers.add(event as Schema<never>, handler);
    }
    return this;
  }

  /** Listen to the next occurrence only. */
  once<K extends keyof ServerSocketReservedEvents>(
    event: K,
    handler: ServerSocketReservedEvents[K],
  ): this;
  /** Listen once to an event (see the first signature). */
  once<K extends keyof L & string>(event: K, handler: EventHandler<L[K]>): this;
  once(event: string, handler: (...args: never[]) => unknown): this {
    this.addOnceHandler(event, handler);
    return this;
  }

  /** Remove a handler, or every handler of the event (or schema) when none is given. */
  off(event: string | Schema<unknown>, handler?: (...args: never[]) => unknown): this {
    if (typeof event === "string") this.removeHandler(event, handler);
    else this.#schemaHandlers?.remove(event as Schema<never>, handler);
    return this;
  }

  /**
   * Send an event to this client.
   *
   * @param event Event name (not a reserved one).
   * @param payload JSON-compatible value, `Uint8Array`, or nothing.
   * @param ack Called with the client's reply (or an error on timeout/disconnect).
   * @returns False when the socket is disconnected.
   * @throws {GameSocketError} `ERR_RESERVED_EVENT` for a reserved name.
   */
  emit<K extends keyof E & string>(event: K, payload?: E[K], ack?: AckCallback): boolean {
    checkEventName(event);
    if (!this.#connected) return false;
    const ackId = ack ? this.#pendingAcks().add(ack, DEFAULT_ACK_TIMEOUT) : 0;
    return this.#session.sendPacket({
      kind: PacketKind.Event,
      nsp: this.namespace.id,
      name: event,
      ackId,
      payload: toPayload(payload),
    });
  }

  /**
   * Send an event and wait for the client's reply.
   *
   * @throws {GameSocketError} `ERR_ACK_TIMEOUT`, `ERR_DISCONNECTED`, `ERR_TOO_MANY_PENDING_ACKS`.
   */
  emitWithAck<K extends keyof E & string>(
    event: K,
    payload?: E[K],
    options: AckOptions = {},
  ): Promise<unknown> {
    checkEventName(event);
    return new Promise((resolve, reject) => {
      if (!this.#connected) {
        return reject(
          new GameSocketError("ERR_DISCONNECTED", "Cannot emit: the socket is disconnected"),
        );
      }
      const ackId = this.#pendingAcks().add(
        (error, reply) => error ? reject(error) : resolve(reply),
        options.timeout ?? DEFAULT_ACK_TIMEOUT,
      );
      this.#session.sendPacket({
        kind: PacketKind.Event,
        nsp: this.namespace.id,
        name: event,
        ackId,
        payload: toPayload(payload),
      });
    });
  }

  /** Send a typed schema message to this client. */
  send<T>(schema: Schema<T>, value: T): boolean {
    return this.#session.send(messageFrame(this.namespace.id, schema, value));
  }

  /** Send raw bytes to this client (its `onRaw` handler gets them). */
  sendRaw(bytes: Uint8Array): boolean {
    return this.#session.sendPacket({ kind: PacketKind.Raw, nsp: this.namespace.id, data: bytes });
  }

  /**
   * Sends that are dropped, not queued, when this client's link is congested.
   * They go over UDP when the connection is bound (see `udp`), unordered and
   * latest-wins per channel; a frame too large for one datagram takes the stream.
   */
  get volatile(): VolatileSender<E> {
    return volatileSender(this);
  }

  /**
   * Put this socket in one or more rooms; the client is told.
   *
   * @throws {GameSocketError} `ERR_LIMIT` past maxRoomsPerSocket.
   */
  join(rooms: string | string[]): void {
    for (const room of typeof rooms === "string" ? [rooms] : rooms) joinRoom(this, room, 0);
  }

  /** Take this socket out of a room; the client is told. */
  leave(room: string): void {
    leaveRoom(this, room, 0);
  }

  /** Broadcast to a room (or several) this socket's namespace, without this socket. */
  to(...rooms: string[]): BroadcastOperator<E> {
    return this.broadcast.to(...rooms);
  }

  /** Broadcast to the whole namespace except these rooms or ids, without this socket. */
  except(...rooms: string[]): BroadcastOperator<E> {
    return this.broadcast.except(...rooms);
  }

  /** Broadcast to every socket of the namespace but this one. */
  get broadcast(): BroadcastOperator<E> {
    return new BroadcastOperator<E>(this.namespace).except(this.id);
  }

  /**
   * Disconnect this socket from the namespace (`close` = false) or close the
   * whole connection (`close` = true). The client gets the reason `kicked`.
   */
  disconnect(close = false, message = ""): void {
    if (!this.#connected) return;
    if (close) return this.#session.close("kicked", message);
    this.#session.sendPacket({
      kind: PacketKind.Disconnect,
      nsp: this.namespace.id,
      reason: "kicked",
      message,
    });
    this.onClosed("kicked");
  }

  /** Internal: a packet from the client for this namespace. */
  onPacket(packet: Packet): void {
    switch (packet.kind) {
      case PacketKind.Event:
        return this.#onEvent(packet.name, packet.ackId, fromPayload(packet.payload));
      case PacketKind.Ack:
        this.#acks?.resolve(packet.ackId, fromPayload(packet.payload));
        return;
      case PacketKind.Room:
        return void onRoomRequest(this, packet.op, packet.reqId, packet.room).catch((e) =>
          this.onHandlerError(e, "room request")
        );
      case PacketKind.Message:
        return this.#onMessage(packet.code, packet.body);
      case PacketKind.Raw:
        this.dispatch("raw", packet.data.slice());
        return;
    }
  }

  /** Internal: the connection went over a rate; tell the application and the client. */
  onRateWarning(warning: RateWarning): void {
    if (!this.#connected) return;
    this.dispatch("rate-warning", warning);
    this.#session.sendPacket({
      kind: PacketKind.Event,
      nsp: this.namespace.id,
      name: "rate-warning",
      ackId: 0,
      payload: toPayload(warning),
    });
  }

  /** Internal: the client's link dropped (false) or resumed (true). */
  onLinkChange(up: boolean, reason?: DisconnectReason): void {
    if (this.#connected) this.dispatch(up ? "link-restored" : "link-lost", reason);
  }

  /** Internal: the socket is gone (namespace left or connection closed). */
  onClosed(reason: DisconnectReason): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#session.sockets.delete(this.namespace.id);
    this.namespace.remove(this);
    this.#acks?.rejectAll(
      new GameSocketError("ERR_DISCONNECTED", `The socket disconnected (${reason}) before the ack`),
    );
    this.dispatch("disconnect", reason);
    this.removeAllHandlers();
    this.#schemaHandlers?.clear();
  }

  /** Report handler errors on this socket, then up the chain. */
  protected override onHandlerError(error: unknown, event: string): void {
    if (event !== "error" && this.hasListeners("error")) this.dispatch("error", error);
    else this.namespace.reportError(error, `socket ${this.id} handler of "${event}"`);
  }

  #onEvent(name: string, ackId: number, payload: unknown): void {
    if (RESERVED_EVENTS.has(name)) {
      return this.#session.close(
        "reserved-event",
        `A client cannot send the reserved event "${name}"`,
      );
    }
    const max = this.namespace.server.limits.maxEventNameLength;
    if (longerThan(name, max)) {
      return this.#session.close(
        "event-name-too-long",
        `Event names are at most ${max} bytes (maxEventNameLength)`,
      );
    }
    if (ackId === 0) {
      this.dispatch(name, payload);
      return;
    }
    const ack = onceAck(() => this.#connected, (reply) =>
      this.#session.sendPacket({
        kind: PacketKind.Ack,
        nsp: this.namespace.id,
        ackId,
        payload: toPayload(reply),
      }));
    this.dispatch(name, payload, ack);
  }

  /** Internal: a typed message's frame (compact header), decoded in place: no packet, no view. */
  onCompactMessage(frame: Uint8Array): void {
    this.#onMessage(frame[0]! & 31, frame, 1);
  }

  #onMessage(code: number, body: Uint8Array, start = 0): void {
    const schema = this.namespace.server.schemas.get(code);
    if (!schema) {
      return this.#session.close("unknown-schema", `Schema code ${code} is not registered`);
    }
    let value: unknown;
    try {
      value = schema.decode(body, start);
    } catch (error) {
      return this.#session.close("protocol-error", (error as Error).message);
    }
    const handlers = this.#schemaHandlers;
    if (handlers) {
      const errors = handlers.run(code, value); // indexed: no iterator per message
      for (let i = 0; i < errors.length; i++) this.onHandlerError(errors[i], `schema ${code}`);
    }
    this.namespace.onMessage(this, code, value);
  }
}
