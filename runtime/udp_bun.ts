/**
 * UDP adapter for Bun: `Bun.udpSocket`. Bun hands each datagram over in a
 * fresh `Uint8Array` and `send` is synchronous: it returns false when the
 * kernel's buffer is full, and the datagram is dropped.
 *
 * @module
 */

import type { BindUdpFn, UdpSocket } from "./types.ts";

/** The members of Bun's unconnected UDP socket this adapter uses. */
interface BunUdpSocket {
  readonly port: number;
  readonly closed: boolean;
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
}

/** `Bun.udpSocket` options, as this adapter passes them. */
interface BunUdpOptions {
  hostname: string;
  port: number;
  binaryType: "uint8array";
  socket: {
    data(socket: BunUdpSocket, data: Uint8Array, port: number, address: string): void;
    error(socket: BunUdpSocket, error: Error): void;
  };
}

function bunGlobal(): { udpSocket(options: BunUdpOptions): Promise<BunUdpSocket> } {
  return (globalThis as unknown as {
    Bun: { udpSocket(options: BunUdpOptions): Promise<BunUdpSocket> };
  }).Bun;
}

/**
 * Bind a UDP socket with `Bun.udpSocket`.
 *
 * @param options Port (0 for any free one) and address.
 * @param onDatagram Called for each datagram.
 * @returns The bound socket.
 */
export const bindUdp: BindUdpFn = async (options, onDatagram) => {
  const socket = await bunGlobal().udpSocket({
    hostname: options.hostname,
    port: options.port,
    binaryType: "uint8array",
    socket: {
      data: (_socket, data, port, address) => onDatagram(data, port, unmap(address)),
      error: () => {}, // a failed send is a lost datagram
    },
  });
  const udp: UdpSocket = {
    port: socket.port,
    send(bytes, port, address) {
      if (socket.closed) return false;
      try {
        return socket.send(bytes, port, address);
      } catch {
        return false; // e.g. an address of the other family
      }
    },
    close() {
      if (!socket.closed) socket.close();
      return Promise.resolve();
    },
  };
  return udp;
};

/** "::ffff:1.2.3.4" (IPv4 on a dual-stack socket) is the IPv4 peer 1.2.3.4. */
function unmap(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
