/**
 * The fan-out scenario in one process, through the Bun WebSocket adapter: a
 * game-socket server behind its `server.handler()` (the `websocket` handlers
 * Bun.serve calls, with the publish hub), 500 fake uWebSockets sockets, and
 * 500 + 1 `GameSocketClient`s on `WsTransport`s over a fake peer. Frames
 * travel by hand, so the server's time (a message in, its microtasks, the
 * hub's publish) and the clients' time (each delivery through the transport,
 * the client and the handler) are measured apart, with no sockets, system
 * calls or other process. A tool for profiling the per-member and
 * per-delivery paths (`--cpu-prof`), not a contender: the fake `publish` costs
 * nothing, where Bun's does the real fan-out in C++.
 *
 * Run: `bun bench/ws_fanout.ts [relays] [noresume]`, or on Node or Deno (the Bun
 * handler needs no Bun global): `node --import tsx bench/ws_fanout.ts`, `deno run -A ...`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import process from "node:process";
import { GameSocketServer } from "../server.ts";
import { GameSocketClient } from "../core/client.ts";
import { WsTransport } from "../runtime/ws_transport.ts";
import { autoRuntime } from "../runtime/auto.ts";
import { handler as bunHandler } from "../runtime/ws_bun.ts";
import type { Transport, TransportHandlers } from "../runtime/types.ts";
import { BENCH_LIMITS, Move, moveValue, Relay, ROOM } from "./wire.ts";

const MEMBERS = 500;
const WINDOW = 20; // relays in flight, as the benchmark's fan-out
const relays = Number(process.argv[2] ?? 2000);
const noresume = process.argv.includes("noresume");

const server = new GameSocketServer({
  runtime: { ...autoRuntime(), wsHandler: bunHandler },
  limits: BENCH_LIMITS,
  ...(noresume ? { resumeWindow: 0 } : {}),
});
const home = server.of("/");
home.on(Move, (move, socket) => socket.send(Move, move));
home.on(Relay, (move, socket) => socket.to(ROOM).send(Relay, move));
const ws = server.handler().websocket as unknown as {
  open(ws: FakeSocket): void;
  message(ws: FakeSocket, data: Uint8Array): void;
};

let toServer: [FakeSocket, Uint8Array][] = [];
let toClients: [WsTransport, Uint8Array][] = [];
let published: [string, FakeSocket, Uint8Array][] = [];
const topics = new Map<string, Set<FakeSocket>>();

/** What the Bun adapter uses of a uWebSockets socket; sends and publishes are queued. */
class FakeSocket {
  readonly data = { address: "127.0.0.1", port: 1 };
  client!: WsTransport;
  send(data: Uint8Array): number {
    toClients.push([this.client, Buffer.from(data)]); // Bun copies into its socket buffer
    return 1;
  }
  cork(fn: () => void): void {
    fn();
  }
  getBufferedAmount(): number {
    return 0;
  }
  subscribe(topic: string): void {
    (topics.get(topic) ?? topics.set(topic, new Set()).get(topic)!).add(this);
  }
  unsubscribe(topic: string): void {
    topics.get(topic)?.delete(this);
  }
  publish(topic: string, data: Uint8Array): number {
    published.push([topic, this, data.slice()]);
    return 1;
  }
  close(): void {}
  terminate(): void {}
}

/** A client link: a WsTransport whose peer queues frames for the server. */
function link(_url: URL, handlers: TransportHandlers): Promise<Transport> {
  const socket = new FakeSocket();
  const transport = new WsTransport(
    { send: (data) => void toServer.push([socket, data.slice()]), bufferedAmount: 0, close() {} },
    1 << 16,
    "127.0.0.1",
    1,
  );
  socket.client = transport;
  ws.open(socket);
  transport.start(handlers);
  return Promise.resolve(transport);
}

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
let measuring = false;
let serverMs = 0;
let clientMs = 0;
const relayMs: number[] = [];

/** Carry every queued frame, server side then client side, until none is left (bounded). */
async function pump(): Promise<void> {
  for (let round = 0; round < 100; round++) {
    if (!toServer.length && !toClients.length && !published.length) return;
    const inbound = toServer;
    toServer = [];
    let t0 = cpuMs();
    for (const [socket, data] of inbound) {
      const r0 = performance.now();
      ws.message(socket, data);
      await null; // each message is its own native callback: its microtasks run after it
      if (measuring && data.length > 10) relayMs.push(performance.now() - r0);
    }
    serverMs += cpuMs() - t0;
    for (const [topic, from, data] of published) {
      const bytes = Buffer.from(data);
      for (const s of topics.get(topic) ?? []) if (s !== from) toClients.push([s.client, bytes]);
    }
    published = [];
    const outbound = toClients;
    toClients = [];
    t0 = cpuMs();
    for (const [transport, data] of outbound) transport.message(data);
    await null;
    clientMs += cpuMs() - t0;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await pump();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const connecting = Array.from(
  { length: MEMBERS + 1 },
  () => GameSocketClient.connect("ws://127.0.0.1:1", { transport: link, reconnect: false }),
);
await settle();
const clients = await Promise.all(connecting);
const spaces = clients.map((c) => c.of("/"));
await settle();
await Promise.all(spaces.map((s) => s.ready()));
const joins = spaces.slice(1).map((s) => s.join(ROOM));
await settle();
await Promise.all(joins);
let delivered = 0;
for (const s of spaces.slice(1)) s.on(Relay, () => void delivered++);
const move = moveValue(7);

async function run(count: number): Promise<void> {
  for (let sent = 0; sent < count; sent += WINDOW) {
    for (let k = 0; k < WINDOW; k++) spaces[0]!.send(Relay, move);
    await null;
    await pump();
  }
}

await run(500); // warm-up, as the benchmark's
serverMs = clientMs = delivered = 0;
measuring = true;
await run(relays);
const n = relays * MEMBERS;
relayMs.sort((a, b) => a - b);
const perDelivery = (ms: number) => (ms * 1000 / n).toFixed(3);
const pct = (q: number) =>
  ((relayMs[Math.floor(relayMs.length * q)] ?? 0) * 1000 / MEMBERS).toFixed(3);
console.log(
  `${MEMBERS} members, ${relays} relays${
    noresume ? ", resume off" : ""
  }: ${delivered}/${n} delivered; ` +
    `CPU per delivery: server ${perDelivery(serverMs)} µs, clients ${perDelivery(clientMs)} µs; ` +
    `one relay's server time per member: p10 ${pct(0.1)}, p50 ${pct(0.5)} µs`,
);
for (const c of clients) c.close();
await settle();
await server.close(100);
process.exit(delivered === n ? 0 : 1);
