/**
 * The contract between the core and a runtime's sockets.
 *
 * An adapter turns a runtime's socket API (Deno, Bun, node:net, WebSocket, an
 * in-memory pair) into {@linkcode Transport}s that carry whole frames. The core
 * never sees a length prefix, a runtime global or a partial frame.
 *
 * @module
 */

/** What the owner of a transport is told. Set once, before any frame arrives. */
export interface TransportHandlers {
  /**
   * One whole frame. The bytes may be a view that is only valid during the
   * call, and may be a subclass such as Node's `Buffer`, whose `slice()` is a
   * view too: copy with `new Uint8Array(frame)`.
   */
  frame(frame: Uint8Array): void;
  /**
   * The transport could not decode what the peer sent (a `ProtocolError`, e.g. a
   * frame over `maxFrameSize`). No more frames follow; the owner should tell the
   * peer why and close.
   */
  error(error: Error): void;
  /**
   * The transport closed (by either side). Called exactly once, and never
   * synchronously from inside `Transport.close()`.
   */
  close(error?: Error): void;
  /** The send queue fell below its low-water mark after being above it. */
  drain?(): void;
}

/** Which kind of link a transport is. */
export type TransportKind = "tcp" | "ws" | "memory";

/** One connected, ordered, reliable link that carries whole frames. */
export interface Transport {
  /** Which kind of link this is. */
  readonly kind: TransportKind;
  /** The peer's address (IP, without port), "" when unknown. */
  readonly remoteAddress: string;
  /** The peer's port, 0 when unknown. */
  readonly remotePort: number;
  /**
   * Queue one frame. Frames sent in the same event-loop turn leave in one
   * write. The bytes are copied or written before the call returns, so the
   * caller may reuse them.
   */
  send(frame: Uint8Array): void;
  /** Bytes queued and not yet taken by the operating system. */
  readonly bufferedAmount: number;
  /** Flush what is queued, then close. Safe to call more than once. */
  close(): void;
}

/** Options of a stream or WebSocket listener. */
export interface ListenOptions {
  /** Port, 0 for any free port. */
  port: number;
  /** Host to bind, default "127.0.0.1"... or "0.0.0.0" as the caller chooses. */
  hostname: string;
  /** Largest frame to accept, checked before any of the body is buffered. */
  maxFrameSize: number;
}

/** A bound listener. */
export interface Listener {
  /** The bound port (useful when 0 was asked). */
  readonly port: number;
  /** Stop accepting. Open transports stay open. */
  close(): Promise<void>;
}

/** Called for each accepted transport; returns the handlers for it. */
export type AcceptHandler = (transport: Transport) => TransportHandlers;

/** Options of an outgoing stream or WebSocket connection. */
export interface ConnectOptions {
  /** Host name or IP. */
  hostname: string;
  /** Port. */
  port: number;
  /** Largest frame to accept from the server. */
  maxFrameSize: number;
}

/** Listen for stream connections (TCP). */
export type ListenFn = (
  options: ListenOptions,
  accept: AcceptHandler,
) => Promise<Listener>;

/** Open a stream connection (TCP). Handlers are attached before any data is read. */
export type ConnectFn = (
  options: ConnectOptions,
  handlers: TransportHandlers,
) => Promise<Transport>;

/** Options of {@linkcode BindUdpFn}. */
export interface UdpBindOptions {
  /** Port, 0 for any free port. */
  port: number;
  /** Address to bind ("127.0.0.1", "0.0.0.0", "::"...); an IPv6 address makes an IPv6 socket. */
  hostname: string;
}

/**
 * Called for each datagram received. `bytes` is only valid during the call;
 * `address` is the sender's IP (an IPv4-mapped IPv6 address is given as IPv4).
 */
export type DatagramHandler = (bytes: Uint8Array, port: number, address: string) => void;

/** A bound UDP socket. */
export interface UdpSocket {
  /** The bound port (useful when 0 was asked). */
  readonly port: number;
  /**
   * Send one datagram. The socket takes the bytes: the caller must not change
   * them afterwards. Never throws: errors (unreachable host, closed socket)
   * drop the datagram.
   *
   * @returns False when the datagram was dropped at once (socket closed, or the
   *   runtime's send queue is full).
   */
  send(bytes: Uint8Array, port: number, address: string): boolean;
  /** Stop receiving and release the port. Safe to call more than once. */
  close(): Promise<void>;
}

/** Bind a UDP socket; `onDatagram` is called for every datagram it receives. */
export type BindUdpFn = (
  options: UdpBindOptions,
  onDatagram: DatagramHandler,
) => Promise<UdpSocket>;

/** Options of a WebSocket listener. */
export interface WsListenOptions extends ListenOptions {
  /** Only upgrade requests for this path (e.g. "/ws"); any path when absent. */
  path?: string;
}

/** Listen for WebSocket connections on a port of their own. */
export type WsListenFn = (options: WsListenOptions, accept: AcceptHandler) => Promise<Listener>;

/** Options of an outgoing WebSocket connection. */
export interface WsConnectOptions {
  /** `ws://` or `wss://` URL. */
  url: string;
  /** Largest frame (one binary message) to accept from the server. */
  maxFrameSize: number;
}

/** Open a WebSocket connection. Handlers are attached before any message is read. */
export type WsConnectFn = (
  options: WsConnectOptions,
  handlers: TransportHandlers,
) => Promise<Transport>;

/** Options of a WebSocket endpoint mounted in an existing HTTP server. */
export interface WsMountOptions {
  /** Path of the socket, e.g. "/ws". @default "/" */
  path?: string;
  /** Largest frame (one binary message) to accept. */
  maxFrameSize: number;
}

/** A `node:http` or `node:https` server (structural, so the core needs no Node types). */
export interface HttpServerLike {
  /** Add an `upgrade` (or other) listener. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Remove a listener. */
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Listeners of an event. */
  listenerCount(event: string): number;
  /** The bound address, if listening. */
  address(): unknown;
}

/** Serve WebSocket upgrades at a path of an existing `node:http` server. */
export type WsAttachFn = (
  server: HttpServerLike,
  options: WsMountOptions,
  accept: AcceptHandler,
) => Listener;

/** Options of a fetch-style WebSocket handler. */
export interface WsHandlerOptions extends WsMountOptions {
  /** Answers every request that is not a WebSocket upgrade at `path`. @default 404 */
  fallback?: (request: Request, context: never) => Response | Promise<Response>;
}

/**
 * A fetch-style endpoint for `Deno.serve` and `Bun.serve`:
 * `Deno.serve({ port }, handler.fetch)` or `Bun.serve({ port, ...handler })`.
 */
export interface WsFetchHandler {
  /**
   * Handle one request: upgrade it when it is a WebSocket request at the
   * path, else pass it to the fallback. On Bun it returns undefined after a
   * successful upgrade, as `Bun.serve` expects.
   */
  fetch(request: Request, context?: never): Response | undefined | Promise<Response | undefined>;
  /** Bun's `websocket` handlers (an empty object on Deno). */
  websocket: Record<string, unknown>;
}

/** Make a fetch-style WebSocket endpoint; `close()` on the listener refuses new upgrades. */
export type WsHandlerFn = (
  options: WsHandlerOptions,
  accept: AcceptHandler,
) => { handler: WsFetchHandler; listener: Listener };

/** The sockets of one runtime, as the core uses them. `runtime/auto.ts` picks one. */
export interface Runtime {
  /** "deno", "bun", "node" or "memory". */
  readonly name: string;
  /** Listen for TCP connections. */
  listenTcp: ListenFn;
  /** Open a TCP connection. */
  connectTcp: ConnectFn;
  /** Bind a UDP socket (absent where the runtime has no UDP, e.g. the memory runtime). */
  bindUdp?: BindUdpFn;
  /** Listen for WebSocket connections (absent in browsers and the memory runtime). */
  listenWs?: WsListenFn;
  /** Open a WebSocket connection. */
  connectWs?: WsConnectFn;
  /** Serve WebSocket upgrades on an existing `node:http` server. */
  attachWs?: WsAttachFn;
  /** Make a fetch-style WebSocket endpoint for `Deno.serve` / `Bun.serve`. */
  wsHandler?: WsHandlerFn;
}
