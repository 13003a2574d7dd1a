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
import * as deno from "./deno.ts";
import * as node from "./node.ts";
import * as udpBun from "./udp_bun.ts";
import * as udpNode from "./udp_node.ts";
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
 * This runtime's sockets, as the core uses them.
 *
 * @returns The runtime's name, its TCP listen and connect, and its UDP bind.
 */
export function autoRuntime(): Runtime {
  return { name: runtimeName(), listenTcp, connectTcp, bindUdp };
}

function pick(): { listen: ListenFn; connect: ConnectFn } {
  switch (runtimeName()) {
    case "deno":
      return deno;
    case "bun":
      return bun;
    default:
      return node;
  }
}
