/**
 * Joining and leaving rooms for one server socket: the server's own calls and
 * the client's requests, with the room limits and the notices to the client.
 *
 * @module
 */

import { PacketKind, RoomOp } from "../protocol/types.ts";
import { GameSocketError } from "./errors.ts";
import { longerThan } from "./limits.ts";
import type { ServerSocket } from "./socket.ts";

/**
 * Put a socket in a room and tell the client (`reqId` answers its request, 0 when the server asked).
 *
 * @throws {GameSocketError} `ERR_LIMIT` past maxRoomsPerSocket when the server asked.
 */
export function joinRoom(socket: ServerSocket, room: string, reqId: number): void {
  if (!socket.connected) return;
  const limit = socket.namespace.server.limits.maxRoomsPerSocket;
  if (!socket.rooms.has(room) && socket.rooms.size >= limit) {
    if (reqId === 0) {
      throw new GameSocketError(
        "ERR_LIMIT",
        `Cannot join "${room}": already in ${limit} rooms (maxRoomsPerSocket)`,
      );
    }
    return refuse(
      socket,
      reqId,
      room,
      `too-many-rooms: already in ${limit} rooms (maxRoomsPerSocket)`,
    );
  }
  socket.namespace.rooms.add(socket.id, room);
  notice(socket, RoomOp.Joined, reqId, room, "");
}

/** Take a socket out of a room and tell the client (its own id room stays). */
export function leaveRoom(socket: ServerSocket, room: string, reqId: number): void {
  if (!socket.connected || room === socket.id) return;
  socket.namespace.rooms.remove(socket.id, room);
  notice(socket, RoomOp.Left, reqId, room, "");
}

/**
 * A client's join or leave request: check the name, run the namespace's join
 * guards, then answer with joined, left or refused (and a reason).
 */
export async function onRoomRequest(
  socket: ServerSocket,
  op: number,
  reqId: number,
  room: string,
): Promise<void> {
  if (op !== RoomOp.Join && op !== RoomOp.Leave) {
    return socket.session.close("invalid-packet", `A client cannot send room operation ${op}`);
  }
  if (op === RoomOp.Leave) return leaveRoom(socket, room, reqId);
  const maxName = socket.namespace.server.limits.maxRoomNameLength;
  if (longerThan(room, maxName)) {
    return refuse(
      socket,
      reqId,
      room,
      `room-name-too-long: at most ${maxName} bytes (maxRoomNameLength)`,
    );
  }
  try {
    await socket.namespace.authorizeJoin(socket, room);
    joinRoom(socket, room, reqId);
  } catch (error) {
    refuse(socket, reqId, room, error instanceof Error ? error.message : String(error));
  }
}

/** A refusal echoes the room: keep the reply small whatever the client sent. */
function refuse(socket: ServerSocket, reqId: number, room: string, reason: string): void {
  const clipped = reason.length > 1024 ? `${reason.slice(0, 1024)}...` : reason;
  notice(socket, RoomOp.Refused, reqId, room.length > 256 ? "" : room, clipped);
}

function notice(
  socket: ServerSocket,
  op: typeof RoomOp.Joined | typeof RoomOp.Left | typeof RoomOp.Refused,
  reqId: number,
  room: string,
  reason: string,
): void {
  socket.session.sendPacket({
    kind: PacketKind.Room,
    nsp: socket.namespace.id,
    op,
    reqId,
    room,
    reason,
  });
}
