/**
 * Contender: a game-socket server. Echoes `Move` to its sender and relays
 * `Relay` to the rest of the room, the way the README shows.
 *
 * Run: `<runtime> bench/servers/gs.ts tcp|ws [noresume]`.
 *
 * @module
 */

import process from "node:process";
import { GameSocketServer } from "../../server.ts";
import { BENCH_LIMITS, Move, Relay, ROOM } from "../wire.ts";
import { serveControl } from "./control.ts";

const transport = process.argv.includes("ws") ? "ws" : "tcp";
// `noresume`: resume off (resumeWindow 0), to show what keeping frames for a resume costs.
const resume = process.argv.includes("noresume") ? { resumeWindow: 0 } : {};

await serveControl(async () => {
  const server = new GameSocketServer({ limits: BENCH_LIMITS, ...resume });
  const home = server.of("/");
  home.on(Move, (move, socket) => socket.send(Move, move));
  home.on(Relay, (move, socket) => socket.to(ROOM).send(Relay, move));
  const ports = await server.listen({ [transport]: 0, hostname: "127.0.0.1" }) as Record<
    string,
    number
  >;
  return { port: ports[transport]!, close: () => server.close(500) };
});
