/**
 * A session's UDP and rate-limit glue: the UDP endpoint a welcome offers, and
 * the verdict of the connection's rate limiter on one frame.
 *
 * @module
 */

import type { Packet } from "../protocol/types.ts";
import type { RateLimiter } from "./rate_limit.ts";
import type { ServerSession } from "./session.ts";
import type { UdpEndpoint, UdpServer } from "./udp_server.ts";

/** What a welcome says about UDP. */
export interface UdpOffer {
  /** The endpoint issued (undefined when the server has no UDP socket). */
  endpoint: UdpEndpoint | undefined;
  /** The welcome's fields: the token and port (empty and 0 when off). */
  fields: { udpToken: Uint8Array; udpPort: number };
}

/** The offer without UDP (shared: nothing in it changes). */
const NO_UDP: UdpOffer = Object.freeze({
  endpoint: undefined,
  fields: Object.freeze({ udpToken: new Uint8Array(0), udpPort: 0 }),
});

/**
 * Issue a session's UDP token for a welcome.
 *
 * @param server The server's UDP socket, if any.
 * @param deliver Where the endpoint's packets go.
 * @returns The endpoint and the welcome's fields.
 */
export function offerUdp(
  server: UdpServer | undefined,
  deliver: (packet: Packet) => void,
): UdpOffer {
  const endpoint = server?.issue(deliver);
  return endpoint
    ? { endpoint, fields: { udpToken: endpoint.token, udpPort: server!.port } }
    : NO_UDP;
}

/**
 * Count one frame against a connection's rates: warn its sockets past the
 * burst, close it with `rate-limit` past the debt.
 *
 * @param session The connection.
 * @param rate Its limiter.
 * @param bytes The frame's size.
 * @returns False when the session closed.
 */
export function withinRate(session: ServerSession, rate: RateLimiter, bytes: number): boolean {
  const verdict = rate.take(bytes);
  if (verdict === "ok") return true;
  const { limit, allowed } = rate.broken!;
  if (verdict === "exceeded") {
    session.close("rate-limit", `Sent more than ${allowed} (${limit}) for too long`);
    return false;
  }
  for (const socket of session.sockets.values()) socket.onRateWarning({ limit, allowed });
  return true;
}
