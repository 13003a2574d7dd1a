/**
 * WebSocket client over a WHATWG `WebSocket` (browsers, Deno, Bun, Node 22+).
 * Imports nothing but the shared transport, so the browser bundle can use it.
 *
 * A WHATWG `WebSocket` buffers each message whole before the page sees it,
 * so the client checks `maxFrameSize` after receiving; the server it talks
 * to is the one that must not trust its peers.
 *
 * @module
 */

import { WsTransport } from "./ws_transport.ts";
import type { Transport, TransportHandlers, WsConnectOptions } from "./types.ts";

/** The members of a WHATWG `WebSocket` the client uses. */
export interface WebSocketLike {
  /** Set to "arraybuffer" so binary messages arrive as `ArrayBuffer`. */
  binaryType: string;
  /** Bytes queued by `send()` and not yet sent. */
  readonly bufferedAmount: number;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Send one message. */
  send(data: Uint8Array): void;
  /** Start the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Called once the connection is open. */
  onopen: ((event: unknown) => void) | null;
  /** Called for each message. */
  onmessage: ((event: { data: unknown }) => void) | null;
  /** Called when the connection failed. */
  onerror: ((event: unknown) => void) | null;
  /** Called once the connection is closed. */
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

/** A WHATWG `WebSocket` constructor, e.g. `globalThis.WebSocket`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * Open a WebSocket with `WS` and wrap it in a transport. Binary messages are
 * frames; the handlers are attached once the socket is open (a failed
 * connect only rejects).
 *
 * @param WS The `WebSocket` constructor to use.
 * @param options URL (`ws://` or `wss://`) and the largest frame accepted.
 * @param handlers The connection's handlers.
 * @returns The open transport.
 */
export function connectWebSocket(
  WS: WebSocketConstructor,
  options: WsConnectOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const ws = new WS(options.url);
    ws.binaryType = "arraybuffer";
    const url = new URL(options.url);
    const transport = new WsTransport(
      {
        send: (data) => ws.send(data),
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        close: (code, reason) => ws.close(code, reason),
      },
      options.maxFrameSize,
      url.hostname.replace(/^\[|\]$/g, ""),
      Number(url.port),
    );
    let open = false;
    ws.onopen = () => {
      open = true;
      transport.start(handlers);
      resolve(transport);
    };
    ws.onmessage = (event) => {
      const data = event.data;
      if (typeof data === "string" || data instanceof ArrayBuffer || data instanceof Uint8Array) {
        transport.message(data);
      }
    };
    ws.onerror = (event) => {
      const message = (event as { message?: string }).message;
      const error = new Error(`WebSocket error on ${options.url}${message ? `: ${message}` : ""}`);
      if (open) transport.failed(error);
      else reject(error);
    };
    ws.onclose = (event) => {
      if (!open) reject(new Error(`Cannot open a WebSocket to ${options.url} (${event.code})`));
      transport.closed(event.code, event.reason);
    };
  });
}
