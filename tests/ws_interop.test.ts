// The interop matrix over WebSocket: a server on each runtime (TCP and WebSocket on one
// GameSocketServer) serves a client process on each runtime (all 9 pairs); in every pair a
// WebSocket client and a TCP client share a room and hear each other. Spawned once, from Node.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { runtimeName } from "../runtime/auto.ts";

const runtimes = ["node", "deno", "bun"] as const;
/** "node-global": Node with its global WebSocket (default from Node 22; a flag on Node 20). */
type Rt = typeof runtimes[number] | "node-global";

function command(rt: Rt, script: string, args: string[] = []): [string, string[]] {
  const bin = (name: string) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
  if (rt === "node") return [process.execPath, ["--import", "tsx", script, ...args]];
  if (rt === "node-global") {
    const flag = "WebSocket" in globalThis ? [] : ["--experimental-websocket", "--no-warnings"];
    return [process.execPath, [...flag, "--import", "tsx", script, ...args]];
  }
  if (rt === "deno") return [bin("deno"), ["run", "-A", "--no-check", script, ...args]];
  return [bin("bun"), [script, ...args]];
}

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

interface Served {
  tcp: number;
  ws: number;
  stop: () => Promise<void>;
}

function startServer(rt: Rt, viaHandler: boolean): Promise<Served> {
  const [cmd, args] = command(rt, fixture("ws_interop_server.ts"), viaHandler ? ["handler"] : []);
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => (child.kill(), reject(new Error(`${rt} server did not start`))),
      20_000,
    );
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = out.match(/PORTS (\d+) (\d+) (\w+)/);
      if (!m) return;
      clearTimeout(timer);
      assert.equal(m[3], rt);
      resolve({
        tcp: Number(m[1]),
        ws: Number(m[2]),
        stop: () =>
          new Promise((done) => {
            const kill = setTimeout(() => child.kill(), 10_000);
            child.once("exit", () => (clearTimeout(kill), done()));
            child.stdin!.end();
          }),
      });
    });
    child.once(
      "exit",
      (code) => (clearTimeout(timer), reject(new Error(`${rt} server exited with ${code}`))),
    );
  });
}

function runClient(rt: Rt, served: Served): Promise<string> {
  const urls = [`ws://127.0.0.1:${served.ws}/`, `tcp://127.0.0.1:${served.tcp}`];
  const [cmd, args] = command(rt, fixture("ws_interop_client.ts"), urls);
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

describe("WebSocket interop matrix", {
  skip: runtimeName() !== "node" && "spawned once from Node's runner",
}, () => {
  const servers = [
    ...runtimes.map((rt) => [rt, false, "listen({ ws })"] as const),
    ["deno", true, "handler() in Deno.serve"] as const,
    ["bun", true, "handler() in Bun.serve"] as const,
  ];
  for (const [serverRt, viaHandler, how] of servers) {
    it(
      `a ${serverRt} server with ${how} serves node (ws and global WebSocket), deno and bun clients`,
      {
        timeout: 120_000,
      },
      async () => {
        const served = await startServer(serverRt, viaHandler);
        try {
          for (const clientRt of [...runtimes, "node-global"] as const) {
            const out = await runClient(clientRt, served);
            const name = clientRt === "node-global" ? "node" : clientRt;
            // Node 20 has no global WebSocket; Deno's leaves Nagle on (see wsClientKind).
            const impl = clientRt === "node" || clientRt === "deno" ? "ws" : "global";
            assert.match(
              out,
              new RegExp(
                `RESULT client=${name} server=${serverRt} via=ws kind=ws impl=${impl} ` +
                  `tcpHeard="ws from ${name}" wsHeard="tcp from ${name}"`,
              ),
            );
          }
        } finally {
          await served.stop();
        }
      },
    );
  }
});
