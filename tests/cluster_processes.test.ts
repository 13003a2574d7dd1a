// Issue 10: three server processes (one on Node, one on Deno, one on Bun) share rooms through a
// real redis-server; clients on each. Room broadcasts, except, acks from many and fetchSockets
// across processes; then a Redis restart in the middle; then a process killed in the middle.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import type { ClientNamespace } from "../core/client_namespace.ts";
import type { GameSocketClient } from "../client.ts";
import { type RedisServer, startRedis } from "../scripts/redis_server.ts";
import { collect, connect, next, sleep, until } from "./helpers.ts";

const FIXTURE = "tests/fixtures/cluster_server.ts";
const RUNTIMES: Record<string, [string, string[]]> = {
  node: ["node", ["--import", "tsx", FIXTURE]],
  deno: ["node_modules/.bin/deno", ["run", "-A", FIXTURE]],
  bun: ["node_modules/.bin/bun", [FIXTURE]],
};

interface Proc {
  runtime: string;
  child: ChildProcess;
  url: string;
  node: string;
  ctl: ClientNamespace;
}

let redis: RedisServer;
let procs: Proc[] = [];
const clients: GameSocketClient[] = [];

function spawnServer(runtime: string, prefix: string): Promise<Omit<Proc, "ctl">> {
  const [cmd, args] = RUNTIMES[runtime]!;
  const child = spawn(cmd, [...args, redis.url, prefix], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (chunk) => err += String(chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("no READY within 30 s")), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${runtime} server: ${error.message}\n${err}`));
    };
    child.once("error", fail);
    child.once("exit", (code) => fail(new Error(`exited with ${code} before READY`)));
    child.stdout!.on("data", (chunk) => {
      out += String(chunk);
      const m = /READY (\d+) (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({ runtime, child, url: `tcp://127.0.0.1:${m[1]}`, node: m[2]! });
    });
  });
}

/** Call a control command of a server process. */
async function call<T = unknown>(p: Proc, event: string, arg?: unknown): Promise<T> {
  const reply = await p.ctl.emitWithAck(event, arg, { timeout: 10_000 }) as {
    ok?: T;
    error?: string;
  };
  if (reply.error !== undefined) throw new Error(`${p.runtime} ${event}: ${reply.error}`);
  return reply.ok as T;
}

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function player(p: Proc, name: string, ...rooms: string[]): Promise<ClientNamespace> {
  const client = await connect(p.url);
  clients.push(client);
  const game = client.of("/game", { name });
  await game.ready();
  for (const room of rooms) await game.join(room);
  return game;
}

type Stats = { received: number; status: string; events: string[] };

describe("cluster of three processes (node, deno, bun) on redis-server", () => {
  let A: Proc, B: Proc, C: Proc;
  let a1: ClientNamespace,
    a2: ClientNamespace,
    b1: ClientNamespace,
    b2: ClientNamespace,
    c1: ClientNamespace;

  before(async () => {
    redis = await startRedis();
    const prefix = `proc${Date.now()}`;
    const started = await Promise.all(["node", "deno", "bun"].map((rt) => spawnServer(rt, prefix)));
    for (const s of started) {
      const client = await connect(s.url);
      clients.push(client);
      const ctl = client.of("/control");
      await ctl.ready();
      procs.push({ ...s, ctl });
    }
    [A, B, C] = procs as [Proc, Proc, Proc];
    [a1, a2] = [await player(A, "a1", "arena"), await player(A, "a2")];
    [b1, b2] = [await player(B, "b1", "arena"), await player(B, "b2", "arena", "muted")];
    c1 = await player(C, "c1");
    for (const p of procs) await call(p, "settle");
  });

  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(procs.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      const exited = new Promise((resolve) => p.child.once("exit", resolve));
      p.child.stdin!.end(); // the fixture exits when its stdin closes
      const timer = setTimeout(() => p.child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }));
    procs = [];
    await redis?.stop();
  });

  /**
   * A namespace-wide `sync` from each sender, awaited by every player: what a sender sent before
   * has then arrived everywhere (one sender's messages arrive in order, whatever the channel).
   */
  async function sync(senders: Proc[], players: ClientNamespace[]): Promise<void> {
    const seen = players.map((p) => collect(p, "sync"));
    for (const s of senders) await call(s, "emit", { event: "sync", payload: s.runtime });
    await until(() => seen.every((got) => got.length >= senders.length), 5_000, "sync");
  }

  it("a room broadcast reaches members on every process, and no process without members", async () => {
    const all = [a1, a2, b1, b2, c1];
    const heard = all.map((p) => collect(p, "news"));
    const before = (await call<Stats>(C, "stats")).received;
    await call(C, "emit", { rooms: ["arena"], event: "news", payload: "from C" });
    await call(B, "emit", {
      rooms: ["arena"],
      except: ["muted"],
      event: "news",
      payload: "not muted",
    });
    await sync([C, B], all);
    // Two senders: their messages may interleave differently on each process.
    assert.deepEqual(heard.map((h) => h.sort()), [
      ["from C", "not muted"],
      [],
      ["from C", "not muted"],
      ["from C"],
      [],
    ]);
    assert.equal(
      (await call<Stats>(C, "stats")).received - before,
      1,
      "C only got B's namespace-wide sync",
    );

    const chat = all.map((p) => collect(p, "chat"));
    a1.emit("chat", "gg"); // A's handler: socket.to("arena").emit(...), the sender left out
    await until(() => chat[2]!.length === 1 && chat[3]!.length === 1, 5_000, "chat on B");
    await sync([A], all);
    assert.deepEqual(chat, [[], [], ["gg"], ["gg"], []]);
  });

  it("acks from many and fetchSockets span the processes", async () => {
    for (const [p, name] of [[a1, "a1"], [b1, "b1"], [b2, "b2"]] as const) {
      p.on("vote", (_q: unknown, ack?: (r: unknown) => void) => ack?.(name));
    }
    const votes = await call<string[]>(C, "ask", {
      rooms: ["arena"],
      event: "vote",
      timeout: 5_000,
    });
    assert.deepEqual([...votes].sort(), ["a1", "b1", "b2"]);
    const found = await call<
      Array<{ id: string; rooms: string[]; data: { name: string }; node: string }>
    >(
      C,
      "fetch",
      ["arena"],
    );
    const byName = new Map(found.map((s) => [s.data.name, s]));
    assert.deepEqual([...byName.keys()].sort(), ["a1", "b1", "b2"]);
    assert.deepEqual(byName.get("b2")!.rooms.sort(), ["arena", "muted"]);
    assert.equal(byName.get("b2")!.id, b2.sid);
    assert.equal(byName.get("a1")!.node, A.node);
  });

  it("a Redis restart in the middle: reported, local traffic goes on, cross-process traffic resumes", async () => {
    await redis.stop();
    for (const p of procs) {
      await eventually(
        async () => (await call<Stats>(p, "stats")).status === "down",
        10_000,
        `${p.runtime} down`,
      );
    }
    const local = next(b1, "news");
    await call(B, "emit", { rooms: ["arena"], event: "news", payload: "local only" });
    assert.deepEqual(await local, ["local only"]);

    await redis.start();
    for (const p of procs) {
      await eventually(
        async () => (await call<Stats>(p, "stats")).status === "up",
        15_000,
        `${p.runtime} up`,
      );
      assert.deepEqual((await call<Stats>(p, "stats")).events.slice(-2), ["down", "up"]);
    }
    const heard = [a1, b1, b2].map((p) => next(p, "news"));
    await call(C, "emit", { rooms: ["arena"], event: "news", payload: "after restart" });
    for (const h of heard) assert.deepEqual(await h, ["after restart"]);
  });

  it("a process killed in the middle leaves no stale members; the others go on", async () => {
    const exited = new Promise((resolve) => B.child.once("exit", resolve));
    B.child.kill("SIGKILL");
    await exited;

    // Its subscriptions died with its Redis connections: queries no longer wait for it or list it.
    const found = await call<Array<{ id: string }>>(C, "fetch", ["arena"]);
    assert.deepEqual(found.map((s) => s.id), [a1.sid]);
    a1.on("vote2", (_q: unknown, ack?: (r: unknown) => void) => ack?.("still here"));
    assert.deepEqual(await call(C, "ask", { rooms: ["arena"], event: "vote2", timeout: 5_000 }), [
      "still here",
    ]);
    const news = next(a1, "news");
    await call(C, "emit", { rooms: ["arena"], event: "news", payload: "survivors" });
    assert.deepEqual(await news, ["survivors"]);

    // Its heartbeat expires (TTL 1 s in the fixture).
    await eventually(
      async () =>
        (await call<string[]>(A, "nodes")).sort().join() === [A.node, C.node].sort().join(),
      5_000,
      "the killed process's heartbeat to expire",
    );
  });
});
