/**
 * A namespace opened by a client: events, acks, rooms and schema messages.
 *
 * @module
 */

import { messageFrame } from "./frames.ts";
import type { Schema } from "../protocol/schema.ts";
import { type ConnectPacket, type Packet, PacketKind } from "../protocol/types.ts";
import { ClientRooms } from "./client_rooms.ts";
import { type AckCallback, PendingAcks } from "./acks.ts";
import type { GameSocketClient } from "./client.ts";
import type { UdpStatus } from "./udp_stats.ts";
import { Emitter } from "./emitter.ts";
import { type DisconnectReason, GameSocketError, RESERVED_EVENTS } from "./errors.ts";
import type { ClientNamespaceEvents } from "./client_options.ts";
import { fromPayload, toPayload } from "./payload.ts";
import { checkEventName, onceAck, SchemaHandlers } from "./inbound.ts";
import type { VolatileSender } from "./socket_volatile.ts";
import { type AckOptions, DEFAULT_ACK_TIMEOUT, type EventHandler, type EventMap } from "./types.ts";

/** Most sends queued while the namespace is connecting. */
const MAX_QUEUED = 1024;

/**
 * One namespace on a client connection. Get it with `client.of(name)`; sends
 * made before the server accepts are queued (up to 1024) and flushed in order.
 *
 * @typeParam L Events the server sends (what `on` listens to).
 * @typeParam E Events the client sends (what `emit` sends).
 */
export class ClientNamespace<L extends EventMap = EventMap, E extends EventMap = EventMap>
  extends Emitter {
  /** The namespace's name. */
  readonly name: string;
  readonly #client: GameSocketClient;
  #id = -1;
  #state: "connecting" | "connected" | "closed" = "connecting";
  #queue: Array<() => void> = [];
  readonly #acks: PendingAcks;
  readonly #rooms: ClientRooms = new ClientRooms({
    maxRooms: () => this.#client.limits.maxRoomsPerSocket,
    request: (op, room, reqId, reject) =>
      this.#whenConnected(() => {
        this.#client.sendPacket({
          kind: PacketKind.Room,
          nsp: this.#id,
          op,
          reqId,
          room,
          reason: "",
        });
      }, reject),
    notify: (event, room) => this.dispatch(event, room),
  });
  /** The connect's auth, and the rooms to join again, for a session restored after a failed resume. */
  #auth: unknown;
  #rejoin: string[] = [];
  readonly #schemaHandlers: SchemaHandlers;
  readonly #ready: Promise<void>;
  #settle: { resolve: () => void; reject: (e: Error) => void } | undefined;

  /** Made by `client.of()`; not for users. */
  constructor(client: GameSocketClient, name: string) {
    super();
    this.#client = client;
    this.name = name;
    this.#acks = new PendingAcks(client.limits.maxPendingAcks);
    this.#schemaHandlers = new SchemaHandlers(client.schemas);
    this.#ready = new Promise((resolve, reject) => this.#settle = { resolve, reject });
    this.#ready.catch(() => {}); // a refusal is also reported through connect_error
  }

  /** The namespace's wire id (-1 until connected). */
  get id(): number {
    return this.#id;
  }

  /** True while the server has this namespace open for us. */
  get connected(): boolean {
    return this.#state === "connected";
  }

  /** The socket id (the connection's). */
  get sid(): string {
    return this.#client.sid;
  }

  /** Whether `volatile` sends go over UDP (`state` is "bound") or the stream; the connection's. */
  get udp(): UdpStatus {
    return this.#client.udp;
  }

  /** Resolves when the server accepts the namespace; rejects with its reason if it refuses. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Listen to a server event, a library event, or a schema message. */
  on<K extends keyof ClientNamespaceEvents>(event: K, handler: ClientNamespaceEvents[K]): this;
  /** Listen to an event (see the first signature). */
  on<K extends keyof L & string>(event: K, handler: EventHandler<L[K]>): this;
  /** Listen to an event (see the first signature). */
  on<T>(schema: Schema<T>, handler: (value: T) => unknown): this;
  on(event: string | Schema<unknown>, handler: (...args: never[]) => unknown): this {
    if (typeof event === "string") this.addHandler(event, handler);
    else this.#schemaHandlers.add(event as Schema<never>, handler);
    return this;
  }

  /** Listen to the next occurrence only. */
  once<K extends keyof ClientNamespaceEvents>(event: K, handler: ClientNamespaceEvents[K]): this;
  /** Listen once to an event (see the first signature). */
  once<K extends keyof L & string>(event: K, handler: EventHandler<L[K]>): this;
  once(event: string, handler: (...args: never[]) => unknown): this {
    this.addOnceHandler(event, handler);
    return this;
  }

  /** Remove a handler, or every handler of the event (or schema). */
  off(event: string | Schema<unknown>, handler?: (...args: never[]) => unknown): this {
    if (typeof event === "string") this.removeHandler(event, handler);
    else this.#schemaHandlers.remove(event as Schema<never>, handler);
    return this;
  }

  /**
   * Send an event to the server.
   *
   * @param ack Called with the server's reply, or an error on timeout/disconnect.
   * @throws {GameSocketError} `ERR_RESERVED_EVENT`, `ERR_LIMIT` (name too long, queue full).
   */
  emit<K extends keyof E & string>(event: K, payload?: E[K], ack?: AckCallback): void {
    this.#emit(event, payload, ack, DEFAULT_ACK_TIMEOUT);
  }

  /** Send an event and wait for the server's reply. */
  emitWithAck<K extends keyof E & string>(
    event: K,
    payload?: E[K],
    options: AckOptions = {},
  ): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.#emit(
        event,
        payload,
        (error, reply) => error ? reject(error) : resolve(reply),
        options.timeout ?? DEFAULT_ACK_TIMEOUT,
        reject,
      )
    );
  }

  /** Send a typed schema message. */
  send<T>(schema: Schema<T>, value: T): void {
    if (this.connected) return void this.#client.send(messageFrame(this.#id, schema, value));
    const body = schema.encode(value); // now: the value may change before the namespace connects
    const code = schema.code;
    this.#whenConnected(() =>
      this.#client.sendPacket({ kind: PacketKind.Message, nsp: this.#id, code, body })
    );
  }

  /** Send raw bytes (the server socket's `raw` handlers get them). */
  sendRaw(bytes: Uint8Array): void {
    const data = new Uint8Array(bytes); // a copy even of a Buffer (whose slice() is a view)
    this.#whenConnected(() =>
      this.#client.sendPacket({ kind: PacketKind.Raw, nsp: this.#id, data })
    );
  }

  /**
   * Sends that are dropped, not queued, when the link is congested or not
   * connected yet. They go over UDP when bound (see `udp`), unordered and
   * latest-wins per channel; a frame too large for one datagram takes the stream.
   */
  get volatile(): VolatileSender<E> {
    return {
      emit: (event, payload) => {
        checkEventName(event, this.#client.limits.maxEventNameLength);
        if (!this.connected) return false;
        return this.#client.sendPacket({
          kind: PacketKind.Event,
          nsp: this.#id,
          name: event,
          ackId: 0,
          payload: toPayload(payload),
        }, true);
      },
      send: (schema, value) =>
        this.connected && this.#client.send(messageFrame(this.#id, schema, value), true),
    };
  }

  /** Rooms this socket is in (as the server told it). */
  get rooms(): ReadonlySet<string> {
    return this.#rooms.joined;
  }

  /** Ask the server to put this socket in a room; rejects with the server's reason when refused. */
  join(room: string): Promise<void> {
    return this.#rooms.join(room);
  }

  /** Ask the server to take this socket out of a room. */
  leave(room: string): Promise<void> {
    return this.#rooms.leave(room);
  }

  /** Leave this namespace; the connection and its other namespaces stay open. */
  close(): void {
    if (this.#state === "closed") return;
    if (this.connected) {
      this.#client.sendPacket({
        kind: PacketKind.Disconnect,
        nsp: this.#id,
        reason: "namespace-leave",
        message: "",
      });
    }
    this.onDisconnect("namespace-leave", "");
  }

  /** Internal: the connect packet for this namespace. */
  connectPacket(auth: unknown): ConnectPacket {
    this.#auth = auth;
    return { kind: PacketKind.Connect, name: this.name, auth: toPayload(auth) };
  }

  /** Internal: the server accepted. */
  onConnectOk(id: number): void {
    if (this.#state !== "connecting") return;
    this.#id = id;
    this.#state = "connected";
    this.#settle?.resolve();
    const queued = this.#queue;
    this.#queue = [];
    for (const send of queued) send();
    // A refused join again (a guard changed its mind) shows in `rooms`; nothing else to do.
    for (const room of this.#rejoin.splice(0)) this.join(room).catch(() => {});
    this.dispatch("connect");
  }

  /** Internal: the session was lost (failed resume): connect again with the same auth, rejoin the rooms. */
  restore(): void {
    if (this.#state === "closed") return;
    const error = new GameSocketError("ERR_DISCONNECTED", `The session was lost (${this.name})`);
    this.#acks.rejectAll(error);
    this.#rejoin = this.#rooms.reset(error);
    this.#state = "connecting";
    this.#id = -1;
    this.#client.sendPacket(this.connectPacket(this.#auth));
  }

  /** Internal: the server refused, or the client is closed. */
  fail(error: GameSocketError): void {
    if (this.#state !== "connecting") return;
    this.#state = "closed";
    this.#queue = [];
    this.#settle?.reject(error);
    this.dispatch("connect_error", error);
  }

  /** Internal: the namespace or the connection is gone. */
  onDisconnect(reason: DisconnectReason, message: string): void {
    if (this.#state === "closed") return;
    if (this.#state !== "connected") {
      return this.fail(new GameSocketError("ERR_DISCONNECTED", `Disconnected: ${reason}`));
    }
    this.#state = "closed";
    this.#client.forget(this);
    const error = new GameSocketError("ERR_DISCONNECTED", `The namespace disconnected (${reason})`);
    this.#acks.rejectAll(error);
    this.#rooms.reset(error);
    this.dispatch("disconnect", reason, message);
  }

  /** Internal: a packet from the server for this namespace. */
  onPacket(packet: Packet): void {
    switch (packet.kind) {
      case PacketKind.Event:
        return this.#onEvent(packet.name, packet.ackId, fromPayload(packet.payload));
      case PacketKind.Ack:
        this.#acks.resolve(packet.ackId, fromPayload(packet.payload));
        return;
      case PacketKind.Room:
        return this.#rooms.onRoom(packet.op, packet.reqId, packet.room, packet.reason);
      case PacketKind.Message:
        return this.#onMessage(packet.code, packet.body);
      case PacketKind.Raw:
        this.dispatch("raw", packet.data.slice());
        return;
    }
  }

  /** Handler errors go to this namespace's `error` event, else the client's. */
  protected override onHandlerError(error: unknown, event: string): void {
    if (event !== "error" && this.hasListeners("error")) this.dispatch("error", error);
    else this.#client.reportError(error, `namespace ${this.name} handler of "${event}"`);
  }

  #onEvent(name: string, ackId: number, payload: unknown): void {
    if (RESERVED_EVENTS.has(name)) {
      // The server's rate warning is the one reserved name it sends; others are dropped.
      if (name === "rate-warning") this.dispatch(name, payload);
      return;
    }
    if (ackId === 0) {
      this.dispatch(name, payload);
      return;
    }
    const ack = onceAck(() => this.connected, (reply) =>
      this.#client.sendPacket({
        kind: PacketKind.Ack,
        nsp: this.#id,
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
    const entry = this.#schemaHandlers.entry(code);
    if (entry === undefined) return;
    let value: unknown;
    try {
      value = entry.schema.decode(body, start);
    } catch (error) {
      return this.#client.reportError(error, `decoding schema ${code}`);
    }
    const errors = this.#schemaHandlers.call(entry, value); // indexed: no iterator per message
    for (let i = 0; i < errors.length; i++) this.onHandlerError(errors[i], `schema ${code}`);
  }

  #emit(
    event: string,
    payload: unknown,
    ack: AckCallback | undefined,
    timeout: number,
    reject?: (error: Error) => void,
  ): void {
    checkEventName(event, this.#client.limits.maxEventNameLength);
    const data = toPayload(payload);
    this.#whenConnected(() => {
      try {
        const ackId = ack ? this.#acks.add(ack, timeout) : 0;
        this.#client.sendPacket({
          kind: PacketKind.Event,
          nsp: this.#id,
          name: event,
          ackId,
          payload: data,
        });
      } catch (error) {
        if (!reject) throw error;
        reject(error as Error);
      }
    }, reject);
  }

  #whenConnected(send: () => void, reject?: (error: Error) => void): void {
    if (this.#state === "connected") return send();
    const error = this.#state === "closed"
      ? new GameSocketError(
        "ERR_NOT_CONNECTED",
        `Cannot send on namespace "${this.name}": it is closed`,
      )
      : this.#queue.length >= MAX_QUEUED
      ? new GameSocketError(
        "ERR_LIMIT",
        `Cannot queue more than ${MAX_QUEUED} sends while "${this.name}" connects`,
      )
      : undefined;
    if (!error) {
      this.#queue.push(send);
      return;
    }
    if (reject) return reject(error);
    throw error;
  }
}
