/**
 * In-process transports for tests: a connected pair, and a listen/connect
 * pair that follows the same `ListenFn` / `ConnectFn` contract as the TCP
 * adapters, keyed by a fake port ({@linkcode memoryRuntime} bundles them).
 *
 * Frames are copied on `send` and delivered in a microtask, all frames of one
 * turn together and in order, like a stream adapter's per-turn batch. A frame
 * over the receiver's `maxFrameSize` makes the receiver's `error` handler fire
 * once and stops delivery, as a TCP adapter does. Note that a ping-pong
 * between two memory transports never yields to timers: await a timer in the
 * test when you need time to pass.
 *
 * @module
 */

import { ProtocolError } from "../protocol/errors.ts";
import type {
  AcceptHandler,
  ConnectOptions,
  Listener,
  ListenOptions,
  Runtime,
  Transport,
  TransportHandlers,
  TransportKind,
} from "./types.ts";

export type * from "./types.ts";

/** Options of {@linkcode createMemoryPair}. */
export interface MemoryPairOptions {
  /**
   * Largest frame either end accepts.
   * @default {Infinity}
   */
  maxFrameSize?: number;
}

/** One end of an in-memory link. Call {@linkcode MemoryTransport.attach} to receive. */
export class MemoryTransport implements Transport {
  /** Always "memory". */
  readonly kind: TransportKind = "memory";
  /** Always "" (there is no address). */
  readonly remoteAddress: string = "";
  /** The peer's fake port (the listener's port on a client end), else 0. */
  readonly remotePort: number;
  #peer: MemoryTransport | null = null;
  #handlers: TransportHandlers | null = null;
  readonly #maxFrameSize: number;
  /** Frames sent to the peer, not yet delivered. */
  #queue: Uint8Array[] = [];
  #queued = 0;
  #scheduled = false;
  #failed = false;
  #closing = false;
  #closed = false;
  #closeError: Error | undefined;

  /**
   * Use {@linkcode createMemoryPair} instead.
   *
   * @param maxFrameSize Largest frame this end accepts.
   * @param remotePort The peer's fake port.
   */
  constructor(maxFrameSize: number, remotePort = 0) {
    this.#maxFrameSize = maxFrameSize;
    this.remotePort = remotePort;
  }

  /** Bytes sent and not yet delivered to the peer. */
  get bufferedAmount(): number {
    return this.#queued;
  }

  /**
   * Set the handlers and start receiving. Frames sent before this are held.
   *
   * @param handlers Where frames, errors and the close go.
   * @throws {TypeError} When handlers are already attached.
   */
  attach(handlers: TransportHandlers): void {
    if (this.#handlers !== null) {
      throw new TypeError("Cannot attach: handlers are already attached");
    }
    this.#handlers = handlers;
    if (this.#peer !== null) this.#peer.#schedule();
    if (this.#closed) queueMicrotask(() => handlers.close(this.#closeError));
  }

  /**
   * Queue a copy of one frame for the peer.
   *
   * @param frame Frame bytes; the caller may reuse them.
   */
  send(frame: Uint8Array): void {
    if (this.#closing || this.#closed) return;
    this.#queue.push(frame.slice());
    this.#queued += frame.length;
    this.#schedule();
  }

  /** Deliver what is queued, then close both ends. Safe to call more than once. */
  close(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    this.#schedule();
  }

  /**
   * Close both ends at once, dropping what is queued, as a reset connection does.
   *
   * @param error Passed to both ends' `close` handler.
   */
  destroy(error: Error = new Error("Memory transport was reset")): void {
    if (this.#closed) return;
    this.#finish(error);
    if (this.#peer !== null) this.#peer.#finish(error);
  }

  /** Link two ends. */
  static link(a: MemoryTransport, b: MemoryTransport): void {
    a.#peer = b;
    b.#peer = a;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#deliver());
  }

  #deliver(): void {
    this.#scheduled = false;
    const peer = this.#peer;
    if (this.#closed || peer === null || peer.#handlers === null) return;
    const queue = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    for (const frame of queue) {
      if (peer.#closed || peer.#failed) break;
      try {
        if (frame.length > peer.#maxFrameSize) {
          throw new ProtocolError(
            "ERR_FRAME_TOO_LARGE",
            `Cannot decode frame: length ${frame.length} exceeds maxFrameSize ${peer.#maxFrameSize}`,
          );
        }
        peer.#handlers.frame(frame);
      } catch (error) {
        // Like a stream adapter: one error, then no more frames.
        peer.#failed = true;
        peer.#handlers.error(error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (this.#closing) {
      this.#finish(undefined);
      peer.#finish(undefined);
    }
  }

  #finish(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    this.#queue = [];
    this.#queued = 0;
    const handlers = this.#handlers;
    if (handlers !== null) queueMicrotask(() => handlers.close(error));
  }
}

/**
 * Two connected in-memory transports. Attach handlers to each end; frames sent
 * on one end arrive at the other in a microtask.
 *
 * @example
 * ```ts
 * import { createMemoryPair } from "./memory.ts";
 * const [a, b] = createMemoryPair({ maxFrameSize: 1024 });
 * const got: number[][] = [];
 * a.attach({ frame() {}, error() {}, close() {} });
 * b.attach({ frame: (f) => got.push([...f]), error() {}, close() {} });
 * a.send(new Uint8Array([1, 2]));
 * a.send(new Uint8Array([3]));
 * await Promise.resolve();
 * console.log(got); // [[1, 2], [3]]
 * a.close(); // both ends' close handlers run
 * ```
 *
 * @param options Frame size limit of both ends.
 * @returns The two ends.
 */
export function createMemoryPair(
  options: MemoryPairOptions = {},
): [MemoryTransport, MemoryTransport] {
  const max = options.maxFrameSize ?? Infinity;
  const a = new MemoryTransport(max);
  const b = new MemoryTransport(max);
  MemoryTransport.link(a, b);
  return [a, b];
}

interface MemoryListenerEntry {
  accept: AcceptHandler;
  maxFrameSize: number;
}

const listeners = new Map<number, MemoryListenerEntry>();
let nextPort = 49152;
let nextClientPort = 1;

/**
 * A `ListenFn` on in-memory fake ports, for tests of code that takes
 * a listen function. Port 0 picks a free fake port; the hostname is ignored.
 *
 * @example
 * ```ts
 * import { connectMemory, listenMemory } from "./memory.ts";
 * const listener = await listenMemory({ port: 0, hostname: "", maxFrameSize: 1024 }, (server) => ({
 *   frame: (f) => server.send(f), // echo
 *   error() {},
 *   close() {},
 * }));
 * const client = await connectMemory({ hostname: "", port: listener.port, maxFrameSize: 1024 }, {
 *   frame: (f) => console.log(f), // Uint8Array [7]
 *   error() {},
 *   close() {},
 * });
 * client.send(new Uint8Array([7]));
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * client.close();
 * await listener.close();
 * ```
 *
 * @param options Port (0 for any) and frame size limit of accepted transports.
 * @param accept Called for each connection; returns its handlers.
 * @returns The listener.
 */
export function listenMemory(options: ListenOptions, accept: AcceptHandler): Promise<Listener> {
  let port = options.port;
  if (port === 0) { while (listeners.has(nextPort)) nextPort++; }
  if (port === 0) port = nextPort++;
  if (listeners.has(port)) {
    return Promise.reject(new Error(`Cannot listen: memory port ${port} is in use`));
  }
  const entry: MemoryListenerEntry = { accept, maxFrameSize: options.maxFrameSize };
  listeners.set(port, entry);
  return Promise.resolve({
    port,
    close: () => {
      if (listeners.get(port) === entry) listeners.delete(port);
      return Promise.resolve();
    },
  });
}

/**
 * A `ConnectFn` to a {@linkcode listenMemory} listener. The listener's
 * `accept` runs before this resolves.
 *
 * @param options Port of the listener and the client's frame size limit.
 * @param handlers The client end's handlers.
 * @returns The client end.
 */
export function connectMemory(
  options: ConnectOptions,
  handlers: TransportHandlers,
): Promise<Transport> {
  const entry = listeners.get(options.port);
  if (entry === undefined) {
    return Promise.reject(
      new Error(`Cannot connect: nothing listens on memory port ${options.port}`),
    );
  }
  const client = new MemoryTransport(options.maxFrameSize, options.port);
  const server = new MemoryTransport(entry.maxFrameSize, nextClientPort++);
  MemoryTransport.link(client, server);
  server.attach(entry.accept(server));
  client.attach(handlers);
  return Promise.resolve(client);
}

/**
 * In-memory "sockets" for the core's tests: `listenTcp` and `connectTcp` are
 * {@linkcode listenMemory} and {@linkcode connectMemory}.
 *
 * @returns A runtime named "memory".
 */
export function memoryRuntime(): Runtime {
  return { name: "memory", listenTcp: listenMemory, connectTcp: connectMemory };
}
