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

import { setDefaultRuntime } from "./core/default_runtime.ts";
import { autoRuntime } from "./runtime/auto.ts";

setDefaultRuntime(autoRuntime());

export { GameSocketClient } from "./core/client.ts";
export * from "./shared_exports.ts";
export type { ClientEvents, ClientOptions, ClientState, TransportFactory } from "./core/client.ts";
export { ClientNamespace } from "./core/client_namespace.ts";
export type { ClientNamespaceEvents } from "./core/client_options.ts";
export type { ClientUdpOptions } from "./core/udp_client.ts";
export type { ClientResumeOptions, ReconnectOptions, ResumeFailure } from "./core/client.ts";
