/**
 * Churn: thousands of connect / join / emit / disconnect cycles against one
 * server, then a check that the server holds nothing (sessions, sockets,
 * rooms, pending acks, addresses) and the growth of the process's RSS.
 *
 * Run: `node --expose-gc --import tsx bench/churn.ts [cycles]`,
 * `npx deno run -A --v8-flags=--expose-gc bench/churn.ts [cycles]` or
 * `npx bun bench/churn.ts [cycles]`. Default 5000 cycles, 50 at a time.
 *
 * Each cycle: a client connects, opens "/game", joins one of 50 rooms,
 * emits an event the server acks, leaves one ack of its own and one of the
 * server's unanswered (so both sides must clean pending acks on close), gets
 * a room broadcast, and closes. The server and the clients share the process.
 *
 * @module
 */

import process from "node:process";
import { pathToFileURL } from "node:url";
import { GameSocketClient, GameSocketServer, type ServerStats } from "../mod.ts";

/** Options of {@linkcode runChurn}. */
export interface ChurnOptions {
  /** Cycles to run. @default 5000 */
  cycles?: number;
  /** Cycles in flight at once. @default 50 */
  concurrency?: number;
  /** Cycles run before the first RSS reading (warms the JIT and the pools). @default 200 */
  warmup?: number;
}

/** What {@linkcode runChurn} measured. */
export interface ChurnResult {
  /** Runtime name and version. */
  runtime: string;
  /** Cycles measured (after the warm-up). */
  cycles: number;
  /** Seconds the measured cycles took. */
  seconds: number;
  /** RSS after the warm-up, in MiB. */
  rssBeforeMiB: number;
  /** RSS after the cycles and a GC, in MiB. */
  rssAfterMiB: number;
  /** JavaScript heap in use after the warm-up, in MiB (0 where the runtime does not say). */
  heapBeforeMiB: number;
  /** JavaScript heap in use after the cycles and a GC, in MiB. */
  heapAfterMiB: number;
  /** The server's registries once every client had left (all zero). */
  stats: ServerStats;
}

const MiB = 1024 * 1024;

/**
 * Run the churn and check that the server's registries are empty afterwards.
 *
 * @param options Cycles and concurrency.
 * @returns Timing, RSS and the final registry sizes.
 * @throws {Error} When a registry is not empty after every client left.
 */
export async function runChurn(options: ChurnOptions = {}): Promise<ChurnResult> {
  const { cycles = 5_000, concurrency = 50, warmup = 200 } = options;
  const server = new GameSocketServer();
  const game = server.of("/game");
  game.on("connection", (socket) => {
    socket.on("hit", (n, ack) => {
      socket.to(`room${Number(n) % 50}`).emit("news", n);
      ack?.(n);
    });
    socket.emitWithAck("never-answered", 0, { timeout: 60_000 }).catch(() => {});
  });
  const { tcp } = await server.listen({ tcp: 0 });
  const url = `tcp://127.0.0.1:${tcp}`;
  try {
    await cyclesOf(url, warmup, concurrency);
    await until(() => empty(server.stats()));
    collectGarbage();
    const before = process.memoryUsage();
    const started = performance.now();
    await cyclesOf(url, cycles, concurrency);
    const seconds = (performance.now() - started) / 1000;
    await until(() => empty(server.stats()));
    const stats = server.stats();
    if (!empty(stats)) {
      throw new Error(`Registries not empty after churn: ${JSON.stringify(stats)}`);
    }
    collectGarbage();
    const after = process.memoryUsage();
    return {
      runtime: runtimeName(),
      cycles,
      seconds,
      rssBeforeMiB: before.rss / MiB,
      rssAfterMiB: after.rss / MiB,
      heapBeforeMiB: before.heapUsed / MiB,
      heapAfterMiB: after.heapUsed / MiB,
      stats,
    };
  } finally {
    await server.close();
  }
}

async function cyclesOf(url: string, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await cycle(url, next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function cycle(url: string, i: number): Promise<void> {
  const client = await GameSocketClient.connect(url);
  try {
    const game = client.of("/game");
    game.on("never-answered", () => {});
    await game.join(`room${i % 50}`);
    const reply = await game.emitWithAck("hit", i, { timeout: 10_000 });
    if (reply !== i) throw new Error(`Cycle ${i}: ack ${reply}`);
    game.emitWithAck("hit-nobody-answers", i, { timeout: 60_000 }).catch(() => {});
  } finally {
    client.close();
  }
}

function empty(stats: ServerStats): boolean {
  return Object.values(stats).every((n) => n === 0);
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

function collectGarbage(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

/** Print one result as a line for people and one JSON line for scripts. */
export function printChurn(r: ChurnResult): void {
  const growth = r.rssAfterMiB - r.rssBeforeMiB;
  console.log(
    `churn on ${r.runtime}: ${r.cycles} cycles in ${r.seconds.toFixed(1)} s ` +
      `(${Math.round(r.cycles / r.seconds)}/s); RSS ${r.rssBeforeMiB.toFixed(1)} -> ` +
      `${r.rssAfterMiB.toFixed(1)} MiB (${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MiB); ` +
      `heap ${r.heapBeforeMiB.toFixed(1)} -> ${r.heapAfterMiB.toFixed(1)} MiB; ` +
      `registries empty: ${JSON.stringify(r.stats)}`,
  );
  console.log(JSON.stringify({ ...r, rssGrowthMiB: growth }));
}

const meta = import.meta as ImportMeta & { main?: boolean };
const isMain = meta.main ??
  (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href);
if (isMain) {
  const cycles = Number(process.argv[2] ?? 5_000);
  printChurn(await runChurn({ cycles }));
}
