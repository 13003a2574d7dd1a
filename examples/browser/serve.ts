/**
 * Serve the lobby page and its socket from one port: a `node:http` server
 * answers the page and the browser bundle, and
 * `server.attach(http, { path: "/ws" })` takes the WebSocket upgrades. The
 * same code runs on Node, Deno and Bun.
 *
 * The bundle comes from `npm run build:browser` (`dist/browser/game-socket.js`).
 */
import * as http from "node:http";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import type { GameSocketServer } from "../../server.ts";
import { GameSocketClient } from "../../client.ts";

/** Options of {@linkcode serveBrowserDemo}. */
export interface BrowserDemoOptions {
  /** HTTP port, 0 for any. */
  port?: number;
  /** Host to bind. @default "127.0.0.1" */
  hostname?: string;
  /** Folder holding `game-socket.js`. @default "dist/browser" of this repository */
  bundleDir?: string;
}

const here = new URL(".", import.meta.url);
const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
};

/**
 * Serve the page at `/` and the game socket at `/ws` of one HTTP port.
 *
 * @param server The game server (its namespaces already declared).
 * @param options Port, hostname and where the bundle is.
 * @returns The page's URL and a `close()` for the HTTP server.
 */
export async function serveBrowserDemo(
  server: GameSocketServer,
  options: BrowserDemoOptions = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const bundleDir = options.bundleDir ?? new URL("../../dist/browser/", here).pathname;
  const files: Record<string, string> = {
    "/": new URL("index.html", here).pathname,
    "/index.html": new URL("index.html", here).pathname,
    "/game-socket.js": `${bundleDir}/game-socket.js`,
    "/game-socket.js.map": `${bundleDir}/game-socket.js.map`,
  };
  const web = http.createServer(async (req, res) => {
    const path = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!path) return void res.writeHead(404).end("Not found\n");
    try {
      const body = await readFile(path);
      res.writeHead(200, { "content-type": types[path.slice(path.lastIndexOf("."))] ?? "" });
      res.end(body);
    } catch {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`Cannot read ${path}: run \`npm run build:browser\` first\n`);
    }
  });
  server.attach(web, { path: "/ws" });
  const hostname = options.hostname ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    web.once("error", reject);
    web.listen(options.port ?? 0, hostname, resolve);
  });
  const { port } = web.address() as AddressInfo;
  return {
    url: `http://${hostname}:${port}/`,
    close: () => {
      web.closeAllConnections();
      return new Promise((resolve) => web.close(() => resolve()));
    },
  };
}

/**
 * A TCP bot in the lobby that answers every hello it hears, so a lone page
 * sees a TCP client of the same server talk back.
 *
 * @param url The game server's `tcp://` URL.
 * @returns A function that disconnects the bot.
 */
export async function startLobbyBot(url: string): Promise<() => void> {
  const bot = await GameSocketClient.connect(url);
  const home = bot.of<{ hello: string }, { hello: string }>("/home");
  await home.join("lobby");
  home.on("hello", (text) => home.emit("hello", `bob (tcp) heard: ${text}`));
  return () => bot.close();
}
