/**
 * The server side of one connection: handshake, heartbeat, and the routing of
 * packets to the connection's sockets in each namespace.
 *
 * @module
 */

import { compactMessageNsp, decodePacket, encodePacket } from "../protocol/packet.ts";
import { packetFrame } from "./frames.ts";
import {
  type HelloPacket,
  type Packet,
  PacketKind,
  type WelcomePacket,
} from "../protocol/types.ts";
import type { Transport, TransportHandlers } from "../runtime/types.ts";
import type { DisconnectReason } from "./errors.ts";
import { SessionSockets } from "./session_sockets.ts";
import type { ServerContext } from "./server_context.ts";
import type { DeadlineEntry } from "./deadlines.ts";
import { now, turnNow } from "./types.ts";
import { versionRefusal, welcomePacket } from "./handshake.ts";
import { SendGate } from "./backpressure.ts";
import { dataBytes, RateLimiter } from "./rate_limit.ts";
import { clip } from "./namespace_connect.ts";
import { randomId } from "./random_id.ts";
import { offerUdp, withinRate } from "./session_udp.ts";
import { closeOnWireError, LinkHandlers, routePacket } from "./session_route.ts";
import type { UdpEndpoint, UdpServer } from "./udp_server.ts";
import { UDP_OFF, type UdpStatus } from "./udp_stats.ts";
import type { ReplayBuffer } from "./replay.ts";
import { ResumeLink } from "./resume_link.ts";

/**
 * Connection states. A session whose link dropped without a goodbye is
 * `detached` for the server's `resumeWindow`: its sockets stay in their
 * namespaces and rooms, reliable sends wait in the replay buffer, and a
 * client that comes back with the session's resume token takes it over.
 */
export type SessionState = "handshake" | "open" | "detached" | "closed";

/** One client connection on the server, with its sockets in every namespace it opened. */
export class ServerSession implements DeadlineEntry {
  /** The connection's socket id, the same in every namespace. */
  readonly sid: string = randomId();
  /** Sockets of this connection, by namespace id. */
  readonly sockets: SessionSockets = new SessionSockets();
  /**
   * Internal: the address the server counted this session under, once it
   * admitted it (a field, not an entry in a server-wide map: ~50 bytes each).
   */
  admittedFrom: string | undefined;
  /** Round-trip time of the last ping, in milliseconds (0 until the first pong). */
  rtt = 0;
  #state: SessionState = "handshake";
  #transport: Transport;
  readonly #ctx: ServerContext;
  /** Internal: when the session's next timer is due (see `onDeadline`). */
  deadlineAt: number = 0;
  /** Internal: the session's place in the server's deadline heap. */
  deadlineSlot: number = -1;
  /** Heartbeat: when the next ping goes, and when the last frame came. */
  #nextPing = 0;
  #lastReceived = 0;
  readonly #gate: SendGate;
  readonly #rate: RateLimiter;
  /** The server's UDP socket, when it has one; the session's endpoint on it once issued. */
  readonly #udpServer: UdpServer | undefined;
  #udp: UdpEndpoint | undefined;
  /** What the sockets send goes through this facade: it numbers frames for resume. */
  readonly #link: ResumeLink;
  /** The token a client presents to resume this session ("" before the welcome or when off). */
  #resumeToken = "";
  /** Set when a resume gave this connection's transport to an earlier session. */
  #adoptedBy: ServerSession | undefined;
  /** Why the link dropped, for the sockets' disconnect if the resume window passes. */
  #lost: [reason: DisconnectReason, message: string] | undefined;

  /**
   * Start a session for an accepted link; the handshake timer starts now.
   *
   * @param ctx The server this session belongs to.
   * @param transport The accepted link.
   * @param udp The server's UDP socket (the welcome then offers a UDP token).
   */
  constructor(ctx: ServerContext, transport: Transport, udp?: UdpServer) {
    this.#ctx = ctx;
    this.#udpServer = udp;
    this.#transport = transport;
    this.#link = new ResumeLink(transport, false, ctx.replayBufferFrames, ctx.replayBufferBytes);
    this.#gate = new SendGate(this.#link, ctx.limits, this);
    this.#rate = new RateLimiter(ctx.limits);
    ctx.deadlines.schedule(this, now() + ctx.limits.handshakeTimeout);
  }

  /** The handlers to give the transport. */
  handlers(): TransportHandlers {
    return new LinkHandlers(this, this.#transport);
  }

  /** Internal: the session that owns this session's first transport (another one after a resume). */
  get owner(): ServerSession {
    return this.#adoptedBy ?? this;
  }

  /** Internal: a frame from a stream transport, counted for resume (UDP frames never come this way). */
  onLinkFrame(frame: Uint8Array, from: Transport): void {
    if (from !== this.#transport) return; // a link a resume replaced
    if (this.#state === "open" && this.#link.count(frame)) this.#sendAck();
    this.#onFrame(frame);
  }

  /** Internal: a transport could not decode what came, or failed. */
  onLinkError(error: Error, from: Transport): void {
    if (from === this.#transport) closeOnWireError(this, error);
  }

  /** Internal: a transport closed. */
  onLinkClose(error: Error | undefined, from: Transport): void {
    this.#ctx.transportClosed(from);
    if (from !== this.#transport || this.#state === "closed" || this.#state === "detached") return;
    this.#linkLost(error ? "transport-error" : "transport-close", error?.message ?? "");
  }

  /** Internal: the transport drained. */
  onLinkDrain(): void {
    this.#gate.drain();
  }

  /**
   * Internal: the session's deadline came (the server's heap calls this):
   * the handshake timeout, a heartbeat, or the end of the resume window.
   *
   * @param time The clock, a millisecond ahead (what is due by then is due).
   */
  onDeadline(time: number): void {
    const { limits, pingInterval, pingTimeout } = this.#ctx;
    if (this.#state === "handshake") {
      return this.close("handshake-timeout", `No handshake within ${limits.handshakeTimeout} ms`);
    }
    if (this.#state === "detached") return this.close(...this.#lost!, false);
    if (this.#state !== "open") return;
    const deadAt = this.#lastReceived + pingInterval + pingTimeout;
    if (deadAt <= time) {
      return this.#linkLost("ping-timeout", `No frame for ${pingInterval + pingTimeout} ms`, true);
    }
    if (this.#nextPing <= time) {
      let next = this.#nextPing + pingInterval;
      if (next <= time) next = time + pingInterval; // the loop was stalled
      this.#nextPing = Math.ceil(next);
      this.sendPacket({ kind: PacketKind.Ping, time: now() });
      this.#sendAck();
      this.#udp?.heartbeat();
    }
    this.#ctx.deadlines.schedule(this, Math.min(this.#nextPing, deadAt));
  }

  /**
   * Internal: reliable data would pass `maxBufferedBytes` (the send gate shut).
   * Deferred: a slow member may overflow inside a broadcast loop over its room.
   */
  overflowed(): void {
    const max = this.#ctx.limits.maxBufferedBytes;
    queueMicrotask(() => this.close("slow-consumer", `More than ${max} bytes queued`));
  }

  /** Current state. */
  get state(): SessionState {
    return this.#state;
  }

  /** The link in use (the last one while detached). */
  get transport(): Transport {
    return this.#transport;
  }

  /** True while the client's link is up; false while detached (waiting for a resume) or closed. */
  get linked(): boolean {
    return this.#state === "open";
  }

  /** Reliable frames kept until the client confirms them (emptied when the session ends). */
  get replay(): ReplayBuffer {
    return this.#link.replay;
  }

  /** Whether volatile messages of this connection go over UDP, and its UDP counters. */
  get udp(): UdpStatus {
    return this.#udp ?? UDP_OFF;
  }

  /**
   * Queue a frame to the peer.
   *
   * @param frame Encoded packet (shared by a broadcast; never mutated).
   * @param volatile Drop instead of queueing when the link is congested; goes
   *   over UDP when bound (a frame too large for a datagram takes the stream).
   * @returns False when the frame was dropped or the session is closed.
   */
  send(frame: Uint8Array, volatile = false): boolean {
    if (this.#state === "closed") return false;
    if (volatile && this.#udp?.bound && this.#udp.link.send(frame)) return true;
    if (volatile) return this.#state !== "detached" && this.#gate.send(frame, true);
    // The link keeps this very frame for a replay; frames it meets later unmarked are volatile.
    this.#link.expect(frame);
    const queued = this.#gate.send(frame, false);
    this.#link.expect(undefined);
    return queued;
  }

  /** Encode and queue a packet. */
  sendPacket(packet: Packet, volatile = false): boolean {
    return this.send(packetFrame(packet), volatile);
  }

  /**
   * End the connection: tell the peer why, close every socket, close the link.
   *
   * @param reason Sent to the peer and given to every socket's `disconnect` handlers.
   * @param message Detail for people.
   * @param tellPeer False when the peer already said goodbye or the link is gone.
   */
  close(reason: DisconnectReason, message = "", tellPeer = true): void {
    if (this.#state === "closed") return;
    // Past the gate: the goodbye goes out even when the queue is full (a slow consumer).
    if (tellPeer && this.#state !== "detached") {
      this.#transport.send(
        encodePacket({ kind: PacketKind.Disconnect, nsp: -1, reason, message: clip(message) }),
      );
    }
    this.#state = "closed";
    this.#gate.clear();
    this.#stopTimers();
    this.#udp?.release();
    for (const socket of this.sockets.values()) socket.onClosed(reason);
    this.sockets.clear();
    this.#transport.close();
    this.#link.replay.clear();
    if (this.#resumeToken) this.#ctx.resumable.delete(this.#resumeToken);
    this.#ctx.sessionClosed(this);
  }

  /** The link died without a goodbye: wait for a resume when the session has a token, else end. */
  #linkLost(reason: DisconnectReason, message: string, tellPeer = false): void {
    if (this.#state !== "open" || !this.#resumeToken) return this.close(reason, message, tellPeer);
    this.#state = "detached";
    this.#stopTimers();
    this.#udp?.release();
    this.#udp = undefined;
    this.#link.detach();
    this.#transport.close();
    // The sockets' disconnect fires (with the link's reason) only if nobody comes back in time.
    this.#lost = [reason, message];
    this.#ctx.deadlines.schedule(this, now() + this.#ctx.resumeWindow);
    for (const socket of this.sockets.values()) socket.onLinkChange(false, reason);
  }

  /** Tell the client how many counted frames arrived, so it can forget them. */
  #sendAck(): void {
    const ack = this.#link.ackFrame();
    if (ack) this.send(ack);
  }

  #onFrame(frame: Uint8Array): void {
    if (this.#state === "closed") return;
    this.#lastReceived = Math.floor(turnNow()); // whole ms: not a boxed number per session
    if (!withinRate(this, this.#rate, frame.length)) return;
    // A typed message (the 60 Hz case) goes to its socket without a packet object.
    const socket = this.#state === "open" ? this.sockets.get(compactMessageNsp(frame)) : undefined;
    if (socket) return socket.onCompactMessage(frame);
    let packet: Packet;
    try {
      packet = decodePacket(frame);
    } catch (error) {
      closeOnWireError(this, error as Error);
      return;
    }
    if (this.#state === "handshake") {
      if (packet.kind !== PacketKind.Hello) {
        return this.close("invalid-packet", "Cannot accept packets before the hello");
      }
      return this.#onHello(packet);
    }
    routePacket(this, this.#ctx, packet);
  }

  #onHello(hello: HelloPacket): void {
    const refusal = versionRefusal(hello.version);
    if (refusal) {
      this.sendPacket(refusal);
      return this.close("protocol-error", "Unsupported protocol version", false);
    }
    this.#stopTimers(); // the handshake timeout
    // A resume that cannot happen (window passed, buffer overflowed) gets a fresh session.
    if (hello.resumeToken && this.#takeOver(hello)) return;
    this.#state = "open";
    this.sendPacket(this.#welcome(false, 0));
    this.#startHeartbeat();
  }

  /** Give this connection's transport to the session the hello's token names, if it can resume. */
  #takeOver(hello: HelloPacket): boolean {
    const earlier = this.#ctx.resumable.get(hello.resumeToken);
    if (!earlier || earlier === this || !earlier.#resume(this.#transport, hello.received)) {
      return false;
    }
    this.#adoptedBy = earlier;
    this.#state = "closed";
    this.#gate.clear();
    this.#ctx.sessionClosed(this);
    return true;
  }

  /** Continue on `transport`: welcome, the frames the client lacks, then new ones. */
  #resume(transport: Transport, clientReceived: number): boolean {
    const frames = this.#link.check(clientReceived);
    if (!Array.isArray(frames)) {
      this.close("session-expired", `Cannot resume: the replay buffer ${frames}`, false);
      return false;
    }
    const wasDetached = this.#state === "detached";
    this.#stopTimers();
    // The old link may not be known dead yet: drop it (what it still delivers is ignored).
    if (!wasDetached) this.#transport.close();
    this.#transport = transport;
    this.#state = "open";
    this.#lost = undefined;
    transport.send(encodePacket(this.#welcome(true, this.#link.received)));
    this.#link.resume(transport, frames, clientReceived);
    this.#startHeartbeat();
    if (wasDetached) { for (const socket of this.sockets.values()) socket.onLinkChange(true); }
    return true;
  }

  /**
   * A welcome with the session's resume token (one for the session's life: a
   * resume whose welcome is lost on the way must still work) and a UDP token.
   */
  #welcome(resumed: boolean, received: number): WelcomePacket {
    if (!this.#resumeToken && this.#ctx.resumeWindow > 0) {
      this.#resumeToken = randomId();
      this.#ctx.resumable.set(this.#resumeToken, this);
      this.#link.enabled = true;
    }
    const { udpToken, udpPort } = this.#issueUdp();
    const resumeToken = this.#resumeToken;
    return welcomePacket(this.#ctx, {
      sid: this.sid,
      resumeToken,
      resumed,
      received,
      udpToken,
      udpPort,
    });
  }

  /** Pings every `pingInterval`; the peer is dead after `pingInterval + pingTimeout` of silence. */
  #startHeartbeat(): void {
    const start = Math.floor(now());
    this.#lastReceived = start;
    this.#nextPing = Math.ceil(start + this.#ctx.pingInterval);
    this.#ctx.deadlines.schedule(this, this.#nextPing);
  }

  /**
   * Issue this session's UDP token for a welcome, dropping any earlier binding
   * (a resumed session calls this again, and the client binds anew).
   */
  #issueUdp(): { udpToken: Uint8Array; udpPort: number } {
    this.#udp?.release();
    const offer = offerUdp(this.#udpServer, (packet) => this.#onUdpPacket(packet));
    this.#udp = offer.endpoint;
    return offer.fields;
  }

  /** A volatile event or schema message that came over UDP (the link checked its kind). */
  #onUdpPacket(packet: Packet): void {
    if (this.#state !== "open" || !("nsp" in packet)) return;
    // The same buckets as the stream: a bound client cannot flood through UDP instead.
    if (!withinRate(this, this.#rate, dataBytes(packet))) return;
    this.sockets.get(packet.nsp)?.onPacket(packet);
  }

  #stopTimers(): void {
    this.#ctx.deadlines.cancel(this);
  }
}
