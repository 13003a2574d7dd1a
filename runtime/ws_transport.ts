/**
 * The part of a WebSocket transport that is the same on every runtime: one
 * frame per binary message, text and oversize messages refused with a close
 * code, per-turn send batching, close codes that say why.
 *
 * Each runtime's file (`ws_node.ts`, `ws_bun.ts`, `ws_deno.ts`,
 * `ws_client.ts`) wraps its socket in a {@linkcode WsPeer} and feeds the
 * socket's events to a {@linkcode WsTransport}.
 *
 * @module
 */

import { ProtocolError } from "../protocol/errors.ts";
import {
  closeCodeOf,
  closeReason,
  goodbyeFromClose,
  goodbyeOf,
  tooLarge,
  WsCloseCode,
} from "./ws_close.ts";
import type { Transport, TransportHandlers, TransportKind } from "./types.ts";
import type { PublishHub, PublishMember } from "./ws_publish.ts";
import { copyToSlab } from "../protocol/slab.ts";

/** How long `close()` waits for the peer's close frame before dropping the link. */
const CLOSE_GRACE_MS = 2000;
/** Above this many buffered bytes the queue counts as full (as the TCP batch). */
const HIGH_WATER = 64 * 1024;
/** A full queue that falls to this many bytes fires `drain`. */
const LOW_WATER = 16 * 1024;
/** How often a full queue is checked where the runtime has no drain event. */
const DRAIN_POLL_MS = 10;
/** A runtime's WebSocket, as {@linkcode WsTransport} uses it. */
export interface WsPeer {
  /**
   * Send one binary message. The transport never reuses `data`.
   *
   * @returns False when the runtime dropped the message (its queue is full).
   */
  send(data: Uint8Array): boolean | void;
  /** Run `fn` with the socket corked, so its sends leave in one write (optional). */
  cork?(fn: () => void): void;
  /** Bytes the runtime holds, not yet written to the network. */
  readonly bufferedAmount: number;
  /** Start the closing handshake. */
  close(code: number, reason: string): void;
  /** Drop the connection at once (where the runtime can). */
  terminate?(): void;
  /**
   * The runtime's native publish/subscribe (Bun): the transports of one
   * server then flush through its hub, which publishes shared frames once.
   */
  topics?: WsTopics;
}

/** Native topics of a runtime's WebSocket server (see `ws_publish.ts`). */
export interface WsTopics {
  /** The hub of the server this socket belongs to. */
  readonly hub: PublishHub;
  /** Subscribe this socket to a topic. */
  subscribe(topic: string): void;
  /** Unsubscribe this socket from a topic. */
  unsubscribe(topic: string): void;
  /** Send to every subscriber of a topic except this socket. */
  publish(topic: string, data: Uint8Array): void;
  /** A publish of `bytes` reached this socket (its buffered amount may have grown). */
  published(bytes: number): void;
}

/**
 * A {@linkcode Transport} over one WebSocket. Frames sent in one turn are
 * copied into a queue and sent in a microtask, inside `cork` where the
 * runtime has it. `close()` sends a close frame whose code and reason come
 * from the transport's own refusal (1003 text, 1009 too large) or from the
 * core's goodbye packet (`server-shutdown` is 1001, limits are 1008...), as
 * `"<reason>: <message>"`.
 */
export class WsTransport implements Transport, PublishMember {
  /** Always "ws". */
  readonly kind: TransportKind = "ws";
  /** The peer's IP address, "" when unknown. */
  readonly remoteAddress: string;
  /** The peer's port, 0 when unknown. */
  readonly remotePort: number;
  readonly #peer: WsPeer;
  readonly #maxFrameSize: number;
  #handlers: TransportHandlers | undefined;
  #queue: Uint8Array[] = [];
  /** With a hub: the arrays `send()` was given, beside their copies in #queue. */
  #keys: Uint8Array[] = [];
  #queued = 0;
  #scheduled = false;
  /** Runtime-held bytes, read once per turn: only the pending flush changes them. */
  #peerHeld = 0;
  #full = false;
  #poll: ReturnType<typeof setTimeout> | undefined;
  #failed = false;
  #closing = false;
  #closed = false;
  #closeCode: number = WsCloseCode.Normal;
  #closeReason = "";
  /** Set once the transport refused a message itself; the goodbye packet does not override it. */
  #refused = false;
  #error: Error | undefined;
  /** The peer sent its goodbye packet (so its close frame adds nothing). */
  #goodbyeSeen = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #flush = (): void => {
    this.#scheduled = false;
    this.#sendQueued();
  };

  /**
   * @param peer The runtime's socket.
   * @param maxFrameSize Largest message accepted.
   * @param remoteAddress The peer's IP address.
   * @param remotePort The peer's port.
   */
  /** For the hub's topic lookup. */
  readonly hubId: number = Math.floor(Math.random() * 0x7fffffff);

  constructor(peer: WsPeer, maxFrameSize: number, remoteAddress = "", remotePort = 0) {
    this.#peer = peer;
    this.#maxFrameSize = maxFrameSize;
    this.remoteAddress = remoteAddress.replace(/^::ffff:/, "");
    this.remotePort = remotePort;
  }

  /**
   * Set the handlers; call before the first message can arrive.
   *
   * @param handlers The owner's handlers.
   */
  start(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  /** Bytes queued here plus what the runtime holds. */
  get bufferedAmount(): number {
    if (this.#closed) return this.#queued;
    return this.#queued + (this.#scheduled ? this.#peerHeld : this.#peer.bufferedAmount);
  }

  /**
   * Queue one frame as one binary message (a copy is kept).
   *
   * @param frame The frame; the caller may reuse it once this returns.
   */
  send(frame: Uint8Array): void {
    if (this.#closing || this.#closed) return;
    this.#noteGoodbye(frame);
    const hub = this.#peer.topics?.hub;
    if (hub) {
      this.#queue.push(hub.copy(frame));
      this.#keys.push(frame);
    } else this.#queue.push(copyToSlab(frame));
    this.#queued += frame.length;
    if (!this.#scheduled) {
      this.#peerHeld = this.#peer.bufferedAmount;
      this.#scheduled = true;
      if (hub) hub.queued(this);
      else queueMicrotask(this.#flush);
    }
    if (!this.#full && this.bufferedAmount > HIGH_WATER) this.#setFull();
  }

  /** Send what is queued, then the close frame; the peer has two seconds to answer it. */
  close(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    this.#sendQueued();
    if (this.#closed) return;
    try {
      this.#peer.close(this.#closeCode, this.#closeReason);
    } catch { /* already closing */ }
    this.#timer = setTimeout(() => {
      this.#peer.terminate?.();
      this.closed(WsCloseCode.GoingAway, "");
    }, CLOSE_GRACE_MS);
  }

  /**
   * The runtime received a message.
   *
   * @param data Binary data (a view is fine), or a string for a text message.
   */
  message(data: ArrayBuffer | Uint8Array | string): void {
    if (this.#failed || this.#closed || !this.#handlers) return;
    if (typeof data === "string") {
      return this.refuse(
        WsCloseCode.UnsupportedData,
        new ProtocolError(
          "ERR_BAD_PAYLOAD",
          "Cannot accept a text message: game-socket frames travel as binary WebSocket messages",
        ),
      );
    }
    const frame = data instanceof Uint8Array
      ? (data.constructor === Uint8Array
        ? data
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      : new Uint8Array(data);
    if (frame.length > this.#maxFrameSize) {
      return this.refuse(WsCloseCode.MessageTooBig, tooLarge(frame.length, this.#maxFrameSize));
    }
    this.#goodbyeSeen ||= goodbyeOf(frame) !== undefined;
    try {
      this.#handlers.frame(frame);
    } catch (error) {
      this.#failed = true;
      this.#handlers.error(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Refuse what the peer sent: report the error once (the owner then closes)
   * and close with `code`. Later messages are ignored. Also called when the
   * runtime itself refused and closed (then before `closed()`, or right after).
   *
   * @param code The close code to send.
   * @param error What went wrong; its message becomes the close reason.
   */
  refuse(code: number, error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#refused = true;
    this.#closeCode = code;
    this.#closeReason = closeReason(
      code === WsCloseCode.MessageTooBig ? "frame-too-large" : "protocol-error",
      error.message,
    );
    this.#handlers?.error(error);
  }

  /**
   * The runtime reported an error on the link; it is given to `close`.
   *
   * @param error The runtime's error.
   */
  failed(error: Error): void {
    this.#error ??= error;
  }

  /** The runtime's queue fell (a drain event, or a write completed). */
  drained(): void {
    if (this.#full && this.bufferedAmount <= LOW_WATER) {
      this.#full = false;
      clearTimeout(this.#poll);
      this.#handlers?.drain?.();
    }
  }

  /**
   * The socket closed. Reports `close` once, never inside `close()`: with
   * no error for a normal close (1000, 1001, 1005, 1006 without a runtime
   * error), else with the runtime's error or the peer's code and reason.
   *
   * @param code The close code.
   * @param reason The close reason.
   */
  closed(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#poll);
    this.#queue = [];
    this.#keys = [];
    this.#queued = 0;
    const normal = code === 1000 || code === 1001 || code === 1005 || code === 1006 || code === 0;
    const error = this.#error ??
      (normal || this.#closing ? undefined : new Error(
        `The peer closed the WebSocket with ${code}${reason ? ` (${reason})` : ""}`,
      ));
    // A runtime that refused a message closed without our goodbye: make one from the close frame.
    const goodbye = this.#closing || this.#goodbyeSeen || this.#failed
      ? undefined
      : goodbyeFromClose(code, reason);
    const handlers = this.#handlers;
    queueMicrotask(() => {
      if (goodbye) {
        try {
          handlers?.frame(goodbye);
        } catch { /* the owner closes either way */ }
      }
      handlers?.close(goodbye ? undefined : error);
    });
  }

  /** For the hub: this turn's frames (copies). */
  get queuedFrames(): readonly Uint8Array[] {
    return this.#queue;
  }

  /** For the hub: the arrays this turn's frames were copied from. */
  get queuedKeys(): readonly Uint8Array[] {
    return this.#keys;
  }

  /** For the hub: it published this turn's frames; the queue's arrays serve the next turn. */
  dropQueued(): void {
    this.#scheduled = false;
    this.#queue.length = 0;
    this.#keys.length = 0;
    this.#queued = 0;
  }

  /** For the hub: take this turn's frames (and the arrays they were copied from). */
  takeQueued(frames: Uint8Array[][], keys: Uint8Array[][]): boolean {
    this.#scheduled = false;
    if (this.#queue.length === 0 || this.#closed) return false;
    frames.push(this.#queue);
    keys.push(this.#keys);
    this.#queue = [];
    this.#keys = [];
    this.#queued = 0;
    return true;
  }

  /** For the hub: subscribe to a topic. */
  subscribe(topic: string): void {
    if (!this.#closed) this.#peer.topics?.subscribe(topic);
  }

  /** For the hub: unsubscribe from a topic. */
  unsubscribe(topic: string): void {
    if (!this.#closed) this.#peer.topics?.unsubscribe(topic);
  }

  /** For the hub: a frame of `bytes` was published to this socket. */
  published(bytes: number): void {
    this.#peer.topics?.published(bytes);
  }

  /** For the hub: publish a frame to a topic's other subscribers, and send it here (false: closed). */
  publishFrom(topic: string, frame: Uint8Array): boolean {
    if (this.#closed) return false;
    try {
      this.#peer.topics?.publish(topic, frame);
    } catch (error) {
      this.#error ??= error instanceof Error ? error : new Error(String(error));
    }
    this.sendFrames([frame]);
    return true;
  }

  #sendQueued(): void {
    const frames: Uint8Array[][] = [];
    if (this.takeQueued(frames, [])) this.sendFrames(frames[0]!);
  }

  /** Send frames one message each, in order (the hub calls this too). */
  sendFrames(frames: Uint8Array[]): void {
    if (this.#closed) return;
    const peer = this.#peer;
    let dropped = false;
    const sendAll = (): void => {
      for (const frame of frames) if (peer.send(frame) === false) dropped = true;
    };
    try {
      if (peer.cork && frames.length > 1) peer.cork(sendAll);
      else sendAll();
    } catch (error) {
      this.#error ??= error instanceof Error ? error : new Error(String(error));
      dropped = true;
    }
    if (dropped) {
      // Reliable frames are gone: the link cannot go on.
      this.#error ??= new Error("The runtime dropped a WebSocket message (its send queue is full)");
      this.#peer.terminate?.();
      this.closed(WsCloseCode.PolicyViolation, "");
      return;
    }
    if (this.#full) this.drained();
  }

  #setFull(): void {
    this.#full = true;
    const check = (): void => {
      this.#poll = undefined;
      this.drained();
      if (this.#full && !this.#closed) this.#poll = setTimeout(check, DRAIN_POLL_MS);
    };
    this.#poll = setTimeout(check, DRAIN_POLL_MS);
  }

  /** The core said goodbye to the whole connection: use its reason for the close frame. */
  #noteGoodbye(frame: Uint8Array): void {
    const goodbye = this.#refused ? undefined : goodbyeOf(frame);
    if (!goodbye) return;
    this.#closeCode = closeCodeOf(goodbye.reason);
    this.#closeReason = closeReason(goodbye.reason, goodbye.message);
  }
}
