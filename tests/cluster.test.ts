// Issue 10: the cluster adapter contract on the in-memory engine: several servers in one
// process, each with its own TCP port and clients, sharing rooms through a MemoryHub.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryAdapter, MemoryEngine, MemoryHub } from "../cluster/mod.ts";
import type { GameSocketClient } from "../client.ts";
import type { GameSocketServer } from "../server.ts";
import type { GameSocketError } from "../core/errors.ts";
import { defineSchema } from "../protocol/schema.ts";
import { collect, connect, next, startServer, until } from "./helpers.ts";

const Pos = defineSchema(7, { x: "float32", y: "float32" });

/** Three servers on one hub; "/game" is declared after "/other" on the first, so ids differ. */
async function cluster(n = 3) {
  const hub = new MemoryHub();
  const nodes: Array<{ server: GameSocketServer; url: string; adapter: MemoryAdapter }> = [];
  for (let i = 0; i < n; i++) {
    const adapter = new MemoryAdapter(hub);
    const { server, url } = await startServer({ adapter }, (s) => {
      if (i === 0) s.of("/other");
      s.of("/game").on("connection", (socket) => {
        socket.data.name = `p${i}`;
        socket.on("chat", (text) => socket.to("arena").emit("chat", text));
      });
    });
    await adapter.ready();
    nodes.push({ server, url, adapter });
  }
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
  return { hub, nodes, player, close };
}

/** Wait until every namespace got `sync` from `from`, sent after `from`'s messages under test, so these came before. */
async function synced(from: GameSocketServer, ...nsps: Array<{ once: never }>): Promise<void> {
  const waits = nsps.map((n) => next(n as never, "sync"));
  from.of("/game").emit("sync");
  await Promise.all(waits);
}

describe("cluster (memory engine)", () => {
  it("a room broadcast reaches its members on every server, and only servers with members", async () => {
    const { nodes, player, close } = await cluster();
    const [a, b, c] = [await player(0, "arena"), await player(1, "arena"), await player(2)];
    const heard = [collect(a, "hit"), collect(b, "hit"), collect(c, "hit")];
    const before = nodes[2]!.adapter.stats.received;
    assert.equal(nodes[0]!.server.of("/game").to("arena").emit("hit", 1), 1); // one local member
    await synced(nodes[0]!.server, a as never, b as never, c as never);
    assert.deepEqual(heard, [[1], [1], []]);
    // Only the sync (namespace channel) reached the server without arena members.
    assert.equal(nodes[2]!.adapter.stats.received - before, 1);
    await close();
  });

  it("socket.to() leaves the sender out and except() holds on every server", async () => {
    const { nodes, player, close } = await cluster();
    const a = await player(0, "arena");
    const b = await player(1, "arena");
    const muted = await player(1, "arena", "muted");
    const c = await player(2, "arena");
    const chat = [
      collect(a, "chat"),
      collect(b, "chat"),
      collect(muted, "chat"),
      collect(c, "chat"),
    ];
    a.emit("chat", "gg"); // the server handler does socket.to("arena").emit(...)
    await until(() => chat[1]!.length === 1 && chat[3]!.length === 1, 3_000, "chat on B and C");
    nodes[2]!.server.of("/game").to("arena").except("muted", c.sid).emit("chat", "no muted");
    await synced(nodes[2]!.server, a as never, b as never, muted as never, c as never);
    assert.deepEqual(chat, [["no muted"], ["gg", "no muted"], ["gg"], ["gg"]]);
    await close();
  });

  it("namespaces numbered differently, schema messages, and a member of two rooms gets one copy", async () => {
    const { nodes, player, close } = await cluster(2);
    const server0 = nodes[0]!.server;
    assert.notEqual(server0.of("/game").id, nodes[1]!.server.of("/game").id);
    const b = await player(1, "red", "blue");
    const got: unknown[] = [];
    b.on(Pos, (p) => got.push(p));
    const chats = collect(b, "chat");
    server0.of("/game").to("red", "blue").send(Pos, { x: 1, y: 2 });
    server0.of("/game").to("red", "blue").emit("chat", "once");
    await synced(server0, b as never);
    assert.deepEqual(got, [{ x: 1, y: 2 }]);
    assert.deepEqual(chats, ["once"]);
    await close();
  });

  it("emitWithAck collects the replies of members on every server; a silent one times out", async () => {
    const { nodes, player, close } = await cluster();
    const members = [await player(0, "arena"), await player(1, "arena"), await player(2, "arena")];
    members.forEach((m, i) =>
      m.on("vote", (_q: unknown, ack?: (r: unknown) => void) => ack?.(`yes${i}`))
    );
    const game = nodes[1]!.server.of("/game");
    const replies = await game.to("arena").emitWithAck("vote", "ready?", { timeout: 3_000 });
    assert.deepEqual([...replies].sort(), ["yes0", "yes1", "yes2"]);
    const silent = await player(2, "arena");
    silent.on("vote", () => {}); // never acks
    await assert.rejects(
      game.to("arena").emitWithAck("vote", "again?", { timeout: 300 }),
      (e: GameSocketError) => e.code === "ERR_ACK_TIMEOUT" && /3 of 4 acks/.test(e.message),
    );
    const partial = await new Promise<unknown[]>((resolve) =>
      game.to("arena").timeout(300).emit("vote", "cb?", (_e, r) => resolve(r))
    );
    assert.equal(partial.length, 3);
    await close();
  });

  it("fetchSockets lists ids, rooms and data of a room's members on every server", async () => {
    const { nodes, player, close } = await cluster();
    const a = await player(0, "arena");
    const b = await player(1, "arena", "red");
    await player(2);
    const found = await nodes[2]!.server.of("/game").in("arena").fetchSockets();
    const byId = new Map(found.map((s) => [s.id, s]));
    assert.deepEqual([...byId.keys()].sort(), [a.sid, b.sid].sort());
    assert.deepEqual(byId.get(b.sid)!.rooms.sort(), ["arena", "red"]);
    assert.deepEqual(byId.get(a.sid)!.data, { name: "p0" });
    assert.equal(byId.get(b.sid)!.node, nodes[1]!.adapter.nodeId);
    assert.equal((await nodes[0]!.server.of("/game").fetchSockets()).length, 3);
    assert.equal((await nodes[0]!.server.of("/game").local.fetchSockets()).length, 1);
    await close();
  });

  it("socketsJoin, socketsLeave and disconnectSockets act on every server", async () => {
    const { nodes, player, close } = await cluster();
    const a = await player(0, "arena");
    const b = await player(1, "arena");
    const game2 = nodes[2]!.server.of("/game");
    game2.in("arena").socketsJoin("final");
    await until(() => a.rooms.has("final") && b.rooms.has("final"), 3_000, "remote joins");
    game2.in("final").socketsLeave("arena");
    await until(() => !a.rooms.has("arena") && !b.rooms.has("arena"), 3_000, "remote leaves");
    const gone = next(b, "disconnect");
    game2.in(b.sid).disconnectSockets();
    assert.equal((await gone)[0], "kicked");
    await close();
  });

  it("a server stops receiving a room's traffic once its last member leaves", async () => {
    const { nodes, player, close } = await cluster(2);
    await player(0, "arena");
    const b = await player(1, "arena");
    await b.leave("arena");
    await nodes[1]!.adapter.flush();
    const before = nodes[1]!.adapter.stats.received;
    for (let i = 0; i < 5; i++) nodes[0]!.server.of("/game").to("arena").emit("hit", i);
    await synced(nodes[0]!.server, b as never);
    assert.equal(nodes[1]!.adapter.stats.received - before, 1); // the sync only
    await close();
  });

  it("local broadcasts stay on their server; nodes() lists live servers", async () => {
    const { nodes, player, close } = await cluster();
    const a = await player(0, "arena");
    const b = await player(1, "arena");
    const heard = [collect(a, "hit"), collect(b, "hit")];
    nodes[0]!.server.of("/game").local.to("arena").emit("hit", "here");
    await synced(nodes[0]!.server, a as never, b as never);
    assert.deepEqual(heard, [["here"], []]);
    assert.equal((await nodes[0]!.adapter.nodes()).length, 3);
    await nodes[2]!.server.close();
    assert.equal(nodes[2]!.adapter.status, "closed");
    assert.deepEqual(
      (await nodes[0]!.adapter.nodes()).map((n) => n.id).sort(),
      [nodes[0]!.adapter.nodeId, nodes[1]!.adapter.nodeId].sort(),
    );
    await close();
  });

  it("without an adapter, acks from many and fetchSockets cover the one server", async () => {
    const { server, url } = await startServer();
    const clients = await Promise.all([connect(url), connect(url)]);
    const nsps = clients.map((c) => c.of("/"));
    await Promise.all(nsps.map((n) => n.ready()));
    nsps.forEach((n) => n.on("ping?", (_p: unknown, ack?: (r: unknown) => void) => ack?.("pong")));
    assert.deepEqual(await server.of("/").emitWithAck("ping?"), ["pong", "pong"]);
    assert.deepEqual(await server.of("/").to("nobody").emitWithAck("ping?"), []);
    assert.equal((await server.of("/").fetchSockets()).length, 2);
    assert.equal(server.adapter, undefined);
    clients.forEach((c) => c.close());
    await server.close();
  });

  it("garbage on the cluster channels is reported as a coded error and breaks nothing", async () => {
    const { hub, nodes, player, close } = await cluster(2);
    const b = await player(1, "arena");
    const errors: Array<{ code?: string }> = [];
    nodes[1]!.adapter.on("error", (e) => void errors.push(e as { code?: string }));
    const rogue = new MemoryEngine(hub);
    for (const channel of hub.channels.keys()) {
      await rogue.publish(channel, new Uint8Array([1, 99])); // unknown kind
      await rogue.publish(channel, new Uint8Array([7, 1])); // another format version
      await rogue.publish(channel, new Uint8Array([1, 1, 200])); // truncated
    }
    const hit = next(b, "hit");
    nodes[0]!.server.of("/game").to("arena").emit("hit", "still fine");
    assert.deepEqual(await hit, ["still fine"]);
    assert.ok(errors.length >= 3);
    assert.ok(errors.every((e) => typeof e.code === "string" && e.code.startsWith("ERR_")));
    assert.ok(errors.some((e) => e.code === "ERR_UNSUPPORTED_VERSION"));
    await close();
  });

  it("an adapter serves one server only, and bad timing options are refused", () => {
    const adapter = new MemoryAdapter();
    adapter.attach({ namespaces: new Map(), reportError: () => {} });
    assert.throws(
      () => adapter.attach({ namespaces: new Map(), reportError: () => {} }),
      TypeError,
    );
    assert.throws(() => new MemoryAdapter(undefined, { heartbeatInterval: 0 }), RangeError);
    return adapter.close();
  });
});
