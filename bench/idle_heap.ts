/**
 * Where a server's memory per idle connection goes: a heap snapshot before and
 * after N idle clients connect (from another process), grouped by object type.
 * It explains the "RSS per idle connection" column of the benchmark.
 *
 * Run (Node, compiled: the tsx loader adds a property array to every closure):
 * `npx tsc -p bench/tsconfig.bench.json && node --expose-gc bench/results/js/bench/idle_heap.js gs|gs-ws|ws [n]`.
 *
 * @module
 */

import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { writeHeapSnapshot } from "node:v8";
import { WebSocketServer } from "ws";
import { GameSocketServer } from "../server.ts";
import { Child, commandFor, compileForNode } from "./proc.ts";
import { BENCH_LIMITS } from "./wire.ts";

const mode = process.argv[2] === "ws" || process.argv[2] === "gs-ws" ? process.argv[2] : "gs";
const kind = mode === "ws" ? "ws" : "gs";
const n = Number(process.argv[3] ?? 2000);

/** Self bytes and counts of every object type in a heap snapshot. */
function byType(file: string): Map<string, { bytes: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const meta = snap.snapshot.meta;
  const fields: string[] = meta.node_fields;
  const types: string[] = meta.node_types[0];
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const nodes: number[] = snap.nodes;
  const out = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + iType!]!]!;
    const key = type === "object" ? snap.strings[nodes[i + iName!]!] as string : `(${type})`;
    const entry = out.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += nodes[i + iSize!]!;
    entry.count++;
    out.set(key, entry);
  }
  return out;
}

function snapshot(): Map<string, { bytes: number; count: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const file = writeHeapSnapshot(
    join(tmpdir(), `idle-heap-${process.pid}-${Date.now()}.heapsnapshot`),
  );
  try {
    return byType(file);
  } finally {
    rmSync(file, { force: true });
  }
}

compileForNode();
let url: string;
let close: () => Promise<void> | void;
if (mode === "gs-ws") {
  const server = new GameSocketServer({ limits: BENCH_LIMITS });
  server.of("/");
  const { ws } = await server.listen({ ws: 0 });
  url = `ws://127.0.0.1:${ws}`;
  close = () => server.close(500);
} else if (mode === "gs") {
  const server = new GameSocketServer({ limits: BENCH_LIMITS });
  server.of("/");
  const { tcp } = await server.listen({ tcp: 0 });
  url = `tcp://127.0.0.1:${tcp}`;
  close = () => server.close(500);
} else {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  await new Promise((resolve) => wss.once("listening", resolve));
  url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  close = () => new Promise<void>((done) => wss.close(() => done()));
}
const load = new Child("load", commandFor("node", "bench/load/main.ts", [kind, url]), n * 2 + 2000);
// Warm up the code paths, so the baseline is not charged to the connections.
await load.request(JSON.stringify({ cmd: "idle", n: 20, timeoutMs: 30_000 }), 35_000);
await load.request(JSON.stringify({ cmd: "release" }), 10_000);
const before = snapshot();
await load.request(JSON.stringify({ cmd: "idle", n, timeoutMs: 120_000 }), 125_000);
const after = snapshot();
const rows = [...after.entries()].map(([type, a]) => {
  const b = before.get(type) ?? { bytes: 0, count: 0 };
  return { type, bytes: (a.bytes - b.bytes) / n, count: (a.count - b.count) / n };
}).filter((r) => r.bytes > 8).sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((sum, r) => sum + r.bytes, 0);
console.log(`${mode}: ${Math.round(total)} heap bytes per idle connection (${n} connections)`);
console.log("| object type | bytes per connection | objects per connection |");
console.log("|---|---:|---:|");
for (const r of rows.slice(0, 30)) {
  console.log(`| ${r.type} | ${Math.round(r.bytes)} | ${r.count.toFixed(2)} |`);
}
await load.stop();
await close();
process.exit(0);
