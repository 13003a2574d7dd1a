/**
 * The part of a WebSocket transport that is the same on every runtime: one
 * frame per binary message, text and oversize messages refused with a close
 * code, per-turn send batching, close codes that say why.
 *
 * Each runtime's file (`ws_server_node.ts`, `ws_node.ts`, `ws_bun.ts`,
 * `ws_deno.ts`, `ws_client.ts`) wraps its socket in a {@linkcode WsPeer} and feeds the
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
import { sendAll, type WsPeer } from "./ws_peer.ts";
import { TurnQueue } from "./turn.ts";
import { copyToSlab } from "../protocol/slab.ts";

/** How long `close()` waits for the peer's close frame before dropping the link. */
const CLOSE_GRACE_MS = 2000;
/** Above this many buffered bytes the queue counts as full (as the TCP batch). */
const HIGH_WATER = 64 * 1024;
/** A full queue that falls to this many bytes fires `drain`. */
const LOW_WATER = 16 * 1024;
/** How often a full queue is checked where the runtime has no drain event. */
const DRAIN_POLL_MS = 10;
const NO_FRAMES: Uint8Array[] = [];
/** Published bytes gathered before the peer is told (it asks the runtime's buffer from 16 KiB on). */
const PUBLISHED_TELL = 16 * 1024;
// State bits, one field for seven booleans (a field each cost every connection 8 bytes).
const SCHEDULED = 1, FULL = 2, FAILED = 4, CLOSING = 8, CLOSED = 16, REFUSED = 32, GOODBYE = 64;
export type { WsPeer, WsTopics } from "./ws_peer.ts";

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
  get kind(): TransportKind {
    return "ws";
  }
  /** The peer's IP address, "" when unknown. */
  readonly remoteAddress: string;
  /** The peer's port, 0 when unknown. */
  readonly remotePort: number;
  readonly #peer: WsPeer;
  /** Largest message accepted. */
  readonly maxFrameSize: number;
  #handlers: TransportHandlers | undefined;
  /** This turn's frames; a shared empty array until the first (idle links hold none). */
  #queue: Uint8Array[] = NO_FRAMES;
  /** With a hub: the arrays `send()` was given, beside their copies in #queue. */
  #keys: Uint8Array[] = NO_FRAMES;
  // With a hub, a turn's first frame (copy, array given) sits in two fields: a room broadcast
  // queues one a member, and two arrays were four more cold objects per member and delivery
  // (500 members, Bun, one process, with batched `published`: 0.154 -> 0.142 µs a delivery).
  #first: Uint8Array | undefined;
  #firstKey: Uint8Array | undefined;
  /** Bun's native publish hub of this socket's server (read once: the peer is cold). */
  readonly #hub: PublishHub | undefined;
  /** Bytes published to this socket and not yet told to the peer (told from 16 KiB on). */
  #published = 0;
  #queued = 0;
  /**
   * SCHEDULED, FULL (above the high-water mark), FAILED, CLOSING, CLOSED,
   * REFUSED (the transport refused a message itself: the goodbye packet does
   * not override its close code), GOODBYE (the peer sent its goodbye packet,
   * so its close frame adds nothing).
   */
  #state = 0;
  /** Runtime-held bytes, read once per turn: only the pending flush changes them. */
  #peerHeld = 0;
  #poll: ReturnType<typeof setTimeout> | undefined;
  #closeCode: number = WsCloseCode.Normal;
  #closeReason = "";
  #error: Error | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Transports with frames this turn, flushed by one promise reaction (see `turn.ts`). */
  static readonly #turn: TurnQueue<WsTransport> = new TurnQueue((transport) => {
    transport.#state &= ~SCHEDULED;
    transport.#sendQueued();
  });

  /** For the hub's topic lookup. */
  readonly hubId: number = Math.floor(Math.random() * 0x7fffffff);

  /**
   * @param peer The runtime's socket.
   * @param maxFrameSize Largest message accepted.
   * @param remoteAddress The peer's IP address.
   * @param remotePort The peer's port.
   */
  constructor(peer: WsPeer, maxFrameSize: number, remoteAddress = "", remotePort = 0) {
    this.#peer = peer;
    this.#hub = peer.topics?.hub;
    this.maxFrameSize = maxFrameSize;
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
    const state = this.#state;
    if (state & CLOSED) return this.#queued;
    return this.#queued + (state & SCHEDULED ? this.#peerHeld : this.#peer.bufferedAmount);
  }

  /**
   * Queue one frame as one binary message (a copy is kept).
   *
   * @param frame The frame; the caller may reuse it once this returns.
   */
  send(frame: Uint8Array): void {
    if (this.#state & (CLOSING | CLOSED)) return;
    this.#noteGoodbye(frame);
    const hub = this.#hub;
    if (hub === undefined) {
      if (this.#peer.append) this.#peer.append(frame);
      else (this.#queue === NO_FRAMES ? this.#queue = [] : this.#queue).push(copyToSlab(frame));
    } else if (this.#first === undefined) {
      this.#first = hub.copy(frame);
      this.#firstKey = frame;
    } else {
      if (this.#queue === NO_FRAMES) this.#queue = [], this.#keys = [];
      this.#queue.push(hub.copy(frame));
      this.#keys.push(frame);
    }
    this.#queued += frame.length;
    if (!(this.#state & SCHEDULED)) {
      this.#peerHeld = this.#peer.bufferedAmount;
      this.#state |= SCHEDULED;
      if (hub) hub.queued(this);
      else WsTransport.#turn.add(this);
    }
    if (!(this.#state & FULL) && this.bufferedAmount > HIGH_WATER) this.#setFull();
  }

  /** Send what is queued, then the close frame; the peer has two seconds to answer it. */
  close(): void {
    if (this.#state & (CLOSING | CLOSED)) return;
    this.#state |= CLOSING;
    this.#sendQueued();
    if (this.#state & CLOSED) return;
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
    if (this.#state & (FAILED | CLOSED) || !this.#handlers) return;
    if (typeof data === "string") {
      return this.refuse(
        WsCloseCode.UnsupportedData,
        new ProtocolError(
          "ERR_BAD_PAYLOAD",
          "Cannot accept a text message: game-socket frames travel as binary WebSocket messages",
        ),
      );
    }
    // A Buffer (ws on Node, Bun) goes on as it is: a plain view per message cost a
    // client ~80 ns (Node 20), and the decoders hand out plain views themselves.
    const frame = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (frame.length > this.maxFrameSize) {
      return this.refuse(WsCloseCode.MessageTooBig, tooLarge(frame.length, this.maxFrameSize));
    }
    if (!(this.#state & GOODBYE) && goodbyeOf(frame) !== undefined) this.#state |= GOODBYE;
    try {
      this.#handlers.frame(frame);
    } catch (error) {
      this.#state |= FAILED;
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
    if (this.#state & FAILED) return;
    this.#state |= FAILED | REFUSED;
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
    if (this.#state & FULL && this.bufferedAmount <= LOW_WATER) {
      this.#state &= ~FULL;
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
    const state = this.#state;
    if (state & CLOSED) return;
    this.#state |= CLOSED;
    clearTimeout(this.#timer);
    clearTimeout(this.#poll);
    this.#queue = this.#keys = NO_FRAMES;
    this.#first = this.#firstKey = undefined;
    this.#queued = 0;
    const normal = code === 1000 || code === 1001 || code === 1005 || code === 1006 || code === 0;
    const error = this.#error ??
      (normal || state & CLOSING ? undefined : new Error(
        `The peer closed the WebSocket with ${code}${reason ? ` (${reason})` : ""}`,
      ));
    // A runtime that refused a message closed without our goodbye: make one from the close frame.
    const goodbye = state & (CLOSING | GOODBYE | FAILED)
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

  /** For the hub: how many frames this turn queued. */
  get queuedCount(): number {
    return this.#first === undefined ? 0 : 1 + this.#queue.length;
  }

  /** For the hub: this turn's frame `i` (a copy). */
  queuedFrame(i: number): Uint8Array {
    return i === 0 ? this.#first! : this.#queue[i - 1]!;
  }

  /** For the hub: the array this turn's frame `i` was copied from. */
  queuedKey(i: number): Uint8Array {
    return i === 0 ? this.#firstKey! : this.#keys[i - 1]!;
  }

  /** For the hub: it published this turn's frames; the queue's arrays serve the next turn. */
  dropQueued(): void {
    this.#state &= ~SCHEDULED;
    this.#first = this.#firstKey = undefined;
    if (this.#queue.length !== 0) this.#queue.length = this.#keys.length = 0;
    this.#queued = 0;
  }

  /** For the hub: take this turn's frames (and the arrays they were copied from). */
  takeQueued(frames: Uint8Array[][], keys: Uint8Array[][]): boolean {
    this.#state &= ~SCHEDULED;
    const first = this.#first;
    if (first === undefined || this.#state & CLOSED) return false;
    frames.push([first, ...this.#queue]);
    keys.push([this.#firstKey!, ...this.#keys]);
    this.#first = this.#firstKey = undefined;
    this.#queue = this.#keys = NO_FRAMES;
    this.#queued = 0;
    return true;
  }

  /** For the hub: subscribe to a topic. */
  subscribe(topic: string): void {
    if (!(this.#state & CLOSED)) this.#peer.topics?.subscribe(topic);
  }

  /** For the hub: unsubscribe from a topic. */
  unsubscribe(topic: string): void {
    if (!(this.#state & CLOSED)) this.#peer.topics?.unsubscribe(topic);
  }

  /** For the hub: `bytes` were published to this socket (the peer hears of each 16 KiB). */
  published(bytes: number): void {
    if ((this.#published += bytes) < PUBLISHED_TELL) return;
    this.#peer.topics?.published(this.#published);
    this.#published = 0;
  }

  /** For the hub: publish a frame to a topic's other subscribers, and send it here (false: closed). */
  publishFrom(topic: string, frame: Uint8Array): boolean {
    if (this.#state & CLOSED) return false;
    try {
      this.#peer.topics?.publish(topic, frame);
    } catch (error) {
      this.#error ??= error instanceof Error ? error : new Error(String(error));
    }
    this.sendFrames([frame]);
    return true;
  }

  #sendQueued(): void {
    this.#state &= ~SCHEDULED;
    let frames = this.#queue;
    const first = this.#first;
    if (first !== undefined) {
      frames = [first, ...frames];
      this.#first = this.#firstKey = undefined;
    }
    if ((frames.length === 0 && !this.#peer.append) || this.#state & CLOSED) return;
    this.#queue = this.#keys = NO_FRAMES;
    this.#queued = 0;
    this.sendFrames(frames);
  }

  /** Send frames one message each, in order (the hub calls this too). */
  sendFrames(frames: Uint8Array[]): void {
    if (this.#state & CLOSED) return;
    let dropped = false;
    try {
      dropped = !sendAll(this.#peer, frames);
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
    if (this.#state & FULL) this.drained();
  }

  #setFull(): void {
    this.#state |= FULL;
    const check = (): void => {
      this.#poll = undefined;
      this.drained();
      if ((this.#state & (FULL | CLOSED)) === FULL) this.#poll = setTimeout(check, DRAIN_POLL_MS);
    };
    this.#poll = setTimeout(check, DRAIN_POLL_MS);
  }

  /** The core said goodbye to the whole connection: use its reason for the close frame. */
  #noteGoodbye(frame: Uint8Array): void {
    const goodbye = this.#state & REFUSED ? undefined : goodbyeOf(frame);
    if (!goodbye) return;
    this.#closeCode = closeCodeOf(goodbye.reason);
    this.#closeReason = closeReason(goodbye.reason, goodbye.message);
  }
}
