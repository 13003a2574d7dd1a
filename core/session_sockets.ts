/**
 * A connection's sockets, one per namespace it opened.
 *
 * @module
 */

import type { ServerSocket } from "./socket.ts";

/**
 * The sockets of one connection by namespace id. Most connections open one
 * namespace: it is kept in a field, and any more in a short array searched in
 * order (a connection opens at most `maxNamespacesPerSocket`, 16 by default).
 * A `Map` cost ~180 heap bytes of every idle connection.
 */
export class SessionSockets {
  #first: ServerSocket | undefined;
  #more: ServerSocket[] | undefined;

  /** Sockets open. */
  get size(): number {
    return (this.#first ? 1 : 0) + (this.#more?.length ?? 0);
  }

  /**
   * The socket in a namespace.
   *
   * @param nsp Namespace id.
   */
  get(nsp: number): ServerSocket | undefined {
    if (this.#first?.namespace.id === nsp) return this.#first;
    if (this.#more) {
      for (const socket of this.#more) if (socket.namespace.id === nsp) return socket;
    }
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
    if (this.#first === undefined) this.#first = socket;
    else (this.#more ??= []).push(socket);
  }

  /**
   * Forget a namespace's socket.
   *
   * @param nsp Namespace id.
   */
  delete(nsp: number): void {
    if (this.#first?.namespace.id === nsp) {
      this.#first = this.#more?.shift();
    } else if (this.#more) {
      const i = this.#more.findIndex((socket) => socket.namespace.id === nsp);
      if (i >= 0) this.#more.splice(i, 1);
    }
    if (this.#more?.length === 0) this.#more = undefined;
  }

  /** A copy of the sockets, in the order they opened (safe to change the set while iterating). */
  values(): ServerSocket[] {
    const out = this.#more ? this.#more.slice() : [];
    if (this.#first) out.unshift(this.#first);
    return out;
  }

  /** Forget every socket. */
  clear(): void {
    this.#first = this.#more = undefined;
  }
}
