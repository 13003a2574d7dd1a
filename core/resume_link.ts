/**
 * The link of a resumable session: a {@linkcode Transport} facade over the
 * current connection that numbers what goes out, counts what comes in, and
 * survives the connection (see `replay.ts`).
 *
 * @module
 */

import { packetFrame } from "./frames.ts";
import { PacketKind } from "../protocol/types.ts";
import type { Transport, TransportKind } from "../runtime/types.ts";
import { isCounted, ReplayBuffer, type ReplayResult } from "./replay.ts";

/**
 * A `received` packet rides along with the next counted frame sent once this
 * many counted frames arrived unacknowledged: in the same write, so it costs
 * no system call.
 */
export const ACK_EVERY = 64;
/**
 * A `received` packet goes out on its own (its own write) after this many
 * unacknowledged frames, or {@linkcode ACK_ALONE_BYTES} bytes, and at each
 * heartbeat. A client that only listens (a room member) acknowledges this
 * rarely: with acks every 64 frames, the writes of 500 members' acks cost a
 * fan-out a fifth of its server CPU (bench/pipeline.ts, 1.69 against 1.52 µs
 * per delivery); 512 against 256 still took the Bun WebSocket fan-out from
 * 1.53 to 1.47 µs of server and 1.51 to 1.42 µs of load generator CPU per
 * delivery (medians of 6 interleaved runs), each ack being a write, a wakeup
 * and a read. Not rarer: the sender keeps every frame until acknowledged
 * (about 17 KiB per busy member at 512 small frames: 16 bytes of ring entry
 * each plus the bytes; a record costs the same at 256 and 512, ~44 ns on Bun).
 */
export const ACK_ALONE = 512;
/** Bytes of unacknowledged frames that make a `received` packet go out on its own. */
export const ACK_ALONE_BYTES: number = 16 * 1024;

/**
 * Numbers frames at the one place they reach the stream transport, so what is
 * counted is exactly what the peer can receive, whatever queues, holds or
 * drops frames above it. Frames sent by another route (UDP) are not counted.
 *
 * While detached (no transport) reliable frames go to the replay buffer only,
 * and volatile ones are dropped without a number.
 */
export class ResumeLink implements Transport {
  /** Reliable frames not yet acknowledged by the peer. */
  readonly replay: ReplayBuffer;
  /** Whether frames are numbered and counted at all (resume on). */
  enabled: boolean;
  #transport: Transport | undefined;
  #last: Transport;
  #reliable: Uint8Array | undefined;
  #received = 0;
  #told = 0;
  /** Bytes of the counted frames received since the last `received` packet. */
  #unackedBytes = 0;

  /**
   * Wrap the first connection.
   *
   * @param transport The first connection.
   * @param enabled Number and count frames (false when resume is off).
   * @param maxFrames Replay buffer bound, in frames.
   * @param maxBytes Replay buffer bound, in bytes.
   */
  constructor(transport: Transport, enabled: boolean, maxFrames: number, maxBytes: number) {
    this.#transport = this.#last = transport;
    this.enabled = enabled;
    this.replay = new ReplayBuffer(maxFrames, maxBytes);
  }

  /** The kind of the current (or last) connection. */
  get kind(): TransportKind {
    return this.#last.kind;
  }

  /** The peer's address on the current (or last) connection. */
  get remoteAddress(): string {
    return this.#last.remoteAddress;
  }

  /** The peer's port on the current (or last) connection. */
  get remotePort(): number {
    return this.#last.remotePort;
  }

  /** Bytes queued on the current connection (0 while detached). */
  get bufferedAmount(): number {
    return this.#transport?.bufferedAmount ?? 0;
  }

  /** The current connection, undefined while detached. */
  get transport(): Transport | undefined {
    return this.#transport;
  }

  /** Counted frames received from the peer in this session. */
  get received(): number {
    return this.#received;
  }

  /**
   * Mark `frame` as reliable for the next `send` of that very array (identity,
   * not content: frames released later by a queue above are volatile).
   *
   * @param frame The frame about to be sent, or undefined to clear the mark.
   */
  expect(frame: Uint8Array | undefined): void {
    this.#reliable = frame;
  }

  /**
   * Number (and keep, when reliable) a counted frame, then write it to the
   * current connection if there is one.
   *
   * @param frame Encoded packet; never changed afterwards when reliable.
   */
  send(frame: Uint8Array): void {
    const transport = this.#transport;
    if (this.enabled && isCounted(frame)) {
      if (frame === this.#reliable) this.replay.record(frame, true);
      else if (!transport) return; // volatile while detached: never on any link
      else this.replay.record(frame, false);
      if (transport && this.#received - this.#told >= ACK_EVERY) transport.send(this.ackFrame()!);
    }
    transport?.send(frame);
  }

  /** Close the current connection. */
  close(): void {
    this.#transport?.close();
  }

  /**
   * Count a frame received on the current connection. Frames sent meanwhile
   * carry the acknowledgement along (see {@linkcode ACK_EVERY}); this asks for
   * one on its own only past {@linkcode ACK_ALONE} frames or
   * {@linkcode ACK_ALONE_BYTES} bytes.
   *
   * @returns True when a `received` packet is due on its own (see {@linkcode ResumeLink.ackFrame}).
   */
  count(frame: Uint8Array): boolean {
    if (!this.enabled || !isCounted(frame)) return false;
    this.#unackedBytes += frame.length;
    return ++this.#received - this.#told >= ACK_ALONE || this.#unackedBytes >= ACK_ALONE_BYTES;
  }

  /** A `received` packet to send when the count moved since the last one, else undefined. */
  ackFrame(): Uint8Array | undefined {
    if (!this.enabled || this.#received === this.#told || !this.#transport) return undefined;
    this.#told = this.#received;
    this.#unackedBytes = 0;
    return packetFrame({ kind: PacketKind.Received, count: this.#received });
  }

  /** The connection is gone: keep numbering into the replay buffer only. */
  detach(): void {
    this.#transport = undefined;
  }

  /**
   * Check that the frames the peer lacks can be replayed (nothing changes).
   *
   * @param peerReceived Frames the peer says it has.
   */
  check(peerReceived: number): ReplayResult {
    return this.replay.after(peerReceived);
  }

  /**
   * Take a new connection and write the frames the peer lacks on it, then
   * renumber (see {@linkcode ReplayBuffer.rebase}). Call after `check` said
   * the frames are there, and after writing the welcome.
   *
   * @param transport The new connection.
   * @param frames What `check(peerReceived)` returned.
   * @param peerReceived Frames the peer says it has.
   */
  resume(transport: Transport, frames: Uint8Array[], peerReceived: number): void {
    this.#transport = this.#last = transport;
    for (const frame of frames) transport.send(frame);
    this.replay.rebase(peerReceived);
    this.#told = this.#received;
    this.#unackedBytes = 0;
  }

  /**
   * Take a new connection for a fresh session: numbering starts again.
   *
   * @param transport The new connection.
   */
  restart(transport: Transport): void {
    this.#transport = this.#last = transport;
    this.replay.clear();
    this.#received = this.#told = this.#unackedBytes = 0;
  }
}

/** The server's resume settings (see `ServerOptions`). */
export interface ResumeSettings {
  /** Milliseconds a detached session waits for its client; 0 turns resume off. */
  resumeWindow: number;
  /** Most frames kept per session (or client) for a replay. */
  replayBufferFrames: number;
  /** Most bytes kept per session (or client) for a replay. */
  replayBufferBytes: number;
}

/** Default resume window: two minutes. */
export const DEFAULT_RESUME_WINDOW = 120_000;
/** Default bound of a replay buffer, in frames. */
export const DEFAULT_REPLAY_FRAMES = 65_536;

/**
 * Fill in and check resume settings.
 *
 * @param options What the user gave.
 * @param defaultBytes The byte bound when none is given (the server's `maxBufferedBytes`).
 * @returns Complete settings.
 * @throws {RangeError} A negative window, or a bound that is not a positive integer.
 */
export function resolveResumeSettings(
  options: Partial<ResumeSettings>,
  defaultBytes: number,
): ResumeSettings {
  const settings = {
    resumeWindow: options.resumeWindow ?? DEFAULT_RESUME_WINDOW,
    replayBufferFrames: options.replayBufferFrames ?? DEFAULT_REPLAY_FRAMES,
    replayBufferBytes: options.replayBufferBytes ?? defaultBytes,
  };
  for (const [name, value] of Object.entries(settings)) {
    const min = name === "resumeWindow" ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`Cannot use ${name}=${value}: it must be an integer >= ${min}`);
    }
  }
  return settings;
}
