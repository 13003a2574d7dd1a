/**
 * The game-socket client, wired to the sockets of the runtime it runs on.
 *
 * @example
 * ```ts ignore
 * import { GameSocketClient } from "@x/game-socket/client";
 * const client = await GameSocketClient.connect("tcp://127.0.0.1:3103");
 * const home = client.of("/home");
 * await home.join("lobby");
 * home.on("hello", (text) => console.log(text));
 * home.emit("hello", "hello all");
 * ```
 *
 * @module
 */

import { type ClientOptions, GameSocketClient as CoreClient } from "./core/client.ts";
import { autoRuntime } from "./runtime/auto.ts";

/** A game-socket client on this runtime's sockets. */
export const GameSocketClient: {
  /** Connect to a server and complete the handshake. */
  connect(url: string | URL, options?: ClientOptions): Promise<CoreClient>;
} = {
  /**
   * Connect to a server and complete the handshake.
   *
   * @param url `tcp://host:port`.
   * @param options Timeouts, limits, schemas.
   * @returns The connected client.
   */
  connect(url: string | URL, options: ClientOptions = {}): Promise<CoreClient> {
    return CoreClient.connect(url, { runtime: autoRuntime(), ...options });
  },
};

/** The type of a connected client. */
export type GameSocketClient = CoreClient;
export type { ClientEvents, ClientOptions, ClientState, TransportFactory } from "./core/client.ts";
export { ClientNamespace } from "./core/client_namespace.ts";
export type { ClientNamespaceEvents } from "./core/client_namespace.ts";
export * from "./core/errors.ts";
export type * from "./core/types.ts";
export { defineSchema } from "./protocol/schema.ts";
