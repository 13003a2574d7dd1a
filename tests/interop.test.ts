// Issue 3: a server on each runtime accepts clients on each runtime (all 9 pairs), in real processes.
// The matrix spawns every runtime itself, so it runs once, from Node's runner.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { runtimeName } from "../runtime/auto.ts";

const runtimes = ["node", "deno", "bun"] as const;
type Rt = typeof runtimes[number];

function command(rt: Rt, script: string, args: string[] = []): [string, string[]] {
  const bin = (name: string) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
  if (rt === "node") return [process.execPath, ["--import", "tsx", script, ...args]];
  if (rt === "deno") return [bin("deno"), ["run", "-A", "--no-check", script, ...args]];
  return [bin("bun"), [script, ...args]];
}

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

function startServer(rt: Rt): Promise<{ port: number; stop: () => Promise<void> }> {
  const [cmd, args] = command(rt, fixture("interop_server.ts"));
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${rt} server did not start`)), 20_000);
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = out.match(/PORT (\d+) (\w+)/);
      if (m) {
        clearTimeout(timer);
        assert.equal(m[2], rt);
        resolve({
          port: Number(m[1]),
          stop: () =>
            new Promise((done) => {
              child.once("exit", () => done());
              child.stdin!.end();
            }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`${rt} server exited with ${code}`)));
  });
}

function runClient(rt: Rt, url: string): Promise<string> {
  const [cmd, args] = command(rt, fixture("interop_client.ts"), [url]);
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => (child.kill(), reject(new Error(`${rt} client timed out`))),
      30_000,
    );
    child.stdout!.on("data", (d) => out += d);
    child.once("exit", (code) => {
      clearTimeout(timer);
      code === 0 ? resolve(out) : reject(new Error(`${rt} client exited with ${code}: ${out}`));
    });
  });
}

describe(
  "interop matrix",
  { skip: runtimeName() !== "node" && "spawned once from Node's runner" },
  () => {
    for (const serverRt of runtimes) {
      it(
        `a ${serverRt} server serves node, deno and bun clients`,
        { timeout: 120_000 },
        async () => {
          const server = await startServer(serverRt);
          try {
            for (const clientRt of runtimes) {
              const out = await runClient(clientRt, `tcp://127.0.0.1:${server.port}`);
              assert.match(
                out,
                new RegExp(
                  `RESULT client=${clientRt} server=${serverRt} heard="hi from ${clientRt}"`,
                ),
              );
            }
          } finally {
            await server.stop();
          }
        },
      );
    }
  },
);
