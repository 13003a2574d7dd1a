// The benchmark runner, every scenario at tiny sizes, on game-socket and the raw node:net
// contender, so the bench code cannot rot. It spawns its own processes: Node's runner only.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtimeName } from "../runtime/auto.ts";

describe("bench smoke", {
  skip: runtimeName() !== "node" && "spawns processes: Node's runner only",
}, () => {
  it("npm run bench -- --smoke measures every scenario and writes the table, JSON and chart", {
    timeout: 120_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), "gs-bench-"));
    try {
      const root = new URL("..", import.meta.url).pathname;
      const child = spawn(process.execPath, [
        "--import",
        "tsx",
        "bench/run.ts",
        "--smoke",
        "--tsx",
        "--only",
        "gs-tcp-node,raw-net-node",
        "--out",
        out,
      ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => stdout += d);
      child.stderr.on("data", (d) => stderr += d);
      const timer = setTimeout(() => child.kill("SIGKILL"), 100_000);
      const code = await new Promise((resolve) => child.once("exit", resolve));
      clearTimeout(timer);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /\| game-socket TCP \(node\) \|/);
      assert.match(stdout, /## Ratios in this run/);
      const json = JSON.parse(readFileSync(join(out, "latest.json"), "utf8"));
      const ids = json.medians.map((r: { id: string }) => r.id);
      assert.deepEqual(ids, ["gs-tcp-node", "raw-net-node"]);
      for (const r of json.medians) {
        assert.deepEqual(r.errors, {}, `${r.id} had errors`);
        assert.ok(r.echo.p50Us > 0 && r.echo.p99Us >= r.echo.p50Us, `${r.id} echo`);
        assert.ok(r.throughput.msgsPerSec > 0, `${r.id} throughput`);
        assert.ok(r.fanout.deliveriesPerSec > 0, `${r.id} fan-out`);
        assert.equal(r.idle.n, 20);
        assert.ok(r.bytes.message.up > 0);
      }
      assert.equal(json.medians[0].bytes.message.up, 16, "a position update is 16 bytes");
      assert.ok(json.codec.node.length > 0, "codec ops/s");
      assert.match(readFileSync(join(out, "chart.svg"), "utf8"), /^<svg [^>]+>/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
