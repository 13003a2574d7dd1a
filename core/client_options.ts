/**
 * The options, states and events of a {@linkcode GameSocketClient} and its
 * namespaces (types only).
 *
 * @module
 */

import type { Schema } from "../protocol/schema.ts";
import type { Runtime, Transport, TransportHandlers } from "../runtime/types.ts";
import type { ClientResumeOptions, ResumeFailure } from "./client_resume.ts";
import type { DisconnectReason, GameSocketError } from "./errors.ts";
import type { RateWarning } from "./rate_limit.ts";
import type { ClientUdpOptions } from "./udp_client.ts";
// deno-lint-ignore no-unused-vars
import type { GameSocketClient } from "./client.ts";

export type { ClientResumeOptions, ResumeFailure } from "./client_resume.ts";
export type { ReconnectOptions } from "./backoff.ts";

/** Opens a transport to a URL; the default uses the runtime's sockets. */
export type TransportFactory = (url: URL, handlers: TransportHandlers) => Promise<Transport>;

/** Options of {@linkcode GameSocketClient.connect}. */
export interface ClientOptions extends ClientResumeOptions {
  /** Milliseconds to wait for the connection and the server's welcome. @default 10000 */
  connectTimeout?: number;
  /** Largest frame accepted from the server. @default 65536 */
  maxFrameSize?: number;
  /** Schemas the client sends or receives (also registered by `on`/`send`). */
  // deno-lint-ignore no-explicit-any
  schemas?: Schema<any>[];
  /** Open the link yourself (tests, custom transports). */
  transport?: TransportFactory;
  /** The runtime's sockets; defaults to the one the entry point installed. */
  runtime?: Runtime;
  /** Bind UDP for volatile messages when the server offers it; false keeps to the stream. @default true */
  udp?: boolean | ClientUdpOptions;
}

/**
 * Connection states of a client: `reconnecting` while the link is down and the
 * client tries to come back (namespaces stay open, reliable sends are queued).
 */
export type ClientState = "connecting" | "open" | "reconnecting" | "closed";

/** Handlers of the events a client emits. */
export interface ClientEvents {
  /** The connection closed for good; the reason comes from the server or the link. */
  disconnect: (reason: DisconnectReason, message: string) => void;
  /** A handler threw. */
  error: (error: unknown) => void;
  /** UDP became bound (volatile sends now use it), or binding failed (they keep to the stream). */
  udp: (state: "bound" | "failed") => void;
  /** The link dropped (attempt 1) or an attempt failed: the next one starts in `delay` ms. */
  reconnecting: (attempt: number, delay: number) => void;
  /** Connected again: `resumed` says whether the session (and what was in flight) survived. */
  reconnect: (attempt: number, resumed: boolean) => void;
  /** Every attempt failed (`maxAttempts`); `disconnect` follows. */
  reconnect_failed: (attempts: number) => void;
  /**
   * The reconnection gave a fresh session: namespaces are opened again (with
   * their auth) and rooms joined again, but messages in flight were lost.
   */
  resume_failed: (failure: ResumeFailure) => void;
}

/** Handlers of the events the library emits on a client namespace. */
export interface ClientNamespaceEvents {
  /** The server accepted the namespace. */
  connect: () => void;
  /** The server refused the namespace (unknown, or refused by middleware). */
  connect_error: (error: GameSocketError) => void;
  /** The namespace was left (by either side) or the connection closed. */
  disconnect: (reason: DisconnectReason, message: string) => void;
  /** This socket joined a room. */
  "join-room": (room: string) => void;
  /** This socket left a room. */
  "leave-room": (room: string) => void;
  /** A handler threw. */
  error: (error: unknown) => void;
  /** The server says this connection sends too fast; keep on and it disconnects with `rate-limit`. */
  "rate-warning": (warning: RateWarning) => void;
}
