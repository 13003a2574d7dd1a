/**
 * The seed's lobby scenario, done right: a server with "/" and "/home"; a bot
 * connects to "/", then "/home", joins "lobby" and says "hello all" to the
 * room; the server broadcasts it and a second bot in the lobby receives it.
 *
 * Run: `npm start` (Node), `npm run start:deno`, `npm run start:bun`.
 * Pass `--once` to exit after the scenario instead of serving. While serving,
 * the browser page of `examples/browser/` is served too (`--http <port>`, any
 * free port by default) and its URL printed.
 */
import { GameSocketServer } from "../server.ts";
import { GameSocketClient } from "../client.ts";
import { serveBrowserDemo, startLobbyBot } from "./browser/serve.ts";

interface LobbyEvents {
  hello: string;
}

/** Options of {@linkcode runLobbyDemo}. */
export interface LobbyDemoOptions {
  /** TCP port, 0 for any. */
  tcp?: number;
  /** Where log lines go. */
  log?: (line: string) => void;
}

/** Start the lobby server and play the seed's scenario with two bots. Returns what it printed. */
export async function runLobbyDemo(options: LobbyDemoOptions = {}) {
  const log = options.log ?? console.log;
  const server = new GameSocketServer<LobbyEvents>();
  const home = server.of<LobbyEvents>("/home");

  server.of("/").on("connection", (socket) => {
    log(`server /: connection ${socket.id} from ${socket.remoteAddress}`);
    socket.on("disconnect", (reason) => log(`server /: disconnect ${socket.id} reason:${reason}`));
  });
  home.on("connection", (socket) => {
    log(`server /home: connect ${socket.id}`);
    socket.on("hello", (text, ack) => {
      log(`server /home: hello "${text}" from ${socket.id}, broadcast to lobby`);
      socket.to("lobby").emit("hello", text);
      ack?.("ok");
    });
    socket.on(
      "disconnect",
      (reason) => log(`server /home: disconnect ${socket.id} reason:${reason}`),
    );
  });
  for (const event of ["create-room", "join-room", "leave-room", "delete-room"] as const) {
    home.on(event, (room: string, id?: string) => {
      if (home.sockets.has(room)) return; // a socket's own id room: not news
      log(`server /home: ${event} ${room}${id ? ` ${id}` : ""}`);
    });
  }
  const ports = await server.listen({ tcp: options.tcp ?? 3103, hostname: "127.0.0.1" });
  const url = `tcp://127.0.0.1:${ports.tcp}`;
  log(`server: listening on ${url} (runtime: ${runtime()})`);

  // Bot "bob" waits in the lobby.
  const bob = await GameSocketClient.connect(url);
  const bobHome = bob.of<LobbyEvents>("/home");
  await bobHome.join("lobby");
  log(`bob: joined lobby on /home as ${bob.sid}`);
  const received = new Promise<string>((resolve) => bobHome.on("hello", (text) => resolve(text)));

  // Bot "ana" plays the seed's client: "/", then "/home", join lobby, hello.
  const ana = await GameSocketClient.connect(url);
  log(`ana: handshake, socket id ${ana.sid}, ping interval ${server.pingInterval} ms`);
  await ana.of("/").ready();
  log("ana: connected to /");
  const anaHome = ana.of<Record<string, never>, LobbyEvents>("/home");
  await anaHome.ready();
  log("ana: connected to /home");
  await anaHome.join("lobby");
  log("ana: joined lobby");
  const reply = await anaHome.emitWithAck("hello", "hello all");
  log(`ana: sent hello "hello all" to the lobby, server acked "${reply}"`);
  log(`bob: received hello "${await received}"`);

  return {
    server,
    url,
    async stopBots() {
      ana.close();
      bob.close();
      await new Promise((r) => setTimeout(r, 20));
    },
  };
}

function runtime(): string {
  const g = globalThis as Record<string, unknown>;
  return "Deno" in g
    ? "deno"
    : "Bun" in g
    ? "bun"
    : `node ${(g.process as { version: string }).version}`;
}

if (import.meta.main ?? isNodeMain()) {
  const args = (globalThis as { process?: { argv: string[] } }).process?.argv ?? [];
  const demo = await runLobbyDemo({ tcp: 0 });
  await demo.stopBots();
  if (args.includes("--once")) {
    await demo.server.close();
    console.log("demo: done");
  } else {
    // The browser page and its WebSocket share one HTTP port; a TCP bot answers in the lobby.
    const at = args.indexOf("--http");
    const page = await serveBrowserDemo(demo.server, { port: at > 0 ? Number(args[at + 1]) : 0 });
    await startLobbyBot(demo.url);
    console.log(`demo: open ${page.url} in a browser: it joins the lobby over WebSocket`);
    console.log(`demo: the server keeps running on ${demo.url}; press Ctrl+C to stop`);
  }
}

function isNodeMain(): boolean {
  const argv1 = (globalThis as { process?: { argv: string[] } }).process?.argv[1] ?? "";
  return import.meta.url.endsWith(argv1.split("/").pop() ?? "\0");
}
