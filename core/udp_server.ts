/**
 * The server's UDP socket: it checks every datagram's tag and source address
 * against the bindings, and hands it to the owning session's link.
 *
 * The path of a datagram is allocation-light: a tag read from 4 bytes, one
 * map lookup by number, a port and address comparison, then the link.
 * Anything that fails a check is counted and dropped; nothing is answered.
 *
 * @module
 */

import type { Packet } from "../protocol/types.ts";
import type { BindUdpFn, UdpSocket } from "../runtime/types.ts";
import { type UdpBinding, UdpBindings } from "./udp_bindings.ts";
import { BIND_SIZE, boundDatagram, DATAGRAM_BIND, readU32 } from "./udp_datagram.ts";
import { UdpLink } from "./udp_link.ts";
import { DEFAULT_MAX_DATAGRAM_SIZE } from "./udp_sender.ts";
import type { UdpServerStats, UdpState, UdpStats, UdpStatus } from "./udp_stats.ts";
import { now } from "./types.ts";

/** UDP options of a server. */
export interface UdpServerOptions {
  /** Largest datagram the server sends, in bytes (64..65507). @default 1200 */
  maxDatagramSize?: number;
  /** Milliseconds a UDP token can bind after the welcome. @default 15000 */
  tokenTtl?: number;
  /**
   * Port the clients are told to send to, when it is not the bound one (a NAT
   * or container port mapping, a relay). @default the bound port
   */
  publicPort?: number;
}

/** The server's UDP socket and the bindings of every session. */
export class UdpServer {
  readonly #bindings: UdpBindings<UdpEndpoint>;
  readonly #maxDatagramSize: number;
  readonly #maxFrameSize: number;
  readonly #publicPort: number | undefined;
  #socket: UdpSocket | undefined;
  readonly #counts = { datagramsReceived: 0, unknown: 0, invalid: 0, rejectedBinds: 0 };
  readonly #onDatagram = (bytes: Uint8Array, port: number, address: string): void =>
    this.#receive(bytes, port, address);

  /**
   * @param options Sizes, token lifetime, public port.
   * @param maxFrameSize Largest frame accepted in a datagram.
   * @throws {RangeError} For a token lifetime that is not a positive number.
   */
  constructor(options: UdpServerOptions, maxFrameSize: number) {
    const ttl = options.tokenTtl ?? 15_000;
    if (!(ttl > 0)) throw new RangeError(`Cannot use udp.tokenTtl=${ttl}: it must be positive`);
    this.#bindings = new UdpBindings(ttl);
    this.#maxDatagramSize = options.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM_SIZE;
    this.#maxFrameSize = maxFrameSize;
    this.#publicPort = options.publicPort;
  }

  /** True once `listen` bound the socket (and until `close`). */
  get listening(): boolean {
    return this.#socket !== undefined;
  }

  /** The port clients are told (the public port, or the bound one; 0 when not listening). */
  get port(): number {
    return this.#socket ? this.#publicPort ?? this.#socket.port : 0;
  }

  /** Counters of datagrams no session owns, and the bindings in force. */
  get stats(): UdpServerStats {
    return { ...this.#counts, bindings: this.#bindings.size };
  }

  /**
   * Bind the socket.
   *
   * @returns The bound port.
   * @throws {Error} When already listening, or when the port cannot be bound.
   */
  async listen(bindUdp: BindUdpFn, port: number, hostname: string): Promise<number> {
    if (this.#socket) throw new Error("Cannot listen on UDP twice");
    // Fail early, before any session gets a link of a bad size.
    new UdpLink({ ...this.#linkOptions(0), send: () => false, deliver: () => {} });
    this.#socket = await bindUdp({ port, hostname }, this.#onDatagram);
    return this.#socket.port;
  }

  /**
   * Give a session its token and link; called at the welcome (and again on a
   * resume, after `release()` of the old endpoint).
   *
   * @param deliver Gets the session's frames that arrive over UDP.
   * @returns The endpoint, or undefined when the server has no UDP socket.
   */
  issue(deliver: (packet: Packet) => void): UdpEndpoint | undefined {
    const socket = this.#socket;
    if (!socket) return undefined;
    const bindings = this.#bindings;
    const binding: UdpBinding<UdpEndpoint> = bindings.issue((tag) =>
      new UdpEndpoint(
        new UdpLink({
          ...this.#linkOptions(tag),
          send: (bytes) => socket.send(bytes, binding.port, binding.address),
          deliver,
        }),
        () => binding,
        () => bindings.release(binding),
      )
    );
    return binding.owner;
  }

  /** Close the socket; sessions release their bindings as they close. */
  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    await socket?.close();
  }

  #linkOptions(tag: number) {
    return { tag, maxDatagramSize: this.#maxDatagramSize, maxFrameSize: this.#maxFrameSize };
  }

  #receive(bytes: Uint8Array, port: number, address: string): void {
    const counts = this.#counts;
    counts.datagramsReceived++;
    if (bytes.length < 5) {
      counts.invalid++;
      return;
    }
    if (bytes[0] === DATAGRAM_BIND) {
      const binding = bytes.length === BIND_SIZE
        ? this.#bindings.bind(bytes, port, address)
        : undefined;
      if (binding) binding.owner.onBind();
      else counts.rejectedBinds++;
      return;
    }
    const binding = this.#bindings.find(readU32(bytes, 1), port, address);
    if (binding) binding.owner.link.receive(bytes);
    else counts.unknown++;
  }
}

/** One session's UDP side on the server. */
export class UdpEndpoint implements UdpStatus {
  /** The session's link. */
  readonly link: UdpLink;
  readonly #binding: () => UdpBinding<UdpEndpoint>;
  readonly #release: () => void;
  #released = false;
  #lost = false;

  /**
   * Made by {@linkcode UdpServer.issue}.
   *
   * @param link The session's link.
   * @param binding Its binding (address, port, token).
   * @param release Forgets the binding.
   */
  constructor(link: UdpLink, binding: () => UdpBinding<UdpEndpoint>, release: () => void) {
    this.link = link;
    this.#binding = binding;
    this.#release = release;
  }

  /** The token for the welcome (16 bytes). */
  get token(): Uint8Array {
    return this.#binding().token;
  }

  /** True when volatile messages go over UDP. */
  get bound(): boolean {
    return !this.#released && this.#binding().port !== 0;
  }

  /** See {@linkcode UdpState}. */
  get state(): UdpState {
    if (this.#lost) return "failed";
    if (this.#released) return "closed";
    if (this.#binding().port !== 0) return "bound";
    return now() > this.#binding().expiresAt ? "failed" : "binding";
  }

  /** The link's counters. */
  get stats(): UdpStats {
    return this.link.stats;
  }

  /** Internal: a bind datagram was accepted; confirm it, and measure the round trip at once. */
  onBind(): void {
    this.link.output(boundDatagram(this.link.tag));
    if (this.#binding().binds === 1) this.link.ping();
  }

  /**
   * Called with every heartbeat of the session: a UDP ping, or, when pings
   * went unanswered for `MAX_MISSED_PINGS` heartbeats, the end of
   * the binding (state "failed"; volatile sends take the stream again).
   */
  heartbeat(): void {
    if (!this.bound || this.link.heartbeat()) return;
    this.release();
    this.#lost = true;
  }

  /** Remove the binding and stop the link (the session closed). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.link.close();
    this.#release();
  }
}
