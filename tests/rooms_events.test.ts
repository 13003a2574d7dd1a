// Issue 4: rooms, broadcasts, events, acks, heartbeats, over loopback TCP.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defineSchema } from "../protocol/schema.ts";
import type { GameSocketError } from "../core/errors.ts";
import type { ServerSocket } from "../core/socket.ts";
import { Rooms } from "../core/rooms.ts";
import { collect, connect, next, sleep, startServer, until } from "./helpers.ts";

const Move = defineSchema(2, {
  id: "uint16",
  x: "float32",
  y: "float32",
  angle: "radians",
  throttle: "single",
  firing: "bool",
});

async function lobbyOf(url: string, count: number) {
  const clients = await Promise.all(Array.from({ length: count }, () => connect(url)));
  const nsps = clients.map((c) => c.of("/home"));
  await Promise.all(nsps.map((n) => n.ready()));
  return { clients, nsps, close: () => clients.forEach((c) => c.close()) };
}

describe("Rooms index", () => {
  it("a socket's own room and its room list stay right through joins, guests and leaves", () => {
    const events: string[] = [];
    const rooms = new Rooms({
      create: (room) => events.push(`create ${room}`),
      join: (room, id) => events.push(`join ${room} ${id}`),
      leave: (room, id) => events.push(`leave ${room} ${id}`),
      delete: (room) => events.push(`delete ${room}`),
    });
    const list = (set: ReadonlySet<string> | undefined) => [...set ?? []].sort();
    rooms.add("a", "a");
    rooms.add("b", "b");
    assert.deepEqual(list(rooms.roomsOf("a")), ["a"]);
    assert.deepEqual(list(rooms.rooms.get("a")), ["a"]);
    rooms.add("a", "lobby");
    assert.deepEqual(list(rooms.roomsOf("a")), ["a", "lobby"]);
    assert.deepEqual(
      list(rooms.rooms.get("a")),
      ["a"],
      "joining a room leaves the own room as it was",
    );
    rooms.add("b", "a"); // the server may put a socket in another's own room
    assert.deepEqual(list(rooms.rooms.get("a")), ["a", "b"]);
    assert.deepEqual(list(rooms.roomsOf("b")), ["a", "b"]);
    assert.deepEqual(
      list(rooms.roomsOf("a")),
      ["a", "lobby"],
      "a guest changes nobody's room list",
    );
    rooms.removeAll("b");
    assert.deepEqual(list(rooms.rooms.get("a")), ["a"]);
    assert.equal(rooms.rooms.has("b"), false);
    assert.equal(rooms.sids.has("b"), false);
    rooms.removeAll("a");
    assert.equal(rooms.rooms.size + rooms.sids.size, 0);
    assert.deepEqual(events.filter((e) => e.startsWith("create")), [
      "create a",
      "create b",
      "create lobby",
    ]);
    assert.equal(events.filter((e) => e.startsWith("delete")).length, 3);
  });
});

describe("rooms", () => {
  it("join/leave on request tell the member and fire lifecycle events in order", async () => {
    const events: string[] = [];
    const { server, url } = await startServer({}, (s) => {
      const home = s.of("/home");
      home.on("create-room", (room) => !room.includes("-") && events.push(`create ${room}`));
      home.on("join-room", (room) => !room.includes("-") && events.push(`join ${room}`));
      home.on("leave-room", (room) => !room.includes("-") && events.push(`leave ${room}`));
      home.on("delete-room", (room) => !room.includes("-") && events.push(`delete ${room}`));
    });
    const { nsps: [a], close } = await lobbyOf(url, 1);
    const joined = collect(a!, "join-room");
    const left = collect(a!, "leave-room");
    await a!.join("lobby");
    assert.ok(a!.rooms.has("lobby"));
    await a!.leave("lobby");
    assert.ok(!a!.rooms.has("lobby"));
    assert.deepEqual(events, ["create lobby", "join lobby", "leave lobby", "delete lobby"]);
    assert.ok(joined.includes("lobby") && left.includes("lobby"));
    close();
    await server.close();
  });

  it("every socket is in a room named after its id, and cannot join another's", async () => {
    const { server, url } = await startServer({}, (s) => s.of("/home"));
    const { nsps: [a, b], close } = await lobbyOf(url, 2);
    const sa = server.of("/home").sockets.get(a!.sid)!;
    assert.ok(sa.rooms.has(a!.sid));
    await assert.rejects(b!.join(a!.sid), (e: GameSocketError) => e.code === "ERR_JOIN_REFUSED");
    close();
    await server.close();
  });

  it("a join guard refuses with a reason the client receives; the server can join sockets itself", async () => {
    const { server, url } = await startServer({}, (s) => {
      s.of("/home").useJoin((_socket, room) => {
        if (room.startsWith("admin")) throw new Error("admins only");
      });
      s.of("/home").on("connection", (socket) => socket.join("admin-room"));
    });
    const { nsps: [a], close } = await lobbyOf(url, 1);
    await until(() => a!.rooms.has("admin-room"), 2_000, "server-side join notice");
    await assert.rejects(a!.join("admin-2"), /admins only/);
    await a!.join("public");
    assert.deepEqual([...a!.rooms].sort(), ["admin-room", "public"]);
    close();
    await server.close();
  });

  it("maxRoomsPerSocket is enforced on both sides (join floods)", async () => {
    const { server, url } = await startServer(
      { limits: { maxRoomsPerSocket: 5 } },
      (s) => s.of("/home"),
    );
    const { nsps: [a], close } = await lobbyOf(url, 1);
    for (let i = 0; i < 4; i++) await a!.join(`r${i}`); // + the id room = 5
    await assert.rejects(a!.join("r4"), (e: GameSocketError) => e.code === "ERR_LIMIT");
    assert.equal(server.of("/home").sockets.get(a!.sid)!.rooms.size, 5);
    close();
    await server.close();
  });
});

describe("broadcast", () => {
  it("to(room) reaches members only; socket.to() excludes the sender; except() excludes rooms", async () => {
    const { server, url } = await startServer({}, (s) => {
      s.of("/home").on("connection", (socket) => {
        socket.on("shout", (text) => socket.to("lobby").emit("shout", text));
        socket.on("all-but-muted", (text) => s.of("/home").except("muted").emit("news", text));
      });
    });
    const { nsps: [a, b, c, d], close } = await lobbyOf(url, 4);
    await Promise.all([a!.join("lobby"), b!.join("lobby"), c!.join("lobby"), c!.join("muted")]);
    const got = [a, b, c, d].map((n) => collect(n!, "shout"));
    const news = [a, b, c, d].map((n) => collect(n!, "news"));
    a!.emit("shout", "hello all");
    a!.emit("all-but-muted", "headline");
    await until(() => got[1]!.length === 1 && got[2]!.length === 1 && news[3]!.length === 1);
    await sleep(30);
    assert.deepEqual(got.map((g) => g.length), [0, 1, 1, 0]);
    assert.deepEqual(news.map((g) => g.length), [1, 1, 0, 1]);
    close();
    await server.close();
  });

  it("operators are immutable: a stored to() is not changed by later calls", async () => {
    const { server, url } = await startServer({}, (s) => s.of("/home"));
    const home = server.of("/home");
    const red = home.to("red");
    const redAndBlue = red.to("blue");
    const notRed = home.except("red");
    assert.deepEqual([...red.target.rooms], ["red"]);
    assert.deepEqual([...redAndBlue.target.rooms], ["red", "blue"]);
    assert.deepEqual([...home.to("x").target.rooms], ["x"]);
    assert.equal(notRed.target.rooms.size, 0);
    const { nsps: [a, b], close } = await lobbyOf(url, 2);
    await a!.join("red");
    await b!.join("blue");
    assert.deepEqual([...red.socketIds()], [a!.sid]);
    assert.deepEqual(new Set(redAndBlue.socketIds()), new Set([a!.sid, b!.sid]));
    close();
    await server.close();
  });

  it("a broadcast encodes once and writes the same bytes to every member", async () => {
    const { server, url } = await startServer({}, (s) => s.of("/home"));
    const { nsps, close } = await lobbyOf(url, 3);
    await Promise.all(nsps.map((n) => n.join("room")));
    const written: Uint8Array[] = [];
    for (const socket of server.of("/home").sockets.values()) {
      const session = socket.session;
      const send = session.send.bind(session);
      session.send = (
        frame: Uint8Array,
        volatile?: boolean,
      ) => (written.push(frame), send(frame, volatile));
    }
    const got = nsps.map((n) => collect(n, "tick"));
    assert.equal(server.of("/home").to("room").emit("tick", { n: 1 }), 3);
    assert.equal(written.length, 3);
    assert.ok(written[0] === written[1] && written[1] === written[2], "one encoded frame shared");
    await until(() => got.every((g) => g.length === 1));
    assert.deepEqual(got.map((g) => g[0]), [{ n: 1 }, { n: 1 }, { n: 1 }]);
    close();
    await server.close();
  });

  it("send(Schema) broadcasts typed messages; namespace.on(Schema) receives them with the socket", async () => {
    const { server, url } = await startServer({ schemas: [Move] }, (s) => {
      s.of("/home").on(Move, (move, socket) => socket.to("arena").send(Move, move));
    });
    const { nsps: [a, b], close } = await lobbyOf(url, 2);
    await Promise.all([a!.join("arena"), b!.join("arena")]);
    const moves = collect<typeof Move extends { decode(b: Uint8Array): infer T } ? T : never>(
      { on: (_e: string, fn: (p: never) => unknown) => b!.on(Move, fn as never) },
      "",
    );
    a!.send(Move, { id: 7, x: 1.5, y: -3, angle: Math.PI, throttle: 0.5, firing: true });
    await until(() => moves.length === 1);
    const m = moves[0]!;
    assert.equal(m.id, 7);
    assert.equal(m.x, 1.5);
    assert.equal(m.firing, true);
    assert.ok(Math.abs(m.angle - Math.PI) < 0.001);
    assert.ok(Math.abs(m.throttle - 0.5) < 0.005);
    close();
    await server.close();
  });
});

describe("events", () => {
  it("JSON values, bytes and no payload arrive intact both ways", async () => {
    const { server, url } = await startServer({}, (s) => {
      s.of("/home").on("connection", (socket) => {
        socket.on("echo", (payload) => socket.emit("echo", payload));
      });
    });
    const { nsps: [a], close } = await lobbyOf(url, 1);
    const echoes = collect(a!, "echo");
    const values = [
      { a: [1, "two", null, true] },
      "ünïcødé ✓",
      42,
      null,
      new Uint8Array([0, 255, 7]),
      undefined,
    ];
    for (const v of values) a!.emit("echo", v);
    await until(() => echoes.length === values.length);
    assert.deepEqual(echoes, values);
    close();
    await server.close();
  });

  it("reserved names cannot be emitted on either side", async () => {
    const { server, url } = await startServer({}, (s) => s.of("/home"));
    const { nsps: [a], close } = await lobbyOf(url, 1);
    for (const name of ["disconnect", "connect", "error", "join-room"]) {
      assert.throws(() => a!.emit(name), (e: GameSocketError) => e.code === "ERR_RESERVED_EVENT");
      assert.throws(
        () => server.of("/home").emit(name),
        (e: GameSocketError) => e.code === "ERR_RESERVED_EVENT",
      );
    }
    close();
    await server.close();
  });

  it("off() removes only the given handler; once() fires once", async () => {
    const { server, url } = await startServer({}, (s) => {
      s.of("/home").on("connection", (socket) => socket.on("go", () => socket.emit("x", 1)));
    });
    const { nsps: [a], close } = await lobbyOf(url, 1);
    let first = 0, second = 0, once = 0;
    const h1 = () => first++;
    a!.on("x", h1);
    a!.on("x", () => second++);
    a!.once("x", () => once++);
    a!.emit("go");
    await until(() => second === 1);
    a!.off("x", h1);
    a!.emit("go");
    await until(() => second === 2);
    assert.deepEqual([first, second, once], [1, 2, 1]);
    close();
    await server.close();
  });

  it("a throwing handler is reported through error and the server keeps serving", async () => {
    const errors: unknown[] = [];
    const { server, url } = await startServer({}, (s) => {
      s.of("/home").on("error", (e) => errors.push(e));
      s.of("/home").on("connection", (socket) => {
        socket.on("boom", () => {
          throw new Error("handler bug");
        });
        socket.on("async-boom", async () => {
          await sleep(1);
          throw new Error("async handler bug");
        });
        socket.on("ping-me", (_p, ack) => ack?.("alive"));
      });
    });
    const { nsps: [a], close } = await lobbyOf(url, 1);
    a!.emit("boom");
    a!.emit("async-boom");
    await until(() => errors.length === 2);
    assert.deepEqual(errors.map((e) => (e as Error).message).sort(), [
      "async handler bug",
      "handler bug",
    ]);
    assert.equal(await a!.emitWithAck("ping-me"), "alive");
    close();
    await server.close();
  });
});

describe("acks", () => {
  it("ack callbacks and emitWithAck work in both directions", async () => {
    let serverSocket: ServerSocket | undefined;
    const { server, url } = await startServer({}, (s) => {
      s.of("/home").on("connection", (socket) => {
        serverSocket = socket;
        socket.on("buy", (item, ack) => ack?.({ ok: true, item }));
      });
    });
    const { nsps: [a], close } = await lobbyOf(url, 1);
    assert.deepEqual(await a!.emitWithAck("buy", { item: 3 }), { ok: true, item: { item: 3 } });
    const viaCallback = await new Promise((resolve, reject) =>
      a!.emit("buy", 4, (err, reply) => err ? reject(err) : resolve(reply))
    );
    assert.deepEqual(viaCallback, { ok: true, item: 4 });
    a!.on("question", (q, ack) => ack?.(`answer to ${q}`));
    assert.equal(await serverSocket!.emitWithAck("question", "life"), "answer to life");
    close();
    await server.close();
  });

  it("emitWithAck rejects with ERR_ACK_TIMEOUT and the pending ack is removed", async () => {
    let serverSocket: ServerSocket | undefined;
    const { server, url } = await startServer({}, (s) => {
      s.of("/home").on("connection", (socket) => serverSocket = socket);
    });
    const { nsps: [a], close } = await lobbyOf(url, 1);
    await assert.rejects(
      a!.emitWithAck("ignored", 1, { timeout: 50 }),
      (e: GameSocketError) => e.code === "ERR_ACK_TIMEOUT",
    );
    await assert.rejects(
      serverSocket!.emitWithAck("ignored", 1, { timeout: 50 }),
      /No ack within 50 ms/,
    );
    assert.equal(serverSocket!.pendingAcks, 0);
    close();
    await server.close();
  });

  it("pending acks are bounded and rejected on disconnect", async () => {
    let serverSocket: ServerSocket | undefined;
    const { server, url } = await startServer({ limits: { maxPendingAcks: 3 } }, (s) => {
      s.of("/home").on("connection", (socket) => serverSocket = socket);
    });
    const { nsps: [a], close } = await lobbyOf(url, 1);
    const waits = [1, 2, 3].map((i) => a!.emitWithAck("never", i, { timeout: 10_000 }));
    await assert.rejects(
      a!.emitWithAck("never", 4),
      (e: GameSocketError) => e.code === "ERR_TOO_MANY_PENDING_ACKS",
    );
    const serverWait = serverSocket!.emitWithAck("never", 1, { timeout: 10_000 });
    close();
    for (const w of waits) {
      await assert.rejects(w, (e: GameSocketError) => e.code === "ERR_DISCONNECTED");
    }
    await assert.rejects(serverWait, (e: GameSocketError) => e.code === "ERR_DISCONNECTED");
    assert.equal(serverSocket!.pendingAcks, 0);
    await server.close();
  });
});

describe("heartbeats", () => {
  it("RTT is measured on both sides", async () => {
    const { server, url } = await startServer(
      { pingInterval: 30, pingTimeout: 500 },
      (s) => s.of("/home"),
    );
    const { clients: [c], nsps: [a], close } = await lobbyOf(url, 1);
    const socket = server.of("/home").sockets.get(a!.sid)!;
    await until(() => socket.rtt > 0 && c!.rtt > 0, 3_000, "both RTTs");
    assert.ok(socket.rtt < 1_000 && c!.rtt < 1_000);
    close();
    await server.close();
  });

  it("a silent peer is dropped with ping-timeout within pingInterval + pingTimeout", async () => {
    // resumeWindow 0: no wait for a resume, the sockets' disconnect fires at once.
    const { server, url } = await startServer(
      { pingInterval: 50, pingTimeout: 100, resumeWindow: 0 },
      (s) => s.of("/home"),
    );
    const { clients: [c], nsps: [a] } = await lobbyOf(url, 1);
    const socket = server.of("/home").sockets.get(a!.sid)!;
    // Silence the client: it stops sending anything (a frozen or half-open peer).
    const transport = c!.transport!;
    transport.send = () => {};
    const started = Date.now();
    const [reason] = await next<[string]>(socket, "disconnect", 3_000);
    const elapsed = Date.now() - started;
    assert.equal(reason, "ping-timeout");
    // Detection is bounded by interval + timeout (150 ms); the slack absorbs a loaded CI machine.
    assert.ok(elapsed < 150 + 1_000, `took ${elapsed} ms`);
    const [clientReason] = await next<[string]>(c!, "disconnect", 3_000).catch(() => [c!.state]);
    assert.ok(["ping-timeout", "closed", "transport-close"].includes(clientReason as string));
    c!.close();
    await server.close();
  });

  it("a kicked socket gets the reason kicked", async () => {
    const { server, url } = await startServer({}, (s) => s.of("/home"));
    const { nsps: [a], close } = await lobbyOf(url, 1);
    const reason = next<[string]>(a!, "disconnect");
    server.of("/home").sockets.get(a!.sid)!.disconnect();
    assert.equal((await reason)[0], "kicked");
    close();
    await server.close();
  });
});
