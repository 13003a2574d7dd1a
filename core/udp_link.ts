/**
 * One connection's UDP link, the same on the server and on the client: frames
 * out (coalesced), frames in (deduplicated, latest wins), pings and counters.
 *
 * @module
 */

import type { Packet } from "../protocol/types.ts";
import {
  DATAGRAM_DATA,
  DATAGRAM_PING,
  DATAGRAM_PONG,
  PING_SIZE,
  pingDatagram,
  readPingTime,
  readU32,
} from "./udp_datagram.ts";
import { UdpReceiver } from "./udp_receiver.ts";
import { UdpSender } from "./udp_sender.ts";
import { newUdpStats, type UdpStats } from "./udp_stats.ts";
import { now } from "./types.ts";

/** Heartbeats in a row without a UDP pong after which a link counts as dead. */
export const MAX_MISSED_PINGS = 3;

/** What a {@linkcode UdpLink} needs. */
export interface UdpLinkOptions {
  /** The session's tag (first 4 bytes of its token). */
  tag: number;
  /** Largest datagram to send. */
  maxDatagramSize: number;
  /** Largest frame accepted. */
  maxFrameSize: number;
  /** Send one datagram to the peer (the socket takes the bytes); false when dropped. */
  send(bytes: Uint8Array): boolean;
  /** A frame from the peer, neither late nor duplicate (a view into the datagram). */
  deliver(packet: Packet): void;
}

/** The UDP link of one connection. */
export class UdpLink {
  /** Counters of this link. */
  readonly stats: UdpStats = newUdpStats();
  /** The session's tag. */
  readonly tag: number;
  readonly #send: (bytes: Uint8Array) => boolean;
  readonly #sender: UdpSender;
  readonly #receiver: UdpReceiver;
  #closed = false;
  #pongsSeen = 0;
  #missed = 0;

  /** @param options Tag, sizes, and the way to the peer and to the handlers. */
  constructor(options: UdpLinkOptions) {
    this.tag = options.tag;
    this.#send = options.send;
    this.#sender = new UdpSender(
      options.tag,
      options.maxDatagramSize,
      options.send,
      this.stats,
    );
    this.#receiver = new UdpReceiver(this.stats, options.maxFrameSize, options.deliver);
  }

  /**
   * Queue a frame for this turn's datagram.
   *
   * @param frame Encoded packet.
   * @returns False when it is too large for one datagram (counted in `oversize`):
   *   the caller sends it over the stream instead.
   */
  send(frame: Uint8Array): boolean {
    if (this.#sender.send(frame)) return true;
    this.stats.oversize++;
    return false;
  }

  /** Send a UDP ping; the pong sets `stats.rtt`. */
  ping(): void {
    if (this.#closed) return;
    this.stats.pings++;
    this.output(pingDatagram(DATAGRAM_PING, this.tag, now()));
  }

  /**
   * Called with every heartbeat: sends a UDP ping.
   *
   * @returns False, and sends nothing, once {@linkcode MAX_MISSED_PINGS}
   *   heartbeats in a row passed without a pong (the path is gone: a NAT
   *   forgot the mapping, a firewall closed): the owner falls back to the stream.
   */
  heartbeat(): boolean {
    if (this.stats.pongs !== this.#pongsSeen) {
      this.#pongsSeen = this.stats.pongs;
      this.#missed = 0;
    } else if (++this.#missed >= MAX_MISSED_PINGS) return false;
    this.ping();
    return true;
  }

  /** Send a control datagram, counted in `datagramsSent`. */
  output(bytes: Uint8Array): void {
    if (!this.#closed && this.#send(bytes)) this.stats.datagramsSent++;
  }

  /**
   * Take a data, ping or pong datagram from the peer's address. Anything else,
   * or a wrong tag, is counted as invalid.
   *
   * @param bytes The datagram (kind byte first).
   * @returns True when the tag was this link's (the datagram came from the peer).
   */
  receive(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    if (bytes.length < 5 || readU32(bytes, 1) !== this.tag) {
      this.stats.invalid++;
      return false;
    }
    switch (bytes[0]) {
      case DATAGRAM_DATA:
        this.#receiver.receive(bytes);
        return true;
      case DATAGRAM_PING:
        if (bytes.length !== PING_SIZE) break;
        this.stats.datagramsReceived++;
        this.output(pingDatagram(DATAGRAM_PONG, this.tag, readPingTime(bytes)));
        return true;
      case DATAGRAM_PONG: {
        if (bytes.length !== PING_SIZE) break;
        this.stats.datagramsReceived++;
        this.stats.pongs++;
        const rtt = now() - readPingTime(bytes);
        if (rtt >= 0 && rtt < 60_000) this.stats.rtt = rtt; // a forged time is ignored
        return true;
      }
    }
    this.stats.invalid++;
    return true;
  }

  /** Stop sending and receiving; queued frames are dropped. */
  close(): void {
    this.#closed = true;
    this.#sender.close();
  }
}
