/**
 * The server side of one connection: handshake, heartbeat, and the routing of
 * packets to the connection's sockets in each namespace.
 *
 * @module
 */

import { decodePacket, encodePacket } from "../protocol/packet.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { type Packet, PacketKind, type Payload, PROTOCOL_VERSION } from "../protocol/types.ts";
import type { Transport, TransportHandlers } from "../runtime/types.ts";
import type { DisconnectReason } from "./errors.ts";
import type { ServerSocket } from "./socket.ts";
import type { ServerContext } from "./server_context.ts";
import { Heartbeat } from "./heartbeat.ts";
import { SendGate } from "./backpressure.ts";
import { RateLimiter } from "./rate_limit.ts";
import type { UdpEndpoint, UdpServer } from "./udp_server.ts";
import { UDP_OFF, type UdpStatus } from "./udp_stats.ts";

/** Connection states. */
export type SessionState = "handshake" | "open" | "closed";

/** Reasons sent when a wire error ends a connection. */
const reasonOfProtocolError: Partial<Record<ProtocolError["code"], DisconnectReason>> = {
  ERR_FRAME_TOO_LARGE: "frame-too-large",
  ERR_UNKNOWN_SCHEMA: "unknown-schema",
};

/** One client connection on the server, with its sockets in every namespace it opened. */
export class ServerSession {
  /** The connection's socket id, the same in every namespace. */
  readonly sid: string = crypto.randomUUID();
  /** Sockets of this connection, by namespace id. */
  readonly sockets: Map<number, ServerSocket> = new Map();
  /** Round-trip time of the last ping, in milliseconds (0 until the first pong). */
  rtt = 0;
  #state: SessionState = "handshake";
  #transport: Transport;
  readonly #ctx: ServerContext;
  #heartbeat: Heartbeat | undefined;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Namespaces whose middleware is running, so a second connect waits its turn. */
  readonly #connecting = new Set<string>();
  readonly #gate: SendGate;
  readonly #rate: RateLimiter;
  /** The server's UDP socket, when it has one; the session's endpoint on it once issued. */
  readonly #udpServer: UdpServer | undefined;
  #udp: UdpEndpoint | undefined;

  /**
   * Start a session for an accepted link; the handshake timer starts now.
   *
   * @param ctx The server this session belongs to.
   * @param transport The accepted link.
   * @param udp The server's UDP socket (the welcome then offers a UDP token).
   */
  constructor(ctx: ServerContext, transport: Transport, udp?: UdpServer) {
    this.#ctx = ctx;
    this.#transport = transport;
    this.#udpServer = udp;
    // Deferred: a slow member may overflow inside a broadcast loop over its room.
    this.#gate = new SendGate(
      transport,
      ctx.limits,
      () =>
        queueMicrotask(() =>
          this.close("slow-consumer", `More than ${ctx.limits.maxBufferedBytes} bytes queued`)
        ),
    );
    this.#rate = new RateLimiter(ctx.limits);
    this.#handshakeTimer = setTimeout(
      () =>
        this.close("handshake-timeout", `No handshake within ${ctx.limits.handshakeTimeout} ms`),
      ctx.limits.handshakeTimeout,
    );
  }

  /** The handlers to give the transport. */
  handlers(): TransportHandlers {
    return {
      frame: (frame) => this.#onFrame(frame),
      error: (error) => this.#onWireError(error),
      close: (error) => this.#onTransportClose(error),
      drain: () => this.#gate.drain(),
    };
  }

  /** Current state. */
  get state(): SessionState {
    return this.#state;
  }

  /** The link in use. */
  get transport(): Transport {
    return this.#transport;
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
    return this.#gate.send(frame, volatile);
  }

  /** Encode and queue a packet. */
  sendPacket(packet: Packet, volatile = false): boolean {
    return this.send(encodePacket(packet), volatile);
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
    if (tellPeer) {
      this.#transport.send(
        encodePacket({ kind: PacketKind.Disconnect, nsp: -1, reason, message: clip(message) }),
      );
    }
    this.#state = "closed";
    this.#gate.clear();
    this.#stopTimers();
    this.#udp?.release();
    for (const socket of [...this.sockets.values()]) socket.onClosed(reason);
    this.sockets.clear();
    this.#transport.close();
    this.#ctx.sessionClosed(this);
  }

  #onTransportClose(error?: Error): void {
    if (this.#state === "closed") {
      this.#ctx.transportClosed(this);
      return;
    }
    this.close(error ? "transport-error" : "transport-close", error?.message ?? "", false);
    this.#ctx.transportClosed(this);
  }

  #onWireError(error: Error): void {
    if (error instanceof ProtocolError) {
      this.close(reasonOfProtocolError[error.code] ?? "protocol-error", error.message);
    } else {
      this.close("transport-error", error.message);
    }
  }

  #onFrame(frame: Uint8Array): void {
    if (this.#state === "closed") return;
    this.#heartbeat?.received();
    const verdict = this.#rate.take(frame.length);
    if (verdict !== "ok") {
      const { limit, allowed } = this.#rate.broken!;
      if (verdict === "exceeded") {
        return this.close("rate-limit", `Sent more than ${allowed} (${limit}) for too long`);
      }
      for (const socket of [...this.sockets.values()]) socket.onRateWarning({ limit, allowed });
    }
    let packet: Packet;
    try {
      packet = decodePacket(frame);
    } catch (error) {
      this.#onWireError(error as Error);
      return;
    }
    if (this.#state === "handshake") {
      if (packet.kind !== PacketKind.Hello) {
        return this.close("invalid-packet", "Cannot accept packets before the hello");
      }
      return this.#onHello(packet.version);
    }
    this.#route(packet);
  }

  #onHello(version: number): void {
    if (version !== PROTOCOL_VERSION) {
      this.sendPacket({
        kind: PacketKind.ConnectError,
        name: "",
        code: "unsupported-version",
        message:
          `Protocol version ${version} is not supported; this server speaks ${PROTOCOL_VERSION}`,
      });
      return this.close("protocol-error", "Unsupported protocol version", false);
    }
    clearTimeout(this.#handshakeTimer);
    this.#state = "open";
    const { pingInterval, pingTimeout, limits } = this.#ctx;
    this.sendPacket({
      kind: PacketKind.Welcome,
      sid: this.sid,
      pingInterval,
      pingTimeout,
      limits: {
        maxFrameSize: limits.maxFrameSize,
        maxEventNameLength: limits.maxEventNameLength,
        maxNamespacesPerSocket: limits.maxNamespacesPerSocket,
        maxRoomsPerSocket: limits.maxRoomsPerSocket,
        maxPendingAcks: limits.maxPendingAcks,
        maxMessagesPerSecond: limits.maxMessagesPerSecond,
        maxBytesPerSecond: limits.maxBytesPerSecond,
      },
      resumeToken: "",
      resumed: false,
      received: 0,
      ...this.#issueUdp(),
    });
    this.#startHeartbeat();
  }

  #route(packet: Packet): void {
    switch (packet.kind) {
      case PacketKind.Connect:
        // Never an unhandled rejection, whatever a middleware or a refusal throws.
        return void this.#connect(packet.name, packet.auth).catch((error) =>
          this.#ctx.reportError(error, `connect to namespace "${clip(packet.name)}"`)
        );
      case PacketKind.Disconnect:
        if (packet.nsp === -1) return this.close("client-close", packet.message, false);
        return this.sockets.get(packet.nsp)?.onClosed("namespace-leave");
      case PacketKind.Ping:
        this.sendPacket({ kind: PacketKind.Pong, time: packet.time });
        return;
      case PacketKind.Pong:
        this.rtt = Heartbeat.rttOf(packet.time);
        return;
      case PacketKind.Event:
      case PacketKind.Ack:
      case PacketKind.Room:
      case PacketKind.Message:
      case PacketKind.Raw: {
        const socket = this.sockets.get(packet.nsp);
        if (socket) return socket.onPacket(packet);
        // Namespace ids count up from 0 as namespaces are declared and are never reused.
        if (packet.nsp >= this.#ctx.namespaces.size) {
          return this.close("invalid-packet", `Namespace id ${packet.nsp} does not exist`);
        }
        return; // a packet for a namespace just left is a race, not an attack: drop it
      }
      case PacketKind.Received:
        return;
      default:
        return this.close("invalid-packet", `A client cannot send packet kind ${packet.kind}`);
    }
  }

  async #connect(name: string, auth: Payload): Promise<void> {
    const namespace = this.#ctx.namespaces.get(name);
    const refuse = (code: string, message: string): void => {
      this.sendPacket({ kind: PacketKind.ConnectError, name, code, message });
    };
    if (!namespace) return refuse("unknown-namespace", `Namespace "${clip(name)}" does not exist`);
    if (this.sockets.has(namespace.id) || this.#connecting.has(name)) {
      return refuse("already-connected", `Already connected to namespace "${name}"`);
    }
    if (this.sockets.size + this.#connecting.size >= this.#ctx.limits.maxNamespacesPerSocket) {
      return refuse(
        "too-many-namespaces",
        `Cannot open more than ${this.#ctx.limits.maxNamespacesPerSocket} namespaces (maxNamespacesPerSocket)`,
      );
    }
    this.#connecting.add(name);
    try {
      await namespace.admit(this, auth);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      refuse(
        typeof code === "string" ? clip(code) : "unauthorized",
        clip(error instanceof Error ? error.message : String(error)),
      );
    } finally {
      this.#connecting.delete(name);
    }
  }

  #startHeartbeat(): void {
    const { pingInterval, pingTimeout } = this.#ctx;
    this.#heartbeat = new Heartbeat(
      pingInterval,
      pingTimeout,
      (time) => {
        this.sendPacket({ kind: PacketKind.Ping, time });
        this.#udp?.heartbeat();
      },
      () => this.close("ping-timeout", `No frame for ${pingInterval + pingTimeout} ms`),
    );
  }

  /**
   * Issue this session's UDP token for a welcome, dropping any earlier binding
   * (a resumed session calls this again, and the client binds anew).
   */
  #issueUdp(): { udpToken: Uint8Array; udpPort: number } {
    this.#udp?.release();
    this.#udp = this.#udpServer?.issue((packet) => this.#onUdpPacket(packet));
    return this.#udp
      ? { udpToken: this.#udp.token, udpPort: this.#udpServer!.port }
      : { udpToken: new Uint8Array(0), udpPort: 0 };
  }

  /** A volatile event or schema message that came over UDP (the link checked its kind). */
  #onUdpPacket(packet: Packet): void {
    if (this.#state !== "open" || !("nsp" in packet)) return;
    this.sockets.get(packet.nsp)?.onPacket(packet);
  }

  #stopTimers(): void {
    clearTimeout(this.#handshakeTimer);
    this.#heartbeat?.stop();
  }
}

/** Keep client-chosen text echoed back in messages short (a name may be 64 KiB). */
function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
