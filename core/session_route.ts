/**
 * A session's inbound side: the handlers of its transports, the routing of
 * the packets of an open link, and the end of a link that sent bad bytes.
 *
 * @module
 */

import { ProtocolError } from "../protocol/errors.ts";
import { type Packet, PacketKind } from "../protocol/types.ts";
import type { Transport, TransportHandlers } from "../runtime/types.ts";
import type { DisconnectReason } from "./errors.ts";
import { Heartbeat } from "./heartbeat.ts";
import { clip, connectNamespace } from "./namespace_connect.ts";
import type { ServerContext } from "./server_context.ts";
import type { ServerSession } from "./session.ts";

/** Reasons sent when a wire error ends a connection. */
const reasonOfProtocolError: Partial<Record<ProtocolError["code"], DisconnectReason>> = {
  ERR_FRAME_TOO_LARGE: "frame-too-large",
  ERR_UNKNOWN_SCHEMA: "unknown-schema",
};

/**
 * The handlers of one transport, as shared methods rather than closures per
 * connection (five closures and their contexts were ~400 bytes of an idle
 * connection). After a resume the transport belongs to the session it
 * resumed; a session ignores what a transport it replaced still says.
 */
export class LinkHandlers implements TransportHandlers {
  readonly #session: ServerSession;
  readonly #transport: Transport;

  /**
   * @param session The session the transport was accepted for.
   * @param transport The transport.
   */
  constructor(session: ServerSession, transport: Transport) {
    this.#session = session;
    this.#transport = transport;
  }

  /** A whole frame arrived. */
  frame(frame: Uint8Array): void {
    this.#session.owner.onLinkFrame(frame, this.#transport);
  }

  /** The stream could not be decoded, or failed. */
  error(error: Error): void {
    this.#session.owner.onLinkError(error, this.#transport);
  }

  /** The transport closed. */
  close(error?: Error): void {
    this.#session.owner.onLinkClose(error, this.#transport);
  }

  /** The transport drained. */
  drain(): void {
    this.#session.owner.onLinkDrain();
  }
}

/**
 * Handle a packet of an open link: namespace connects and leaves, heartbeat
 * replies, acknowledgements, and what goes to the connection's sockets.
 *
 * @param session The connection.
 * @param ctx Its server.
 * @param packet The packet.
 */
export function routePacket(session: ServerSession, ctx: ServerContext, packet: Packet): void {
  switch (packet.kind) {
    case PacketKind.Connect:
      // Never an unhandled rejection, whatever a middleware or a refusal throws.
      return void connectNamespace(session, ctx, packet.name, packet.auth)
        ?.catch((error) => ctx.reportError(error, `connect to namespace "${clip(packet.name)}"`));
    case PacketKind.Disconnect:
      if (packet.nsp === -1) return session.close("client-close", packet.message, false);
      return session.sockets.get(packet.nsp)?.onClosed("namespace-leave");
    case PacketKind.Ping:
      session.sendPacket({ kind: PacketKind.Pong, time: packet.time });
      return;
    case PacketKind.Pong:
      session.rtt = Heartbeat.rttOf(packet.time);
      return;
    case PacketKind.Event:
    case PacketKind.Ack:
    case PacketKind.Room:
    case PacketKind.Message:
    case PacketKind.Raw: {
      const socket = session.sockets.get(packet.nsp);
      if (socket) return socket.onPacket(packet);
      // Namespace ids count up from 0 as namespaces are declared and are never reused.
      if (packet.nsp >= ctx.namespaces.size) {
        return session.close("invalid-packet", `Namespace id ${packet.nsp} does not exist`);
      }
      return; // a packet for a namespace just left is a race, not an attack: drop it
    }
    case PacketKind.Received:
      if (session.replay.acknowledge(packet.count)) return;
      return session.close(
        "invalid-packet",
        `Received ${packet.count} frames but ${session.replay.sent} were sent`,
      );
    default:
      return session.close("invalid-packet", `A client cannot send packet kind ${packet.kind}`);
  }
}

/**
 * End a connection whose transport could not decode what came, or failed.
 *
 * @param session The connection.
 * @param error The wire error.
 */
export function closeOnWireError(session: ServerSession, error: Error): void {
  if (error instanceof ProtocolError) {
    session.close(reasonOfProtocolError[error.code] ?? "protocol-error", error.message);
  } else {
    session.close("transport-error", error.message);
  }
}
