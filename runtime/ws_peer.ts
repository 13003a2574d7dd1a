/**
 * What a `WsTransport` needs of a runtime's WebSocket.
 *
 * @module
 */

import type { PublishHub } from "./ws_publish.ts";

/** A runtime's WebSocket, as `WsTransport` uses it. */
export interface WsPeer {
  /**
   * Send one binary message. The transport never reuses `data`.
   *
   * @returns False when the runtime dropped the message (its queue is full).
   */
  send(data: Uint8Array): boolean | void;
  /**
   * Send a turn's binary messages together, in one write (optional; `node:net`
   * has it, see `ws_server_node.ts`). The transport never reuses `frames`.
   *
   * @returns False when the runtime dropped them.
   */
  sendMany?(frames: readonly Uint8Array[]): boolean;
  /**
   * Frame one binary message into this turn's buffer at once (a copy; the
   * caller may reuse `frame`); the next `sendMany` writes the buffer. With it
   * the transport keeps no queue of copies (optional; `node:net` has it).
   */
  append?(frame: Uint8Array): void;
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
  /**
   * Publishes of `bytes` in all (16 KiB at least, gathered by the transport)
   * reached this socket since the last call: its buffered amount may have grown.
   */
  published(bytes: number): void;
}

// What sendAll() sends inside cork: a closure and its context per flush were
// ~100 of the ~670 bytes a connection's first flush allocated.
let corkPeer: WsPeer | undefined;
let corkFrames: readonly Uint8Array[] = [];
let corkSent = true;
function sendCorked(): void {
  for (const frame of corkFrames) if (corkPeer!.send(frame) === false) corkSent = false;
}

/**
 * Send frames one message each, in order: together where the peer can
 * (`sendMany`), else corked where it can.
 *
 * @returns False when the runtime dropped one (its queue was full).
 */
export function sendAll(peer: WsPeer, frames: readonly Uint8Array[]): boolean {
  if (peer.sendMany) return peer.sendMany(frames);
  if (!peer.cork || frames.length < 2) {
    let sent = true;
    for (const frame of frames) if (peer.send(frame) === false) sent = false;
    return sent;
  }
  corkPeer = peer;
  corkFrames = frames;
  corkSent = true;
  try {
    peer.cork(sendCorked);
    return corkSent;
  } finally {
    corkPeer = undefined;
    corkFrames = [];
  }
}
