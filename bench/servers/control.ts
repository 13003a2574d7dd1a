/**
 * The control channel every contender server shares: it prints one JSON line
 * with its port when it listens, then answers commands read from stdin, one
 * per line: `stats` (garbage-collect, then print memory and CPU time) and
 * `quit` (or the end of stdin: close and exit).
 *
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";

/** A listening contender. */
export interface Started {
  /** Bound port. */
  port: number;
  /** Stop listening and drop connections. */
  close(): Promise<void> | void;
}

type Globals = { Bun?: { gc(force: boolean): void }; Deno?: unknown; gc?: () => void };

/** Which runtime runs this process. */
export function runtime(): "node" | "bun" | "deno" {
  const g = globalThis as Globals;
  return g.Deno ? "deno" : g.Bun ? "bun" : "node";
}

/** Collect garbage as fully as the runtime allows (node and deno need --expose-gc). */
export function collectGarbage(): void {
  const g = globalThis as Globals;
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

/**
 * Start a contender and serve the control channel until told to quit.
 *
 * @param start Listens on 127.0.0.1, port 0.
 */
export async function serveControl(start: () => Promise<Started>): Promise<void> {
  const server = await start();
  console.log(JSON.stringify({ port: server.port, runtime: runtime(), pid: process.pid }));
  const lines = createInterface({ input: process.stdin });
  let quitting = false;
  const quit = async () => {
    if (quitting) return;
    quitting = true;
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 2000))]);
    process.exit(0);
  };
  lines.on("line", async (line) => {
    if (line.trim() === "stats") {
      for (let i = 0; i < 3; i++) {
        collectGarbage();
        await new Promise((r) => setTimeout(r, 30));
      }
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      console.log(JSON.stringify({
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        cpuMs: (cpu.user + cpu.system) / 1000,
      }));
    } else if (line.trim() === "quit") await quit();
  });
  lines.on("close", () => void quit());
}
