// A throwaway redis-server on a free loopback port, for the cluster tests and the cluster bench.
// No persistence, no config file; stop() ends it. Works on Node, Deno and Bun (node:child_process).
//
//   import { startRedis } from "../scripts/redis_server.ts";
//   const redis = await startRedis();   // redis.url = "redis://127.0.0.1:<port>"
//   await redis.stop(); await redis.start();   // a restart on the same port
//   await redis.stop();
//
// Run directly (`node --import tsx scripts/redis_server.ts`) it prints the URL and runs until Ctrl+C.
// The binary is `redis-server` from PATH (Debian: apt-get install redis-server), or $REDIS_SERVER.
import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import process from "node:process";

const READY_TIMEOUT = 10_000;

/** A redis-server child process on 127.0.0.1. */
export class RedisServer {
  /** The TCP port, the same across restarts. */
  readonly port: number;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  /** @param port The port to use (see {@linkcode startRedis} for a free one). */
  constructor(port: number) {
    this.port = port;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Start the process and resolve once it answers PING. */
  async start(): Promise<void> {
    if (this.#child) return;
    const binary = process.env.REDIS_SERVER ?? "redis-server";
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
    ];
    const child = spawn(binary, [...args, "--loglevel", "warning"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk) => stderr += String(chunk));
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once("exit", () => {
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    const failed = new Promise<never>((_, reject) => {
      child.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "ENOENT"
            ? new Error(
              `Cannot start ${binary}: not found; apt-get install redis-server, or set REDIS_SERVER`,
            )
            : error,
        ));
      child.once(
        "exit",
        (code) =>
          reject(new Error(`redis-server exited (${code}) before it was ready: ${stderr.trim()}`)),
      );
    });
    failed.catch(() => {});
    await Promise.race([failed, waitForPong(this.port)]);
  }

  /** Stop the process (SIGTERM, then SIGKILL after 3 s) and resolve once it is gone. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Start a redis-server on a free loopback port (a few tries if the port is taken meanwhile). */
export async function startRedis(): Promise<RedisServer> {
  let last: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = new RedisServer(await freePort());
    try {
      await server.start();
      return server;
    } catch (error) {
      last = error;
      await server.stop();
      if (/not found/.test(String(error))) break;
    }
  }
  throw last;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolve once a PING on `port` gets +PONG; reject after READY_TIMEOUT. */
async function waitForPong(port: number): Promise<void> {
  const end = Date.now() + READY_TIMEOUT;
  while (Date.now() < end) {
    if (await pong(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${READY_TIMEOUT} ms`);
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(String(data).startsWith("+PONG")));
  });
}

if (process.argv[1]?.endsWith("redis_server.ts")) {
  const redis = await startRedis();
  console.log(redis.url);
  process.once("SIGINT", () => void redis.stop().then(() => process.exit(0)));
}
