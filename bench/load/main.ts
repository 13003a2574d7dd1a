/**
 * The load generator: one process per contender, driven by the runner through
 * stdin (one JSON command per line) and answering on stdout (one JSON line
 * per command). Run: `node --import tsx bench/load/main.ts <client kind> <url>`.
 *
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import type { BenchClient, ClientKind } from "./clients.ts";
import { measureBytes } from "./bytes.ts";
import { connectMany, echoLatency, fanout, throughput } from "./scenarios.ts";

const [kind, url] = process.argv.slice(2) as [ClientKind, string];
let idle: BenchClient[] = [];

/** A command from the runner. */
type Command =
  | { cmd: "idle"; n: number; timeoutMs: number }
  | { cmd: "release" }
  | { cmd: "echo"; roundTrips: number; warmup: number; timeoutMs: number }
  | { cmd: "throughput"; clients: number; seconds: number; window: number; timeoutMs: number }
  | { cmd: "fanout"; members: number; messages: number; window: number; timeoutMs: number }
  | { cmd: "bytes" }
  | { cmd: "quit" };

async function run(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case "idle": {
      const start = performance.now();
      idle = await connectMany(kind, url, c.n, c.timeoutMs);
      return { n: idle.length, connectMs: Math.round(performance.now() - start) };
    }
    case "release": {
      for (const client of idle) client.close();
      const n = idle.length;
      idle = [];
      await new Promise((r) => setTimeout(r, 300));
      return { closed: n };
    }
    case "echo":
      return await echoLatency(kind, url, c.roundTrips, c.warmup, c.timeoutMs);
    case "throughput":
      return await throughput(kind, url, c.clients, c.seconds, c.window, c.timeoutMs);
    case "fanout":
      return await fanout(kind, url, c.members, c.messages, c.window, c.timeoutMs);
    case "bytes":
      return await measureBytes(kind, url);
    case "quit":
      process.exit(0);
  }
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  if (line.trim() === "quit") process.exit(0);
  queue = queue.then(async () => {
    try {
      console.log(JSON.stringify({ ok: true, result: await run(JSON.parse(line)) }));
    } catch (error) {
      console.log(JSON.stringify({ ok: false, error: String((error as Error)?.stack ?? error) }));
    }
  });
});
lines.on("close", () => void queue.then(() => process.exit(0)));
