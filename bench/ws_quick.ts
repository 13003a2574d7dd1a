// A quick WebSocket measurement, TCP beside it for scale, on whichever runtime runs it:
//   node --import tsx bench/ws_quick.ts | deno run -A bench/ws_quick.ts | bun bench/ws_quick.ts
// echo:    one client, sequential emitWithAck round trips through the whole stack; then rounds
//          of two echoes sent in the same turn (a client without TCP_NODELAY stalls ~40 ms here).
// fan-out: one server broadcasts small events to a room of clients; deliveries per second.
// Server and clients share the process (and its two cores), so read the figures as relative.
import { GameSocketServer } from "../server.ts";
import { GameSocketClient } from "../client.ts";
import { runtimeName } from "../runtime/auto.ts";

const ROUND_TRIPS = 5_000;
const CLIENTS = 50;
const BROADCASTS = 2_000;

/** Sequential round trips of `perTurn` acked events sent together (2 exposes Nagle stalls). */
async function echo(url: string, perTurn: number): Promise<number> {
  const client = await GameSocketClient.connect(url);
  const home = client.of("/home");
  await home.ready();
  const round = (i: number) =>
    Promise.all(Array.from({ length: perTurn }, (_, k) => home.emitWithAck("echo", i + k)));
  for (let i = 0; i < 200; i++) await round(i); // warm up
  const rounds = ROUND_TRIPS / perTurn;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) await round(i);
  const ms = performance.now() - start;
  client.close();
  return rounds / (ms / 1000);
}

async function fanOut(server: GameSocketServer, url: string): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, () => GameSocketClient.connect(url)),
  );
  let received = 0;
  await Promise.all(clients.map(async (c) => {
    const home = c.of("/home");
    await home.join("room");
    home.on("tick", () => received++);
  }));
  const room = server.of("/home").to("room");
  const total = CLIENTS * BROADCASTS;
  const start = performance.now();
  for (let i = 0; i < BROADCASTS; i++) {
    room.emit("tick", { i, x: 1.5, y: -2.25 });
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 0)); // let them flush
  }
  const deadline = Date.now() + 60_000;
  while (received < total && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const ms = performance.now() - start;
  for (const c of clients) c.close();
  if (received < total) throw new Error(`fan-out: ${received} of ${total} delivered`);
  return total / (ms / 1000);
}

const server = new GameSocketServer({
  limits: { maxMessagesPerSecond: 1e6, maxBytesPerSecond: 1e9 },
});
server.of("/home").on("connection", (socket) => socket.on("echo", (n, ack) => ack?.(n)));
const ports = await server.listen({ tcp: 0, ws: 0, hostname: "127.0.0.1" });
const rows: string[] = [];
for (
  const [kind, url] of [["ws", `ws://127.0.0.1:${ports.ws}/`], [
    "tcp",
    `tcp://127.0.0.1:${ports.tcp}`,
  ]]
) {
  const figures = [await echo(url!, 1), await echo(url!, 2), await fanOut(server, url!)];
  const cells = figures.map((n) => Math.round(n).toLocaleString("en")).join(" | ");
  rows.push(`| ${runtimeName()} | ${kind} | ${cells} |`);
}
await server.close();
console.log(
  "| runtime | link | echo round trips/s | rounds/s of 2 echoes sent together |" +
    ` fan-out deliveries/s (${CLIENTS} clients) |`,
);
console.log("|---|---|---|---|---|");
for (const row of rows) console.log(row);
