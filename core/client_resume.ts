/**
 * The client's side of session resume: the link that numbers frames (and is
 * the offline queue while the connection is down), the reconnection loop, and
 * what each welcome means for both. See protocol/PROTOCOL.md, "Sessions and
 * resume".
 *
 * @module
 */

import type { WelcomePacket } from "../protocol/types.ts";
import type { Transport } from "../runtime/types.ts";
import { type ReconnectOptions, resolveReconnectOptions } from "./backoff.ts";
import { type DisconnectReason, GameSocketError } from "./errors.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { Reconnector } from "./reconnect.ts";
import { resolveResumeSettings, ResumeLink } from "./resume_link.ts";

/** Why a reconnection gave a fresh session instead of the old one, and what was lost. */
export interface ResumeFailure {
  /**
   * - `session-expired`: the server started a fresh session: the resume window
   *   had passed, the server restarted, or it could not replay what this client missed.
   * - `replay-overflow`: this client's buffer had dropped messages the server
   *   may lack (past `replayBufferFrames`/`replayBufferBytes`), so it did not try.
   * - `resume-disabled`: the server does not resume sessions (`resumeWindow: 0`).
   */
  reason: "session-expired" | "replay-overflow" | "resume-disabled";
  /**
   * Reliable messages this client sent that the server never confirmed (those
   * sent while offline included): some may have arrived, the others are lost.
   * They are not sent again. What the server sent meanwhile is lost too.
   */
  unconfirmed: number;
}

/** The client options of resume and reconnection. */
export interface ClientResumeOptions {
  /** Reconnect by itself when the link drops; `false` never does. @default true */
  reconnect?: boolean | ReconnectOptions;
  /** More URLs to try in turn when reconnecting (another host or transport); attempt 1 uses the first URL. */
  fallbackUrls?: Array<string | URL>;
  /** Most frames kept for a replay, and queued while offline. @default 65536 */
  replayBufferFrames?: number;
  /** Most bytes kept for a replay, and queued while offline. @default 4194304 (4 MiB) */
  replayBufferBytes?: number;
}

/** What a welcome meant: the first session, a resume, or a fresh session after a failure. */
export type WelcomeOutcome = "first" | "resumed" | "invalid" | ResumeFailure;

/** What {@linkcode ClientResume} needs from its client. */
export interface ClientResumeHost {
  /** Open a link to `url` and shake hands with this hello; resolves after the welcome. */
  connect(url: URL, resumeToken: string, received: number): Promise<void>;
  /** An attempt waits `delay` ms (the `reconnecting` event). */
  scheduled(attempt: number, delay: number): void;
  /** Every attempt failed (then the client closes). */
  gaveUp(attempts: number): void;
}

/** Resume and reconnection state of one client. */
export class ClientResume {
  /** The URLs attempts cycle through. */
  readonly urls: URL[];
  /** Why the link was lost (the reason of the final `disconnect` if it never comes back). */
  lost: [DisconnectReason, string] = ["transport-close", ""];
  readonly #loop: Reconnector | undefined;
  readonly #frames: number;
  readonly #bytes: number;
  #link: ResumeLink | undefined;
  #token = "";
  #asked = "";
  #dropped = 0;
  #overflow = false;
  #attempt = 0;

  /**
   * Set up resume and reconnection for a client.
   *
   * @param url The first URL.
   * @param options Reconnection, fallback URLs and buffer bounds.
   * @param host The client.
   * @throws {RangeError} For options out of range.
   */
  constructor(url: URL, options: ClientResumeOptions, host: ClientResumeHost) {
    this.urls = [url, ...(options.fallbackUrls ?? []).map((u) => new URL(u))];
    const settings = resolveResumeSettings(options, DEFAULT_LIMITS.maxBufferedBytes);
    this.#frames = settings.replayBufferFrames;
    this.#bytes = settings.replayBufferBytes;
    if (options.reconnect === false) return;
    const reconnect = resolveReconnectOptions(options.reconnect === true ? {} : options.reconnect);
    this.#loop = new Reconnector(reconnect, {
      scheduled: (attempt, delay) => host.scheduled(attempt, delay),
      attempt: (attempt) => {
        this.#attempt = attempt;
        const url = this.urls[(attempt - 1) % this.urls.length]!;
        this.#asked = this.#token;
        // Frames the server may lack were evicted: a resume would fail, so do not ask.
        this.#overflow = this.#link?.replay.overflowed ?? false;
        if (this.#overflow) this.#asked = "";
        return host.connect(url, this.#asked, this.#asked ? this.#link!.received : 0);
      },
      gaveUp: (attempts) => host.gaveUp(attempts),
    });
  }

  /** True when the client reconnects by itself. */
  get reconnects(): boolean {
    return this.#loop !== undefined;
  }

  /** The number of the current (or last) reconnection attempt. */
  get attempt(): number {
    return this.#attempt;
  }

  /**
   * Send a frame on the link, or queue it while offline.
   *
   * @returns False when dropped (volatile, or offline without resume).
   * @throws {GameSocketError} `ERR_LIMIT` when the offline queue is full.
   */
  send(frame: Uint8Array, volatile: boolean): boolean {
    const link = this.#link;
    if (!link) return false;
    if (volatile) {
      if (!link.transport || link.bufferedAmount > DEFAULT_LIMITS.volatileHighWaterMark) {
        return false;
      }
      link.send(frame);
      return true;
    }
    if (!link.transport) {
      if (!link.enabled) {
        this.#dropped++;
        return false;
      }
      if (!link.replay.hasRoom(frame.length)) {
        throw new GameSocketError(
          "ERR_LIMIT",
          `Cannot queue a message while reconnecting: ${link.replay.frames} messages (${link.replay.bytes} bytes) wait already (replayBufferFrames, replayBufferBytes)`,
        );
      }
    }
    link.expect(frame);
    link.send(frame);
    link.expect(undefined);
    return true;
  }

  /**
   * The link that numbers and counts frames (made by the first welcome, then
   * the same for the client's life). The client counts each frame on it, and
   * calls `tick()` when `count()` says an acknowledgement is due on its own.
   */
  get link(): ResumeLink | undefined {
    return this.#link;
  }

  /** Tell the server how many frames arrived (each heartbeat, and every `ACK_ALONE` frames). */
  tick(): void {
    const ack = this.#link?.ackFrame();
    if (ack) this.#link!.send(ack);
  }

  /** The server received `count` frames; false when it claims more than were sent. */
  acknowledge(count: number): boolean {
    return this.#link?.replay.acknowledge(count) ?? true;
  }

  /** The link dropped: keep numbering into the buffer and start reconnecting. */
  detach(reason: DisconnectReason, message: string): void {
    this.lost = [reason, message];
    this.#link?.detach();
    this.#loop?.start();
  }

  /** The client closed: stop trying and free the buffer. */
  stop(): void {
    this.#loop?.stop();
    this.#link?.replay.clear();
  }

  /**
   * Take the welcome of a new link: replay what the server lacks (a resume),
   * or start numbering again (a fresh session) and say what was lost.
   *
   * @param welcome The server's welcome.
   * @param transport The link it came on.
   */
  welcomed(welcome: WelcomePacket, transport: Transport): WelcomeOutcome {
    const link = this.#link;
    this.#token = welcome.resumeToken;
    if (!link) {
      this.#link = new ResumeLink(transport, welcome.resumeToken !== "", this.#frames, this.#bytes);
      return "first";
    }
    let outcome: WelcomeOutcome = "resumed";
    if (welcome.resumed) {
      const frames = link.check(welcome.received);
      if (!Array.isArray(frames)) return "invalid";
      link.resume(transport, frames, welcome.received);
    } else {
      const reason = this.#overflow
        ? "replay-overflow"
        : this.#asked
        ? "session-expired"
        : "resume-disabled";
      outcome = { reason, unconfirmed: link.replay.frames + this.#dropped };
      link.restart(transport);
    }
    link.enabled = welcome.resumeToken !== "";
    this.#dropped = 0;
    return outcome;
  }
}
