/**
 * The game client: one connection to a server, with namespaces multiplexed on it.
 *
 * @module
 */

import { compactMessageNsp, decodePacket } from "../protocol/packet.ts";
import { packetFrame } from "./frames.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { SchemaRegistry } from "../protocol/schema_registry.ts";
import { type Packet, PacketKind, type PeerLimits, type WelcomePacket } from "../protocol/types.ts";
import type { Transport, TransportHandlers } from "../runtime/types.ts";
import { ClientNamespace } from "./client_namespace.ts";
import { ClientSpaces } from "./client_spaces.ts";
import type { ClientEvents, ClientOptions, ClientState } from "./client_options.ts";
import { ClientResume, type WelcomeOutcome } from "./client_resume.ts";
import type { ResumeLink } from "./resume_link.ts";
import { CLIENT_GOODBYE, Connector, refusal } from "./client_connector.ts";
import { defaultRuntime } from "./default_runtime.ts";
import { Emitter } from "./emitter.ts";
import { type DisconnectReason, GameSocketError } from "./errors.ts";
import { Heartbeat } from "./heartbeat.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { type EventMap, turnNow } from "./types.ts";
import { startUdpClient, type UdpClient } from "./udp_client.ts";
import { UDP_OFF, type UdpStatus } from "./udp_stats.ts";

export type * from "./client_options.ts";

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
  /** The server's URL (the one of the current link: reconnections may use `fallbackUrls`). */
  url: URL;
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
  /** When the last frame came (`now()` clock), for the heartbeat. */
  #lastReceived = 0;
  /** The resume link that counts received frames, once the first welcome made it. */
  #counter: ResumeLink | undefined;
  readonly #spaces = new ClientSpaces();
  readonly #options: ClientOptions;
  #udp: UdpClient | undefined;
  readonly #connector: Connector;
  readonly #resume: ClientResume;

  private constructor(url: URL, options: ClientOptions) {
    super();
    this.url = url;
    this.#options = options;
    this.#connector = new Connector(options, new GameSocketClient.#LinkEvents(this));
    this.#resume = new ClientResume(url, options, {
      connect: (url, token, received) => this.#reconnect(url, token, received),
      scheduled: (attempt, delay) => this.dispatch("reconnecting", attempt, delay),
      gaveUp: (attempts) => {
        this.dispatch("reconnect_failed", attempts);
        this.#closed(...this.#resume.lost);
      },
    });
    for (const schema of options.schemas ?? []) this.schemas.register(schema);
  }

  /**
   * Where the current link's events go (through the connector). Methods on an
   * object, not closures: a closure and its context were two more cold objects
   * on every frame of a client that is one of many in a process.
   */
  static readonly #LinkEvents = class implements TransportHandlers {
    readonly #client: GameSocketClient;
    constructor(client: GameSocketClient) {
      this.#client = client;
    }
    frame(frame: Uint8Array): void {
      this.#client.#onFrame(frame);
    }
    error(error: Error): void {
      this.#client.#onWireError(error);
    }
    close(error?: Error): void {
      this.#client.#onTransportClose(error);
    }
  };

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

  /** The link in use (undefined while reconnecting and once closed). */
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
    let nsp = this.#spaces.byName.get(name);
    if (!nsp) {
      nsp = this.#spaces.add(new ClientNamespace(this, name), this.limits.maxNamespacesPerSocket);
      if (this.#state === "open" || this.#state === "reconnecting") {
        this.sendPacket(nsp.connectPacket(auth));
      } else {nsp.fail(
          new GameSocketError("ERR_NOT_CONNECTED", "Cannot open a namespace: the client is closed"),
        );}
    }
    return nsp as unknown as ClientNamespace<L, E>;
  }

  /** Close the connection; the server sees `client-close`. Never reconnects. */
  close(): void {
    if (this.#state === "closed") return;
    if (this.#state === "open") this.sendPacket(CLIENT_GOODBYE);
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
    return this.send(packetFrame(packet), volatile);
  }

  /**
   * Internal: queue an encoded frame; checks the server's frame limit first.
   * While reconnecting reliable frames wait in the replay buffer (bounded:
   * `ERR_LIMIT` when full) and volatile ones are dropped.
   */
  send(frame: Uint8Array, volatile = false): boolean {
    if (this.#state !== "open" && this.#state !== "reconnecting") return false;
    if (frame.length > this.limits.maxFrameSize) {
      throw new GameSocketError(
        "ERR_LIMIT",
        `Cannot send a ${frame.length}-byte frame: the server accepts at most ${this.limits.maxFrameSize} (maxFrameSize)`,
      );
    }
    if (volatile && this.#udp?.bound && this.#udp.link.send(frame)) return true;
    return this.#resume.send(frame, volatile);
  }

  /** Whether volatile sends go over UDP (`state` is "bound") or the stream, and UDP counters. */
  get udp(): UdpStatus {
    return this.#udp ?? UDP_OFF;
  }

  /** Internal: a namespace left; forget it. */
  forget(nsp: ClientNamespace): void {
    this.#spaces.forget(nsp);
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
    try {
      await this.#connector.open(this.url, "", 0, (transport) => this.#transport = transport);
    } catch (error) {
      this.#state = "closed";
      this.#transport = undefined;
      throw error;
    }
  }

  /** A reconnection attempt (from the loop): a new link, a hello with the resume token. */
  async #reconnect(url: URL, resumeToken: string, received: number): Promise<void> {
    if (this.#state !== "reconnecting") throw new Error("The client is not reconnecting");
    this.url = url;
    try {
      await this.#connector.open(url, resumeToken, received, (t) => this.#transport = t);
    } catch (error) {
      if (this.#state === "reconnecting") this.#transport = undefined;
      throw error;
    }
  }

  /** Handled at once, not after an await: replayed frames follow the welcome in the same read. */
  #onWelcome(welcome: WelcomePacket): void {
    const reconnecting = this.#state === "reconnecting";
    const outcome = this.#resume.welcomed(welcome, this.#transport!);
    if (outcome === "invalid") {
      return this.#onWireError(
        new ProtocolError("ERR_BAD_VALUE", `The server resumed at ${welcome.received}: not sent`),
      );
    }
    this.sid = welcome.sid;
    this.limits = welcome.limits;
    this.#counter = this.#resume.link;
    this.#state = "open";
    this.#heartbeat = new Heartbeat(
      welcome.pingInterval,
      welcome.pingTimeout,
      (time) => {
        this.sendPacket({ kind: PacketKind.Ping, time });
        this.#resume.tick();
        this.#udp?.heartbeat();
      },
      () => this.#linkLost("ping-timeout", "No frame from the server in time"),
      () => this.#lastReceived,
    );
    this.#udp?.close(); // a new welcome (a resume) brings a new token
    this.#udp = startUdpClient(welcome, {
      option: this.#options.udp,
      bindUdp: () => (this.#options.runtime ?? defaultRuntime()).bindUdp,
      address: this.#transport?.remoteAddress || this.url.hostname.replace(/^\[|\]$/g, ""),
      maxFrameSize: this.#options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
      deliver: (packet) => "nsp" in packet && this.#spaces.byId(packet.nsp)?.onPacket(packet),
      onState: (state) => this.dispatch("udp", state),
    });
    this.#connector.welcomed();
    if (reconnecting) this.#reconnected(outcome);
  }

  /** A fresh session after a failed resume: open the namespaces again, then say so. */
  #reconnected(outcome: WelcomeOutcome): void {
    if (typeof outcome === "object") {
      this.#spaces.clearIds();
      for (const nsp of [...this.#spaces.byName.values()]) nsp.restore();
      this.dispatch("resume_failed", outcome);
    }
    this.dispatch("reconnect", this.#resume.attempt, outcome === "resumed");
  }

  /** The link died without a goodbye: reconnect (resuming the session) when allowed. */
  #linkLost(reason: DisconnectReason, message: string): void {
    if (this.#state !== "open") return;
    this.#heartbeat?.stop();
    this.#udp?.close();
    this.#udp = undefined;
    this.#connector.forget(); // what the old link still says is ignored
    this.#transport?.close();
    this.#transport = undefined;
    if (!this.#resume.reconnects) return this.#closed(reason, message);
    this.#state = "reconnecting";
    this.#resume.detach(reason, message);
  }

  #onFrame(frame: Uint8Array): void {
    this.#lastReceived = turnNow();
    if (this.#state === "open" && this.#counter!.count(frame)) this.#resume.tick();
    const nsp = compactMessageNsp(frame); // a typed message (the 60 Hz case): no packet object
    if (nsp >= 0) return this.#spaces.byId(nsp)?.onCompactMessage(frame);
    let packet: Packet;
    try {
      packet = decodePacket(frame);
    } catch (error) {
      return this.#onWireError(error as Error);
    }
    switch (packet.kind) {
      case PacketKind.Welcome:
        if (this.#connector.waiting) this.#onWelcome(packet);
        return;
      case PacketKind.ConnectOk: {
        const nsp = this.#spaces.byName.get(packet.name);
        if (!nsp) return;
        this.#spaces.connected(packet.nsp, nsp);
        return nsp.onConnectOk(packet.nsp);
      }
      case PacketKind.ConnectError: {
        const error = refusal(packet.code, packet.message);
        if (packet.name === "") return this.#connector.refuse(error);
        const nsp = this.#spaces.byName.get(packet.name);
        if (nsp) {
          this.#spaces.byName.delete(packet.name);
          nsp.fail(error);
        }
        return;
      }
      case PacketKind.Disconnect:
        if (packet.nsp === -1) {
          this.#connector.refuse(refusal(packet.reason, packet.message));
          this.#transport?.close();
          if (this.#state === "reconnecting") return; // this attempt was refused: try again
          return this.#closed(packet.reason as DisconnectReason, packet.message);
        }
        return this.#spaces.byId(packet.nsp)?.onDisconnect(
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
        return this.#spaces.byId(packet.nsp)?.onPacket(packet);
      case PacketKind.Received:
        if (this.#resume.acknowledge(packet.count)) return;
        return this.#onWireError(
          new ProtocolError("ERR_BAD_VALUE", `The server received ${packet.count}: not sent`),
        );
      default:
        return;
    }
  }

  #onWireError(error: Error): void {
    const reason: DisconnectReason = error instanceof ProtocolError
      ? "protocol-error"
      : "transport-error";
    this.#connector.refuse(
      new GameSocketError("ERR_CONNECT_FAILED", error.message, { cause: error }),
    );
    this.#transport?.close();
    if (this.#state === "reconnecting") return; // this attempt failed: try again
    if (reason === "transport-error" && this.#state === "open") {
      return this.#linkLost(reason, error.message);
    }
    this.#closed(reason, error.message);
  }

  #onTransportClose(error?: Error): void {
    const detail = error ? `: ${error.message}` : "";
    this.#connector.refuse(new GameSocketError("ERR_CONNECT_FAILED", `The link closed${detail}`));
    const reason = error ? "transport-error" : "transport-close";
    if (this.#state === "open") this.#linkLost(reason, error?.message ?? "");
    else if (this.#state === "connecting") this.#closed(reason, error?.message ?? "");
  }

  #closed(reason: DisconnectReason, message: string): void {
    if (this.#state === "closed") return;
    const wasOpen = this.#state === "open" || this.#state === "reconnecting";
    this.#state = "closed";
    this.#resume.stop();
    this.#connector.forget();
    this.#heartbeat?.stop();
    this.#udp?.close();
    this.#transport?.close();
    for (const nsp of [...this.#spaces.byName.values()]) nsp.onDisconnect(reason, message);
    this.#spaces.clear();
    if (wasOpen) this.dispatch("disconnect", reason, message);
  }
}
