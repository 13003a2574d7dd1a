/**
 * The client's UDP side: a local socket, the bind handshake (the token from
 * the welcome, re-sent with backoff until the server confirms), then the
 * link. Volatile sends use it only once it is bound.
 *
 * @module
 */

import type { Packet } from "../protocol/types.ts";
import type { BindUdpFn, UdpSocket } from "../runtime/types.ts";
import {
  bindDatagram,
  BOUND_SIZE,
  DATAGRAM_BOUND,
  readU32,
  tagOf,
  UDP_TOKEN_SIZE,
} from "./udp_datagram.ts";
import { UdpLink } from "./udp_link.ts";
import { DEFAULT_MAX_DATAGRAM_SIZE } from "./udp_sender.ts";
import type { UdpState, UdpStats, UdpStatus } from "./udp_stats.ts";
import { now } from "./types.ts";

/** UDP options of a client. */
export interface ClientUdpOptions {
  /** Largest datagram the client sends, in bytes (64..65507). @default 1200 */
  maxDatagramSize?: number;
  /** Milliseconds to keep trying to bind before giving up (the stream then carries everything). @default 10000 */
  bindTimeout?: number;
}

/** What a {@linkcode UdpClient} needs from its client. */
export interface UdpClientInit {
  /** The runtime's UDP bind. */
  bindUdp: BindUdpFn;
  /** The server's IP address (the one the stream reached). */
  address: string;
  /** The server's UDP port, from the welcome. */
  port: number;
  /** The token from the welcome (copied). */
  token: Uint8Array;
  /** Largest frame accepted. */
  maxFrameSize: number;
  /** A frame from the server that is neither late nor duplicate. */
  deliver(packet: Packet): void;
  /** The link became bound, or binding failed. */
  onState(state: UdpState): void;
}

/** First re-send of the bind datagram, in ms; it doubles up to {@linkcode MAX_RETRY_MS}. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1_000;

/** The client end of a connection's UDP link. */
export class UdpClient implements UdpStatus {
  /** The link (counters, send, receive). */
  readonly link: UdpLink;
  readonly #init: UdpClientInit;
  readonly #bind: Uint8Array;
  readonly #deadline: number;
  #state: UdpState = "binding";
  #socket: UdpSocket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retry = FIRST_RETRY_MS;

  /**
   * Bind a local socket and start binding it to the session.
   *
   * @param init The server's address, port and token, and the callbacks.
   * @param options Datagram size and bind timeout.
   */
  constructor(init: UdpClientInit, options: ClientUdpOptions = {}) {
    this.#init = init;
    this.#bind = bindDatagram(init.token);
    const timeout = options.bindTimeout ?? 10_000;
    this.#deadline = now() + timeout;
    this.link = new UdpLink({
      tag: tagOf(init.token),
      maxDatagramSize: options.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM_SIZE,
      maxFrameSize: init.maxFrameSize,
      send: (bytes) => this.#socket?.send(bytes, init.port, init.address) ?? false,
      deliver: init.deliver,
    });
    const hostname = init.address.includes(":") ? "::" : "0.0.0.0";
    init.bindUdp(
      { port: 0, hostname },
      (bytes, port, address) => this.#receive(bytes, port, address),
    ).then(
      (socket) => {
        if (this.#state !== "binding") return void socket.close();
        this.#socket = socket;
        this.#sendBind();
      },
      () => this.#fail(),
    );
  }

  /** See {@linkcode UdpState}. */
  get state(): UdpState {
    return this.#state;
  }

  /** True when volatile messages go over UDP. */
  get bound(): boolean {
    return this.#state === "bound";
  }

  /** The link's counters. */
  get stats(): UdpStats {
    return this.link.stats;
  }

  /**
   * Called with every heartbeat: a UDP ping, or, when pings went unanswered
   * for `MAX_MISSED_PINGS` heartbeats, the end of UDP ("failed": volatile
   * sends take the stream again).
   */
  heartbeat(): void {
    if (this.#state !== "bound" || this.link.heartbeat()) return;
    this.#state = "failed";
    this.#stop();
    this.#init.onState("failed");
  }

  /** Close the socket and stop retrying. */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#stop();
  }

  #sendBind(): void {
    if (this.#state !== "binding") return;
    if (now() >= this.#deadline) return this.#fail();
    this.link.output(this.#bind);
    this.#timer = setTimeout(() => this.#sendBind(), this.#retry);
    this.#retry = Math.min(this.#retry * 2, MAX_RETRY_MS);
  }

  #receive(bytes: Uint8Array, port: number, address: string): void {
    const init = this.#init;
    if (port !== init.port || address !== init.address) {
      this.link.stats.invalid++; // not from the server
      return;
    }
    if (bytes[0] === DATAGRAM_BOUND) {
      if (bytes.length === BOUND_SIZE && readU32(bytes, 1) === this.link.tag) {
        this.link.stats.datagramsReceived++;
        this.#confirm();
      } else this.link.stats.invalid++;
      return;
    }
    // The server sends with the tag only once bound: any of its datagrams confirms too.
    if (this.link.receive(bytes)) this.#confirm();
  }

  #confirm(): void {
    if (this.#state !== "binding") return;
    this.#state = "bound";
    clearTimeout(this.#timer);
    this.link.ping();
    this.#init.onState("bound");
  }

  #fail(): void {
    if (this.#state !== "binding") return;
    this.#state = "failed";
    this.#stop();
    this.#init.onState("failed");
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.link.close();
    void this.#socket?.close();
    this.#socket = undefined;
  }
}

/** What {@linkcode startUdpClient} needs besides the welcome. */
export interface StartUdpClientInit extends Omit<UdpClientInit, "port" | "token" | "bindUdp"> {
  /** The runtime's UDP bind, if it has one (asked only when UDP is offered; may throw). */
  bindUdp: () => BindUdpFn | undefined;
  /** The client's `udp` option: false turns UDP off. */
  option: boolean | ClientUdpOptions | undefined;
}

/**
 * Start binding when the welcome offers UDP, the option allows it and the
 * runtime has UDP.
 *
 * @param welcome The server's welcome (its token is copied).
 * @param init The rest of what the client needs.
 * @returns The binding client, or undefined when UDP is off.
 */
export function startUdpClient(
  welcome: { udpToken: Uint8Array; udpPort: number },
  init: StartUdpClientInit,
): UdpClient | undefined {
  const option = init.option;
  if (option === false || welcome.udpPort === 0) return undefined;
  if (welcome.udpToken.length !== UDP_TOKEN_SIZE) return undefined;
  let bindUdp: BindUdpFn | undefined;
  try {
    bindUdp = init.bindUdp();
  } catch {
    return undefined; // no runtime installed (a custom transport): the stream carries everything
  }
  if (!bindUdp) return undefined;
  return new UdpClient(
    { ...init, bindUdp, port: welcome.udpPort, token: welcome.udpToken.slice() },
    typeof option === "object" ? option : {},
  );
}
