/**
 * The game-socket client for browsers: WebSocket only (`ws://` and `wss://`),
 * over the page's `WebSocket`, with no Node built-in in its imports.
 * `npm run build` bundles it into `dist/browser/game-socket.js` (ESM).
 *
 * @example
 * ```ts ignore
 * import { GameSocketClient } from "./game-socket.js";
 * const client = await GameSocketClient.connect(`ws://${location.host}/ws`);
 * const home = client.of("/home");
 * await home.join("lobby");
 * home.on("hello", (text) => console.log(text));
 * const reply = await home.emitWithAck("hello", "hi from the browser");
 * ```
 *
 * @module
 */

import { setDefaultRuntime } from "./core/default_runtime.ts";
import { browserRuntime } from "./runtime/ws_browser.ts";

setDefaultRuntime(browserRuntime());

export { GameSocketClient } from "./core/client.ts";
export * from "./shared_exports.ts";
export type { ClientEvents, ClientOptions, ClientState, TransportFactory } from "./core/client.ts";
export { ClientNamespace } from "./core/client_namespace.ts";
export type { ClientNamespaceEvents } from "./core/client_options.ts";
export type { ClientResumeOptions, ReconnectOptions, ResumeFailure } from "./core/client.ts";
export type { ClientUdpOptions } from "./core/udp_client.ts";
export { browserRuntime } from "./runtime/ws_browser.ts";
