// Issue 7: a catalogue of bad inputs sent over real sockets. For each, the offender gets its
// coded reason where a reply is possible, a control client on the same server keeps
// exchanging messages, and the server's registries are empty once everyone has left.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineSchema } from "../protocol/schema.ts";
import { type Packet, PacketKind, RoomOp } from "../protocol/types.ts";
import type { ServerOptions } from "../server.ts";
import { concat, frameOf, HELLO, prng, RawPeer, untilEmpty, varint } from "./bad_input_peer.ts";
import { connect, sleep, startServer, until } from "./helpers.ts";

const Move = defineSchema(2, { id: "uint16", x: "float32" });

/**
 * A server with an echo handler on "/" and "/game", and a control client on "/". Resume is
 * off unless asked for: a peer whose link drops is gone at once (see the last test).
 */
async function arena(options: ServerOptions = {}) {
  const reasons = new Map<string, string>();
  const errors: unknown[] = [];
  const { server, url, port } = await startServer({ resumeWindow: 0, ...options }, (s) => {
    s.on("error", (error) => errors.push(error));
    for (const name of ["/", "/game"]) {
      s.of(name).on("connection", (socket) => {
        socket.on("echo", (payload, ack) => ack?.(payload));
        socket.on("disconnect", (reason) => reasons.set(socket.id, reason));
      });
    }
    s.of("/game").on(Move, () => {});
  });
  const control = await connect(url);
  const home = control.of("/");
  await home.ready();
  let n = 0;
  return {
    server,
    port,
    url,
    reasons,
    /** The control client still gets its echo back. */
    async controlWorks(): Promise<void> {
      n++;
      assert.deepEqual(await home.emitWithAck("echo", { n }, { timeout: 3_000 }), { n });
    },
    /** Check the control once more, close it, and wait for empty registries. */
    async finish(...peers: RawPeer[]): Promise<void> {
      await this.controlWorks();
      for (const peer of peers) peer.destroy();
      control.close();
      await untilEmpty(server);
      await server.close();
      assert.deepEqual(errors, [], "no handler error reached the server");
    },
  };
}

/** The sid the server gave a raw peer. */
function sidOf(peer: RawPeer): string {
  const welcome = peer.packets.find((p) => p.kind === PacketKind.Welcome);
  return welcome && welcome.kind === PacketKind.Welcome ? welcome.sid : "";
}

/** Hand-made event frame: kind, nsp, name bytes (any bytes), ack id, payload bytes. */
function rawEvent(nsp: number, name: Uint8Array, payload: Uint8Array = new Uint8Array([0])) {
  const body = concat(
    new Uint8Array([PacketKind.Event]),
    varint(nsp),
    varint(name.length),
    name,
    varint(0),
    payload,
  );
  return concat(varint(body.length), body);
}

// A stream that ends inside a frame waits for the rest: the heartbeat or the handshake timer ends it.
const CODED = [
  "protocol-error",
  "invalid-packet",
  "frame-too-large",
  "handshake-timeout",
  "ping-timeout",
];

describe("bad input", () => {
  it("random bytes: each offender gets a coded reason, the control client is unaffected", async () => {
    const a = await arena({
      pingInterval: 200,
      pingTimeout: 300,
      limits: { handshakeTimeout: 500 },
    });
    const random = prng(7);
    const peers: RawPeer[] = [];
    for (let i = 0; i < 12; i++) {
      const peer = await RawPeer.open(a.port);
      const bytes = new Uint8Array(256 + i * 64).map(() => Math.floor(random() * 256));
      // Half of them complete the handshake first.
      peer.write(i % 2 ? concat(HELLO, bytes) : bytes);
      peers.push(peer);
    }
    for (const peer of peers) {
      const reason = await peer.goodbye();
      assert.ok(CODED.includes(reason), `coded reason, got "${reason}"`);
      assert.equal(peer.decodeError, undefined);
    }
    await a.finish(...peers);
  });

  it("a varint length of 2^35 is refused before buffering with frame-too-large", async () => {
    const a = await arena();
    const peer = await RawPeer.open(a.port);
    peer.write(concat(HELLO, varint(2 ** 35), new Uint8Array(100)));
    assert.equal(await peer.goodbye(), "frame-too-large");
    await a.controlWorks();
    await a.finish(peer);
  });

  it("a frame truncated by the peer's close ends that session with transport-close", async () => {
    const a = await arena();
    const [peer] = await RawPeer.ready(a.port, "/");
    peer.write(concat(varint(100), new Uint8Array(10)));
    await sleep(20);
    peer.end();
    await until(() => a.reasons.has(sidOf(peer)), 5_000, "the server socket's disconnect");
    assert.equal(a.reasons.get(sidOf(peer)), "transport-close");
    await a.finish(peer);
  });

  it("unknown packet kinds get protocol-error; server-only kinds and packets before hello get invalid-packet", async () => {
    const a = await arena();
    const cases: Array<[Uint8Array, string]> = [
      [concat(HELLO, varint(1), new Uint8Array([0x42])), "protocol-error"],
      [concat(HELLO, varint(1), new Uint8Array([0x00])), "protocol-error"],
      [concat(HELLO, varint(2), new Uint8Array([0x7f, 0x01])), "protocol-error"],
      [concat(HELLO, frameOf({ kind: PacketKind.ConnectOk, name: "/", nsp: 0 })), "invalid-packet"],
      [concat(HELLO, HELLO), "invalid-packet"],
      [frameOf({ kind: PacketKind.Connect, name: "/", auth: { type: "none" } }), "invalid-packet"],
    ];
    for (const [bytes, expected] of cases) {
      const peer = await RawPeer.open(a.port);
      peer.write(bytes);
      assert.equal(await peer.goodbye(), expected);
      await a.controlWorks();
    }
    await a.finish();
  });

  it("invalid UTF-8 in an event name or a JSON payload gets protocol-error", async () => {
    const a = await arena();
    const bad = new Uint8Array([0xff, 0xfe, 0xc3]);
    for (
      const frame of [
        rawEvent(0, bad),
        rawEvent(0, new Uint8Array([0x61]), concat(new Uint8Array([1]), bad)),
      ]
    ) {
      const [peer, nsp] = await RawPeer.ready(a.port, "/");
      assert.equal(nsp, 0);
      peer.write(frame);
      assert.equal(await peer.goodbye(), "protocol-error");
      await a.controlWorks();
    }
    await a.finish();
  });

  it("an unknown namespace name is refused with unknown-namespace; an undeclared id ends the link", async () => {
    const a = await arena();
    const [peer] = await RawPeer.ready(a.port);
    peer.send({ kind: PacketKind.Connect, name: "/nowhere", auth: { type: "none" } });
    // A name as long as a frame allows: the refusal must not echo it back whole.
    peer.send({ kind: PacketKind.Connect, name: "/" + "x".repeat(65_000), auth: { type: "none" } });
    const refusals = () => peer.packets.filter((p) => p.kind === PacketKind.ConnectError);
    await until(() => refusals().length === 2, 5_000, "two refusals");
    for (const p of refusals()) assert.equal((p as { code: string }).code, "unknown-namespace");
    assert.ok(!peer.isClosed, "a refused namespace keeps the connection");
    peer.send({
      kind: PacketKind.Event,
      nsp: 99,
      name: "echo",
      ackId: 0,
      payload: { type: "none" },
    });
    assert.equal(await peer.goodbye(), "invalid-packet");
    await a.finish(peer);
  });

  it("an unknown schema code gets unknown-schema, a truncated body protocol-error", async () => {
    const a = await arena();
    const cases: Array<[number, Uint8Array, string]> = [
      [31, new Uint8Array(4), "unknown-schema"],
      [4000, new Uint8Array(4), "unknown-schema"],
      [Move.code, new Uint8Array(1), "protocol-error"],
    ];
    for (const [code, body, expected] of cases) {
      const [peer, nsp] = await RawPeer.ready(a.port, "/game");
      peer.send({ kind: PacketKind.Message, nsp: nsp!, code, body });
      assert.equal(await peer.goodbye(), expected);
      await a.controlWorks();
    }
    await a.finish();
  });

  it("a join flood of 3000 rooms gets 255 joins and coded refusals; the room index stays bounded", async () => {
    const a = await arena();
    const [peer, nsp] = await RawPeer.ready(a.port, "/");
    const frames: Uint8Array[] = [];
    for (let i = 1; i <= 3000; i++) {
      frames.push(
        frameOf({
          kind: PacketKind.Room,
          nsp: nsp!,
          op: RoomOp.Join,
          reqId: i,
          room: `r${i}`,
          reason: "",
        }),
      );
    }
    peer.write(concat(...frames));
    const answers = () => peer.packets.filter((p) => p.kind === PacketKind.Room && p.reqId > 0);
    await until(() => answers().length === 3000, 10_000, "3000 answers");
    const joined = answers().filter((p) => (p as { op: number }).op === RoomOp.Joined);
    const refused = answers().filter((p) => (p as { op: number }).op === RoomOp.Refused);
    assert.equal(joined.length, 255, "256 rooms with the id room");
    assert.equal(refused.length, 2745);
    assert.match((refused[0] as { reason: string }).reason, /^too-many-rooms: /);
    assert.equal(a.server.stats().rooms, 1 + 256, "the control's id room and the peer's 256");
    assert.ok(!peer.isClosed);
    await a.finish(peer);
  });

  it("a room name over maxRoomNameLength is refused with room-name-too-long", async () => {
    const a = await arena({ limits: { maxRoomNameLength: 16 } });
    const [peer, nsp] = await RawPeer.ready(a.port, "/");
    peer.send({
      kind: PacketKind.Room,
      nsp: nsp!,
      op: RoomOp.Join,
      reqId: 1,
      room: "é".repeat(9),
      reason: "",
    });
    const answer = await peer.waitFor((p) => p.kind === PacketKind.Room && p.reqId === 1, "answer");
    assert.equal((answer as { op: number }).op, RoomOp.Refused);
    assert.match((answer as { reason: string }).reason, /^room-name-too-long: /);
    assert.equal(a.server.stats().rooms, 2, "only the two id rooms");
    await a.finish(peer);
  });

  it("reserved event names get reserved-event and never reach the server's handlers as events", async () => {
    const a = await arena();
    for (const name of ["disconnect", "connection", "rate-warning", "error"]) {
      const [peer, nsp] = await RawPeer.ready(a.port, "/");
      peer.send({
        kind: PacketKind.Event,
        nsp: nsp!,
        name,
        ackId: 0,
        payload: { type: "json", value: "fake" },
      });
      assert.equal(await peer.goodbye(), "reserved-event");
      assert.equal(
        a.reasons.get(sidOf(peer)),
        "reserved-event",
        "disconnect got the reason, not the payload",
      );
      await a.controlWorks();
    }
    await a.finish();
  });

  it("an event name over maxEventNameLength gets event-name-too-long", async () => {
    const a = await arena({ limits: { maxEventNameLength: 8 } });
    const [peer, nsp] = await RawPeer.ready(a.port, "/");
    peer.send({
      kind: PacketKind.Event,
      nsp: nsp!,
      name: "ü".repeat(5),
      ackId: 0,
      payload: { type: "none" },
    });
    assert.equal(await peer.goodbye(), "event-name-too-long");
    await a.finish(peer);
  });

  it("ack floods and unknown ack ids are ignored; a pending ack resolves only with its own id", async () => {
    const a = await arena();
    const [peer, nsp] = await RawPeer.ready(a.port, "/");
    const frames: Uint8Array[] = [];
    for (let id = 1; id <= 2000; id++) {
      frames.push(
        frameOf({ kind: PacketKind.Ack, nsp: nsp!, ackId: id * 7919, payload: { type: "none" } }),
      );
    }
    peer.write(concat(...frames));
    await a.controlWorks();
    const socket = a.server.of("/").sockets.get(sidOf(peer))!;
    const socketAsk = socket.emitWithAck("ask", 1, { timeout: 5_000 });
    const ask =
      (await peer.waitFor((p) => p.kind === PacketKind.Event && p.name === "ask", "ask")) as
        & Packet
        & {
          ackId: number;
        };
    assert.equal(a.server.stats().pendingAcks, 1);
    peer.send({
      kind: PacketKind.Ack,
      nsp: nsp!,
      ackId: ask.ackId + 1,
      payload: { type: "json", value: "wrong" },
    });
    peer.send({
      kind: PacketKind.Ack,
      nsp: nsp!,
      ackId: ask.ackId,
      payload: { type: "json", value: "right" },
    });
    peer.send({
      kind: PacketKind.Ack,
      nsp: nsp!,
      ackId: ask.ackId,
      payload: { type: "json", value: "again" },
    });
    assert.equal(await socketAsk, "right");
    assert.equal(a.server.stats().pendingAcks, 0);
    peer.send({ kind: PacketKind.Ping, time: 42 });
    await peer.waitFor((p) => p.kind === PacketKind.Pong, "pong: the peer is still served");
    assert.ok(!peer.isClosed);
    await a.finish(peer);
  });

  it("slowloris (one byte every 100 ms, never a whole hello) is cut by handshake-timeout", async () => {
    const a = await arena({ limits: { handshakeTimeout: 500 } });
    const peer = await RawPeer.open(a.port);
    const bytes = concat(varint(200), new Uint8Array(200));
    for (let i = 0; i < 30 && !peer.isClosed; i++) {
      peer.write(bytes.subarray(i, i + 1));
      await sleep(100);
    }
    assert.equal(await peer.goodbye(), "handshake-timeout");
    await a.finish(peer);
  });

  it("a wrong protocol version is refused with unsupported-version", async () => {
    const a = await arena();
    const peer = await RawPeer.open(a.port);
    peer.send({ kind: PacketKind.Hello, version: 99, resumeToken: "", received: 0 });
    const refusal = await peer.waitFor((p) => p.kind === PacketKind.ConnectError, "refusal");
    assert.equal((refusal as { code: string }).code, "unsupported-version");
    await peer.goodbye();
    await a.finish(peer);
  });

  it("a connection flood over maxConnections: the extra ones get too-many-connections", async () => {
    const a = await arena({ limits: { maxConnections: 4 } });
    const peers = await Promise.all(Array.from({ length: 12 }, () => RawPeer.open(a.port)));
    for (const peer of peers) peer.write(HELLO);
    await until(() => peers.every((p) => p.packets.length > 0), 5_000, "an answer each");
    const welcomed = () =>
      peers.filter((p) => p.packets.some((q) => q.kind === PacketKind.Welcome));
    const refused = peers.filter((p) => !welcomed().includes(p));
    await Promise.all(
      refused.map(async (p) => assert.equal(await p.goodbye(), "too-many-connections")),
    );
    assert.equal(welcomed().length, 3, "the control client and three peers");
    await a.controlWorks();
    await assert.rejects(
      connect(a.url),
      (e: { reason?: string }) => e.reason === "too-many-connections",
    );
    // Room again once one leaves.
    welcomed()[0]!.destroy();
    await until(() => a.server.sessions.size === 3, 5_000, "a free slot");
    const late = await connect(a.url);
    late.close();
    await a.finish(...peers);
  });

  it("a connection flood from one address over maxConnectionsPerAddress gets too-many-connections-per-address", async () => {
    const a = await arena({ limits: { maxConnectionsPerAddress: 3 } });
    const peers = await Promise.all(Array.from({ length: 8 }, () => RawPeer.open(a.port)));
    for (const peer of peers) peer.write(HELLO);
    await until(() => peers.every((p) => p.packets.length > 0), 5_000, "an answer each");
    const welcomed = peers.filter((p) => p.packets.some((q) => q.kind === PacketKind.Welcome));
    assert.equal(welcomed.length, 2, "the control client and two peers");
    for (const peer of peers.filter((p) => !welcomed.includes(p))) {
      assert.equal(await peer.goodbye(), "too-many-connections-per-address");
    }
    assert.equal(a.server.stats().addresses, 1);
    await a.finish(...peers);
  });

  it("a half-open peer (silent, never reading) is dropped with ping-timeout", async () => {
    const a = await arena({ pingInterval: 100, pingTimeout: 200 });
    const [peer] = await RawPeer.ready(a.port, "/");
    peer.pause();
    await until(() => a.reasons.has(sidOf(peer)), 5_000, "the server to drop the peer");
    assert.equal(a.reasons.get(sidOf(peer)), "ping-timeout");
    peer.resume();
    assert.equal(await peer.goodbye(), "ping-timeout");
    await a.finish(peer);
  });

  it("with resume on, a dropped peer's session waits resumeWindow, then the registries are empty", async () => {
    const a = await arena({ resumeWindow: 300 });
    const [peer, nsp] = await RawPeer.ready(a.port, "/");
    peer.send({
      kind: PacketKind.Room,
      nsp: nsp!,
      op: RoomOp.Join,
      reqId: 1,
      room: "lobby",
      reason: "",
    });
    await peer.waitFor((p) => p.kind === PacketKind.Room && p.reqId === 1, "joined");
    peer.destroy();
    await a.finish();
  });

  it("a half-closed peer (FIN after the handshake) ends its session with transport-close", async () => {
    const a = await arena();
    const [peer] = await RawPeer.ready(a.port, "/");
    peer.end();
    await until(() => a.reasons.has(sidOf(peer)), 5_000, "the server to see the FIN");
    assert.equal(a.reasons.get(sidOf(peer)), "transport-close");
    await a.finish(peer);
  });
});
