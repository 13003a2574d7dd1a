/**
 * A client's namespaces, by name and by the wire id the server gave each.
 *
 * @module
 */

import type { ClientNamespace } from "./client_namespace.ts";
import { GameSocketError } from "./errors.ts";

/**
 * The namespaces of one client. Opened ones are listed by name at once, and
 * by wire id once the server accepted them.
 */
export class ClientSpaces {
  /** Every namespace opened (connecting or connected), by name. */
  readonly byName: Map<string, ClientNamespace> = new Map();
  readonly #byId = new Map<number, ClientNamespace>();
  // The namespace last looked up by id: nearly every message of a client goes to one, and
  // the map and its table were two more cold objects per message for a client that is one
  // of many in a process (the fan-out load generator runs 500).
  #hotId = -1;
  #hot: ClientNamespace | undefined;

  /**
   * List a namespace just opened, by name.
   *
   * @param nsp The namespace.
   * @param max The most namespaces the server allows per connection.
   * @returns The namespace.
   * @throws {GameSocketError} `ERR_LIMIT` when `max` are open already.
   */
  add(nsp: ClientNamespace, max: number): ClientNamespace {
    if (this.byName.size >= max) {
      throw new GameSocketError(
        "ERR_LIMIT",
        `Cannot open namespace "${nsp.name}": the server allows ${max} per connection`,
      );
    }
    this.byName.set(nsp.name, nsp);
    return nsp;
  }

  /**
   * The connected namespace with a wire id.
   *
   * @param id The id from a packet.
   * @returns The namespace, or undefined when none has that id.
   */
  byId(id: number): ClientNamespace | undefined {
    if (id === this.#hotId) return this.#hot;
    const nsp = this.#byId.get(id);
    if (nsp !== undefined) this.#hotId = id, this.#hot = nsp;
    return nsp;
  }

  /**
   * The server accepted a namespace under a wire id.
   *
   * @param id Its id.
   * @param nsp The namespace.
   */
  connected(id: number, nsp: ClientNamespace): void {
    this.#byId.set(id, nsp);
    if (id === this.#hotId) this.#hot = nsp;
  }

  /**
   * Forget a namespace that left.
   *
   * @param nsp The namespace.
   */
  forget(nsp: ClientNamespace): void {
    this.byName.delete(nsp.name);
    if (nsp.id < 0) return;
    this.#byId.delete(nsp.id);
    if (nsp.id === this.#hotId) this.#hotId = -1, this.#hot = undefined;
  }

  /** Forget the wire ids (a fresh session gives new ones); the names stay. */
  clearIds(): void {
    this.#byId.clear();
    this.#hotId = -1;
    this.#hot = undefined;
  }

  /** Forget everything. */
  clear(): void {
    this.byName.clear();
    this.clearIds();
  }
}
