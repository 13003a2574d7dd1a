/**
 * The receive side of a UDP link: duplicate suppression and latest-wins
 * sequencing per channel.
 *
 * A channel is one stream of state where only the newest value matters:
 * a schema code in a namespace (`Move` in "/arena"), or an event name in a
 * namespace. Frames sent in one event-loop turn are one moment: they are all
 * delivered, whatever order their datagrams arrive in. A frame from an
 * earlier turn than the newest frame already delivered on its channel is
 * late and dropped, so a late datagram never overwrites newer state.
 *
 * @module
 */

import { decodePacket } from "../protocol/packet.ts";
import { type Packet, PacketKind } from "../protocol/types.ts";
import { MIN_DATA_SIZE, readShortUvarint, readU32, seqDiff } from "./udp_datagram.ts";
import type { UdpStats } from "./udp_stats.ts";

/** Datagrams remembered for duplicate suppression; older ones are dropped as late. */
export const DUPLICATE_WINDOW = 256;
/** Most channels a link tracks; frames on further channels are dropped as invalid. */
export const MAX_UDP_CHANNELS = 4096;

/** Only frames that need no answer may travel over UDP. */
function allowed(packet: Packet): boolean {
  return packet.kind === PacketKind.Message ||
    (packet.kind === PacketKind.Event && packet.ackId === 0);
}

/** Checks, orders and delivers the frames of data datagrams from one peer. */
export class UdpReceiver {
  readonly #stats: UdpStats;
  readonly #maxFrameSize: number;
  readonly #deliver: (packet: Packet) => void;
  /** Seqs seen, by `seq % DUPLICATE_WINDOW`; 0 is never a seq. */
  readonly #seen = new Uint32Array(DUPLICATE_WINDOW);
  #newest = 0;
  /** Newest turn per schema channel, by `nsp * 65536 + code`. */
  readonly #messages = new Map<number, number>();
  /** Newest turn per event channel, by namespace id then event name. */
  readonly #events = new Map<number, Map<string, number>>();
  #channels = 0;
  /** Decoded frames of the datagram in hand (reused). */
  readonly #packets: Packet[] = [];
  readonly #end = { at: 0 };

  /**
   * @param stats Where every outcome is counted.
   * @param maxFrameSize Largest frame accepted.
   * @param deliver Gets each frame that is neither late nor duplicate.
   */
  constructor(stats: UdpStats, maxFrameSize: number, deliver: (packet: Packet) => void) {
    this.#stats = stats;
    this.#maxFrameSize = maxFrameSize;
    this.#deliver = deliver;
  }

  /**
   * Take one data datagram whose kind and tag the caller checked. Never throws
   * for bad bytes: they are counted as `invalid`.
   *
   * @param bytes The datagram; frames delivered are views into it.
   */
  receive(bytes: Uint8Array): void {
    const stats = this.#stats;
    const end = this.#end;
    const seq = bytes.length >= MIN_DATA_SIZE ? readU32(bytes, 5) : 0;
    const back = seq === 0 ? -1 : readShortUvarint(bytes, 9, end);
    if (back < 0) {
      stats.invalid++;
      return;
    }
    const turn = (seq - back) >>> 0;
    const tooOld = this.#newest !== 0 && seqDiff(seq, this.#newest) <= -DUPLICATE_WINDOW;
    if (!tooOld && this.#seen[seq % DUPLICATE_WINDOW] === seq) {
      stats.duplicates++;
      return;
    }
    const packets = this.#packets;
    try {
      if (!this.#decode(bytes, end.at, packets)) {
        stats.invalid++;
        return;
      }
      stats.datagramsReceived++;
      if (tooOld) {
        // Beyond the window a duplicate cannot be told apart: its state is stale anyway.
        stats.late += packets.length;
        return;
      }
      this.#seen[seq % DUPLICATE_WINDOW] = seq;
      if (seqDiff(seq, this.#newest) > 0 || this.#newest === 0) this.#newest = seq;
      for (const packet of packets) {
        const fresh = this.#fresh(packet, turn);
        if (fresh === 1) {
          stats.framesReceived++;
          this.#deliver(packet);
        } else if (fresh === 0) stats.late++;
        else stats.invalid++;
      }
    } finally {
      packets.length = 0;
    }
  }

  /** Split and decode every slot; false (and nothing kept) when any is bad. */
  #decode(bytes: Uint8Array, at: number, out: Packet[]): boolean {
    const end = this.#end;
    while (at < bytes.length) {
      const size = readShortUvarint(bytes, at, end);
      const start = end.at;
      if (size <= 0 || size > this.#maxFrameSize || start + size > bytes.length) return false;
      let packet: Packet;
      try {
        packet = decodePacket(bytes.subarray(start, start + size));
      } catch {
        return false;
      }
      if (!allowed(packet)) return false;
      out.push(packet);
      at = start + size;
    }
    return out.length > 0;
  }

  /** 1: deliver; 0: late; -1: a new channel over the limit. */
  #fresh(packet: Packet, turn: number): number {
    if (packet.kind === PacketKind.Message) {
      return this.#check(this.#messages, packet.nsp * 0x10000 + packet.code, turn);
    }
    if (packet.kind !== PacketKind.Event) return -1;
    let names = this.#events.get(packet.nsp);
    if (names === undefined) {
      if (this.#channels >= MAX_UDP_CHANNELS) return -1;
      this.#events.set(packet.nsp, names = new Map());
    }
    return this.#check(names, packet.name, turn);
  }

  #check<K>(table: Map<K, number>, key: K, turn: number): number {
    const last = table.get(key);
    if (last === undefined) {
      if (this.#channels >= MAX_UDP_CHANNELS) return -1;
      this.#channels++;
    } else if (seqDiff(turn, last) <= 0) return seqDiff(turn, last) === 0 ? 1 : 0;
    table.set(key, turn);
    return 1;
  }
}
