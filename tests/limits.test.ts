// Issue 7: limits in the handshake, local refusals on the client, rate limiting, and
// backpressure (a bounded queue per socket, latest-wins volatile, slow consumers cut).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_LIMITS, resolveLimits } from "../core/limits.ts";
import type { GameSocketError } from "../core/errors.ts";
import type { RateWarning } from "../core/rate_limit.ts";
import { PacketKind } from "../protocol/types.ts";
import { GameSocketServer, type ServerSocket } from "../server.ts";
import { defineSchema } from "../protocol/schema.ts";
import { RawPeer, untilEmpty } from "./bad_input_peer.ts";
import { connect, next, sleep, startServer, until } from "./helpers.ts";

describe("limits", () => {
  it("resolveLimits() keeps the defaults and refuses values that are not positive integers", () => {
    assert.equal(resolveLimits({ maxFrameSize: 1024 }).maxFrameSize, 1024);
    assert.equal(resolveLimits().maxRoomsPerSocket, DEFAULT_LIMITS.maxRoomsPerSocket);
    assert.throws(() => resolveLimits({ maxRoomsPerSocket: 0 }), RangeError);
    assert.throws(() => resolveLimits({ maxBytesPerSecond: 1.5 }), RangeError);
  });

  it("the welcome carries every limit the client must respect", async () => {
    const limits = {
      maxFrameSize: 4096,
      maxEventNameLength: 20,
      maxNamespacesPerSocket: 3,
      maxRoomsPerSocket: 9,
      maxPendingAcks: 7,
      maxMessagesPerSecond: 123,
      maxBytesPerSecond: 45_678,
    };
    const { server, url } = await startServer({ limits });
    const client = await connect(url);
    assert.deepEqual({ ...client.limits }, limits);
    client.close();
    await untilEmpty(server);
    await server.close();
  });

  it("the client refuses locally, with ERR_LIMIT, what the server would reject", async () => {
    const { server, url } = await startServer({
      limits: {
        maxFrameSize: 1024,
        maxEventNameLength: 10,
        maxNamespacesPerSocket: 2,
        maxRoomsPerSocket: 4,
        maxPendingAcks: 2,
      },
    }, (s) => s.of("/a"));
    const client = await connect(url);
    const home = client.of("/");
    await home.ready();
    const limit = (e: GameSocketError) => e.code === "ERR_LIMIT";
    assert.throws(() => home.emit("a-very-long-name"), limit);
    assert.throws(() => home.emit("short", "x".repeat(2_000)), limit);
    client.of("/a");
    assert.throws(() => client.of("/b"), limit);
    // Joins asked for at once count before the server answers: 3 fit beside the id room.
    const joins = await Promise.allSettled(["r1", "r2", "r3", "r4", "r5"].map((r) => home.join(r)));
    assert.equal(joins.filter((j) => j.status === "fulfilled").length, 3);
    for (const j of joins.filter((j) => j.status === "rejected")) {
      assert.equal(((j as PromiseRejectedResult).reason as GameSocketError).code, "ERR_LIMIT");
    }
    const pending = [home.emitWithAck("never", 1), home.emitWithAck("never", 2)];
    await assert.rejects(home.emitWithAck("never", 3), { code: "ERR_TOO_MANY_PENDING_ACKS" });
    client.close();
    await Promise.allSettled(pending);
    await untilEmpty(server);
    await server.close();
  });

  it("a raw peer past maxNamespacesPerSocket gets connect_error too-many-namespaces", async () => {
    const { server, port } = await startServer({
      resumeWindow: 0,
      limits: { maxNamespacesPerSocket: 2 },
    }, (s) => {
      s.of("/a");
      s.of("/b");
    });
    const [peer] = await RawPeer.ready(port, "/", "/a");
    peer.send({ kind: PacketKind.Connect, name: "/b", auth: { type: "none" } });
    const refusal = await peer.waitFor((p) => p.kind === PacketKind.ConnectError, "refusal");
    assert.equal((refusal as { code: string }).code, "too-many-namespaces");
    assert.equal(server.stats().sockets, 2);
    peer.destroy();
    await untilEmpty(server);
    await server.close();
  });

  it("a frame of exactly maxFrameSize passes; one byte more gets frame-too-large", async () => {
    const { server, port } = await startServer({ resumeWindow: 0, limits: { maxFrameSize: 256 } });
    const [peer, nsp] = await RawPeer.ready(port, "/");
    const bytes = (n: number) =>
      ({ kind: PacketKind.Raw, nsp: nsp!, data: new Uint8Array(n) }) as const;
    // A raw packet is the kind byte, the nsp varint and the data.
    peer.send(bytes(256 - 2));
    peer.send({ kind: PacketKind.Ping, time: 1 });
    await peer.waitFor((p) => p.kind === PacketKind.Pong, "pong after the largest frame");
    peer.send(bytes(256 - 1));
    assert.equal(await peer.goodbye(), "frame-too-large");
    await untilEmpty(server);
    await server.close();
  });

  it("a connection that never says hello is closed with handshake-timeout", async () => {
    const { server, port } = await startServer({ limits: { handshakeTimeout: 200 } });
    const peer = await RawPeer.open(port);
    assert.equal(await peer.goodbye(), "handshake-timeout");
    await untilEmpty(server);
    await server.close();
  });

  it("a client over maxConnections is refused with reason too-many-connections", async () => {
    const { server, url } = await startServer({ limits: { maxConnections: 1 } });
    const first = await connect(url);
    await assert.rejects(connect(url), (e: GameSocketError) => {
      assert.equal(e.code, "ERR_CONNECT_REFUSED");
      assert.equal(e.reason, "too-many-connections");
      return true;
    });
    first.close();
    await untilEmpty(server);
    await server.close();
  });
});

describe("rate limits", () => {
  it("a message flood gets rate-warning on both sides, then the disconnect reason rate-limit", async () => {
    const serverWarnings: RateWarning[] = [];
    const { server, url } = await startServer({ limits: { maxMessagesPerSecond: 50 } }, (s) => {
      s.of("/").on("connection", (socket) => {
        socket.on("rate-warning", (w) => serverWarnings.push(w));
        socket.on("echo", (p, ack) => ack?.(p));
      });
    });
    const control = await connect(url);
    const spammer = await connect(url);
    const home = spammer.of("/");
    await home.ready();
    const warned = next<[RateWarning]>(home, "rate-warning");
    const gone = next<[string]>(spammer, "disconnect");
    for (let i = 0; i < 400; i++) home.emit("spam", i);
    const [warning] = await warned;
    assert.deepEqual(warning, { limit: "maxMessagesPerSecond", allowed: 50 });
    assert.equal((await gone)[0], "rate-limit");
    assert.deepEqual(serverWarnings, [warning]);
    // Buckets are per connection: the control client is not touched.
    assert.equal(await control.of("/").emitWithAck("echo", 1), 1);
    control.close();
    await untilEmpty(server);
    await server.close();
  });

  it("volatile messages over UDP count against the same rates", async () => {
    const Move = defineSchema(2, { id: "uint16", x: "float32" });
    const server = new GameSocketServer({ limits: { maxMessagesPerSecond: 50 } });
    let received = 0;
    server.of("/").on(Move, () => received++);
    const ports = await server.listen({ tcp: 0, udp: 0 });
    const client = await connect(`tcp://127.0.0.1:${ports.tcp}`);
    const home = client.of("/");
    await home.ready();
    await until(() => client.udp.state === "bound", 5_000, "UDP binding");
    const warned = next<[RateWarning]>(home, "rate-warning");
    const gone = next<[string]>(client, "disconnect");
    // One send per turn: the UDP sender keeps only the latest message of a channel per turn.
    for (let i = 0; i < 400 && client.state === "open"; i++) {
      home.volatile.send(Move, { id: i, x: 0 });
      await sleep(0);
    }
    assert.equal((await warned)[0].limit, "maxMessagesPerSecond");
    assert.equal((await gone)[0], "rate-limit");
    assert.ok(received > 50, `the UDP messages reached the server (${received})`);
    await untilEmpty(server);
    await server.close();
  });

  it("a client within its burst is never warned", async () => {
    const { server, url } = await startServer({ limits: { maxMessagesPerSecond: 50 } }, (s) => {
      s.of("/").on("connection", (socket) => socket.on("echo", (p, ack) => ack?.(p)));
    });
    const client = await connect(url);
    const home = client.of("/");
    let warnings = 0;
    home.on("rate-warning", () => warnings++);
    for (let i = 0; i < 80; i++) home.emit("tick", i);
    assert.equal(await home.emitWithAck("echo", "still here"), "still here");
    assert.equal(warnings, 0);
    assert.equal(client.state, "open");
    client.close();
    await untilEmpty(server);
    await server.close();
  });

  it("a byte flood is limited by maxBytesPerSecond", async () => {
    const { server, url } = await startServer({ limits: { maxBytesPerSecond: 4_096 } });
    const client = await connect(url);
    const home = client.of("/");
    await home.ready();
    const warned = next<[RateWarning]>(home, "rate-warning");
    const gone = next<[string]>(client, "disconnect");
    for (let i = 0; i < 20; i++) home.emit("blob", new Uint8Array(1_000));
    assert.equal((await warned)[0].limit, "maxBytesPerSecond");
    assert.equal((await gone)[0], "rate-limit");
    await untilEmpty(server);
    await server.close();
  });
});

describe("backpressure", () => {
  it("a room with one member that never reads: the others get every message, the slow one is cut with slow-consumer", async () => {
    const reasons = new Map<string, string>();
    const { server, url, port } = await startServer({
      resumeWindow: 0,
      limits: { maxBufferedBytes: 512 * 1024 },
    }, (s) => {
      s.of("/").on("connection", (socket) => {
        socket.join("arena");
        socket.on("disconnect", (reason) => reasons.set(socket.id, reason));
      });
    });
    const members = await Promise.all([connect(url), connect(url)]);
    const counts = [0, 0];
    members.forEach((m, i) => m.of("/").on("blob", () => counts[i]!++));
    await Promise.all(members.map((m) => m.of("/").ready()));
    const [slow] = await RawPeer.ready(port, "/");
    const slowId = (slow.packets.find((p) => p.kind === PacketKind.Welcome) as { sid: string }).sid;
    slow.pause();
    const blob = new Uint8Array(32 * 1024);
    let sent = 0;
    // Loopback kernel buffers hold a few MiB before the server's queue grows: bounded at 40 MiB.
    // The members read as they go (never more than 8 messages behind, well under the limit).
    for (let i = 0; i < 1_280 && !reasons.has(slowId); i++) {
      server.of("/").to("arena").emit("blob", blob);
      sent++;
      if (i % 4 === 3) await until(() => counts.every((c) => c >= sent - 8), 10_000, "members");
    }
    assert.equal(reasons.get(slowId), "slow-consumer");
    slow.resume();
    for (let i = 0; i < 5; i++, sent++) {
      assert.equal(server.of("/").to("arena").emit("blob", blob), 2);
    }
    await until(
      () => counts.every((c) => c === sent),
      10_000,
      `every member to get ${sent} messages`,
    );
    assert.equal(await slow.goodbye(), "slow-consumer");
    for (const m of members) m.close();
    await untilEmpty(server);
    await server.close();
  });

  it("volatile sends to a congested client are held, not queued: the latest of each kind arrives once it drains", async () => {
    let socket: ServerSocket | undefined;
    const { server, port } = await startServer({
      resumeWindow: 0,
      limits: { volatileHighWaterMark: 128 * 1024, maxBufferedBytes: 64 * 1024 * 1024 },
    }, (s) => s.of("/").on("connection", (sk) => socket = sk));
    const [peer] = await RawPeer.ready(port, "/");
    await until(() => socket !== undefined, 5_000, "the server socket");
    peer.pause();
    const filler = new Uint8Array(64 * 1024);
    for (let i = 0; i < 640 && socket!.session.transport.bufferedAmount <= 128 * 1024; i++) {
      socket!.emit("filler", filler);
      await sleep(1);
    }
    assert.ok(socket!.session.transport.bufferedAmount > 128 * 1024, "the link is congested");
    for (let i = 1; i <= 50; i++) assert.equal(socket!.volatile.emit("pos", i), false);
    assert.equal(socket!.volatile.emit("other", "x"), false);
    peer.resume();
    const events = (name: string) =>
      peer.packets.filter((p) => p.kind === PacketKind.Event && p.name === name) as Array<
        { payload: { type: string; value?: unknown } }
      >;
    await until(() => events("other").length === 1, 10_000, "the held volatile frames");
    assert.deepEqual(events("pos").map((p) => p.payload.value), [50], "only the latest position");
    assert.ok(!peer.isClosed, "volatile data never cuts a client");
    peer.destroy();
    await untilEmpty(server);
    await server.close();
  });

  it("volatile sends never count toward maxBufferedBytes", async () => {
    let socket: ServerSocket | undefined;
    const { server, port } = await startServer({
      resumeWindow: 0,
      limits: { volatileHighWaterMark: 16 * 1024, maxBufferedBytes: 64 * 1024 },
    }, (s) => s.of("/").on("connection", (sk) => socket = sk));
    const [peer] = await RawPeer.ready(port, "/");
    await until(() => socket !== undefined, 5_000, "the server socket");
    peer.pause();
    const blob = new Uint8Array(8 * 1024);
    let dropped = 0;
    for (let i = 0; i < 2_000 && dropped < 100; i++) {
      if (!socket!.volatile.emit("state", blob)) dropped++;
      if (i % 8 === 7) await sleep(1);
    }
    assert.equal(dropped, 100, "volatile sends were dropped");
    assert.ok(socket!.connected, "and the client was not cut");
    assert.ok(socket!.session.transport.bufferedAmount <= 16 * 1024 + blob.length + 16);
    peer.destroy();
    await untilEmpty(server);
    await server.close();
  });
});
