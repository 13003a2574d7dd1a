/**
 * The send side of a UDP link: frames sent in one event-loop turn are packed
 * into as few data datagrams as fit in `maxDatagramSize`, flushed once per
 * turn (in a microtask, like the stream batch).
 *
 * @module
 */

import {
  DATAGRAM_DATA,
  MAX_BACK,
  MAX_DATA_HEADER,
  seqDiff,
  shortUvarintLength,
  writeShortUvarint,
  writeU32,
} from "./udp_datagram.ts";
import type { UdpStats } from "./udp_stats.ts";

/** The safe datagram size: fits the IPv6 minimum MTU (1280) with IP and UDP headers. */
export const DEFAULT_MAX_DATAGRAM_SIZE = 1200;

/** Coalesces frames into numbered data datagrams. */
export class UdpSender {
  /** Largest frame that fits in one datagram. */
  readonly maxFrameBytes: number;
  readonly #tag: number;
  readonly #max: number;
  readonly #out: (bytes: Uint8Array) => boolean;
  readonly #stats: UdpStats;
  readonly #buf: Uint8Array;
  #length = 0;
  #frames = 0;
  #seq = 0;
  #turnStart = 0;
  #inTurn = false;
  #scheduled = false;
  #closed = false;
  readonly #run = (): void => {
    this.#scheduled = false;
    this.#inTurn = false;
    this.#finish();
  };

  /**
   * @param tag The session's tag, written in every datagram.
   * @param maxDatagramSize Largest datagram to send, in bytes (at least 64).
   * @param out Hands one datagram to the socket (which takes the bytes); false when dropped.
   * @param stats Where `datagramsSent` and `framesSent` are counted.
   * @throws {RangeError} When `maxDatagramSize` is not an integer in 64..65507.
   */
  constructor(
    tag: number,
    maxDatagramSize: number,
    out: (bytes: Uint8Array) => boolean,
    stats: UdpStats,
  ) {
    if (!Number.isInteger(maxDatagramSize) || maxDatagramSize < 64 || maxDatagramSize > 65507) {
      throw new RangeError(
        `Cannot use maxDatagramSize=${maxDatagramSize}: it must be an integer in 64..65507`,
      );
    }
    this.#tag = tag;
    this.#max = maxDatagramSize;
    this.#out = out;
    this.#stats = stats;
    this.#buf = new Uint8Array(maxDatagramSize);
    const room = maxDatagramSize - MAX_DATA_HEADER;
    this.maxFrameBytes = room - shortUvarintLength(room);
  }

  /**
   * Queue one frame (copied) for the datagram of this turn.
   *
   * @param frame Encoded packet, at most {@linkcode UdpSender.maxFrameBytes} bytes.
   * @returns False when the frame is too large for one datagram (nothing was queued).
   */
  send(frame: Uint8Array): boolean {
    const size = frame.length;
    if (size > this.maxFrameBytes || size === 0) return false;
    if (this.#closed) return true; // the link is gone: like any volatile drop
    if (this.#length > 0 && this.#length + shortUvarintLength(size) + size > this.#max) {
      this.#finish();
    }
    if (this.#length === 0) this.#open();
    const at = writeShortUvarint(this.#buf, this.#length, size);
    this.#buf.set(frame, at);
    this.#length = at + size;
    this.#frames++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#run);
    }
    return true;
  }

  /** Drop what is queued and send nothing more. */
  close(): void {
    this.#closed = true;
    this.#length = 0;
    this.#frames = 0;
  }

  /** Start a datagram: next seq, and how far back this turn's first datagram is. */
  #open(): void {
    const seq = this.#seq = (this.#seq + 1) >>> 0 || 1; // 0 never appears on the wire
    if (!this.#inTurn || seqDiff(seq, this.#turnStart) > MAX_BACK) {
      this.#inTurn = true;
      this.#turnStart = seq;
    }
    const buf = this.#buf;
    buf[0] = DATAGRAM_DATA;
    writeU32(buf, 1, this.#tag);
    writeU32(buf, 5, seq);
    this.#length = writeShortUvarint(buf, 9, (seq - this.#turnStart) >>> 0);
  }

  #finish(): void {
    if (this.#length === 0 || this.#closed) return;
    // The socket keeps the bytes until it has sent them: give it its own copy.
    const bytes = this.#buf.slice(0, this.#length);
    const frames = this.#frames;
    this.#length = 0;
    this.#frames = 0;
    if (this.#out(bytes)) {
      this.#stats.datagramsSent++;
      this.#stats.framesSent += frames;
    }
  }
}
