/**
 * The send side of one server connection: a bounded queue for reliable data
 * and latest-wins dropping for volatile data.
 *
 * @module
 */

import { COMPACT_MESSAGE, PacketKind } from "../protocol/types.ts";
import type { Transport } from "../runtime/types.ts";
import type { Limits } from "./limits.ts";

/** Who hears that a gate shut. */
export interface GateOwner {
  /** Reliable data would pass `maxBufferedBytes`; called once, synchronously. */
  overflowed(): void;
}

/** Most distinct volatile messages kept (latest of each) while the link is congested. */
const MAX_HELD_VOLATILE = 64;

/**
 * Guards one transport's send queue.
 *
 * - Reliable frames are queued while `bufferedAmount` stays within
 *   `maxBufferedBytes`. The first frame that would go past it is not queued:
 *   the gate shuts and its owner is told once (the session then disconnects
 *   the peer with `slow-consumer`), and every later frame is refused. So a
 *   slow reader never holds more than `maxBufferedBytes`, and a broadcast
 *   loop never waits for it.
 * - Volatile frames above `volatileHighWaterMark` are not queued either.
 *   The latest frame of each kind (namespace and event name, or namespace
 *   and schema code) is held instead, replacing the one before it, and goes
 *   out when the link drains or with the next volatile send that fits: a
 *   congested player gets the newest state, not a backlog of stale ones.
 */
export class SendGate {
  readonly #transport: Transport;
  readonly #limits: Readonly<Limits>;
  readonly #owner: GateOwner;
  #shut = false;
  /** Made when a volatile frame is first held: an empty map costs ~200 bytes per connection. */
  #held: Map<string, Uint8Array> | undefined;

  /**
   * @param transport The link.
   * @param limits `maxBufferedBytes` and `volatileHighWaterMark` are used.
   * @param owner Told once, synchronously, when reliable data would pass
   *   `maxBufferedBytes` (an object, not a closure: one fewer per connection).
   */
  constructor(transport: Transport, limits: Readonly<Limits>, owner: GateOwner) {
    this.#transport = transport;
    this.#limits = limits;
    this.#owner = owner;
  }

  /** True once reliable data overflowed; nothing more is queued. */
  get shut(): boolean {
    return this.#shut;
  }

  /** Volatile frames held for when the link drains. */
  get held(): number {
    return this.#held?.size ?? 0;
  }

  /**
   * Queue a frame, or refuse it.
   *
   * @param frame Encoded packet (may be shared by a broadcast; never mutated, never kept when queued).
   * @param volatile Hold the latest instead of queueing when the link is congested.
   * @returns True when the frame was queued.
   */
  send(frame: Uint8Array, volatile: boolean): boolean {
    if (this.#shut) return false;
    const transport = this.#transport;
    if (volatile) {
      if (transport.bufferedAmount > this.#limits.volatileHighWaterMark) {
        this.#hold(frame);
        return false;
      }
      if (this.held > 0) this.#release(volatileKey(frame));
      transport.send(frame);
      return true;
    }
    if (transport.bufferedAmount + frame.length > this.#limits.maxBufferedBytes) {
      this.#shut = true;
      this.#held = undefined;
      this.#owner.overflowed();
      return false;
    }
    transport.send(frame);
    return true;
  }

  /** The link drained: send the held volatile frames that fit. */
  drain(): void {
    if (!this.#shut && this.held > 0) this.#release("");
  }

  /** Forget everything held (the connection closed). */
  clear(): void {
    this.#shut = true;
    this.#held = undefined;
  }

  #hold(frame: Uint8Array): void {
    const key = volatileKey(frame);
    const held = this.#held ??= new Map();
    if (!held.has(key) && held.size >= MAX_HELD_VOLATILE) return;
    // Broadcast frames are shared and never mutated, so holding a reference is safe.
    held.delete(key); // re-insert: the map stays in send order
    held.set(key, frame);
  }

  /** Send held frames (oldest first) while they fit, skipping the kind `except`. */
  #release(except: string): void {
    const transport = this.#transport;
    const held = this.#held;
    if (held === undefined) return;
    for (const [key, frame] of held) {
      if (transport.bufferedAmount > this.#limits.volatileHighWaterMark) return;
      held.delete(key);
      if (key !== except) transport.send(frame);
    }
  }
}

/**
 * What makes two volatile frames "the same message": the packet kind, the
 * namespace and the event name or schema code (the header up to the payload).
 */
export function volatileKey(frame: Uint8Array): string {
  const kind = frame[0] ?? 0;
  if (kind >= COMPACT_MESSAGE) return String(kind); // the kind byte holds nsp and code
  let end = 1;
  if (kind === PacketKind.Event || kind === PacketKind.Message) {
    end = skipVarint(frame, 1); // nsp
    if (kind === PacketKind.Event) { // name: uvarint length, then the bytes
      let length = 0;
      let scale = 1;
      const start = end;
      end = skipVarint(frame, end);
      for (let i = start; i < end; i++, scale *= 128) length += (frame[i]! & 0x7f) * scale;
      end += length;
    } else end = skipVarint(frame, end); // schema code
  }
  let key = "";
  for (let i = 0; i < end && i < frame.length; i++) key += String.fromCharCode(frame[i]!);
  return key;
}

function skipVarint(frame: Uint8Array, pos: number): number {
  while (pos < frame.length && frame[pos]! >= 0x80) pos++;
  return pos + 1;
}
