/**
 * The sizes of a server's registries, for metrics and for tests that check
 * nothing leaks.
 *
 * @module
 */

import type { Namespace } from "./namespace.ts";

/** How much a server holds right now. Every count is 0 on an idle server. */
export interface ServerStats {
  /** Open sessions (client connections past accept, not yet closed). */
  sessions: number;
  /** Links not closed yet (a closed session's link may linger up to a couple of seconds). */
  transports: number;
  /** Addresses with at least one counted connection (for `maxConnectionsPerAddress`). */
  addresses: number;
  /** Sockets, summed over namespaces. */
  sockets: number;
  /** Rooms, summed over namespaces (each socket's own id room included). */
  rooms: number;
  /** Sockets in at least one room (the room index's reverse side), summed over namespaces. */
  roomMembers: number;
  /** Acks the server waits for from clients, summed over sockets. */
  pendingAcks: number;
}

/**
 * Count what the namespaces hold and merge it with the server's own counts.
 *
 * @param namespaces Every namespace of the server.
 * @param own Counts the server keeps itself.
 * @returns The stats.
 */
export function collectStats(
  namespaces: Iterable<Namespace>,
  own: Pick<ServerStats, "sessions" | "transports" | "addresses">,
): ServerStats {
  const stats: ServerStats = { ...own, sockets: 0, rooms: 0, roomMembers: 0, pendingAcks: 0 };
  for (const namespace of namespaces) {
    stats.sockets += namespace.sockets.size;
    stats.rooms += namespace.rooms.rooms.size;
    stats.roomMembers += namespace.rooms.sids.size;
    for (const socket of namespace.sockets.values()) stats.pendingAcks += socket.pendingAcks;
  }
  return stats;
}
