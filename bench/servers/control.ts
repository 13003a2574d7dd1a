/**
 * The control channel every contender server shares: it prints one JSON line
 * with its port when it listens, then answers commands read from stdin, one
 * per line: `stats` (garbage-collect, then print memory and CPU time),
 * `cpu <from> <to>` (CPU use between two `Date.now()` times, in percent of one
 * core) and `quit` (or the end of stdin: close and exit).
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
  // CPU time sampled every 100 ms, so the runner can ask for the share of any
  // recent window (the load generator reports its windows in wall-clock time).
  const samples: { t: number; cpuMs: number }[] = [];
  const sample = () => {
    const cpu = process.cpuUsage();
    samples.push({ t: Date.now(), cpuMs: (cpu.user + cpu.system) / 1000 });
    if (samples.length > 4000) samples.splice(0, 1000);
  };
  sample();
  setInterval(sample, 100);
  const at = (t: number) =>
    samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
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
    } else if (line.startsWith("cpu ")) {
      const [from, to] = line.slice(4).split(" ").map(Number) as [number, number];
      await new Promise((r) => setTimeout(r, 60)); // the sample after `to`
      const a = at(from);
      const b = at(to);
      const pct = b.t > a.t ? ((b.cpuMs - a.cpuMs) / (b.t - a.t)) * 100 : 0;
      console.log(JSON.stringify({ cpuPct: Math.round(pct) }));
    } else if (line.trim() === "quit") await quit();
  });
  lines.on("close", () => void quit());
}
