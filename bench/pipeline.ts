/**
 * An in-process pipeline: a game-socket server and 50 clients on in-memory
 * transports, echoing position updates as the throughput scenario does, so
 * the library's own CPU per message is measured without sockets, syscalls or
 * the scheduler. A tool for profiling hot paths (`node --cpu-prof`), not a
 * contender.
 *
 * Memory transports deliver in microtasks, so the echo loop never yields to
 * timers: it is bounded by a count of messages, not by time.
 *
 * Run: `node --import tsx bench/pipeline.ts [messages] [tcp]` (or with bun / deno run -A).
 *
 * @module
 */

import process from "node:process";
import { GameSocketClient } from "../core/client.ts";
import { GameSocketServer } from "../core/server.ts";
import { memoryRuntime } from "../runtime/memory.ts";
import { autoRuntime } from "../runtime/auto.ts";
import { BENCH_LIMITS, Move, moveValue, Relay, ROOM } from "./wire.ts";

const total = Number(process.argv[2] ?? 500_000);
// `tcp`: real loopback sockets in this one process (syscalls included).
const runtime = process.argv.includes("tcp") ? autoRuntime() : memoryRuntime();
const server = new GameSocketServer({
  runtime,
  limits: BENCH_LIMITS,
  ...(process.argv.includes("noresume") ? { resumeWindow: 0 } : {}),
});
const home = server.of("/");
home.on(Move, (move, socket) => socket.send(Move, move));
home.on(Relay, (move, socket) => socket.to(ROOM).send(Relay, move));
const { tcp } = await server.listen({ tcp: 0 });
const clients = await Promise.all(
  Array.from({ length: 50 }, () => GameSocketClient.connect(`tcp://127.0.0.1:${tcp}`, { runtime })),
);
const spaces = clients.map((c) => c.of("/"));
await Promise.all(spaces.map((s) => s.ready()));

// Throughput: a window of 16 per client, each echo sends the next.
let received = 0;
const move = moveValue(7);
for (const s of spaces) {
  s.on(Move, () => {
    if (++received + 16 * 50 <= total) s.send(Move, move);
  });
}
for (const s of spaces) for (let i = 0; i < 16; i++) s.send(Move, move);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
while (received < total && performance.now() - t0 < 60_000) {
  await new Promise((r) => setTimeout(r, 1));
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(
  `echo: ${Math.round(received / ms * 1000).toLocaleString("en-US")} msg/s, ` +
    `${((cpu.user + cpu.system) / received).toFixed(2)} µs CPU per message (server + client)`,
);

// Fan-out: 49 members, one sender, 20,000 relays.
await Promise.all(spaces.slice(1).map((s) => s.join(ROOM)));
let delivered = 0;
for (const s of spaces.slice(1)) s.on(Relay, () => void delivered++);
const target = 49 * 20_000;
const f0 = performance.now();
const fcpu0 = process.cpuUsage();
for (let i = 0; i < 20_000 && performance.now() - f0 < 30_000; i++) {
  spaces[0]!.send(Relay, move);
  if (i % 20 === 19) await new Promise((r) => setTimeout(r, 0));
}
while (delivered < target && performance.now() - f0 < 30_000) {
  await new Promise((r) => setTimeout(r, 1));
}
const fms = performance.now() - f0;
const fcpu = process.cpuUsage(fcpu0);
console.log(
  `fan-out: ${Math.round(delivered / fms * 1000).toLocaleString("en-US")} deliveries/s, ` +
    `${((fcpu.user + fcpu.system) / delivered).toFixed(2)} µs CPU per delivery`,
);
for (const c of clients) c.close();
await server.close(1000);
process.exit(0);
