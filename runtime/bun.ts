/**
 * TCP adapter for Bun: `Bun.listen` / `Bun.connect`. Bun sockets do not
 * buffer: `write()` returns the bytes the kernel took, so the rest is kept and
 * written on `drain`, while new frames gather in the next batch.
 *
 * @module
 */

import { FrameBatch } from "./batch.ts";
import { FrameReader } from "./reader.ts";
import type { ConnectFn, ListenFn, Transport, TransportHandlers, TransportKind } from "./types.ts";

/** How long `close()` waits for queued bytes to drain before terminating the socket. */
const CLOSE_GRACE_MS = 2000;

/** The members of Bun's `Socket` this adapter uses. */
interface BunSocket {
  data: BunTransport | undefined;
  readonly remoteAddress: string;
  readonly remotePort?: number;
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  setNoDelay?(noDelay: boolean): boolean;
}

/** Bun's socket handlers (one object serves every socket of a listener). */
interface BunSocketHandlers {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  error(socket: BunSocket, error: Error): void;
  close(socket: BunSocket, error?: Error): void;
}

type BunTcpOptions = { hostname: string; port: number; socket: BunSocketHandlers };
interface BunNamespace {
  listen(options: BunTcpOptions): { readonly port: number; stop(closeActive?: boolean): void };
  connect(options: BunTcpOptions): Promise<BunSocket>;
}

function bunGlobal(): BunNamespace {
  return (globalThis as unknown as { Bun: BunNamespace }).Bun;
}

class BunTransport implements Transport {
  readonly kind: TransportKind = "tcp";
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #socket: BunSocket;
  readonly #batch: FrameBatch;
  #handlers: TransportHandlers | undefined;
  #reader: FrameReader | undefined;
  /** The batch being written (taken from #batch) and its unwritten tail. */
  #lent: Uint8Array | null = null;
  #rest: Uint8Array | null = null;
  #closing = false;
  #closed = false;
  #error: Error | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: BunSocket) {
    this.#socket = socket;
    this.remoteAddress = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    this.remotePort = socket.remotePort ?? 0;
    this.#batch = new FrameBatch({
      flush: () => {
        if (this.#rest === null && !this.#closed) this.#write(); // else wait for drain
      },
      held: () => this.#rest?.length ?? 0,
      drain: () => this.#handlers?.drain?.(),
    });
    socket.data = this;
    socket.setNoDelay?.(true);
  }

  /** Set the handlers (called in `open`, before any data). */
  start(maxFrameSize: number, handlers: TransportHandlers): void {
    this.#handlers = handlers;
    this.#reader = new FrameReader(maxFrameSize, handlers);
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
    this.#timer = setTimeout(() => this.#socket.terminate(), CLOSE_GRACE_MS);
    if (this.#rest === null) this.#write(); // else drain writes the rest, then ends
  }

  onData(data: Uint8Array): void {
    this.#reader?.push(data);
  }

  onDrain(): void {
    if (!this.#closed) this.#write();
  }

  onError(error: Error): void {
    this.#error ??= error;
  }

  onClose(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#batch.clear();
    this.#lent = this.#rest = null;
    // Bun calls this synchronously inside end(): report later, never inside close().
    const handlers = this.#handlers;
    const reason = error ?? this.#error;
    queueMicrotask(() => handlers?.close(reason));
  }

  /** Write the unwritten tail, then whole batches, until the kernel stops taking bytes. */
  #write(): void {
    for (;;) {
      if (this.#rest === null) {
        const chunk = this.#batch.take();
        if (chunk === null) break;
        this.#lent = this.#rest = chunk;
      }
      const n = this.#socket.write(this.#rest);
      if (n < this.#rest.length) {
        this.#rest = this.#rest.subarray(Math.max(n, 0)); // wait for drain
        return;
      }
      this.#batch.recycle(this.#lent!);
      this.#lent = this.#rest = null;
    }
    this.#batch.checkDrain();
    if (this.#closing) this.#socket.end();
  }
}

function socketHandlers(open: (socket: BunSocket) => void): BunSocketHandlers {
  return {
    open,
    data: (socket, data) => socket.data?.onData(data),
    drain: (socket) => socket.data?.onDrain(),
    end: (socket) => socket.data?.close(),
    error: (socket, error) => socket.data?.onError(error),
    close: (socket, error) => socket.data?.onClose(error),
  };
}

/**
 * Listen for TCP connections with `Bun.listen`.
 *
 * @param options Port, hostname and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns The bound listener.
 */
export const listen: ListenFn = (options, accept) =>
  new Promise((resolve) => {
    // An executor that throws (EADDRINUSE) rejects the promise.
    const server = bunGlobal().listen({
      hostname: options.hostname,
      port: options.port,
      socket: socketHandlers((socket) => {
        const transport = new BunTransport(socket);
        transport.start(options.maxFrameSize, accept(transport));
      }),
    });
    resolve({
      port: server.port,
      close: () => Promise.resolve(server.stop(false)),
    });
  });

/**
 * Open a TCP connection with `Bun.connect`.
 *
 * @param options Hostname, port and frame size limit.
 * @param handlers The connection's handlers, attached before any data is read.
 * @returns The connected transport.
 */
export const connect: ConnectFn = async (options, handlers) => {
  const socket = await bunGlobal().connect({
    hostname: options.hostname,
    port: options.port,
    socket: socketHandlers((socket) =>
      new BunTransport(socket).start(options.maxFrameSize, handlers)
    ),
  });
  return socket.data!;
};
