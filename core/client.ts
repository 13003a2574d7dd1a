/**
 * The game client: one connection to a server, with namespaces multiplexed on it.
 *
 * @module
 */

import { decodePacket, encodePacket } from "../protocol/packet.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { Schema } from "../protocol/schema.ts";
import { SchemaRegistry } from "../protocol/schema_registry.ts";
import {
  type Packet,
  PacketKind,
  type PeerLimits,
  PROTOCOL_VERSION,
  type WelcomePacket,
} from "../protocol/types.ts";
import type { Runtime, Transport, TransportHandlers } from "../runtime/types.ts";
import { ClientNamespace } from "./client_namespace.ts";
import { defaultRuntime } from "./default_runtime.ts";
import { Emitter } from "./emitter.ts";
import { type DisconnectReason, GameSocketError } from "./errors.ts";
import { Heartbeat } from "./heartbeat.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { openLink } from "./open_link.ts";
import type { EventMap } from "./types.ts";
import { type ClientUdpOptions, startUdpClient, type UdpClient } from "./udp_client.ts";
import { UDP_OFF, type UdpStatus } from "./udp_stats.ts";

/** Opens a transport to a URL; the default uses the runtime's sockets. */
export type TransportFactory = (url: URL, handlers: TransportHandlers) => Promise<Transport>;

/** Options of {@linkcode GameSocketClient.connect}. */
export interface ClientOptions {
  /** Milliseconds to wait for the connection and the server's welcome. @default 10000 */
  connectTimeout?: number;
  /** Largest frame accepted from the server. @default 65536 */
  maxFrameSize?: number;
  /** Schemas the client sends or receives (also registered by `on`/`send`). */
  schemas?: Schema<never>[];
  /** Open the link yourself (tests, custom transports). */
  transport?: TransportFactory;
  /** The runtime's sockets; defaults to the one the entry point installed. */
  runtime?: Runtime;
  /** Bind UDP for volatile messages when the server offers it; false keeps to the stream. @default true */
  udp?: boolean | ClientUdpOptions;
}

/** Connection states of a client. */
export type ClientState = "connecting" | "open" | "closed";

/** Handlers of the events a client emits. */
export interface ClientEvents {
  /** The connection closed; the reason comes from the server or the link. */
  disconnect: (reason: DisconnectReason, message: string) => void;
  /** A handler threw. */
  error: (error: unknown) => void;
  /** UDP became bound (volatile sends now use it), or binding failed (they keep to the stream). */
  udp: (state: "bound" | "failed") => void;
}

/**
 * A connection to a game-socket server.
 *
 * @example
 * ```ts ignore
 * const client = await GameSocketClient.connect("tcp://127.0.0.1:3103");
 * const home = client.of("/home");
 * await home.join("lobby");
 * home.emit("hello", "hello all");
 * ```
 */
export class GameSocketClient extends Emitter {
  /** The server's URL. */
  readonly url: URL;
  /** Schemas known to this client. */
  readonly schemas: SchemaRegistry = new SchemaRegistry();
  /** The connection's socket id, given by the server. */
  sid = "";
  /** Limits the server enforces (from its welcome). */
  limits: PeerLimits = { ...DEFAULT_LIMITS };
  /** Round-trip time of the last heartbeat, in milliseconds. */
  rtt = 0;
  #state: ClientState = "connecting";
  #transport: Transport | undefined;
  #heartbeat: Heartbeat | undefined;
  readonly #byName = new Map<string, ClientNamespace>();
  readonly #byId = new Map<number, ClientNamespace>();
  readonly #options: ClientOptions;
  #welcome: ((welcome: WelcomePacket) => void) | undefined;
  #udp: UdpClient | undefined;
  #refused: ((error: Error) => void) | undefined;

  private constructor(url: URL, options: ClientOptions) {
    super();
    this.url = url;
    this.#options = options;
    for (const schema of options.schemas ?? []) this.schemas.register(schema);
  }

  /**
   * Connect to a server and complete the handshake.
   *
   * @param url `tcp://host:port` (or `ws://`/`wss://` where supported).
   * @param options Timeouts, limits, schemas.
   * @throws {GameSocketError} `ERR_CONNECT_FAILED` when the link cannot be opened,
   *   `ERR_CONNECT_REFUSED` when the server refuses (with its reason).
   */
  static async connect(url: string | URL, options: ClientOptions = {}): Promise<GameSocketClient> {
    const client = new GameSocketClient(new URL(url), options);
    await client.#open();
    return client;
  }

  /** Connection state. */
  get state(): ClientState {
    return this.#state;
  }

  /** The link in use (undefined once closed). */
  get transport(): Transport | undefined {
    return this.#transport;
  }

  /**
   * Open (or get) a namespace on this connection.
   *
   * @param name Namespace name, e.g. "/home".
   * @param auth Data for the server's middleware.
   */
  of<L extends EventMap = EventMap, E extends EventMap = EventMap>(
    name: string,
    auth?: unknown,
  ): ClientNamespace<L, E> {
    let nsp = this.#byName.get(name);
    if (!nsp) {
      if (this.#byName.size >= this.limits.maxNamespacesPerSocket) {
        throw new GameSocketError(
          "ERR_LIMIT",
          `Cannot open namespace "${name}": the server allows ${this.limits.maxNamespacesPerSocket} per connection`,
        );
      }
      nsp = new ClientNamespace(this, name);
      this.#byName.set(name, nsp);
      if (this.#state === "open") this.sendPacket(nsp.connectPacket(auth));
      else {nsp.fail(
          new GameSocketError("ERR_NOT_CONNECTED", "Cannot open a namespace: the client is closed"),
        );}
    }
    return nsp as unknown as ClientNamespace<L, E>;
  }

  /** Close the connection; the server sees `client-close`. Never reconnects. */
  close(): void {
    if (this.#state === "closed") return;
    this.sendPacket({ kind: PacketKind.Disconnect, nsp: -1, reason: "client-close", message: "" });
    this.#closed("client-close", "");
  }

  /** Listen to a client event. */
  on<K extends keyof ClientEvents>(event: K, handler: ClientEvents[K]): this {
    this.addHandler(event, handler);
    return this;
  }

  /** Listen to the next occurrence only. */
  once<K extends keyof ClientEvents>(event: K, handler: ClientEvents[K]): this {
    this.addOnceHandler(event, handler);
    return this;
  }

  /** Remove a client event handler. */
  off<K extends keyof ClientEvents>(event: K, handler?: ClientEvents[K]): this {
    this.removeHandler(event, handler);
    return this;
  }

  /** Internal: encode and queue a packet. */
  sendPacket(packet: Packet, volatile = false): boolean {
    return this.send(encodePacket(packet), volatile);
  }

  /** Internal: queue an encoded frame; checks the server's frame limit first. */
  send(frame: Uint8Array, volatile = false): boolean {
    const transport = this.#transport;
    if (this.#state !== "open" || !transport) return false;
    if (frame.length > this.limits.maxFrameSize) {
      throw new GameSocketError(
        "ERR_LIMIT",
        `Cannot send a ${frame.length}-byte frame: the server accepts at most ${this.limits.maxFrameSize} (maxFrameSize)`,
      );
    }
    if (volatile && this.#udp?.bound && this.#udp.link.send(frame)) return true;
    if (volatile && transport.bufferedAmount > DEFAULT_LIMITS.volatileHighWaterMark) return false;
    transport.send(frame);
    return true;
  }

  /** Whether volatile sends go over UDP (`state` is "bound") or the stream, and UDP counters. */
  get udp(): UdpStatus {
    return this.#udp ?? UDP_OFF;
  }

  /** Internal: a namespace left; forget it. */
  forget(nsp: ClientNamespace): void {
    this.#byName.delete(nsp.name);
    if (nsp.id >= 0) this.#byId.delete(nsp.id);
  }

  /** Report handler errors through the `error` event. */
  reportError(error: unknown, where: string): void {
    if (this.hasListeners("error")) this.dispatch("error", error);
    else console.error(`game-socket client: unhandled error in ${where}:`, error);
  }

  /** Handler errors go to the `error` event. */
  protected override onHandlerError(error: unknown, event: string): void {
    this.reportError(error, `handler of "${event}"`);
  }

  async #open(): Promise<void> {
    const timeout = this.#options.connectTimeout ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const welcomed = new Promise<WelcomePacket>((resolve, reject) => {
      this.#welcome = resolve;
      this.#refused = reject;
      timer = setTimeout(
        () => reject(new GameSocketError("ERR_CONNECT_FAILED", `No welcome within ${timeout} ms`)),
        timeout,
      );
    });
    try {
      this.#transport = await this.#openTransport();
      this.#transport.send(encodePacket({
        kind: PacketKind.Hello,
        version: PROTOCOL_VERSION,
        resumeToken: "",
        received: 0,
      }));
      const welcome = await welcomed;
      this.#onWelcome(welcome);
    } catch (error) {
      this.#state = "closed";
      this.#transport?.close();
      throw error instanceof GameSocketError ? error : new GameSocketError(
        "ERR_CONNECT_FAILED",
        `Cannot connect to ${this.url.href}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      this.#welcome = this.#refused = undefined;
    }
  }

  #openTransport(): Promise<Transport> {
    const handlers: TransportHandlers = {
      frame: (frame) => this.#onFrame(frame),
      error: (error) => this.#onWireError(error),
      close: (error) => this.#onTransportClose(error),
    };
    if (this.#options.transport) return this.#options.transport(this.url, handlers);
    const runtime = this.#options.runtime ?? defaultRuntime();
    const maxFrameSize = this.#options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize;
    return openLink(runtime, this.url, maxFrameSize, handlers); // tcp://, ws://, wss://
  }

  #onWelcome(welcome: WelcomePacket): void {
    this.sid = welcome.sid;
    this.limits = welcome.limits;
    this.#state = "open";
    this.#heartbeat = new Heartbeat(
      welcome.pingInterval,
      welcome.pingTimeout,
      (time) => {
        this.sendPacket({ kind: PacketKind.Ping, time });
        this.#udp?.heartbeat();
      },
      () => {
        this.#transport?.close();
        this.#closed("ping-timeout", "No frame from the server in time");
      },
    );
    this.#udp?.close(); // a new welcome (a resume) brings a new token
    this.#udp = startUdpClient(welcome, {
      option: this.#options.udp,
      bindUdp: () => (this.#options.runtime ?? defaultRuntime()).bindUdp,
      address: this.#transport?.remoteAddress || this.url.hostname.replace(/^\[|\]$/g, ""),
      maxFrameSize: this.#options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
      deliver: (packet) => "nsp" in packet && this.#byId.get(packet.nsp)?.onPacket(packet),
      onState: (state) => this.dispatch("udp", state),
    });
  }

  #onFrame(frame: Uint8Array): void {
    this.#heartbeat?.received();
    let packet: Packet;
    try {
      packet = decodePacket(frame);
    } catch (error) {
      return this.#onWireError(error as Error);
    }
    switch (packet.kind) {
      case PacketKind.Welcome:
        return this.#welcome?.(packet);
      case PacketKind.ConnectOk: {
        const nsp = this.#byName.get(packet.name);
        if (!nsp) return;
        this.#byId.set(packet.nsp, nsp);
        return nsp.onConnectOk(packet.nsp);
      }
      case PacketKind.ConnectError: {
        const error = new GameSocketError(
          packet.code === "unknown-namespace" ? "ERR_UNKNOWN_NAMESPACE" : "ERR_CONNECT_REFUSED",
          `${packet.message} (${packet.code})`,
          { reason: packet.code },
        );
        if (packet.name === "") return this.#refused?.(error);
        const nsp = this.#byName.get(packet.name);
        if (nsp) {
          this.#byName.delete(packet.name);
          nsp.fail(error);
        }
        return;
      }
      case PacketKind.Disconnect:
        if (packet.nsp === -1) {
          this.#refused?.(
            new GameSocketError("ERR_CONNECT_REFUSED", `${packet.message} (${packet.reason})`, {
              reason: packet.reason,
            }),
          );
          this.#transport?.close();
          return this.#closed(packet.reason as DisconnectReason, packet.message);
        }
        return this.#byId.get(packet.nsp)?.onDisconnect(
          packet.reason as DisconnectReason,
          packet.message,
        );
      case PacketKind.Ping:
        this.sendPacket({ kind: PacketKind.Pong, time: packet.time });
        return;
      case PacketKind.Pong:
        this.rtt = Heartbeat.rttOf(packet.time);
        return;
      case PacketKind.Event:
      case PacketKind.Ack:
      case PacketKind.Room:
      case PacketKind.Message:
      case PacketKind.Raw:
        return this.#byId.get(packet.nsp)?.onPacket(packet);
      default:
        return;
    }
  }

  #onWireError(error: Error): void {
    const reason: DisconnectReason = error instanceof ProtocolError
      ? "protocol-error"
      : "transport-error";
    this.#refused?.(new GameSocketError("ERR_CONNECT_FAILED", error.message, { cause: error }));
    this.#transport?.close();
    this.#closed(reason, error.message);
  }

  #onTransportClose(error?: Error): void {
    this.#refused?.(
      new GameSocketError(
        "ERR_CONNECT_FAILED",
        `The link closed during the handshake${error ? `: ${error.message}` : ""}`,
      ),
    );
    this.#closed(error ? "transport-error" : "transport-close", error?.message ?? "");
  }

  #closed(reason: DisconnectReason, message: string): void {
    if (this.#state === "closed") return;
    const wasOpen = this.#state === "open";
    this.#state = "closed";
    this.#heartbeat?.stop();
    this.#udp?.close();
    this.#transport?.close();
    for (const nsp of [...this.#byName.values()]) nsp.onDisconnect(reason, message);
    this.#byName.clear();
    this.#byId.clear();
    if (wasOpen) this.dispatch("disconnect", reason, message);
  }
}
