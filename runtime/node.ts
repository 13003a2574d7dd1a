/**
 * TCP adapter for `node:net`: Node and Deno (where it beats `Deno.listen`, see
 * `auto.ts`); Bun has its own.
 *
 * @module
 */

import * as net from "node:net";
import { clearTimeout, setTimeout } from "node:timers";
import { FrameBatch, type FrameBatchSink } from "./batch.ts";
import { FrameDecoder } from "../protocol/frame.ts";
import { readChunk } from "./reader.ts";
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

/** The transport of a socket, for the shared listeners below. */
const owner = Symbol("gameSocketTransport");
type OwnedSocket = net.Socket & { [owner]: NodeTransport };

// One set of listeners for every socket, finding the transport on the socket:
// four closures and their context per connection were ~270 heap bytes each.
function onData(this: OwnedSocket, chunk: Uint8Array): void {
  const transport = this[owner];
  if (transport.decoder && !readChunk(transport.decoder, transport.handlers!, chunk)) {
    transport.decoder = undefined; // the stream failed: nothing more is read
  }
}
function onError(this: OwnedSocket, error: Error): void {
  this[owner].error ??= error;
}
function onClose(this: OwnedSocket): void {
  this[owner].finish();
}

class NodeTransport implements Transport, FrameBatchSink {
  readonly remoteAddress: string;
  readonly #socket: net.Socket;
  /** Internal (for the shared listeners): the send batch, the decoder (none after a failure), the handlers, the socket's error. */
  readonly batch: FrameBatch;
  decoder: FrameDecoder | undefined;
  handlers: TransportHandlers | undefined;
  error: Error | undefined;
  /** 0 open, 1 closing (ended, waiting for the peer), 2 closed. */
  #state: 0 | 1 | 2 = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Bytes given to `socket.write` whose callback has not run (`writableLength`, kept cheaply). */
  #held = 0;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.remoteAddress = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    this.batch = new FrameBatch(this);
    socket.setNoDelay(true);
  }

  /** Set the handlers and start reading (before the next event-loop turn). */
  start(maxFrameSize: number, handlers: TransportHandlers): void {
    this.handlers = handlers;
    // A decoder of its own, not a FrameReader around one: one object fewer per connection.
    this.decoder = new FrameDecoder({ maxFrameSize });
    const socket = this.#socket as OwnedSocket;
    socket[owner] = this;
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
  }

  // Getters, not fields: each field is 8 bytes of every connection.
  get kind(): TransportKind {
    return "tcp";
  }

  get remotePort(): number {
    return this.#socket.remotePort ?? 0;
  }

  get bufferedAmount(): number {
    return this.batch.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    if (this.#state === 0) this.batch.send(frame);
  }

  close(): void {
    if (this.#state !== 0) return;
    this.#state = 1;
    this.flush();
    this.#socket.end();
    this.#timer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
  }

  /** Batch sink: write what the turn batched. */
  flush(): void {
    const chunk = this.batch.take();
    // After the peer's FIN node has ended our side too: a write would only fail.
    if (chunk === null || this.#state === 2 || this.#socket.writableEnded) return;
    // node keeps a reference to the chunk until the callback: recycle only then.
    // Each write's callback checks for a drain, so no 'drain' listener is needed
    // (node emits 'drain' only after a write returned false, and later than this).
    this.#held += chunk.length;
    this.#socket.write(chunk, () => {
      this.#held -= chunk.length;
      this.batch.recycle(chunk);
      this.batch.checkDrain();
    });
  }

  /** Batch sink: bytes node still holds. */
  held(): number {
    return this.#held;
  }

  /** Batch sink: the queue drained. */
  drain(): void {
    this.handlers?.drain?.();
  }

  /** The socket closed. */
  finish(): void {
    if (this.#state === 2) return;
    this.#state = 2;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.batch.clear();
    this.handlers?.close(this.error);
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
