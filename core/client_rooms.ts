/**
 * A client namespace's rooms: what the server says it is in, the joins in
 * flight, and the requests waiting for an answer.
 *
 * @module
 */

import { RoomOp } from "../protocol/types.ts";
import { GameSocketError } from "./errors.ts";

/** What {@linkcode ClientRooms} needs from its namespace. */
export interface ClientRoomsHost {
  /** The server's maxRoomsPerSocket (from its welcome). */
  maxRooms(): number;
  /** Send a room request once the namespace is connected, or reject it. */
  request(
    op: typeof RoomOp.Join | typeof RoomOp.Leave,
    room: string,
    reqId: number,
    reject: (error: Error) => void,
  ): void;
  /** Emit `join-room` / `leave-room` on the namespace. */
  notify(event: "join-room" | "leave-room", room: string): void;
}

interface RoomRequest {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The room state of one client namespace. */
export class ClientRooms {
  /** Rooms this socket is in, as the server told it. */
  readonly joined: Set<string> = new Set();
  /** Rooms with a join in flight, counted against maxRoomsPerSocket. */
  readonly #joining = new Set<string>();
  readonly #requests = new Map<number, RoomRequest>();
  #nextReqId = 1;
  readonly #host: ClientRoomsHost;

  /**
   * Make an empty room state.
   *
   * @param host The namespace's sending and events.
   */
  constructor(host: ClientRoomsHost) {
    this.#host = host;
  }

  /**
   * Ask to join; refused locally past the server's limit.
   *
   * @throws {GameSocketError} `ERR_LIMIT` (as a rejection) past maxRoomsPerSocket.
   */
  join(room: string): Promise<void> {
    const known = this.joined.has(room) || this.#joining.has(room);
    // The server counts the socket's own id room too, and joins already asked for.
    const max = this.#host.maxRooms();
    if (!known && this.joined.size + this.#joining.size + 1 >= max) {
      return Promise.reject(
        new GameSocketError(
          "ERR_LIMIT",
          `Cannot join "${room}": the server allows ${max} rooms (maxRoomsPerSocket)`,
        ),
      );
    }
    const request = this.#request(RoomOp.Join, room);
    if (!known) {
      this.#joining.add(room);
      const done = () => void this.#joining.delete(room);
      request.then(done, done);
    }
    return request;
  }

  /** Ask to leave. */
  leave(room: string): Promise<void> {
    return this.#request(RoomOp.Leave, room);
  }

  /** A room packet from the server: a notice, or the answer to a request. */
  onRoom(op: number, reqId: number, room: string, reason: string): void {
    const request = this.#requests.get(reqId);
    if (reqId !== 0) this.#requests.delete(reqId);
    if (op === RoomOp.Joined) {
      if (!this.joined.has(room)) {
        this.joined.add(room);
        this.#host.notify("join-room", room);
      }
      request?.resolve();
    } else if (op === RoomOp.Left) {
      if (this.joined.delete(room)) this.#host.notify("leave-room", room);
      request?.resolve();
    } else if (op === RoomOp.Refused) {
      request?.reject(new GameSocketError("ERR_JOIN_REFUSED", `Cannot join "${room}": ${reason}`));
    }
  }

  /**
   * Fail every waiting request and forget the rooms.
   *
   * @returns The rooms this socket was in.
   */
  reset(error: Error): string[] {
    for (const request of this.#requests.values()) request.reject(error);
    this.#requests.clear();
    const was = [...this.joined];
    this.joined.clear();
    return was;
  }

  #request(op: typeof RoomOp.Join | typeof RoomOp.Leave, room: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const reqId = this.#nextReqId++;
      this.#requests.set(reqId, { resolve, reject });
      this.#host.request(op, room, reqId, (error) => {
        this.#requests.delete(reqId);
        reject(error);
      });
    });
  }
}
