/**
 * UDP adapter for `node:dgram`, used on Node and on Deno (where `node:dgram`
 * needs no `--unstable-net` flag and runs as fast as `Deno.listenDatagram`).
 *
 * @module
 */

import * as dgram from "node:dgram";
import type { BindUdpFn, UdpSocket } from "./types.ts";

/**
 * Datagrams queued inside the runtime (not yet taken by the kernel) above
 * which `send` drops: game state is worth nothing once it is late.
 */
const MAX_QUEUED_DATAGRAMS = 1024;

/**
 * Bind a UDP socket with `node:dgram`.
 *
 * @param options Port (0 for any free one) and address; an IPv6 address makes a `udp6` socket.
 * @param onDatagram Called for each datagram with a plain `Uint8Array` view of it.
 * @returns The bound socket.
 */
export const bindUdp: BindUdpFn = (options, onDatagram) =>
  new Promise<UdpSocket>((resolve, reject) => {
    const socket = dgram.createSocket(options.hostname.includes(":") ? "udp6" : "udp4");
    let closed = false;
    socket.once("error", reject);
    socket.on("message", (message: Uint8Array, info: dgram.RemoteInfo) => {
      // A plain Uint8Array, so nothing built on a view of it is a Buffer.
      const bytes = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      onDatagram(bytes, info.port, unmap(info.address));
    });
    socket.bind(options.port, options.hostname, () => {
      socket.off("error", reject);
      // Send errors without a callback arrive here (EHOSTUNREACH, ...): a lost datagram.
      socket.on("error", () => {});
      const port = socket.address().port;
      let done: Promise<void> | undefined;
      resolve({
        port,
        send(bytes, toPort, address) {
          if (closed) return false;
          if ((socket.getSendQueueCount?.() ?? 0) > MAX_QUEUED_DATAGRAMS) return false;
          try {
            socket.send(bytes, toPort, address);
            return true;
          } catch {
            return false; // a bad port or address: a lost datagram, never a crash
          }
        },
        close() {
          closed = true;
          done ??= new Promise<void>((done) => socket.close(() => done()));
          return done;
        },
      });
    });
  });

/** "::ffff:1.2.3.4" (IPv4 on a dual-stack socket) is the IPv4 peer 1.2.3.4. */
function unmap(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
