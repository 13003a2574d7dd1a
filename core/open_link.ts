/**
 * Open the link a client URL names: `tcp://host:port`, `ws://` or `wss://`.
 *
 * @module
 */

import type { Runtime, Transport, TransportHandlers } from "../runtime/types.ts";

/**
 * Open a transport to `url` with the runtime's sockets.
 *
 * @param runtime The runtime's sockets.
 * @param url `tcp://host:port`, `ws://host:port/path` or `wss://...`.
 * @param maxFrameSize Largest frame to accept from the server.
 * @param handlers The connection's handlers.
 * @returns The connected transport.
 * @throws {TypeError} For another scheme, or one the runtime cannot open.
 */
export function openLink(
  runtime: Runtime,
  url: URL,
  maxFrameSize: number,
  handlers: TransportHandlers,
): Promise<Transport> {
  if (url.protocol === "tcp:") {
    return runtime.connectTcp({
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port),
      maxFrameSize,
    }, handlers);
  }
  if (url.protocol === "ws:" || url.protocol === "wss:") {
    if (!runtime.connectWs) {
      throw new TypeError(
        `Cannot connect to ${url.href}: the ${runtime.name} runtime has no WebSocket`,
      );
    }
    return runtime.connectWs({ url: url.href, maxFrameSize }, handlers);
  }
  throw new TypeError(
    `Cannot connect to ${url.href}: unsupported scheme ${url.protocol} (use tcp://, ws:// or wss://)`,
  );
}
