/**
 * WebSocket adapter for Bun: `Bun.serve` with its `websocket` handlers.
 * `maxPayloadLength` is checked by Bun (uWebSockets) on the declared length,
 * before the message is buffered; Bun then closes with 1009 "Received too
 * big message".
 *
 * @module
 */

import { tooLarge, WsCloseCode } from "./ws_close.ts";
import { WsTransport } from "./ws_transport.ts";
import type { WsPeer, WsTopics } from "./ws_peer.ts";
import { PublishHub } from "./ws_publish.ts";
import type { AcceptHandler, Listener, WsFetchHandler, WsHandlerFn, WsListenFn } from "./types.ts";

/** What each socket carries in `ws.data`. */
interface SocketData {
  address: string;
  port: number;
  transport?: WsTransport;
}

/** The members of Bun's `ServerWebSocket` this adapter uses. */
interface BunServerWebSocket {
  readonly data: SocketData;
  send(data: Uint8Array): number;
  cork(fn: () => void): void;
  getBufferedAmount(): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, data: Uint8Array): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

/** The members of Bun's `Server` this adapter uses. */
interface BunServer {
  readonly port: number;
  upgrade(request: Request, options: { data: SocketData }): boolean;
  requestIP(request: Request): { address: string; port: number } | null;
  stop(closeActive?: boolean): Promise<void> | void;
}

/** Bun's `websocket` handlers and options. */
interface BunWebSocketHandler {
  open(ws: BunServerWebSocket): void;
  message(ws: BunServerWebSocket, message: string | Uint8Array): void;
  drain(ws: BunServerWebSocket): void;
  close(ws: BunServerWebSocket, code: number, reason: string): void;
  maxPayloadLength: number;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  idleTimeout: number;
  perMessageDeflate: boolean;
}

interface BunNamespace {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | undefined;
    websocket: BunWebSocketHandler;
  }): BunServer;
}

function bunGlobal(): BunNamespace {
  return (globalThis as unknown as { Bun: BunNamespace }).Bun;
}

/**
 * A Bun socket as a transport's peer, with its native topics. A class, not
 * an object of closures per socket: a call site then has one target, not one
 * per socket (the hub and the transports call these for every member of a
 * broadcast), and a socket costs three fields, not nine closures.
 */
class BunPeer implements WsPeer, WsTopics {
  readonly #ws: BunServerWebSocket;
  /** The hub of the socket's server. */
  readonly hub: PublishHub;
  // getBufferedAmount() is a native call, and the core asks on every send: ask only
  // when a send reported backpressure or publishes may have left 16 KiB behind.
  #unsure = false;

  constructor(ws: BunServerWebSocket, hub: PublishHub) {
    this.#ws = ws;
    this.hub = hub;
  }

  /** The socket's topics: the peer itself. */
  get topics(): WsTopics {
    return this;
  }

  send(data: Uint8Array): boolean {
    const n = this.#ws.send(data); // 0: dropped; -1: queued (backpressure)
    if (n < 0) this.#unsure = true;
    return n !== 0;
  }

  cork(fn: () => void): void {
    this.#ws.cork(fn);
  }

  get bufferedAmount(): number {
    if (!this.#unsure) return 0;
    const n = this.#ws.getBufferedAmount();
    this.#unsure = n > 0;
    return n;
  }

  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }

  terminate(): void {
    this.#ws.terminate();
  }

  subscribe(topic: string): void {
    this.#ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    try {
      this.#ws.unsubscribe(topic);
    } catch { /* closed meanwhile: Bun dropped its topics already */ }
  }

  publish(topic: string, data: Uint8Array): void {
    this.#ws.publish(topic, data);
  }

  published(): void {
    this.#unsure = true;
  }
}

/** One `websocket` handler object serves every socket of a `Bun.serve`. */
function websocketHandler(
  maxFrameSize: number,
  accept: AcceptHandler,
): BunWebSocketHandler {
  // Broadcasts to many sockets of this server go out through Bun's native publish.
  const hub = new PublishHub();
  return {
    open(ws) {
      const peer = new BunPeer(ws, hub);
      const transport = new WsTransport(peer, maxFrameSize, ws.data.address, ws.data.port);
      ws.data.transport = transport;
      transport.start(accept(transport));
    },
    message: (ws, message) => ws.data.transport?.message(message),
    drain: (ws) => ws.data.transport?.drained(),
    close(ws, code, reason) {
      const transport = ws.data.transport;
      transport?.closed(code, reason);
      // uWebSockets refused a message over maxPayloadLength (and sent 1009 itself).
      if (reason === "Received too big message") {
        transport?.refuse(WsCloseCode.MessageTooBig, tooLarge(0, maxFrameSize));
      }
    },
    maxPayloadLength: maxFrameSize,
    // The core cuts a slow consumer at maxBufferedBytes; Bun must not drop frames first.
    backpressureLimit: 1024 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    idleTimeout: 0, // the core's heartbeat decides when a peer is dead
    perMessageDeflate: false,
  };
}

/** Upgrade `request` when it asks for a WebSocket at `path`. */
function upgrade(server: BunServer, request: Request, path: string | undefined): boolean {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return false;
  if (path !== undefined && new URL(request.url).pathname !== path) return false;
  const ip = server.requestIP(request);
  return server.upgrade(request, { data: { address: ip?.address ?? "", port: ip?.port ?? 0 } });
}

/**
 * Listen for WebSocket connections with `Bun.serve` (any path unless
 * `options.path`); other requests get 426 Upgrade Required.
 *
 * @param options Port, hostname, path and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns The bound listener.
 */
export const listen: WsListenFn = (options, accept) =>
  new Promise<Listener>((resolve) => {
    // An executor that throws (EADDRINUSE) rejects the promise.
    const server = bunGlobal().serve({
      hostname: options.hostname,
      port: options.port,
      fetch(request, server) {
        if (upgrade(server, request, options.path)) return undefined;
        return new Response("This port speaks game-socket over WebSocket\n", { status: 426 });
      },
      websocket: websocketHandler(options.maxFrameSize, accept),
    });
    resolve({
      port: server.port,
      close: () => {
        // stop(false) stops accepting at once; its promise waits for open sockets (the core's).
        void server.stop(false);
        return Promise.resolve();
      },
    });
  });

/**
 * A fetch-style endpoint for `Bun.serve({ port, ...handler })`.
 *
 * @param options Path, frame size limit and the fallback for other requests.
 * @param accept Called for each connection; returns its handlers.
 * @returns The handler and a listener whose `close()` refuses new upgrades.
 */
export const handler: WsHandlerFn = (options, accept) => {
  const path = options.path ?? "/";
  let closed = false;
  const fetch = (request: Request, server?: never): Response | undefined | Promise<Response> => {
    if (!closed && server && upgrade(server as BunServer, request, path)) return undefined;
    if (options.fallback) return options.fallback(request, server as never);
    return new Response("Not Found\n", { status: 404 });
  };
  const result: WsFetchHandler = {
    fetch,
    websocket: websocketHandler(options.maxFrameSize, accept) as unknown as Record<string, unknown>,
  };
  return {
    handler: result,
    listener: {
      port: 0,
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    },
  };
};
