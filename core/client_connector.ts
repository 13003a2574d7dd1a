/**
 * How a client opens a link: the transport (the user's factory or the
 * runtime's sockets), the hello, and the wait for the server's welcome.
 *
 * @module
 */

import { encodePacket } from "../protocol/packet.ts";
import { type Packet, PacketKind, PROTOCOL_VERSION } from "../protocol/types.ts";
import type { Transport, TransportHandlers } from "../runtime/types.ts";
import type { ClientOptions } from "./client_options.ts";
import { defaultRuntime } from "./default_runtime.ts";
import { GameSocketError } from "./errors.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { openLink } from "./open_link.ts";

/** The goodbye a client's `close()` sends. */
export const CLIENT_GOODBYE: Packet = {
  kind: PacketKind.Disconnect,
  nsp: -1,
  reason: "client-close",
  message: "",
};

/**
 * The error of a refusal from the server: a namespace's connect error, or a
 * goodbye during the handshake.
 *
 * @param reason The server's code or reason.
 * @param message The server's message.
 * @returns `ERR_UNKNOWN_NAMESPACE` or `ERR_CONNECT_REFUSED`, with the reason.
 */
export function refusal(reason: string, message: string): GameSocketError {
  const code = reason === "unknown-namespace" ? "ERR_UNKNOWN_NAMESPACE" : "ERR_CONNECT_REFUSED";
  return new GameSocketError(code, `${message} (${reason})`, { reason });
}

/**
 * The handlers a link is given: they pass its events on while it is the
 * current link. An object, not three closures over the connector: a client's
 * every frame goes through it, and each closure, its context and the
 * connector were more cold objects per frame for a client that is one of
 * many in a process (500 in the fan-out load generator).
 */
class LinkHandlers implements TransportHandlers {
  /** False once the connector gave this link up. */
  live = true;
  readonly #events: TransportHandlers;

  constructor(events: TransportHandlers) {
    this.#events = events;
  }

  frame(frame: Uint8Array): void {
    if (this.live) this.#events.frame(frame);
  }

  error(error: Error): void {
    if (this.live) this.#events.error(error);
  }

  close(error?: Error): void {
    if (this.live) this.#events.close(error);
  }
}

/**
 * Opens one link at a time. Only the current link's events reach the client:
 * once a link is given up (`forget`), what it still says is ignored, so a
 * late close or frame of an old link never disturbs the new one.
 */
export class Connector {
  readonly #options: ClientOptions;
  readonly #events: TransportHandlers;
  /** The current link's handlers (undefined once given up). */
  #link: LinkHandlers | undefined;
  #wait: { resolve: () => void; reject: (error: Error) => void } | undefined;

  /**
   * Make a connector for a client.
   *
   * @param options The client's options (factory, runtime, timeouts, frame size).
   * @param events Where the current link's frames, errors and close go.
   */
  constructor(options: ClientOptions, events: TransportHandlers) {
    this.#options = options;
    this.#events = events;
  }

  /** True while a handshake waits for its welcome. */
  get waiting(): boolean {
    return this.#wait !== undefined;
  }

  /**
   * Open a link to `url` and say hello; resolve once `welcomed()` is called.
   *
   * @param url Where to connect.
   * @param resumeToken The session to resume, "" for a new one.
   * @param received Frames received in the session to resume.
   * @param opened Told the transport as soon as it is open (before the welcome).
   * @throws {GameSocketError} `ERR_CONNECT_FAILED`, or `ERR_CONNECT_REFUSED` with
   *   the server's reason. The link is closed and forgotten.
   */
  async open(
    url: URL,
    resumeToken: string,
    received: number,
    opened: (transport: Transport) => void,
  ): Promise<void> {
    if (this.#link) this.#link.live = false; // only the newest link speaks
    const link = this.#link = new LinkHandlers(this.#events);
    const timeout = this.#options.connectTimeout ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let transport: Transport | undefined;
    const welcomed = new Promise<void>((resolve, reject) => {
      this.#wait = { resolve, reject };
      timer = setTimeout(
        () => reject(new GameSocketError("ERR_CONNECT_FAILED", `No welcome within ${timeout} ms`)),
        timeout,
      );
    });
    welcomed.catch(() => {}); // observed below; a refusal may come before the await
    try {
      transport = await this.#openTransport(url, link);
      if (link !== this.#link) throw new Error("The client gave this link up");
      opened(transport);
      const hello = { kind: PacketKind.Hello, version: PROTOCOL_VERSION, resumeToken, received };
      transport.send(encodePacket(hello));
      await welcomed;
    } catch (error) {
      if (link === this.#link) this.forget();
      transport?.close();
      throw error instanceof GameSocketError ? error : new GameSocketError(
        "ERR_CONNECT_FAILED",
        `Cannot connect to ${url.href}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** The welcome arrived (the client handled it): the handshake succeeded. */
  welcomed(): void {
    this.#wait?.resolve();
    this.#wait = undefined;
  }

  /** The handshake failed: the server refused, or the link broke. */
  refuse(error: Error): void {
    this.#wait?.reject(error);
    this.#wait = undefined;
  }

  /** Ignore the current link from now on (and fail its handshake if one waits). */
  forget(): void {
    if (this.#link) this.#link.live = false;
    this.#link = undefined;
    this.refuse(new GameSocketError("ERR_CONNECT_FAILED", "The link was given up"));
  }

  #openTransport(url: URL, handlers: LinkHandlers): Promise<Transport> {
    if (this.#options.transport) return this.#options.transport(url, handlers);
    const runtime = this.#options.runtime ?? defaultRuntime();
    const maxFrameSize = this.#options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize;
    return openLink(runtime, url, maxFrameSize, handlers); // tcp://, ws://, wss://
  }
}
