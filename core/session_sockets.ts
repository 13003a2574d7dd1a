/**
 * A connection's sockets, one per namespace it opened.
 *
 * @module
 */

import type { ServerSocket } from "./socket.ts";

/** Shared by every connection without sockets: never written (`set` replaces it). */
const NONE: ServerSocket[] = [];

/**
 * The sockets of one connection by namespace id: a short array searched in
 * order (a connection opens at most `maxNamespacesPerSocket` namespaces, 16
 * by default, and usually one), where a `Map` cost ~180 heap bytes of every
 * idle connection.
 */
export class SessionSockets {
  #list: ServerSocket[] = NONE;

  /** Sockets open. */
  get size(): number {
    return this.#list.length;
  }

  /**
   * The socket in a namespace.
   *
   * @param nsp Namespace id.
   */
  get(nsp: number): ServerSocket | undefined {
    for (const socket of this.#list) if (socket.namespace.id === nsp) return socket;
    return undefined;
  }

  /**
   * Whether a namespace has a socket.
   *
   * @param nsp Namespace id.
   */
  has(nsp: number): boolean {
    return this.get(nsp) !== undefined;
  }

  /**
   * Add (or replace) the socket of a namespace.
   *
   * @param nsp Namespace id (the socket's namespace).
   * @param socket The socket.
   */
  set(nsp: number, socket: ServerSocket): void {
    this.delete(nsp);
    // A literal for the first: push() would give the array room for 17.
    if (this.#list.length === 0) this.#list = [socket];
    else this.#list.push(socket);
  }

  /**
   * Forget a namespace's socket.
   *
   * @param nsp Namespace id.
   */
  delete(nsp: number): void {
    const i = this.#list.findIndex((socket) => socket.namespace.id === nsp);
    if (i >= 0) this.#list.splice(i, 1);
  }

  /** A copy of the sockets, in the order they opened (safe to change the set while iterating). */
  values(): ServerSocket[] {
    return this.#list.slice();
  }

  /** Forget every socket. */
  clear(): void {
    this.#list = NONE;
  }
}
