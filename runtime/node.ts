/**
 * TCP adapter for `node:net` (Node; it also works under Deno and Bun).
 *
 * @module
 */

import * as net from "node:net";
import { clearTimeout, setTimeout } from "node:timers";
import { FrameBatch } from "./batch.ts";
import { FrameReader } from "./reader.ts";
import type {
  ConnectFn,
  Listener,
  ListenFn,
  Transport,
  TransportHandlers,
  TransportKind,
} from "./types.ts";

/** How long `close()` waits for the peer to close before destroying the socket. */
const CLOSE_GRACE_MS = 2000;

class NodeTransport implements Transport {
  readonly kind: TransportKind = "tcp";
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #socket: net.Socket;
  readonly #batch: FrameBatch;
  #handlers: TransportHandlers | undefined;
  #closing = false;
  #closed = false;
  #error: Error | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Bytes given to `socket.write` whose callback has not run (`writableLength`, kept cheaply). */
  #held = 0;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.remoteAddress = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    this.remotePort = socket.remotePort ?? 0;
    this.#batch = new FrameBatch({
      flush: () => this.#flush(),
      held: () => this.#held,
      drain: () => this.#handlers?.drain?.(),
    });
    socket.setNoDelay(true);
  }

  /** Set the handlers and start reading (before the next event-loop turn). */
  start(maxFrameSize: number, handlers: TransportHandlers): void {
    this.#handlers = handlers;
    const reader = new FrameReader(maxFrameSize, handlers);
    const socket = this.#socket;
    socket.on("data", (chunk: Uint8Array) => reader.push(chunk));
    socket.on("drain", () => this.#batch.checkDrain());
    socket.on("error", (error: Error) => this.#error ??= error);
    socket.on("close", () => this.#finish());
  }

  get bufferedAmount(): number {
    return this.#batch.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    if (!this.#closing && !this.#closed) this.#batch.send(frame);
  }

  close(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    this.#flush();
    this.#socket.end();
    this.#timer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
  }

  #flush(): void {
    const chunk = this.#batch.take();
    // After the peer's FIN node has ended our side too: a write would only fail.
    if (chunk === null || this.#closed || this.#socket.writableEnded) return;
    // node keeps a reference to the chunk until the callback: recycle only then.
    // 'drain' alone is not enough: node emits it only after a write returned false.
    this.#held += chunk.length;
    this.#socket.write(chunk, () => {
      this.#held -= chunk.length;
      this.#batch.recycle(chunk);
      this.#batch.checkDrain();
    });
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#batch.clear();
    this.#handlers?.close(this.#error);
  }
}

/**
 * Listen for TCP connections with `node:net`.
 *
 * @param options Port, hostname and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns The bound listener.
 */
export const listen: ListenFn = (options, accept) =>
  new Promise<Listener>((resolve, reject) => {
    const server = net.createServer((socket) => {
      const transport = new NodeTransport(socket);
      transport.start(options.maxFrameSize, accept(transport));
    });
    server.once("error", reject);
    server.listen({ port: options.port, host: options.hostname }, () => {
      server.off("error", reject);
      server.on("error", () => {}); // accept errors (EMFILE) are transient
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        close: () => {
          // Stop accepting; server.close's callback would wait for every connection.
          if (server.listening) server.close();
          return Promise.resolve();
        },
      });
    });
  });

/**
 * Open a TCP connection with `node:net`.
 *
 * @param options Hostname, port and frame size limit.
 * @param handlers The connection's handlers, attached before any data is read.
 * @returns The connected transport.
 */
export const connect: ConnectFn = (options, handlers) =>
  new Promise<Transport>((resolve, reject) => {
    const socket = net.connect({ host: options.hostname, port: options.port });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      const transport = new NodeTransport(socket);
      transport.start(options.maxFrameSize, handlers);
      resolve(transport);
    });
  });
