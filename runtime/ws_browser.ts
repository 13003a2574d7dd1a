/**
 * The runtime of the browser entry point: WebSocket only, over the page's
 * global `WebSocket`. No Node built-in is reachable from here.
 *
 * @module
 */

import { connectWebSocket, type WebSocketConstructor } from "./ws_client.ts";
import type { Runtime } from "./types.ts";

const noTcp = (): Promise<never> =>
  Promise.reject(
    new TypeError("Cannot use TCP in a browser: connect with a ws:// or wss:// URL"),
  );

/**
 * Sockets for a browser (or any runtime with a global `WebSocket`): clients
 * connect over `ws://` and `wss://`; TCP is refused with a `TypeError`.
 *
 * @returns The runtime.
 */
export function browserRuntime(): Runtime {
  return {
    name: "browser",
    listenTcp: noTcp,
    connectTcp: noTcp,
    connectWs: (options, handlers) => {
      const WS = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (!WS) {
        return Promise.reject(new TypeError("Cannot connect: this runtime has no WebSocket"));
      }
      return connectWebSocket(WS, options, handlers);
    },
  };
}
