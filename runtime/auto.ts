/**
 * The one place that finds out which runtime this is, and picks its adapters.
 *
 * The adapters are imported statically: each touches its runtime's globals
 * only inside functions, so loading all three is harmless everywhere (and the
 * npm build and bundlers see plain imports).
 *
 * @module
 */

import * as bun from "./bun.ts";
import * as node from "./node.ts";
import * as udpBun from "./udp_bun.ts";
import * as udpNode from "./udp_node.ts";
import * as wsBun from "./ws_bun.ts";
import { connectWebSocket, type WebSocketConstructor } from "./ws_client.ts";
import * as wsDeno from "./ws_deno.ts";
import * as wsNode from "./ws_node.ts";
import * as wsServerNode from "./ws_server_node.ts";
import type {
  AcceptHandler,
  BindUdpFn,
  ConnectFn,
  ConnectOptions,
  Listener,
  ListenFn,
  ListenOptions,
  Runtime,
  Transport,
  TransportHandlers,
  UdpSocket,
  WsAttachFn,
  WsConnectFn,
  WsHandlerFn,
  WsListenFn,
} from "./types.ts";

export type * from "./types.ts";

/**
 * Which runtime this code runs on: Deno and Bun are told by their globals;
 * anything else is taken as Node.
 *
 * @returns "deno", "bun" or "node".
 */
export function runtimeName(): "deno" | "bun" | "node" {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "node";
}

/**
 * Listen for TCP connections with this runtime's native sockets
 * (`Deno.listen`, `Bun.listen` or `node:net`).
 *
 * @example
 * ```ts
 * import { connectTcp, listenTcp } from "./auto.ts";
 * const listener = await listenTcp(
 *   { port: 0, hostname: "127.0.0.1", maxFrameSize: 65536 },
 *   (server) => ({ frame: (f) => server.send(f), error() {}, close() {} }), // echo
 * );
 * const { promise, resolve } = Promise.withResolvers<Uint8Array>();
 * const client = await connectTcp(
 *   { hostname: "127.0.0.1", port: listener.port, maxFrameSize: 65536 },
 *   { frame: (f) => resolve(f.slice()), error() {}, close() {} },
 * );
 * client.send(new Uint8Array([1, 2, 3]));
 * console.log(await promise); // Uint8Array(3) [1, 2, 3]
 * client.close();
 * await listener.close();
 * ```
 *
 * @param options Port (0 for any free one), hostname and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns The bound listener.
 */
export function listenTcp(options: ListenOptions, accept: AcceptHandler): Promise<Listener> {
  return pick().listen(options, accept);
}

/**
 * Open a TCP connection with this runtime's native sockets.
 *
 * @param options Hostname, port and the largest frame to accept.
 * @param handlers The connection's handlers, attached before any data is read.
 * @returns The connected transport.
 */
export function connectTcp(
  options: ConnectOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  return pick().connect(options, handlers);
}

/**
 * Bind a UDP socket with this runtime's native API: `Bun.udpSocket` on Bun,
 * `node:dgram` on Node and Deno (no `--unstable-net` flag needed).
 *
 * @param options Port (0 for any free one) and address.
 * @param onDatagram Called for each datagram received.
 * @returns The bound socket.
 */
export const bindUdp: BindUdpFn = (options, onDatagram): Promise<UdpSocket> =>
  (runtimeName() === "bun" ? udpBun : udpNode).bindUdp(options, onDatagram);

/**
 * Listen for WebSocket connections: `Bun.serve` on Bun; `node:http` with
 * game-socket's own RFC 6455 server on Node and on Deno (`ws_server_node.ts`),
 * because it checks `maxFrameSize` on the declared length before buffering
 * and `Deno.upgradeWebSocket` cannot (see `ws_deno.ts`).
 *
 * @param options Port (0 for any free one), hostname, path and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns The bound listener.
 */
export const listenWs: WsListenFn = (options, accept) =>
  (runtimeName() === "bun" ? wsBun : wsServerNode).listen(options, accept);

/**
 * Which WebSocket client `connectWs` uses here: the global `WebSocket` on Bun
 * and Node 22+; the `ws` package on Node 20 (no global) and on Deno, whose
 * global `WebSocket` leaves Nagle's algorithm on (measured on Deno 2.9: two
 * messages sent in one turn stall about 40 ms waiting for a delayed ACK),
 * while `ws` over `node:net` sets TCP_NODELAY.
 *
 * @returns "global" or "ws".
 */
export function wsClientKind(): "global" | "ws" {
  return runtimeName() !== "deno" && "WebSocket" in globalThis ? "global" : "ws";
}

/**
 * Open a WebSocket connection (see {@linkcode wsClientKind} for which client).
 *
 * @param options URL and the largest frame to accept.
 * @param handlers The connection's handlers.
 * @returns The open transport.
 */
export const connectWs: WsConnectFn = (options, handlers) => {
  if (wsClientKind() === "ws") return wsNode.connect(options, handlers);
  const global = (globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket;
  return connectWebSocket(global, options, handlers);
};

/** Serve WebSocket upgrades at a path of a `node:http` server (`ws_server_node.ts`, on every runtime). */
export const attachWs: WsAttachFn = wsServerNode.attach;

/**
 * A fetch-style WebSocket endpoint: `Deno.upgradeWebSocket` on Deno,
 * `Bun.serve`'s handlers on Bun; undefined on Node (use `attachWs`).
 *
 * @returns The runtime's handler factory, if it has one.
 */
export function wsHandler(): WsHandlerFn | undefined {
  const name = runtimeName();
  return name === "deno" ? wsDeno.handler : name === "bun" ? wsBun.handler : undefined;
}

/**
 * This runtime's sockets, as the core uses them.
 *
 * @returns The runtime's name, its TCP listen and connect, its UDP bind and its WebSocket
 *   listen, connect, attach and (Deno, Bun) fetch handler.
 */
export function autoRuntime(): Runtime {
  const handler = wsHandler();
  return {
    name: runtimeName(),
    listenTcp,
    connectTcp,
    bindUdp,
    listenWs,
    connectWs,
    attachWs,
    ...(handler ? { wsHandler: handler } : {}),
  };
}

function pick(): { listen: ListenFn; connect: ConnectFn } {
  // Deno takes node:net too: measured against Deno.listen's conn.read/conn.write loops
  // (bench/, 500-member fan-out), twice the deliveries per second (a node:net write is
  // not an async op with a promise each), a third of the memory per idle connection
  // (8 KiB against 27 KiB RSS) and the same echo latency.
  return runtimeName() === "bun" ? bun : node;
}
