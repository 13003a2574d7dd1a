/**
 * The two-way index of rooms and their members, for one namespace in one process.
 *
 * @module
 */

/** Room lifecycle callbacks. */
export interface RoomEvents {
  /** A room got its first member. */
  create(room: string): void;
  /** A socket joined a room. */
  join(room: string, id: string): void;
  /** A socket left a room. */
  leave(room: string, id: string): void;
  /** A room lost its last member. */
  delete(room: string): void;
}

/** Rooms to members and members to rooms; empty rooms and members are removed at once. */
export class Rooms {
  /** Room name to member socket ids. */
  readonly rooms: Map<string, Set<string>> = new Map();
  /** Socket id to the rooms it is in. */
  readonly sids: Map<string, Set<string>> = new Map();
  readonly #events: RoomEvents;

  /**
   * Make an empty index.
   *
   * @param events Lifecycle callbacks.
   */
  constructor(events: RoomEvents) {
    this.#events = events;
  }

  /**
   * Put a socket in a room.
   *
   * @returns False when it was already a member.
   */
  add(id: string, room: string): boolean {
    let members = this.rooms.get(room);
    if (members?.has(id)) return false;
    if (!members) {
      members = new Set();
      this.rooms.set(room, members);
      this.#events.create(room);
    } else if (members === this.sids.get(room)) {
      // Another socket joins a socket's own room: the two stop sharing a set.
      this.rooms.set(room, members = new Set(members));
    }
    members.add(id);
    let joined = this.sids.get(id);
    if (!joined) {
      // A socket's own room and its list of rooms are one shared set {id} until it
      // joins another room: one set per idle socket instead of two (~170 heap bytes).
      joined = room === id && members.size === 1 ? members : new Set();
      this.sids.set(id, joined);
    } else if (joined === this.rooms.get(id)) this.sids.set(id, joined = new Set(joined));
    joined.add(room);
    this.#events.join(room, id);
    return true;
  }

  /**
   * Take a socket out of a room.
   *
   * @returns False when it was not a member.
   */
  remove(id: string, room: string): boolean {
    const members = this.rooms.get(room);
    if (!members?.delete(id)) return false;
    const joined = this.sids.get(id);
    joined?.delete(room);
    if (joined?.size === 0) this.sids.delete(id);
    this.#events.leave(room, id);
    if (members.size === 0) {
      this.rooms.delete(room);
      this.#events.delete(room);
    }
    return true;
  }

  /** Take a socket out of every room. */
  removeAll(id: string): void {
    const joined = this.sids.get(id);
    if (!joined) return;
    for (const room of [...joined]) this.remove(id, room);
  }

  /** Rooms a socket is in (empty when none). */
  roomsOf(id: string): ReadonlySet<string> {
    return this.sids.get(id) ?? EMPTY;
  }

  /**
   * Ids of the sockets in any of `rooms` (all of `all` when `rooms` is empty),
   * minus the members of any room in `except` (a socket id is its own room).
   */
  select(
    rooms: ReadonlySet<string>,
    except: ReadonlySet<string>,
    all: Iterable<string>,
  ): Set<string> {
    const excluded = new Set<string>();
    for (const room of except) {
      excluded.add(room);
      for (const id of this.rooms.get(room) ?? EMPTY) excluded.add(id);
    }
    const out = new Set<string>();
    if (rooms.size === 0) {
      for (const id of all) if (!excluded.has(id)) out.add(id);
      return out;
    }
    for (const room of rooms) {
      for (const id of this.rooms.get(room) ?? EMPTY) if (!excluded.has(id)) out.add(id);
    }
    return out;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
