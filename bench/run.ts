/**
 * The benchmark runner: `npm run bench` (full) or `npm run bench -- --quick`
 * (about a minute). Each contender's server runs in its own process on its
 * runtime, the load generator in another (Node), both on 127.0.0.1; the
 * runner only sequences them, reads their JSON lines and reports.
 *
 * Options: `--quick`, `--runs N` (medians over N runs, default 1),
 * `--only id,id` (contender ids or prefixes), `--scenarios idle,bytes,echo,throughput,fanout,codec`,
 * `--publish` (also write bench/RESULTS.json and bench/chart.svg),
 * `--profile server,load` (CPU profiles of the servers or load generators in bench/results/prof/),
 * `--tsx` (Node runs the TypeScript through the tsx loader instead of tsc's output),
 * `--smoke` (tiny sizes), `--out DIR` (where results go, default bench/results/).
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import process from "node:process";
import { renderChart } from "./chart.ts";
import { type Contender, contenders } from "./contenders.ts";
import { Child, commandFor, compileForNode, type Runtime } from "./proc.ts";
import {
  bytesTable,
  checks,
  checksTable,
  type CodecResults,
  codecTable,
  type ContenderResult,
  cpuTable,
  mainTable,
  mediansByContender,
  type ServerCpu,
} from "./report.ts";
import type { CodecBenchResult } from "./codec.ts";
import type { FanoutResult, ThroughputResult, Window } from "./load/scenarios.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

const quick = flag("quick");
/** `--smoke`: every scenario for a fraction of a second (the test that keeps this code alive). */
const smoke = flag("smoke");
/** Sizes of every scenario; the full ones are the issue's. */
const P = smoke
  ? {
    idle: 20,
    echo: 200,
    echoWarmup: 20,
    tpClients: 5,
    tpSeconds: 0.2,
    fanMembers: 10,
    fanMessages: 20,
    codecMs: 20,
  }
  : quick
  ? {
    idle: 500,
    echo: 2000,
    echoWarmup: 500,
    tpClients: 50,
    tpSeconds: 0.5,
    fanMembers: 200,
    fanMessages: 200,
    codecMs: 100,
  }
  : {
    idle: 5000,
    echo: 20_000,
    echoWarmup: 10_000,
    tpClients: 50,
    tpSeconds: 4,
    fanMembers: 500,
    fanMessages: 2000,
    codecMs: 1000,
  };
const WINDOW = { throughput: Number(process.env.BENCH_TP_WINDOW ?? 16), fanout: 20 };
const runs = Math.max(1, Number(option("runs") ?? 1));
const only = option("only")?.split(",");
const scenarios = new Set(
  (option("scenarios") ?? "idle,bytes,echo,throughput,fanout,codec").split(","),
);
/** `--profile server,load`: node processes write .cpuprofile files to bench/results/prof. */
const profile = option("profile") ?? "";
if (profile) mkdirSync(new URL("./results/prof/", import.meta.url), { recursive: true });
const FD_LIMIT = Math.max(P.idle * 2 + 2000, 4096);

async function ask<T>(load: Child, command: object, timeoutMs: number): Promise<T> {
  const reply = await load.request<{ ok: boolean; result: T; error: string }>(
    JSON.stringify(command),
    timeoutMs + 5000,
  );
  if (!reply.ok) throw new Error(reply.error);
  return reply.result;
}

interface Stats {
  rss: number;
  heapUsed: number;
  cpuMs: number;
}

/** Add the server's CPU use in the scenario's measured window. */
async function withCpu<T extends { window: Window }>(
  server: Child,
  result: T,
): Promise<T & ServerCpu> {
  const { cpuPct } = await server.request<{ cpuPct: number }>(
    `cpu ${result.window.from} ${result.window.to}`,
    10_000,
  );
  return { ...result, serverCpuPct: cpuPct };
}

/**
 * Run `steps` against a fresh server process and load generator. The idle
 * scenario gets its own: 5,000 connections opened and closed leave a process
 * (Bun's most) with fatter latency tails for the scenarios after it, and a
 * process that has been under load has freed memory that idle connections
 * would reuse.
 */
async function withServer(
  c: Contender,
  out: ContenderResult,
  steps: (server: Child, load: Child) => Promise<void>,
): Promise<void> {
  const server = new Child(
    `${c.id} server`,
    commandFor(c.runtime, c.server[0], c.server.slice(1), profile.includes("server")),
    FD_LIMIT,
  );
  let load: Child | undefined;
  try {
    const { port } = await server.read<{ port: number }>(60_000);
    load = new Child(
      `${c.id} load`,
      commandFor(
        "node",
        "bench/load/main.ts",
        [c.client, `${c.scheme}://127.0.0.1:${port}`],
        profile.includes("load"),
      ),
      FD_LIMIT,
    );
    await steps(server, load);
  } catch (error) {
    out.errors.start = String((error as Error).message ?? error).slice(0, 500);
    console.error(`  ${c.id}: ${out.errors.start}`);
  } finally {
    const grace = profile ? 20_000 : 3000; // writing a profile takes a while
    await Promise.all([load?.stop(grace), server.stop(grace)]);
  }
}

async function measure(c: Contender): Promise<ContenderResult> {
  const out: ContenderResult = { id: c.id, label: c.label, runtime: c.runtime, errors: {} };
  const step = async (name: string, fn: () => Promise<void>) => {
    if (!scenarios.has(name)) return;
    try {
      await fn();
    } catch (error) {
      out.errors[name] = String((error as Error).message ?? error).slice(0, 500);
      console.error(`  ${c.id} ${name}: ${out.errors[name]}`);
    }
  };
  if (scenarios.has("idle")) {
    await withServer(c, out, (server, l) =>
      step("idle", async () => {
        // Warm the server's code paths first, so the baseline is not charged to the connections.
        await ask(l, { cmd: "idle", n: 50, timeoutMs: 30_000 }, 30_000);
        await ask(l, { cmd: "release" }, 10_000);
        const s0 = await server.request<Stats>("stats", 10_000);
        const r = await ask<{ n: number; connectMs: number }>(
          l,
          { cmd: "idle", n: P.idle, timeoutMs: 120_000 },
          120_000,
        );
        const s1 = await server.request<Stats>("stats", 10_000);
        await ask(l, { cmd: "release" }, 30_000);
        out.idle = {
          n: r.n,
          connectMs: r.connectMs,
          rssPerConnKiB: (s1.rss - s0.rss) / r.n / 1024,
          heapPerConnKiB: (s1.heapUsed - s0.heapUsed) / r.n / 1024,
        };
      }));
  }
  if (!["bytes", "echo", "throughput", "fanout"].some((s) => scenarios.has(s))) return out;
  await withServer(c, out, async (server, l) => {
    await step("bytes", async () => {
      out.bytes = await ask(l, { cmd: "bytes" }, 30_000);
    });
    await step("echo", async () => {
      const timeoutMs = 120_000;
      out.echo = await ask(l, {
        cmd: "echo",
        roundTrips: P.echo,
        warmup: P.echoWarmup,
        timeoutMs,
      }, timeoutMs);
    });
    await step("throughput", async () => {
      const timeoutMs = 60_000;
      out.throughput = await withCpu(
        server,
        await ask<ThroughputResult>(l, {
          cmd: "throughput",
          clients: P.tpClients,
          seconds: P.tpSeconds,
          window: WINDOW.throughput,
          timeoutMs,
        }, timeoutMs),
      );
    });
    await step("fanout", async () => {
      const timeoutMs = 120_000;
      out.fanout = await withCpu(
        server,
        await ask<FanoutResult>(l, {
          cmd: "fanout",
          members: P.fanMembers,
          messages: P.fanMessages,
          window: WINDOW.fanout,
          timeoutMs,
        }, timeoutMs),
      );
    });
  });
  return out;
}

async function codec(rt: Runtime): Promise<CodecBenchResult[] | undefined> {
  const child = new Child(
    `codec ${rt}`,
    commandFor(rt, "bench/codec_worker.ts", [String(P.codecMs)]),
  );
  try {
    return (await child.read<{ results: CodecBenchResult[] }>(60_000 + P.codecMs * 20)).results;
  } catch (error) {
    console.error(`  codec ${rt}: ${(error as Error).message}`);
    return undefined;
  } finally {
    await child.stop();
  }
}

function versions(): Record<string, string> {
  const v: Record<string, string> = { node: process.version };
  for (const rt of ["bun", "deno"] as const) {
    try {
      const line = execFileSync(commandFor(rt, "")[0]!, ["--version"], { encoding: "utf8" });
      v[rt] = line.split("\n")[0]!.trim();
    } catch {
      v[rt] = "?";
    }
  }
  return v;
}

if (!flag("tsx") && !compileForNode()) {
  console.error("tsc failed: Node runs the TypeScript through tsx");
}
// `--only` takes ids, or prefixes of ids ("gs-tcp" for all three runtimes).
const all = contenders();
const picked = (o: string) =>
  all.some((c) => c.id === o) ? (id: string) => id === o : (id: string) => id.startsWith(o);
const list = all.filter((c) => only ? only.some((o) => picked(o)(c.id)) : !(quick && c.infoOnly));
const started = Date.now();
console.log(
  `game-socket benchmark: ${list.length} contenders, ${runs} run(s)${quick ? ", quick" : ""}; ` +
    `${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)}`,
);
/**
 * Each game-socket row is measured right before its raw baselines, so a
 * drift in the machine's load between them (minutes apart in table order)
 * does not bend the ratios; the tables keep `list`'s order.
 */
const order: Contender[] = [];
for (const c of list) {
  for (const next of [c, ...list.filter((b) => c.baseline?.includes(b.id))]) {
    if (!order.includes(next)) order.push(next);
  }
}
const allRuns: ContenderResult[][] = [];
const codecRuns: CodecResults[] = [];
for (let run = 1; run <= runs; run++) {
  const results: ContenderResult[] = [];
  for (const c of order) {
    const t0 = Date.now();
    const r = await measure(c);
    results.push(r);
    console.log(
      `run ${run}/${runs} ${c.id}: echo p99 ${r.echo?.p99Us ?? "–"} µs, ` +
        `${r.throughput?.msgsPerSec ?? "–"} msg/s, fan-out ${
          r.fanout?.deliveriesPerSec ?? "–"
        }/s, ` +
        `${r.idle?.rssPerConnKiB.toFixed(1) ?? "–"} KiB/conn (${
          ((Date.now() - t0) / 1000).toFixed(1)
        } s)`,
    );
  }
  allRuns.push(list.map((c) => results.find((r) => r.id === c.id)!));
  if (scenarios.has("codec")) {
    const c: CodecResults = {};
    for (const rt of ["node", "bun", "deno"] as const) {
      const r = await codec(rt);
      if (r) c[rt] = r;
    }
    codecRuns.push(c);
  }
}

const medians = mediansByContender(allRuns);
const codecMedian: CodecResults = {};
for (const rt of ["node", "bun", "deno"]) {
  const per = codecRuns.map((c) => c[rt]).filter((x) => x !== undefined);
  if (per.length === 0) continue;
  codecMedian[rt] = per[0]!.map((first) => ({
    ...first,
    opsPerSec: [...per.map((p) => p.find((x) => x.name === first.name)?.opsPerSec ?? 0)]
      .sort((a, b) => a - b)[per.length >> 1]!,
  }));
}
const baselines = Object.fromEntries(
  list.filter((c) => c.baseline).map((c) => [c.id, c.baseline!]),
);
const targetChecks = checks(medians, baselines);
const loadAverage = os.loadavg()[0]!;
const meta = {
  date: new Date().toISOString(),
  quick,
  runs,
  params: { ...P, window: WINDOW },
  machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverageAtEnd: loadAverage },
  versions: versions(),
  seconds: Math.round((Date.now() - started) / 1000),
};
const tables = [
  `## Results (${runs > 1 ? `median of ${runs} runs` : "one run"}${quick ? ", quick sizes" : ""})`,
  mainTable(medians),
  "## Ratios in this run",
  checksTable(targetChecks),
  "## Bytes on the wire (TCP payload, client up / server down)",
  bytesTable(medians),
  "## CPU while loaded (100% = one core; 2 cores in all)",
  cpuTable(medians),
  ...(Object.keys(codecMedian).length ? ["## Codec", codecTable(codecMedian)] : []),
].join("\n\n");
console.log("\n" + tables + "\n");
const json = { meta, medians, checks: targetChecks, codec: codecMedian, runs: allRuns };
const subtitle = `${runs > 1 ? `median of ${runs} runs` : "one run"}${quick ? " (quick)" : ""}, ` +
  `${meta.machine.cores} cores, ${
    meta.date.slice(0, 10)
  }; server and load generator in separate processes on 127.0.0.1`;
const chart = renderChart(medians, subtitle);
const out = option("out");
const dir = out
  ? pathToFileURL(out.endsWith("/") ? out : `${out}/`)
  : new URL("./results/", import.meta.url);
mkdirSync(dir, { recursive: true });
const stamp = meta.date.replace(/[:.]/g, "-");
writeFileSync(new URL(`${stamp}.json`, dir), JSON.stringify(json, null, 2));
writeFileSync(new URL("latest.json", dir), JSON.stringify(json, null, 2));
writeFileSync(new URL("latest.md", dir), tables + "\n");
writeFileSync(new URL("chart.svg", dir), chart);
if (flag("publish")) {
  writeFileSync(new URL("./RESULTS.json", import.meta.url), JSON.stringify(json, null, 2) + "\n");
  writeFileSync(new URL("./RESULTS.md", import.meta.url), tables + "\n");
  writeFileSync(new URL("./chart.svg", import.meta.url), chart);
  // The committed files pass `deno fmt --check` (CI runs it) as they are written.
  const published = ["RESULTS.md", "chart.svg"].map((f) =>
    fileURLToPath(new URL(f, import.meta.url))
  );
  execFileSync(fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url)), [
    "fmt",
    "--quiet",
    ...published,
  ], { stdio: "inherit" });
}
console.log(
  `wrote ${fileURLToPath(new URL(`${stamp}.json`, dir))} and chart.svg in ${meta.seconds} s`,
);
process.exit(0);
