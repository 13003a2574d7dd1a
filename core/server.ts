/**
 * The game server: namespaces, listeners, connections.
 *
 * @module
 */

import type { ClusterAdapter } from "../cluster/adapter.ts";
import type { Schema } from "../protocol/schema.ts";
import { SchemaRegistry } from "../protocol/schema_registry.ts";
import type {
  HttpServerLike,
  Listener,
  Runtime,
  Transport,
  TransportHandlers,
  WsFetchHandler,
} from "../runtime/types.ts";
import { defaultRuntime } from "./default_runtime.ts";
import { Emitter } from "./emitter.ts";
import { type Limits, resolveLimits } from "./limits.ts";
import { Namespace } from "./namespace.ts";
import type { ServerContext } from "./server_context.ts";
import { Deadlines } from "./deadlines.ts";
import { ServerSession } from "./session.ts";
import { resolveResumeSettings } from "./resume_link.ts";
import { attachWs, type ServerHandlerOptions, wsFetchHandler } from "./ws_mount.ts";
import { collectStats, type ServerStats } from "./server_stats.ts";
import type { DisconnectReason } from "./errors.ts";
import type { EventMap } from "./types.ts";
import { UdpServer, type UdpServerOptions } from "./udp_server.ts";
import type { UdpServerStats } from "./udp_stats.ts";

/** Options of {@linkcode GameSocketServer}. */
export interface ServerOptions {
  /** Milliseconds between heartbeats. @default 25000 */
  pingInterval?: number;
  /** Extra milliseconds of silence before a peer is declared dead. @default 20000 */
  pingTimeout?: number;
  /**
   * Milliseconds a session whose link dropped without a goodbye waits for its
   * client to resume it (its sockets stay in their namespaces and rooms, and
   * what is sent to them is kept); 0 turns resume off. @default 120000
   */
  resumeWindow?: number;
  /** Most frames kept per session for a resume. @default 65536 */
  replayBufferFrames?: number;
  /** Most bytes kept per session for a resume. @default limits.maxBufferedBytes (4 MiB) */
  replayBufferBytes?: number;
  /** Largest frame, in bytes (shortcut for `limits.maxFrameSize`). @default 65536 */
  maxFrameSize?: number;
  /** Limits to override; see `DEFAULT_LIMITS`. */
  limits?: Partial<Limits>;
  /** Schemas to register up front (they are also registered by `on`/`send`). */
  // deno-lint-ignore no-explicit-any
  schemas?: Schema<any>[];
  /**
   * Share rooms with other server processes (e.g. `new RedisAdapter({ url })`
   * from `@x/game-socket/cluster/redis`). Without one, the server is a cluster of one.
   */
  adapter?: ClusterAdapter;
  /** The runtime's sockets; defaults to the one the entry point installed. */
  runtime?: Runtime;
  /** UDP settings, used once `listen({ udp })` binds a UDP port. */
  udp?: UdpServerOptions;
}

/** Where to listen. Each transport is optional; port 0 picks a free port. */
export interface ServerListenOptions {
  /** TCP port. */
  tcp?: number;
  /** WebSocket port (one frame per binary message; any path). */
  ws?: number;
  /**
   * UDP port for volatile messages: clients of the stream listeners get a
   * token in the handshake and bind to it.
   */
  udp?: number;
  /** Host to bind. @default "127.0.0.1" */
  hostname?: string;
}

/** The ports actually bound. */
export interface BoundPorts {
  /** TCP port, when listening on TCP. */
  tcp?: number;
  /** WebSocket port, when listening on WebSocket. */
  ws?: number;
  /** UDP port, when listening on UDP. */
  udp?: number;
}

/** Handlers of the events the server emits. */
export interface ServerEvents {
  /** A handler somewhere threw and nobody on the namespace listened for `error`. */
  error: (error: unknown, where: string) => void;
  /** A connection's handshake completed or it closed; for metrics. */
  close: () => void;
}

/**
 * A game-socket server. Declare namespaces with `of()`, then `listen()`.
 *
 * @example
 * ```ts ignore
 * const server = new GameSocketServer();
 * server.of("/home").on("connection", (socket) => socket.join("lobby"));
 * const ports = await server.listen({ tcp: 0 });
 * ```
 */
export class GameSocketServer<E extends EventMap = EventMap> extends Emitter {
  /** Limits in force. */
  readonly limits: Readonly<Limits>;
  /** Milliseconds between heartbeats. */
  readonly pingInterval: number;
  /** Extra milliseconds of silence before a peer is dead. */
  readonly pingTimeout: number;
  /** Schemas known to this server. */
  readonly schemas: SchemaRegistry = new SchemaRegistry();
  /** Open sessions (one per client connection). */
  readonly sessions: Set<ServerSession> = new Set();
  /** The cluster adapter, when the server shares its rooms with other processes. */
  readonly adapter: ClusterAdapter | undefined;
  readonly #namespaces = new Map<string, Namespace>();
  readonly #listeners: Listener[] = [];
  readonly #runtime: Runtime | undefined;
  /** Transports not closed yet; `close()` waits for them. */
  readonly #openTransports = new Set<Transport>();
  /** Sessions counted against maxConnections (each keeps its address in `admittedFrom`). */
  #admitted = 0;
  readonly #perAddress = new Map<string, number>();
  #allClosed: (() => void) | undefined;
  readonly #context: ServerContext;
  #closing = false;
  readonly #udp: UdpServer;

  /**
   * Make a server; it listens once `listen()` is called.
   *
   * @param options Timers, limits, schemas.
   */
  constructor(options: ServerOptions = {}) {
    super();
    this.limits = resolveLimits({
      ...options.limits,
      ...(options.maxFrameSize ? { maxFrameSize: options.maxFrameSize } : {}),
    });
    this.pingInterval = positive("pingInterval", options.pingInterval ?? 25_000);
    this.pingTimeout = positive("pingTimeout", options.pingTimeout ?? 20_000);
    this.#runtime = options.runtime;
    this.#udp = new UdpServer(options.udp ?? {}, this.limits.maxFrameSize);
    for (const schema of options.schemas ?? []) this.schemas.register(schema);
    // deno-lint-ignore no-this-alias
    const server = this;
    this.#context = {
      get limits() {
        return server.limits;
      },
      pingInterval: this.pingInterval,
      pingTimeout: this.pingTimeout,
      namespaces: this.#namespaces,
      schemas: this.schemas,
      ...resolveResumeSettings(options, this.limits.maxBufferedBytes),
      resumable: new Map(),
      deadlines: new Deadlines(),
      sessionClosed: (session) => this.#sessionClosed(session),
      transportClosed: (transport) => this.#transportClosed(transport),
      reportError: (error, where) => this.#reportError(error, where),
    };
    this.adapter = options.adapter;
    this.adapter?.attach({
      namespaces: this.#namespaces,
      reportError: (error, where) => this.#reportError(error, where),
    });
    this.of("/");
  }

  /**
   * Get (or declare) a namespace. "/" always exists.
   *
   * @param name Starts with "/".
   * @throws {TypeError} When the name does not start with "/".
   */
  of<N extends EventMap = E>(name: string): Namespace<N> {
    if (typeof name !== "string" || !name.startsWith("/")) {
      throw new TypeError(`Cannot declare namespace "${name}": names start with "/"`);
    }
    let namespace = this.#namespaces.get(name);
    if (!namespace) {
      namespace = new Namespace(this.#context, name, this.#namespaces.size, this.adapter);
      this.#namespaces.set(name, namespace);
    }
    return namespace as unknown as Namespace<N>;
  }

  /** Declared namespaces by name. */
  get namespaces(): ReadonlyMap<string, Namespace> {
    return this.#namespaces;
  }

  /** Listen to a server event. */
  on<K extends keyof ServerEvents>(event: K, handler: ServerEvents[K]): this {
    this.addHandler(event, handler);
    return this;
  }

  /** Remove a server event handler. */
  off<K extends keyof ServerEvents>(event: K, handler?: ServerEvents[K]): this {
    this.removeHandler(event, handler);
    return this;
  }

  /**
   * Start listening.
   *
   * @returns The bound ports.
   */
  async listen(options: ServerListenOptions): Promise<BoundPorts> {
    const runtime = this.#requireRuntime();
    const hostname = options.hostname ?? "127.0.0.1";
    const ports: BoundPorts = {};
    if (options.udp !== undefined) {
      // First, so the first client's welcome already offers UDP.
      if (!runtime.bindUdp) {
        throw new TypeError(`Cannot listen on UDP: the ${runtime.name} runtime has no UDP`);
      }
      ports.udp = await this.#udp.listen(runtime.bindUdp, options.udp, hostname);
    }
    if (options.tcp !== undefined) {
      const listener = await runtime.listenTcp(
        { port: options.tcp, hostname, maxFrameSize: this.limits.maxFrameSize },
        (transport) => this.accept(transport),
      );
      this.#listeners.push(listener);
      ports.tcp = listener.port;
    }
    if (options.ws !== undefined) {
      if (!runtime.listenWs) {
        throw new TypeError(`Cannot listen on WebSocket: not on ${runtime.name}`);
      }
      const listener = await runtime.listenWs(
        { port: options.ws, hostname, maxFrameSize: this.limits.maxFrameSize },
        (transport) => this.accept(transport),
      );
      this.#listeners.push(listener);
      ports.ws = listener.port;
    }
    return ports;
  }

  /**
   * Serve WebSocket connections at `path` of an existing `node:http(s)` server
   * (Node, Deno, Bun), so the page and the socket share one port:
   * `server.attach(http, { path: "/ws" })`. Other upgrade paths are left alone.
   *
   * @param httpServer A `node:http` server, listening or not.
   * @param options The socket's path. @default { path: "/" }
   */
  attach(httpServer: HttpServerLike, options: { path?: string } = {}): void {
    const accept = (transport: Transport) => this.accept(transport);
    const path = options.path ?? "/";
    const runtime = this.#requireRuntime();
    this.#listeners.push(attachWs(runtime, httpServer, path, this.limits.maxFrameSize, accept));
  }

  /**
   * A fetch-style WebSocket endpoint for `Deno.serve({ port }, h.fetch)` and
   * `Bun.serve({ port, ...h })`: upgrades at `path`, other requests go to `fallback`.
   *
   * @param options Path (default "/") and the handler of other requests (default 404).
   * @returns `{ fetch, websocket }`.
   */
  handler(options: ServerHandlerOptions = {}): WsFetchHandler {
    const accept = (transport: Transport) => this.accept(transport);
    const runtime = this.#requireRuntime();
    const mount = wsFetchHandler(runtime, options, this.limits.maxFrameSize, accept);
    this.#listeners.push(mount.listener);
    return mount.handler;
  }

  /**
   * Take a connected transport (from a listener, an HTTP upgrade or a memory
   * pair) and return the handlers it must call.
   */
  accept(transport: Transport): TransportHandlers {
    const session = new ServerSession(this.#context, transport, this.#udp);
    const handlers = session.handlers();
    const address = transport.remoteAddress;
    const refusal = this.#refusal(address);
    // Deferred: the transport must have its handlers before the goodbye is sent.
    if (refusal) queueMicrotask(() => session.close(refusal[0], refusal[1]));
    else {
      session.admittedFrom = address;
      this.#admitted++;
      if (address) this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    }
    this.sessions.add(session);
    this.#openTransports.add(transport);
    return handlers;
  }

  /**
   * Stop listening, tell every client why, and resolve once every connection is closed.
   *
   * @param timeout Milliseconds to wait for clients before giving up on them. @default 5000
   */
  async close(timeout = 5_000): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#listeners.splice(0).map((l) => l.close()), this.#udp.close()]);
    for (const session of [...this.sessions]) {
      session.close("server-shutdown", "The server is shutting down");
    }
    await this.adapter?.close();
    if (this.#openTransports.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#allClosed = resolve;
      timer = setTimeout(resolve, timeout);
    });
    clearTimeout(timer);
    this.#allClosed = undefined;
  }

  /**
   * Counters of the UDP socket for datagrams no connection owns (unknown
   * senders, garbage, refused binds), and the number of UDP bindings in force.
   * Each connection's own counters are in `socket.udp.stats`.
   */
  get udpStats(): UdpServerStats {
    return this.#udp.stats;
  }

  /** What the server holds right now: sessions, sockets, rooms, pending acks. */
  stats(): ServerStats {
    return collectStats(this.#namespaces.values(), {
      sessions: this.sessions.size,
      transports: this.#openTransports.size,
      addresses: this.#perAddress.size,
    });
  }

  /** Why a new connection from `address` must be refused, if it must. */
  #refusal(address: string): [DisconnectReason, string] | undefined {
    const { maxConnections, maxConnectionsPerAddress } = this.limits;
    if (this.#closing) return ["server-shutdown", "The server is closing"];
    if (this.#admitted >= maxConnections) {
      return [
        "too-many-connections",
        `The server has ${maxConnections} connections (maxConnections)`,
      ];
    }
    if (address && (this.#perAddress.get(address) ?? 0) >= maxConnectionsPerAddress) {
      return [
        "too-many-connections-per-address",
        `${address} has ${maxConnectionsPerAddress} connections (maxConnectionsPerAddress)`,
      ];
    }
    return undefined;
  }

  #sessionClosed(session: ServerSession): void {
    this.sessions.delete(session);
    const address = session.admittedFrom;
    if (address === undefined) return;
    session.admittedFrom = undefined;
    this.#admitted--;
    const count = (this.#perAddress.get(address) ?? 1) - 1;
    if (count > 0) this.#perAddress.set(address, count);
    else this.#perAddress.delete(address);
  }

  #transportClosed(transport: Transport): void {
    this.#openTransports.delete(transport);
    if (this.#openTransports.size === 0) this.#allClosed?.();
  }

  #reportError(error: unknown, where: string): void {
    if (this.hasListeners("error")) this.dispatch("error", error, where);
    else console.error(`game-socket: unhandled error in ${where}:`, error);
  }

  /** Errors of the server's own handlers go to the console: there is nowhere higher. */
  protected override onHandlerError(error: unknown, event: string): void {
    console.error(`game-socket: server handler of "${event}" threw:`, error);
  }

  #requireRuntime(): Runtime {
    return this.#runtime ?? defaultRuntime();
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
