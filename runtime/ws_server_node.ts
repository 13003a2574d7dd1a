/**
 * WebSocket server on `node:http`'s `upgrade` event, with game-socket's own
 * RFC 6455 framing over the `node:net` socket it hands over: `listen({ ws })`
 * on Node and Deno, `attach()` to an existing `node:http` server on every
 * runtime (Bun's `listen({ ws })` is `Bun.serve`, see `ws_bun.ts`).
 *
 * Why not the `ws` package here (it stays for the Node 20 client): `ws` keeps
 * a WebSocket, a Receiver (a Writable stream) and a Sender per connection and
 * writes each message separately. This server keeps one small object per
 * connection with shared listeners, parses only while a frame spans chunks
 * (one spare parser serves every other connection), and writes a turn's
 * messages in one buffer. Measured (bench/idle_heap.ts, 2000 connections;
 * bench/run.ts --runs 1, one run each): FIGURES.
 *
 * Limits are checked on each frame's declared length, and on the running sum
 * of a fragmented message, before any of the body is buffered: an oversize
 * message costs the server nothing. Deno's own `Deno.upgradeWebSocket`
 * cannot do that (see `ws_deno.ts`), which is why `listen({ ws })` uses this
 * server on Deno too.
 *
 * @module
 */

import * as http from "node:http";
import type * as net from "node:net";
import { pooledBuffer, recycleBuffer } from "./batch.ts";
import type { ProtocolError } from "../protocol/errors.ts";
import { WsFrameParser, type WsFrameSink } from "./ws_frame_parser.ts";
import {
  closePayload,
  controlFrame,
  frameLength,
  writeFrame,
  WsOpcode,
} from "./ws_frame_writer.ts";
import { upgradeAnswer } from "./ws_handshake.ts";
import { WsTransport } from "./ws_transport.ts";
import type { WsPeer } from "./ws_peer.ts";
import type { AcceptHandler, Listener, WsAttachFn, WsListenFn } from "./types.ts";

/** The peer of a socket, for the shared listeners below. */
const owner = Symbol("gameSocketWsPeer");
type OwnedSocket = net.Socket & { [owner]: NodeWsPeer };

/**
 * The parser for whichever connection reads next. A connection keeps one of
 * its own only while a frame or a fragmented message spans chunks.
 */
let spare: WsFrameParser | undefined;

// One set of listeners for every socket, finding the peer on the socket.
function onData(this: OwnedSocket, chunk: Uint8Array): void {
  this[owner].read(chunk);
}
function onClose(this: OwnedSocket): void {
  this[owner].finish();
}
/** Socket errors (a reset) end in 'close' with 1006, as `ws` reported them. */
function ignore(): void {}

// Peer state bits.
const CLOSE_SENT = 1, CLOSE_RECEIVED = 2, READ_DONE = 4;

/** One upgraded socket: the transport's peer and the parser's sink. */
class NodeWsPeer implements WsPeer, WsFrameSink {
  readonly #socket: net.Socket;
  /** Internal: the transport over this socket. */
  transport!: WsTransport;
  #parser: WsFrameParser | undefined;
  /** Bytes given to `socket.write` whose callback has not run. */
  #held = 0;
  /** CLOSE_SENT, CLOSE_RECEIVED, READ_DONE (the client failed or closed: nothing more is read). */
  #state = 0;
  /** This turn's messages, framed as they are sent (a pooled buffer, none while idle), and its length. */
  #turn: Uint8Array | undefined;
  #turnLength = 0;

  constructor(socket: net.Socket) {
    this.#socket = socket;
  }

  get bufferedAmount(): number {
    return this.#held;
  }

  /** Read a chunk from the client. */
  read(chunk: Uint8Array): void {
    if (this.#state & READ_DONE) return;
    let parser = this.#parser;
    if (parser === undefined) {
      parser = spare ?? new WsFrameParser();
      spare = undefined;
    }
    // node passes Buffers: the core gets plain Uint8Array views.
    if (chunk.constructor !== Uint8Array) {
      chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    parser.push(chunk, this.transport.maxFrameSize, this);
    if (parser.done) {
      this.#state |= READ_DONE;
      parser.reset();
    }
    if (parser.idle) {
      this.#parser = undefined;
      spare = parser;
    } else this.#parser = parser;
  }

  send(data: Uint8Array): boolean {
    return this.sendMany([data]);
  }

  /** Frame a message into this turn's buffer (one copy: the transport keeps none). */
  append(frame: Uint8Array): void {
    const start = this.#turnLength;
    const end = start + frameLength(frame.length);
    let buf = this.#turn;
    if (buf === undefined || buf.length < end) {
      buf = pooledBuffer(buf === undefined ? end : Math.max(end, buf.length * 2));
      if (this.#turn !== undefined) {
        buf.set(this.#turn.subarray(0, start));
        recycleBuffer(this.#turn);
      }
      this.#turn = buf;
    }
    this.#turnLength = writeFrame(buf, start, WsOpcode.Binary, frame);
  }

  /** Write this turn's messages (and `frames`) at once: one socket write. */
  sendMany(frames: readonly Uint8Array[]): boolean {
    for (const frame of frames) this.append(frame);
    const buf = this.#turn;
    if (buf === undefined) return true;
    const out = buf.subarray(0, this.#turnLength);
    this.#turn = undefined;
    this.#turnLength = 0;
    // Nothing may follow our close frame; a closed socket drops silently (its close is on its way).
    if (this.#state & CLOSE_SENT) recycleBuffer(buf);
    else this.#write(out, true);
    return true;
  }

  close(code: number, reason: string): void {
    if (this.#state & CLOSE_SENT) return;
    this.#state |= CLOSE_SENT;
    this.#write(controlFrame(WsOpcode.Close, closePayload(code, reason)), false);
    // Both close frames are out (or the client can send none we would read): end the TCP link.
    if (this.#state & (CLOSE_RECEIVED | READ_DONE)) this.#socket.end();
  }

  terminate(): void {
    this.#socket.destroy();
  }

  /** Parser sink: a whole message. */
  message(data: Uint8Array | string): void {
    this.transport.message(data);
  }

  /** Parser sink: answer a ping with the same payload. */
  ping(payload: Uint8Array): void {
    if (!(this.#state & CLOSE_SENT)) this.#write(controlFrame(WsOpcode.Pong, payload), false);
  }

  /**
   * Parser sink: the client's close frame. Echo its code, end the TCP link,
   * and tell the transport now (the code and reason need no fields until 'close').
   */
  closeFrame(code: number, reason: string): void {
    this.#state |= CLOSE_RECEIVED;
    if (!(this.#state & CLOSE_SENT)) {
      this.#state |= CLOSE_SENT;
      this.#write(controlFrame(WsOpcode.Close, closePayload(code, "")), false);
    }
    this.#socket.end();
    this.transport.closed(code, reason);
  }

  /** Parser sink: the client broke the protocol; the transport closes with `code`. */
  fail(code: number, error: ProtocolError): void {
    this.#state |= READ_DONE;
    this.transport.refuse(code, error);
    this.transport.close(); // the owner closes on the error; this is for one that does not
  }

  /** The socket closed: without a close frame from the client (1006), or after it (ignored). */
  finish(): void {
    this.#parser = undefined;
    if (this.#turn !== undefined) recycleBuffer(this.#turn);
    this.#turn = undefined;
    this.transport.closed(1006, "");
  }

  #write(bytes: Uint8Array, pooled: boolean): void {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    const n = bytes.length;
    this.#held += n;
    // node keeps the bytes until the callback: recycle only then. Each callback checks for a
    // drain, so no 'drain' listener is needed (as in node.ts).
    socket.write(bytes, () => {
      this.#held -= n;
      if (pooled) recycleBuffer(bytes);
      this.transport.drained();
    });
  }
}

/** Answer an upgrade; when the answer is 101, wrap the socket in a transport. */
function upgrade(
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Uint8Array,
  maxFrameSize: number,
  accept: AcceptHandler,
): void {
  socket.on("error", ignore);
  const answer = upgradeAnswer(req);
  if (answer.status !== 101) {
    socket.end(answer.response, () => socket.destroy());
    return;
  }
  if (!socket.readable || !socket.writable) return void socket.destroy();
  // A client gone without a close frame (FIN) gets ours ended too, so 'close' follows: an
  // 'end' listener would be an array of two on every socket (net has one).
  socket.allowHalfOpen = false;
  socket.setTimeout(0);
  socket.setNoDelay(true);
  socket.write(answer.response);
  const peer = new NodeWsPeer(socket);
  const transport = new WsTransport(peer, maxFrameSize, socket.remoteAddress, socket.remotePort);
  peer.transport = transport;
  (socket as OwnedSocket)[owner] = peer;
  socket.on("data", onData);
  socket.on("close", onClose);
  transport.start(accept(transport));
  if (head.length > 0) peer.read(head);
}

/** The `upgrade` listener that turns matching requests into transports (false: not its path). */
function upgrader(
  maxFrameSize: number,
  accept: AcceptHandler,
  path: string | undefined,
): {
  onUpgrade: (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => boolean;
  stop: () => void;
} {
  let stopped = false;
  const onUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => {
    if (path !== undefined && new URL(req.url ?? "/", "http://x").pathname !== path) return false;
    if (stopped) {
      socket.on("error", ignore);
      socket.end(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
      );
      return true;
    }
    upgrade(req, socket, head, maxFrameSize, accept);
    return true;
  };
  return { onUpgrade, stop: () => stopped = true };
}

/**
 * Listen for WebSocket connections on a new `node:http` server (any path, or
 * only `options.path`). Plain HTTP requests get 426 Upgrade Required.
 *
 * @param options Port, hostname, path and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns The bound listener.
 */
export const listen: WsListenFn = (options, accept) =>
  new Promise<Listener>((resolve, reject) => {
    const server = http.createServer((_req, res) => {
      res.writeHead(426, { "content-type": "text/plain", connection: "close" });
      res.end("This port speaks game-socket over WebSocket\n");
    });
    const { onUpgrade, stop } = upgrader(options.maxFrameSize, accept, options.path);
    server.on("upgrade", (req, socket: net.Socket, head) => {
      if (!onUpgrade(req, socket, head)) socket.destroy();
    });
    server.once("error", reject);
    server.listen({ port: options.port, host: options.hostname }, () => {
      server.off("error", reject);
      server.on("error", () => {});
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          // Stop accepting; upgraded sockets stay open (the core closes them).
          stop();
          if (server.listening) server.close();
          server.closeIdleConnections();
          return Promise.resolve();
        },
      });
    });
  });

/**
 * Serve WebSocket connections at `path` on an existing `node:http` server
 * (works on Node, Deno and Bun), so a game serves its page and its socket
 * from one port. Upgrades to other paths are left to other listeners (or
 * refused when there is none).
 *
 * @param server A `node:http` (or `node:https`) server.
 * @param options Path and frame size limit.
 * @param accept Called for each connection; returns its handlers.
 * @returns A listener whose `close()` stops taking upgrades (the HTTP server stays up).
 */
export const attach: WsAttachFn = (server, options, accept) => {
  const { onUpgrade, stop } = upgrader(options.maxFrameSize, accept, options.path ?? "/");
  const httpServer = server as unknown as http.Server;
  const listener = (req: http.IncomingMessage, socket: net.Socket, head: Uint8Array) => {
    if (!onUpgrade(req, socket, head) && httpServer.listenerCount("upgrade") === 1) {
      socket.destroy();
    }
  };
  httpServer.on("upgrade", listener);
  const address = httpServer.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: () => {
      stop();
      httpServer.off("upgrade", listener);
      return Promise.resolve();
    },
  };
};
