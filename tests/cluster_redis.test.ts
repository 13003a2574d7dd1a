// Issue 10: the Redis adapter in this runtime, against a real redis-server on a free loopback
// port (scripts/redis_server.ts): two servers in this process, each with its own Redis clients.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RedisAdapter } from "../cluster/redis.ts";
import type { GameSocketClient } from "../client.ts";
import type { GameSocketServer } from "../server.ts";
import { type RedisServer, startRedis } from "../scripts/redis_server.ts";
import { collect, connect, next, startServer, until } from "./helpers.ts";

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

/** Servers on Redis with fast heartbeats and reconnection; `events` logs each adapter's up/down. */
async function cluster(n: number, url = redis.url, waitReady = true) {
  const nodes: Array<
    { server: GameSocketServer; url: string; adapter: RedisAdapter; events: string[] }
  > = [];
  const prefix = `test${Math.random().toString(36).slice(2)}`; // tests do not hear each other
  for (let i = 0; i < n; i++) {
    const adapter = new RedisAdapter({
      url,
      prefix,
      heartbeatInterval: 200,
      maxReconnectDelay: 100,
    });
    const events: string[] = [];
    adapter.on("up", () => events.push("up")).on("down", () => events.push("down"));
    const { server, url: address } = await startServer({ adapter }, (s) => s.of("/game"));
    nodes.push({ server, url: address, adapter, events });
  }
  if (waitReady) await Promise.all(nodes.map((n) => n.adapter.ready()));
  const clients: GameSocketClient[] = [];
  const player = async (node: number, ...rooms: string[]) => {
    const client = await connect(nodes[node]!.url);
    clients.push(client);
    const game = client.of("/game");
    await game.ready();
    for (const room of rooms) await game.join(room);
    await nodes[node]!.adapter.flush();
    return game;
  };
  const close = async () => {
    for (const c of clients) c.close();
    await Promise.all(nodes.map((n) => n.server.close()));
  };
  return { nodes, player, close };
}

describe("cluster (redis engine, this runtime)", () => {
  it("two servers share rooms: broadcasts, except, acks from many, fetchSockets, nodes()", async () => {
    const { nodes, player, close } = await cluster(2);
    const a = await player(0, "arena");
    const b = await player(1, "arena");
    const other = await player(1);
    const heard = [collect(a, "hit"), collect(b, "hit"), collect(other, "hit")];
    const game0 = nodes[0]!.server.of("/game");
    game0.to("arena").emit("hit", 1);
    game0.to("arena").except(b.sid).emit("hit", 2);
    await until(() => heard[0]!.length === 2 && heard[1]!.length === 1, 3_000, "arena hits");
    const sync = next(other, "sync");
    game0.emit("sync");
    await sync;
    assert.deepEqual(heard, [[1, 2], [1], []]);

    a.on("vote", (_q: unknown, ack?: (r: unknown) => void) => ack?.("a"));
    b.on("vote", (_q: unknown, ack?: (r: unknown) => void) => ack?.("b"));
    const votes = await nodes[1]!.server.of("/game").to("arena").emitWithAck("vote", 0, {
      timeout: 3_000,
    });
    assert.deepEqual([...votes].sort(), ["a", "b"]);

    const found = await game0.in("arena").fetchSockets();
    assert.deepEqual(found.map((s) => s.id).sort(), [a.sid, b.sid].sort());
    const ids = (await nodes[0]!.adapter.nodes()).map((n) => n.id).sort();
    assert.deepEqual(ids, nodes.map((n) => n.adapter.nodeId).sort());
    await close();
  });

  it("a Redis restart is reported; local traffic goes on; subscriptions come back, even rooms made meanwhile", async () => {
    const { nodes, player, close } = await cluster(2);
    const a = await player(0, "arena");
    const b = await player(1, "arena");
    const hits = [collect(a, "hit"), collect(b, "hit")];
    await redis.stop();
    await until(() => nodes.every((n) => n.adapter.status === "down"), 5_000, "down on both");
    assert.ok(nodes.every((n) => n.events.includes("down")));

    // Redis is gone: a broadcast still reaches the local member; nothing throws.
    nodes[0]!.server.of("/game").to("arena").emit("hit", "while down");
    await until(() => hits[0]!.length === 1, 2_000, "local delivery while down");
    assert.ok(nodes[0]!.adapter.stats.dropped > 0);
    const late = await player(1, "late"); // a room created while Redis is away
    const lateHits = collect(late, "hit");

    await redis.start();
    await until(() => nodes.every((n) => n.adapter.status === "up"), 10_000, "up again");
    assert.deepEqual(nodes[0]!.events.slice(-2), ["down", "up"]);
    nodes[0]!.server.of("/game").to("arena").emit("hit", "back");
    nodes[0]!.server.of("/game").to("late").emit("hit", "late room");
    await until(
      () => hits[1]!.includes("back") && lateHits.length === 1,
      5_000,
      "remote delivery after restart",
    );
    assert.deepEqual(hits[1], ["back"]); // the message sent while down was dropped, not replayed late
    assert.deepEqual(lateHits, ["late room"]);
    await close();
  });

  it("a server closes promptly while Redis is away, and leaves no heartbeat when it closes cleanly", async () => {
    const { nodes, close } = await cluster(2);
    await nodes[1]!.server.close();
    assert.deepEqual((await nodes[0]!.adapter.nodes()).map((n) => n.id), [
      nodes[0]!.adapter.nodeId,
    ]);
    await redis.stop();
    await until(() => nodes[0]!.adapter.status === "down", 5_000, "down");
    await nodes[0]!.server.close(); // resolves without Redis (a hang would time the test out)
    assert.equal(nodes[0]!.adapter.status, "closed");
    await redis.start();
    await close();
  });

  it("Redis unreachable at start: down is reported, the server serves locally, up once Redis appears", async () => {
    const { freePort, RedisServer } = await import("../scripts/redis_server.ts");
    const later = new RedisServer(await freePort());
    const { nodes, player, close } = await cluster(1, later.url, false);
    await until(() => nodes[0]!.adapter.status === "down", 5_000, "down");
    const a = await player(0, "arena");
    const hit = next(a, "hit");
    nodes[0]!.server.of("/game").to("arena").emit("hit", 1);
    assert.deepEqual(await hit, [1]);
    await assert.rejects(
      nodes[0]!.server.of("/game").fetchSockets(),
      (e: { code?: string }) => e.code === "ERR_NOT_CONNECTED",
    );
    await later.start();
    try {
      await nodes[0]!.adapter.ready();
      assert.equal(nodes[0]!.adapter.status, "up");
      assert.equal((await nodes[0]!.server.of("/game").fetchSockets()).length, 1);
    } finally {
      await close();
      await later.stop();
    }
  });
});
