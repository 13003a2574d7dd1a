/**
 * Cluster fan-out: one room, its members spread over 3 server processes that
 * share it through Redis, against the same room on 1 process. A server
 * process broadcasts a 16-byte position message to the room `--messages`
 * times; the clients (all in this process, so both layouts have the same
 * reader) count deliveries. Reported: deliveries per second, median of `--runs`.
 *
 *   node --import tsx bench/cluster_fanout.ts [--members 300] [--messages 2000] [--runs 3]
 *     [--runtime node|deno|bun]   (runtime of the server processes; default node)
 *
 * Needs redis-server (apt-get install redis-server); one is started on a free port.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { GameSocketServer } from "../server.ts";
import { GameSocketClient } from "../client.ts";
import { RedisAdapter } from "../cluster/redis.ts";
import { defineSchema } from "../protocol/schema.ts";
import { startRedis } from "../scripts/redis_server.ts";

const Pos = defineSchema(9, { id: "uint16", x: "float32", y: "float32" });
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};

if (args[0] === "server") await serve(args[1]!);
else await main();

/** A server process: broadcasts on request from its "/control" namespace. */
async function serve(redisUrl: string): Promise<void> {
  const adapter = redisUrl === "none" ? undefined : new RedisAdapter({ url: redisUrl });
  const server = new GameSocketServer({
    adapter,
    limits: { maxConnections: 100_000, maxConnectionsPerAddress: 100_000 },
  });
  server.of("/game");
  server.of("/control").on("connection", (socket) => {
    socket.on("blast", async (count, ack) => {
      const game = server.of("/game");
      for (let i = 0; i < (count as number); i++) {
        game.to("arena").send(Pos, { id: i & 0xffff, x: i, y: -i });
        // Let the event loop write (and read Redis) now and then, as a game tick would.
        if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      ack?.(true);
    });
    socket.on("settle", async (_x, ack) => {
      await adapter?.flush();
      ack?.(true);
    });
  });
  const { tcp } = await server.listen({ tcp: 0 });
  await adapter?.ready();
  console.log(`READY ${tcp}`);
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

function command(runtime: string): [string, string[]] {
  const self = "bench/cluster_fanout.ts";
  if (runtime === "deno") return ["node_modules/.bin/deno", ["run", "-A", self]];
  if (runtime === "bun") return ["node_modules/.bin/bun", [self]];
  return ["node", ["--import", "tsx", self]];
}

function startServer(
  runtime: string,
  redisUrl: string,
): Promise<{ child: ChildProcess; url: string }> {
  const [cmd, base] = command(runtime);
  const child = spawn(cmd, [...base, "server", redisUrl], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout!.on("data", (chunk) => {
      out += String(chunk);
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ child, url: `tcp://127.0.0.1:${m[1]}` });
    });
  });
}

interface Layout {
  name: string;
  processes: number;
  redis: boolean;
}

async function run(
  layout: Layout,
  runtime: string,
  redisUrl: string,
  members: number,
  messages: number,
  runs: number,
) {
  const servers = await Promise.all(
    Array.from(
      { length: layout.processes },
      () => startServer(runtime, layout.redis ? redisUrl : "none"),
    ),
  );
  const clients: GameSocketClient[] = [];
  let received = 0;
  for (let i = 0; i < members; i++) {
    const client = await GameSocketClient.connect(servers[i % servers.length]!.url);
    clients.push(client);
    const game = client.of("/game");
    await game.ready();
    await game.join("arena");
    game.on(Pos, () => void received++);
  }
  const controls = await Promise.all(servers.map(async (s) => {
    const c = await GameSocketClient.connect(s.url);
    clients.push(c);
    const ctl = c.of("/control");
    await ctl.ready();
    await ctl.emitWithAck("settle");
    return ctl;
  }));
  const blast = async (count: number): Promise<number> => {
    received = 0;
    const expected = count * members;
    const t0 = performance.now();
    await controls[0]!.emitWithAck("blast", count, { timeout: 120_000 });
    const end = Date.now() + 120_000;
    while (received < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
    if (received < expected) {
      throw new Error(`${layout.name}: ${received} of ${expected} deliveries`);
    }
    return expected / ((performance.now() - t0) / 1000);
  };
  await blast(Math.min(200, messages)); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) rates.push(await blast(messages));
  for (const c of clients) c.close();
  for (const s of servers) s.child.stdin!.end();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.child.once("exit", resolve))));
  rates.sort((a, b) => a - b);
  return { rates, median: rates[Math.floor(rates.length / 2)]! };
}

async function main(): Promise<void> {
  const members = Number(option("members", "300"));
  const messages = Number(option("messages", "2000"));
  const runs = Number(option("runs", "3"));
  const runtime = option("runtime", "node");
  const redis = await startRedis();
  const layouts: Layout[] = [
    { name: "1 process, no adapter", processes: 1, redis: false },
    { name: "1 process, Redis adapter", processes: 1, redis: true },
    { name: "3 processes, Redis adapter", processes: 3, redis: true },
  ];
  console.log(
    `cluster fan-out: room of ${members} members, ${messages} messages of 16 bytes, servers on ${runtime}`,
  );
  console.log("| layout | deliveries/s (median) | runs |");
  console.log("|---|---|---|");
  try {
    for (const layout of layouts) {
      const { rates, median } = await run(layout, runtime, redis.url, members, messages, runs);
      const all = rates.map((r) => Math.round(r / 1000) + "k").join(", ");
      console.log(`| ${layout.name} | ${Math.round(median).toLocaleString("en-US")} | ${all} |`);
    }
  } finally {
    await redis.stop();
  }
}
