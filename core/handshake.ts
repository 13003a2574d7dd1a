/**
 * The server's side of the handshake, as packets: the welcome (timers, the
 * limits the client must respect, the session's tokens) and the refusal of a
 * protocol version the server does not speak.
 *
 * @module
 */

import {
  type ConnectErrorPacket,
  PacketKind,
  PROTOCOL_VERSION,
  type WelcomePacket,
} from "../protocol/types.ts";
import type { ServerContext } from "./server_context.ts";

/** What a welcome says about one session. */
export interface WelcomeFields {
  /** The connection's socket id. */
  sid: string;
  /** Token to resume the session, "" when resume is off. */
  resumeToken: string;
  /** True when the welcome answers a successful resume. */
  resumed: boolean;
  /** Counted frames the server received in the resumed session (0 when new). */
  received: number;
  /** UDP binding token, empty without UDP. */
  udpToken: Uint8Array;
  /** UDP port, 0 without UDP. */
  udpPort: number;
}

/**
 * Build the welcome for a session.
 *
 * @param ctx The server's timers and limits.
 * @param fields The session's ids and tokens.
 * @returns The packet.
 */
export function welcomePacket(
  ctx: Pick<ServerContext, "pingInterval" | "pingTimeout" | "limits">,
  fields: WelcomeFields,
): WelcomePacket {
  const { limits } = ctx;
  return {
    kind: PacketKind.Welcome,
    pingInterval: ctx.pingInterval,
    pingTimeout: ctx.pingTimeout,
    limits: {
      maxFrameSize: limits.maxFrameSize,
      maxEventNameLength: limits.maxEventNameLength,
      maxNamespacesPerSocket: limits.maxNamespacesPerSocket,
      maxRoomsPerSocket: limits.maxRoomsPerSocket,
      maxPendingAcks: limits.maxPendingAcks,
      maxMessagesPerSecond: limits.maxMessagesPerSecond,
      maxBytesPerSecond: limits.maxBytesPerSecond,
    },
    // Named, not spread: one object per welcome.
    sid: fields.sid,
    resumeToken: fields.resumeToken,
    resumed: fields.resumed,
    received: fields.received,
    udpToken: fields.udpToken,
    udpPort: fields.udpPort,
  };
}

/**
 * The refusal of a hello with another protocol version, or undefined when the
 * version is this one.
 *
 * @param version The hello's version.
 */
export function versionRefusal(version: number): ConnectErrorPacket | undefined {
  if (version === PROTOCOL_VERSION) return undefined;
  return {
    kind: PacketKind.ConnectError,
    name: "",
    code: "unsupported-version",
    message: `Protocol version ${version} is not supported; this server speaks ${PROTOCOL_VERSION}`,
  };
}
