/**
 * UDP tokens and bindings: the one place that decides which address may
 * speak for which session.
 *
 * The welcome gives the client a token of 16 random bytes
 * (`crypto.getRandomValues`). The client binds by sending it in a bind
 * datagram; the first bind before the token expires fixes the session's
 * address and port. After that, the same token from the same address is
 * accepted again (a lost `bound` reply), and from any other address, or
 * after expiry, it is rejected. Data from an address other than the bound
 * one is never attributed to the session.
 *
 * A resumed session (or any re-bind) calls `issue()` again and `release()`
 * on the old binding: the new token can bind a new address.
 *
 * @module
 */

import { BIND_SIZE, UDP_TOKEN_SIZE } from "./udp_datagram.ts";
import { now } from "./types.ts";

/** Default lifetime of an unused token, in milliseconds. */
export const DEFAULT_UDP_TOKEN_TTL = 15_000;

/** A token issued to one session, and the address it bound. */
export interface UdpBinding<T> {
  /** The token the client sends to bind (16 bytes). */
  readonly token: Uint8Array;
  /** The token's first 4 bytes (big-endian): every datagram of the session carries it. */
  readonly tag: number;
  /** `now()` after which the token cannot bind. */
  readonly expiresAt: number;
  /** The bound address ("" until bound). */
  address: string;
  /** The bound port (0 until bound). */
  port: number;
  /** Bind datagrams accepted (1 on the first; more when a `bound` reply was lost). */
  binds: number;
  /** Who the binding belongs to. */
  readonly owner: T;
}

/** Tokens in force, by tag. */
export class UdpBindings<T> {
  readonly #byTag = new Map<number, UdpBinding<T>>();
  readonly #ttl: number;

  /** @param ttl Milliseconds a token can bind after it was issued. */
  constructor(ttl: number = DEFAULT_UDP_TOKEN_TTL) {
    this.#ttl = ttl;
  }

  /** Bindings in force. */
  get size(): number {
    return this.#byTag.size;
  }

  /**
   * Issue a fresh, unguessable token with a tag no other binding uses.
   *
   * @param make Builds the owner, given the tag.
   * @returns The binding (unbound).
   */
  issue(make: (tag: number) => T): UdpBinding<T> {
    const token = new Uint8Array(UDP_TOKEN_SIZE);
    let tag = 0;
    for (let i = 0; tag === 0 || this.#byTag.has(tag); i++) {
      if (i === 8) throw new Error("Cannot issue a UDP token: no free tag after 8 draws");
      crypto.getRandomValues(token);
      tag = ((token[0]! << 24) | (token[1]! << 16) | (token[2]! << 8) | token[3]!) >>> 0;
    }
    const binding: UdpBinding<T> = {
      token,
      tag,
      expiresAt: now() + this.#ttl,
      address: "",
      port: 0,
      binds: 0,
      owner: make(tag),
    };
    this.#byTag.set(tag, binding);
    return binding;
  }

  /**
   * Check a bind datagram from `address:port`.
   *
   * @param bytes The datagram (kind byte, then the token).
   * @returns The binding (with `binds` counted), or undefined when refused:
   *   unknown or wrong token, expired, or bound to another address.
   */
  bind(bytes: Uint8Array, port: number, address: string): UdpBinding<T> | undefined {
    if (bytes.length !== BIND_SIZE) return undefined;
    const tag = ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0;
    const binding = this.#byTag.get(tag);
    if (binding === undefined || now() > binding.expiresAt) return undefined;
    const token = binding.token;
    let diff = 0; // every byte compared: the time taken says nothing about the token
    for (let i = 4; i < UDP_TOKEN_SIZE; i++) diff |= bytes[1 + i]! ^ token[i]!;
    if (diff !== 0) return undefined;
    if (binding.port === 0) {
      binding.port = port;
      binding.address = address;
    } else if (binding.port !== port || binding.address !== address) return undefined;
    binding.binds++;
    return binding;
  }

  /**
   * The binding a datagram from `address:port` with `tag` belongs to.
   *
   * @returns The binding, or undefined for an unknown tag or another address.
   */
  find(tag: number, port: number, address: string): UdpBinding<T> | undefined {
    const binding = this.#byTag.get(tag);
    if (binding === undefined || binding.port !== port || binding.address !== address) {
      return undefined;
    }
    return binding;
  }

  /** Forget a binding (its session closed, or it was replaced). */
  release(binding: UdpBinding<T>): void {
    if (this.#byTag.get(binding.tag) === binding) this.#byTag.delete(binding.tag);
  }
}
