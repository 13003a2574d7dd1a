/**
 * A namespace: a set of sockets with its own rooms, middleware and handlers,
 * multiplexed with the other namespaces on each client connection.
 *
 * @module
 */

import type { ClusterAdapter } from "../cluster/adapter.ts";
import type { Schema } from "../protocol/schema.ts";
import { PacketKind, type Payload } from "../protocol/types.ts";
import { BroadcastOperator, type BroadcastTarget } from "./broadcast.ts";
import { Emitter } from "./emitter.ts";
import { fromPayload } from "./payload.ts";
import { Rooms } from "./rooms.ts";
import type { ServerContext } from "./server_context.ts";
import type { ServerSession } from "./session.ts";
import { ServerSocket } from "./socket.ts";
import type { AckOptions, EventMap } from "./types.ts";
import type { SocketInfo } from "../cluster/message.ts";

/** Connect middleware: throw (or reject) to refuse; the error's message and `code` reach the client. */
export type Middleware = (socket: ServerSocket, auth: unknown) => void | Promise<void>;

/** Join guard: throw (or reject) to refuse a client's join request; the message reaches the client. */
export type JoinGuard = (socket: ServerSocket, room: string) => void | Promise<void>;

/** Handlers of the events a namespace emits. */
export interface NamespaceEvents {
  /** A client connected to this namespace. */
  connection: (socket: ServerSocket) => void;
  /** A room got its first member. */
  "create-room": (room: string) => void;
  /** A socket joined a room. */
  "join-room": (room: string, id: string) => void;
  /** A socket left a room. */
  "leave-room": (room: string, id: string) => void;
  /** A room lost its last member. */
  "delete-room": (room: string) => void;
  /** A handler of this namespace or of one of its sockets threw. */
  error: (error: unknown) => void;
}

/** A namespace of a {@linkcode GameSocketServer}. Get one with `server.of(name)`. */
export class Namespace<E extends EventMap = EventMap> extends Emitter {
  /** The name, e.g. "/" or "/home". */
  readonly name: string;
  /** The small integer that stands for the name on the wire. */
  readonly id: number;
  /** The server this namespace belongs to. */
  readonly server: ServerContext;
  /** Connected sockets by id. */
  readonly sockets: Map<string, ServerSocket> = new Map();
  /** The room index of this namespace in this process. */
  readonly rooms: Rooms;
  /** The cluster this namespace's rooms are shared with, if the server has an adapter. */
  readonly cluster: ClusterAdapter | undefined;
  readonly #middleware: Middleware[] = [];
  readonly #joinGuards: JoinGuard[] = [];
  readonly #schemaHandlers = new Map<number, Array<(...args: never[]) => unknown>>();

  /**
   * Made by `server.of()`; not for users.
   *
   * @param server The server.
   * @param name The namespace's name.
   * @param id Its wire id.
   * @param cluster The server's cluster adapter, if any.
   */
  constructor(server: ServerContext, name: string, id: number, cluster?: ClusterAdapter) {
    super();
    this.server = server;
    this.name = name;
    this.id = id;
    this.cluster = cluster;
    // Room events are dispatched only when listened to: dispatch's argument
    // array, twice per connection (its own room), was garbage otherwise.
    this.rooms = new Rooms({
      create: (room) => {
        // Subscribe before anyone hears of the room: a broadcast right after is then received.
        cluster?.roomCreated(this, room);
        if (this.hasListeners("create-room")) this.dispatch("create-room", room);
      },
      join: (room, sid) => {
        if (this.hasListeners("join-room")) this.dispatch("join-room", room, sid);
      },
      leave: (room, sid) => {
        if (this.hasListeners("leave-room")) this.dispatch("leave-room", room, sid);
      },
      delete: (room) => {
        cluster?.roomDeleted(this, room);
        if (this.hasListeners("delete-room")) this.dispatch("delete-room", room);
      },
    });
  }

  /** Listen to a namespace event, or to a schema message from any socket of the namespace. */
  on<K extends keyof NamespaceEvents>(event: K, handler: NamespaceEvents[K]): this;
  /** Listen to an event (see the first signature). */
  on<T>(schema: Schema<T>, handler: (value: T, socket: ServerSocket) => unknown): this;
  on(event: string | Schema<unknown>, handler: (...args: never[]) => unknown): this {
    if (typeof event === "string") this.addHandler(event, handler);
    else {
      this.server.schemas.register(event);
      const list = this.#schemaHandlers.get(event.code) ?? [];
      this.#schemaHandlers.set(event.code, [...list, handler]);
    }
    return this;
  }

  /** Listen to the next occurrence only. */
  once<K extends keyof NamespaceEvents>(event: K, handler: NamespaceEvents[K]): this {
    this.addOnceHandler(event, handler);
    return this;
  }

  /** Remove a handler, or all of the event's. */
  off<K extends keyof NamespaceEvents>(event: K, handler?: NamespaceEvents[K]): this {
    this.removeHandler(event, handler);
    return this;
  }

  /** Add connect middleware; they run in order, and any of them may refuse. */
  use(middleware: Middleware): this {
    this.#middleware.push(middleware);
    return this;
  }

  /** Add a guard for clients' join requests (server-side `socket.join` skips guards). */
  useJoin(guard: JoinGuard): this {
    this.#joinGuards.push(guard);
    return this;
  }

  /** Broadcast to these rooms. */
  to(...rooms: string[]): BroadcastOperator<E> {
    return new BroadcastOperator<E>(this).to(...rooms);
  }

  /** Same as {@linkcode Namespace.to}. */
  in(...rooms: string[]): BroadcastOperator<E> {
    return this.to(...rooms);
  }

  /** Broadcast to everyone but these rooms or socket ids. */
  except(...rooms: string[]): BroadcastOperator<E> {
    return new BroadcastOperator<E>(this).except(...rooms);
  }

  /** Broadcasts that are dropped for congested members. */
  get volatile(): BroadcastOperator<E> {
    return new BroadcastOperator<E>(this).volatile;
  }

  /** Broadcasts to this process's sockets only (no cluster traffic). */
  get local(): BroadcastOperator<E> {
    return new BroadcastOperator<E>(this).local;
  }

  /** Broadcasts whose acks are awaited `ms` milliseconds. */
  timeout(ms: number): BroadcastOperator<E> {
    return new BroadcastOperator<E>(this).timeout(ms);
  }

  /** Emit to every socket of the namespace (cluster-wide) and collect their acks. */
  emitWithAck<K extends keyof E & string>(
    event: K,
    payload?: E[K],
    options?: AckOptions,
  ): Promise<unknown[]> {
    return new BroadcastOperator<E>(this).emitWithAck(event, payload, options);
  }

  /** Ids, rooms and data of every socket of the namespace, cluster-wide. */
  fetchSockets(): Promise<SocketInfo[]> {
    return new BroadcastOperator<E>(this).fetchSockets();
  }

  /** Emit to every socket of the namespace. */
  emit<K extends keyof E & string>(event: K, payload?: E[K]): number {
    return new BroadcastOperator<E>(this).emit(event, payload);
  }

  /** Send a schema message to every socket of the namespace. */
  send<T>(schema: Schema<T>, value: T): number {
    return new BroadcastOperator<E>(this).send(schema, value);
  }

  /** Ids of the local sockets a target selects. */
  select(target: BroadcastTarget): Set<string> {
    return this.rooms.select(target.rooms, target.except, this.sockets.keys());
  }

  /**
   * Write one encoded frame to every targeted member, and hand it to the
   * cluster for the members on other processes.
   *
   * @returns The number of local sockets it was written to.
   */
  broadcastFrame(frame: Uint8Array, target: BroadcastTarget): number {
    let sent = 0;
    if (target.rooms.size === 1) sent = this.#sendToRoom(frame, target);
    else {
      for (const id of this.select(target)) {
        if (this.sockets.get(id)?.session.send(frame, target.volatile)) sent++;
      }
    }
    if (this.cluster !== undefined && target.local !== true) {
      this.cluster.broadcast(this, frame, target);
    }
    return sent;
  }

  /** One room (`to(room)`, the hot path of a game): walk its members, building no id sets. */
  #sendToRoom(frame: Uint8Array, target: BroadcastTarget): number {
    const [room] = target.rooms;
    const members = this.rooms.rooms.get(room!);
    if (members === undefined) return 0;
    let excluded: Set<string> | undefined;
    for (const name of target.except) {
      excluded ??= new Set();
      excluded.add(name);
      for (const id of this.rooms.rooms.get(name) ?? []) excluded.add(id);
    }
    let sent = 0;
    for (const id of members) {
      if (excluded?.has(id)) continue;
      if (this.sockets.get(id)?.session.send(frame, target.volatile)) sent++;
    }
    return sent;
  }

  /**
   * Internal: run middleware, then register the socket and tell the client.
   * Without middleware it all happens now and nothing is returned (no promise
   * and async steps per connection).
   */
  admit(session: ServerSession, auth: Payload): Promise<void> | undefined {
    const socket = new ServerSocket(this, session, fromPayload(auth));
    if (this.#middleware.length === 0) return this.#register(session, socket);
    return this.#admitAfterMiddleware(session, socket);
  }

  async #admitAfterMiddleware(session: ServerSession, socket: ServerSocket): Promise<void> {
    for (const middleware of this.#middleware) await middleware(socket, socket.auth);
    this.#register(session, socket);
  }

  #register(session: ServerSession, socket: ServerSocket): undefined {
    if (session.state === "closed") return;
    this.sockets.set(socket.id, socket);
    session.sockets.set(this.id, socket);
    this.rooms.add(socket.id, socket.id);
    session.sendPacket({ kind: PacketKind.ConnectOk, name: this.name, nsp: this.id });
    this.dispatch("connection", socket);
  }

  /** Internal: forget a socket that left. */
  remove(socket: ServerSocket): void {
    if (this.sockets.get(socket.id) !== socket) return;
    this.rooms.removeAll(socket.id);
    this.sockets.delete(socket.id);
  }

  /** Internal: run the join guards. */
  async authorizeJoin(socket: ServerSocket, room: string): Promise<void> {
    if (room !== socket.id && this.sockets.has(room)) {
      throw new Error(`Cannot join "${room}": it is another socket's private room`);
    }
    for (const guard of this.#joinGuards) await guard(socket, room);
  }

  /** Internal: a schema message arrived from a socket. */
  onMessage(socket: ServerSocket, code: number, value: unknown): void {
    for (const handler of this.#schemaHandlers.get(code) ?? []) {
      try {
        (handler as (v: unknown, s: ServerSocket) => unknown)(value, socket);
      } catch (error) {
        this.onHandlerError(error, `schema ${code}`);
      }
    }
  }

  /** Internal: report a handler error here, or on the server when nobody listens. */
  reportError(error: unknown, where: string): void {
    if (this.hasListeners("error")) this.dispatch("error", error);
    else this.server.reportError(error, `namespace ${this.name}: ${where}`);
  }

  /** Handler errors of the namespace's own handlers. */
  protected override onHandlerError(error: unknown, event: string): void {
    if (event === "error") this.server.reportError(error, `namespace ${this.name} error handler`);
    else this.reportError(error, `handler of "${event}"`);
  }
}
