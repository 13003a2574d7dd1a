// Issue 6: the UDP channel over real sockets, through a relay with a fixed, seeded
// pattern of loss, duplication and reordering (tests/udp_relay.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineSchema } from "../protocol/schema.ts";
import { type ClientOptions, GameSocketClient } from "../client.ts";
import { GameSocketServer, type ServerOptions } from "../server.ts";
import type { UdpStats } from "../core/udp_stats.ts";
import { arrivals, expected, pattern, Relay } from "./udp_relay.ts";
import { sleep, until } from "./helpers.ts";

const Move = defineSchema(2, { id: "uint16", x: "float32" });
const Blob = defineSchema(3, { data: "bytes" });

async function setup(serverOptions: ServerOptions = {}, clientOptions: ClientOptions = {}) {
  const relay = await Relay.open();
  const server = new GameSocketServer({
    pingInterval: 60_000, // no heartbeat pings inside a test: the counters stay exact
    ...serverOptions,
    udp: { publicPort: relay.front.port, ...serverOptions.udp },
  });
  const home = server.of("/game");
  const ports = await server.listen({ tcp: 0, udp: 0 });
  relay.serverPort = ports.udp!;
  const client = await GameSocketClient.connect(`tcp://127.0.0.1:${ports.tcp}`, clientOptions);
  const nsp = client.of("/game");
  await nsp.ready();
  const socket = home.sockets.get(client.sid)!;
  const close = async () => {
    client.close();
    await server.close();
    await relay.close();
  };
  return { relay, server, home, ports, client, nsp, socket, close };
}

type End = { udp: { state: string; stats: UdpStats } };

/**
 * Wait until both ends are bound, the first UDP ping of each side has its pong,
 * and every bind re-sent before the binding was answered: then no control
 * datagram is in flight and the counters only move with what the test sends.
 */
async function bound({ client, socket, relay }: { client: End; socket: End; relay: Relay }) {
  await until(
    () =>
      client.udp.state === "bound" && client.udp.stats.pongs > 0 && socket.udp.stats.pongs > 0 &&
      relay.bounds === relay.binds.length,
    5_000,
    "UDP binding",
  );
  await sleep(20);
}

function delta(after: UdpStats, before: UdpStats): Partial<UdpStats> {
  const out: Partial<Record<keyof UdpStats, number>> = {};
  for (const key of Object.keys(before) as (keyof UdpStats)[]) {
    if (key !== "rtt") out[key] = after[key] - before[key];
  }
  return out;
}

describe("UDP channel", () => {
  it("client to server: latest wins, duplicates suppressed, counters match the seeded pattern", async () => {
    const t = await setup();
    await bound(t);
    assert.ok(t.client.udp.stats.rtt >= 0 && t.socket.udp.state === "bound");
    const N = 60;
    const actions = pattern(6, N);
    for (const a of ["drop", "dup", "hold", "pass"]) assert.ok(actions.includes(a as never), a);
    t.relay.actions = actions;
    t.relay.direction = "toServer";
    const got: number[] = [];
    t.home.on(Move, (m) => void got.push(m.id));
    const rx = { ...t.socket.udp.stats };
    const tx = { ...t.client.udp.stats };
    for (let i = 1; i <= N; i++) {
      assert.equal(t.nsp.volatile.send(Move, { id: i, x: i / 2 }), true);
      await sleep(1); // one turn per message: one datagram each
    }
    t.relay.release();
    const order = arrivals(actions);
    const want = expected(order);
    const stats = t.socket.udp.stats;
    await until(() =>
      stats.datagramsReceived - rx.datagramsReceived + stats.duplicates - rx.duplicates ===
        order.length
    );
    await sleep(20); // nothing more may arrive
    assert.deepEqual(got, want.delivered);
    assert.ok(want.late > 0 && want.dups > 0, "the pattern reorders and duplicates");
    assert.deepEqual(delta(stats, rx), {
      ...delta(stats, stats),
      datagramsReceived: order.length - want.dups,
      framesReceived: want.delivered.length,
      late: want.late,
      duplicates: want.dups,
    });
    assert.deepEqual(delta(t.client.udp.stats, tx), {
      ...delta(tx, tx),
      datagramsSent: N,
      framesSent: N,
    });
    assert.equal(t.relay.dataSizes.toServer.length, N);
    await t.close();
  });

  it("server to client: volatile.emit over UDP, latest wins per event name", async () => {
    const t = await setup();
    await bound(t);
    const N = 60;
    const actions = pattern(7, N);
    t.relay.actions = actions;
    t.relay.direction = "toClient";
    const got: number[] = [];
    t.nsp.on("state", (n) => void got.push(n as number));
    const rx = { ...t.client.udp.stats };
    for (let i = 1; i <= N; i++) {
      assert.equal(t.socket.volatile.emit("state", i), true);
      await sleep(1);
    }
    t.relay.release();
    const order = arrivals(actions);
    const want = expected(order);
    const stats = t.client.udp.stats;
    await until(() =>
      stats.datagramsReceived - rx.datagramsReceived + stats.duplicates - rx.duplicates ===
        order.length
    );
    await sleep(20);
    assert.deepEqual(got, want.delivered);
    assert.equal(stats.late - rx.late, want.late);
    assert.equal(stats.duplicates - rx.duplicates, want.dups);
    assert.equal(stats.framesReceived - rx.framesReceived, want.delivered.length);
    assert.equal(t.socket.udp.stats.framesSent, N);
    await t.close();
  });

  it("frames of one turn share datagrams of at most 1200 bytes, in any arrival order; an oversize frame takes the stream", async () => {
    const t = await setup();
    await bound(t);
    t.relay.actions = ["hold", "pass", "pass"]; // the first datagram arrives last
    const got: number[] = [];
    const blobs: number[] = [];
    t.home.on(Move, (m) => void got.push(m.id));
    t.home.on(Blob, (b) => void blobs.push(b.data.length));
    const tx = { ...t.client.udp.stats };
    for (let i = 1; i <= 300; i++) t.nsp.volatile.send(Move, { id: i, x: 0 }); // 7-byte frames
    // Full datagrams leave at once; the last one at the end of the turn.
    assert.equal(t.client.udp.stats.datagramsSent - tx.datagramsSent, 2);
    await Promise.resolve();
    assert.equal(t.client.udp.stats.datagramsSent - tx.datagramsSent, 3);
    await until(() => got.length === 300);
    const sizes = t.relay.dataSizes.toServer;
    assert.equal(sizes.length, 3);
    assert.ok(sizes.every((size) => size <= 1200), `sizes ${sizes}`);
    assert.equal(sizes.reduce((a, b) => a + b, 0), 300 * 8 + 3 * 10); // slots + headers
    assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i + 1));
    assert.equal(t.socket.udp.stats.late, 0);
    assert.equal(t.nsp.volatile.send(Blob, { data: new Uint8Array(2000) }), true);
    await until(() => blobs.length === 1);
    assert.equal(t.client.udp.stats.oversize, 1);
    assert.equal(t.relay.dataSizes.toServer.length, 3, "the oversize frame went over the stream");
    await t.close();
  });

  it("falls back to the stream when the client turns UDP off or the server has none", async () => {
    const t = await setup({}, { udp: false });
    assert.equal(t.client.udp.state, "off");
    assert.equal(t.socket.udp.state, "binding"); // a token was offered, never used
    const got: number[] = [];
    t.home.on(Move, (m) => void got.push(m.id));
    const echoed: unknown[] = [];
    t.nsp.on("echo", (v) => void echoed.push(v));
    assert.equal(t.nsp.volatile.send(Move, { id: 1, x: 0 }), true);
    assert.equal(t.socket.volatile.emit("echo", "via tcp"), true);
    await until(() => got.length === 1 && echoed.length === 1);
    assert.equal(t.server.udpStats.datagramsReceived, 0);
    assert.equal(t.socket.udp.stats.datagramsSent, 0);
    await t.close();

    const server = new GameSocketServer();
    server.of("/game").on(Move, (m) => void got.push(m.id));
    const { tcp } = await server.listen({ tcp: 0 });
    const client = await GameSocketClient.connect(`tcp://127.0.0.1:${tcp}`);
    const nsp = client.of("/game");
    await nsp.ready();
    assert.equal(client.udp.state, "off");
    assert.equal(server.of("/game").sockets.get(client.sid)!.udp.state, "off");
    nsp.volatile.send(Move, { id: 2, x: 0 });
    await until(() => got.length === 2);
    client.close();
    await server.close();
  });

  it("rejects a replayed token, garbage and strangers without reaching a handler; closing removes the binding", async () => {
    const t = await setup();
    await bound(t);
    let handled = 0;
    t.home.on(Move, () => void handled++);
    t.socket.on("x", () => void handled++);
    const { bindUdp } = await import("../runtime/auto.ts");
    const rogue = await bindUdp({ port: 0, hostname: "127.0.0.1" }, () => {});
    const port = t.ports.udp!;
    const bind = t.relay.binds[0]!;
    const data = bind.slice(0, 5);
    data[0] = 0xd3; // the session's tag, from the wrong address
    const before = t.server.udpStats;
    const inSession = { ...t.socket.udp.stats };
    rogue.send(bind, port, "127.0.0.1"); // replay from another address: refused
    rogue.send(new Uint8Array([1, 2, 3]), port, "127.0.0.1"); // too short for a tag
    rogue.send(new Uint8Array(64).fill(7), port, "127.0.0.1"); // unknown tag
    rogue.send(data, port, "127.0.0.1"); // right tag, wrong address
    const truncated = new Uint8Array([0xd3, ...bind.subarray(1, 5), 0, 0, 0]);
    // seq 9, back 0, one 9-byte slot holding a ping packet (kind 09, float64 time)
    const pingFrame = new Uint8Array([
      0xd3,
      ...bind.subarray(1, 5),
      0,
      0,
      0,
      9,
      0,
      9,
      9,
      ...new Uint8Array(8),
    ]);
    t.relay.back.send(truncated, port, "127.0.0.1"); // from the bound address, truncated
    t.relay.back.send(pingFrame, port, "127.0.0.1"); // a ping packet may not travel over UDP
    await until(() => t.server.udpStats.datagramsReceived === before.datagramsReceived + 6);
    const after = t.server.udpStats;
    assert.equal(after.rejectedBinds - before.rejectedBinds, 1);
    assert.equal(after.invalid - before.invalid, 1);
    assert.equal(after.unknown - before.unknown, 2);
    assert.equal(t.socket.udp.stats.invalid - inSession.invalid, 2);
    assert.equal(t.socket.udp.state, "bound", "the binding is unchanged");
    assert.equal(handled, 0);
    assert.equal(after.bindings, 1);
    await rogue.close();
    t.client.close();
    await until(() => t.server.udpStats.bindings === 0, 5_000, "the binding to be removed");
    assert.equal(t.socket.udp.state, "closed");
    await t.close();
  });

  it("a UDP path that stops answering is given up on both sides, and volatile sends take the stream", async () => {
    const t = await setup({ pingInterval: 40 });
    await bound(t);
    const states: string[] = [];
    t.client.on("udp", (state) => void states.push(state));
    t.relay.blackhole = true;
    await until(() => t.client.udp.state === "failed" && t.socket.udp.state === "failed");
    assert.deepEqual(states, ["failed"]);
    assert.equal(t.server.udpStats.bindings, 0);
    const got: number[] = [];
    const echoed: unknown[] = [];
    t.home.on(Move, (m) => void got.push(m.id));
    t.nsp.on("echo", (v) => void echoed.push(v));
    const sent = t.client.udp.stats.datagramsSent;
    t.nsp.volatile.send(Move, { id: 1, x: 0 });
    t.socket.volatile.emit("echo", "over tcp");
    await until(() => got.length === 1 && echoed.length === 1);
    assert.equal(t.client.udp.stats.datagramsSent, sent);
    await t.close();
  });

  it("an expired token cannot bind; the client gives up and keeps to the stream", async () => {
    const relay = await Relay.open();
    relay.dropBinds = true;
    const server = new GameSocketServer({ udp: { publicPort: relay.front.port, tokenTtl: 200 } });
    const got: number[] = [];
    server.of("/game").on(Move, (m) => void got.push(m.id));
    const ports = await server.listen({ tcp: 0, udp: 0 });
    relay.serverPort = ports.udp!;
    const client = await GameSocketClient.connect(`tcp://127.0.0.1:${ports.tcp}`, {
      udp: { bindTimeout: 400 },
    });
    const failed = new Promise((resolve) => client.once("udp", resolve));
    const nsp = client.of("/game");
    await nsp.ready();
    await until(() => relay.binds.length > 0);
    assert.equal(client.udp.state, "binding");
    nsp.volatile.send(Move, { id: 1, x: 0 });
    await until(() => got.length === 1); // over the stream while not bound
    await sleep(250);
    relay.back.send(relay.binds[0]!.slice(), ports.udp!, "127.0.0.1"); // the token, too late
    await until(() => server.udpStats.rejectedBinds === 1);
    const socket = server.of("/game").sockets.get(client.sid)!;
    assert.equal(socket.udp.state, "failed");
    assert.equal(await failed, "failed");
    assert.equal(client.udp.state, "failed");
    nsp.volatile.send(Move, { id: 2, x: 0 });
    await until(() => got.length === 2);
    client.close();
    await until(() => server.udpStats.bindings === 0);
    await server.close();
    await relay.close();
  });
});
