/**
 * Which channels a process listens to, and which a message goes to.
 *
 * Channels: one per namespace (`<prefix>:a:<nsp>`, for namespace-wide
 * broadcasts), one per room (`<prefix>:r:<nsp length>:<nsp>:<room>`, the
 * length keeping names with colons apart) and one per process
 * (`<prefix>:n:<node id>`, for replies). A process listens to a namespace's
 * channel while it has sockets there and to a room's channel while it has
 * members in it.
 *
 * @module
 */

import type { BroadcastTarget } from "../core/broadcast.ts";
import type { Namespace } from "../core/namespace.ts";
import type { ClusterEngine } from "./adapter.ts";
import type { Targeted } from "./message.ts";

/** The subscriptions of one process, changed in batches (one engine call per turn). */
export class Channels {
  readonly #prefix: string;
  readonly #engine: ClusterEngine;
  readonly #onError: (error: unknown) => void;
  /** Local rooms per namespace: its channel is wanted while there is one. */
  readonly #rooms = new Map<string, number>();
  /** (Un)subscriptions of this turn, applied together. */
  readonly #pending = new Map<string, boolean>();
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;

  /**
   * @param prefix Prefix of every channel.
   * @param engine Where to (un)subscribe.
   * @param onError Called when an engine call fails.
   */
  constructor(prefix: string, engine: ClusterEngine, onError: (error: unknown) => void) {
    this.#prefix = prefix;
    this.#engine = engine;
    this.#onError = onError;
  }

  /** The channel of a process. */
  node(id: string): string {
    return `${this.#prefix}:n:${id}`;
  }

  /** A room of `nsp` got its first local member. */
  roomCreated(nsp: string, room: string): void {
    const n = (this.#rooms.get(nsp) ?? 0) + 1;
    this.#rooms.set(nsp, n);
    if (n === 1) this.want(this.#nsp(nsp), true);
    this.want(this.#room(nsp, room), true);
  }

  /** A room of `nsp` lost its last local member. */
  roomDeleted(nsp: string, room: string): void {
    const n = (this.#rooms.get(nsp) ?? 1) - 1;
    this.want(this.#room(nsp, room), false);
    if (n > 0) return void this.#rooms.set(nsp, n);
    this.#rooms.delete(nsp);
    this.want(this.#nsp(nsp), false);
  }

  /** Listen to a channel or stop; applied at the end of the turn. */
  want(channel: string, on: boolean): void {
    if (this.#pending.size === 0) queueMicrotask(() => this.#apply());
    this.#pending.set(channel, on);
  }

  /** Resolve once every change asked for so far is applied by the engine. */
  async flush(): Promise<void> {
    this.#apply();
    await Promise.allSettled([...this.#inflight]);
  }

  /** Stop applying changes (the adapter is closing). */
  close(): void {
    this.#closed = true;
    this.#pending.clear();
  }

  /** Channels a target's message goes to; a local socket's id room has no member elsewhere. */
  of(nsp: Namespace, target: BroadcastTarget): string[] {
    if (target.rooms.size === 0) return [this.#nsp(nsp.name)];
    const out: string[] = [];
    for (const room of target.rooms) {
      if (!nsp.sockets.has(room)) out.push(this.#room(nsp.name, room));
    }
    return out;
  }

  #nsp(nsp: string): string {
    return `${this.#prefix}:a:${nsp}`;
  }

  #room(nsp: string, room: string): string {
    return `${this.#prefix}:r:${nsp.length}:${nsp}:${room}`;
  }

  #apply(): void {
    if (this.#pending.size === 0 || this.#closed) return;
    const add: string[] = [];
    const remove: string[] = [];
    for (const [channel, on] of this.#pending) (on ? add : remove).push(channel);
    this.#pending.clear();
    if (remove.length) this.#track(this.#engine.unsubscribe(remove));
    if (add.length) this.#track(this.#engine.subscribe(add));
  }

  #track(p: Promise<void>): void {
    const done: Promise<void> = p.catch(this.#onError).finally(() => this.#inflight.delete(done));
    this.#inflight.add(done);
  }
}

/** Remembers recent multi-channel messages, so a process on two of their channels acts once. */
export class RecentMessages {
  readonly #seen = new Set<string>();
  readonly #order: string[] = [];
  readonly #size: number;

  /** @param size How many messages to remember. */
  constructor(size = 1024) {
    this.#size = size;
  }

  /** True for the first copy of a message (a single-channel message is always first). */
  first(m: Targeted): boolean {
    if (!m.multi) return true;
    const key = `${m.node}/${m.seq}`;
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    this.#order.push(key);
    if (this.#order.length > this.#size) this.#seen.delete(this.#order.shift()!);
    return true;
  }
}
