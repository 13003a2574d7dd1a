/**
 * An upgraded `node:net` socket as a {@linkcode WsPeer}: it reads client
 * frames (one spare parser serves every connection that has nothing split
 * across chunks), answers pings and the close handshake, and writes a
 * turn's messages, framed as they were sent, in one socket write. See
 * `ws_server_node.ts` for the upgrade.
 *
 * @module
 */

import type * as net from "node:net";
import type { ProtocolError } from "../protocol/errors.ts";
import { pooledBuffer, recycleBuffer } from "./batch.ts";
import { WsFrameParser, type WsFrameSink } from "./ws_frame_parser.ts";
import { closePayload, controlFrame, frameLength, writeFrame } from "./ws_frame_writer.ts";
import { Opcode } from "./ws_frame_rules.ts";
import { WsTransport } from "./ws_transport.ts";
import type { WsPeer } from "./ws_peer.ts";
import type { AcceptHandler } from "./types.ts";

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

// Peer state bits.
const CLOSE_SENT = 1, CLOSE_RECEIVED = 2, READ_DONE = 4, CORKED = 8;
/**
 * No pong is written while this many bytes wait for the client: one that
 * sends pings and never reads would grow the server's write buffer without
 * bound. RFC 6455 (5.5.3) lets an endpoint answer only the latest ping.
 */
const PONG_BACKLOG = 64 * 1024;

/** One upgraded socket: the transport's peer and the parser's sink. */
class NodeWsPeer implements WsPeer, WsFrameSink {
  readonly #socket: net.Socket;
  /** Internal: the transport over this socket. */
  transport!: WsTransport;
  #parser: WsFrameParser | undefined;
  /** Bytes given to `socket.write` whose callback has not run. */
  #held = 0;
  /**
   * CLOSE_SENT, CLOSE_RECEIVED, READ_DONE (the client failed or closed:
   * nothing more is read), CORKED (pongs of this chunk pending).
   */
  #state = 0;
  /** This turn's messages, framed as sent (a pooled buffer, none while idle), and its length. */
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
    try {
      parser.push(chunk, this.transport.maxFrameSize, this);
    } finally {
      if (this.#state & CORKED) {
        this.#state &= ~CORKED;
        this.#socket.uncork();
      }
    }
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
    this.#turnLength = writeFrame(buf, start, Opcode.Binary, frame);
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
    this.#write(controlFrame(Opcode.Close, closePayload(code, reason)), false);
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
    if (this.#state & CLOSE_SENT || this.#held > PONG_BACKLOG) return;
    // The pongs of one chunk leave in one write (a chunk of 1,000 pings is not 1,000 syscalls).
    if (!(this.#state & CORKED)) {
      this.#state |= CORKED;
      this.#socket.cork();
    }
    this.#write(controlFrame(Opcode.Pong, payload), false);
  }

  /**
   * Parser sink: the client's close frame. Echo its code, end the TCP link,
   * and tell the transport now (the code and reason need no fields until 'close').
   */
  closeFrame(code: number, reason: string): void {
    this.#state |= CLOSE_RECEIVED;
    if (!(this.#state & CLOSE_SENT)) {
      this.#state |= CLOSE_SENT;
      this.#write(controlFrame(Opcode.Close, closePayload(code, "")), false);
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

/**
 * Wrap an upgraded socket (its 101 answer written) in a transport, give it
 * to `accept`, and read what came with the upgrade request.
 *
 * @param socket The socket `node:http`'s `upgrade` event handed over.
 * @param head Bytes that followed the request (frames, perhaps).
 * @param maxFrameSize Largest message accepted.
 * @param accept Called with the transport; returns its handlers.
 */
export function acceptSocket(
  socket: net.Socket,
  head: Uint8Array,
  maxFrameSize: number,
  accept: AcceptHandler,
): void {
  const peer = new NodeWsPeer(socket);
  const transport = new WsTransport(peer, maxFrameSize, socket.remoteAddress, socket.remotePort);
  peer.transport = transport;
  (socket as OwnedSocket)[owner] = peer;
  socket.on("data", onData);
  socket.on("close", onClose);
  transport.start(accept(transport));
  if (head.length > 0) peer.read(head);
}
