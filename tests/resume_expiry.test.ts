// Issue 8: what happens when a session cannot be resumed (window passed, buffer overflowed),
// and that the server frees what a session held.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { GameSocketError } from "../core/errors.ts";
import type { ServerSocket } from "../core/socket.ts";
import type { ResumeFailure } from "../core/client.ts";
import { connect, next, sleep, startServer, until } from "./helpers.ts";
import { CutProxy } from "./resume_proxy.ts";

const FAST = { initialDelay: 5, maxDelay: 30 };

describe("resume failures", () => {
  it("a resume after the window: resume_failed (session-expired), a fresh session, namespaces and rooms restored", async () => {
    const sockets: ServerSocket[] = [];
    const { server, port } = await startServer({ resumeWindow: 150, pingInterval: 40 }, (s) => {
      const game = s.of("/game");
      game.use((_socket, auth) => {
        if ((auth as { name?: string })?.name !== "ann") throw new Error("who are you?");
      });
      game.on("connection", (socket) => sockets.push(socket));
    });
    const proxy = await CutProxy.start(port);
    const client = await connect(proxy.url, { reconnect: FAST });
    const nsp = client.of("/game", { name: "ann" });
    await nsp.ready();
    await nsp.join("red");
    const first = sockets[0]!;
    const oldSid = client.sid;
    let connects = 0;
    nsp.on("connect", () => connects++);

    proxy.refusing = true;
    proxy.cut();
    await until(() => client.state === "reconnecting", 2_000, "reconnecting");
    for (let i = 0; i < 3; i++) nsp.emit("offline", i); // lost with the session
    const [reason] = await next<[string]>(first, "disconnect", 3_000);
    assert.equal(reason, "transport-close", "the window passed: the link's reason, late");
    assert.equal(server.sessions.size, 0);

    const failed = next<[ResumeFailure]>(client, "resume_failed", 3_000);
    const reconnected = next<[number, boolean]>(client, "reconnect", 3_000);
    proxy.refusing = false;
    const [info] = await failed;
    assert.equal(info.reason, "session-expired");
    // The 3 offline emits, plus the connect and the join if the server had not confirmed them.
    assert.ok(info.unconfirmed >= 3 && info.unconfirmed <= 5, `unconfirmed ${info.unconfirmed}`);
    assert.equal((await reconnected)[1], false);
    await until(() => sockets.length === 2 && connects === 1, 3_000, "namespace restored");
    const second = sockets[1]!;
    assert.notEqual(second, first);
    assert.notEqual(client.sid, oldSid, "a fresh session has a new id");
    assert.deepEqual(second.auth, { name: "ann" }, "restored with its auth");
    await until(() => second.rooms.has("red") && nsp.rooms.has("red"), 3_000, "room restored");
    const got = next<[string]>(second, "hello");
    nsp.emit("hello", "again");
    assert.equal((await got)[0], "again");
    client.close();
    await proxy.close();
    await server.close();
  });

  it("the server frees a session's buffers when it expires", async () => {
    const { server, port } = await startServer({ resumeWindow: 200 }, (s) => s.of("/game"));
    const proxy = await CutProxy.start(port);
    const client = await connect(proxy.url, { reconnect: false });
    const connection = next<[ServerSocket]>(server.of("/game"), "connection");
    await client.of("/game").ready();
    const [socket] = await connection;
    const session = socket.session;
    const clientGone = next<[string]>(client, "disconnect");
    proxy.cut();
    assert.equal((await clientGone)[0], "transport-close", "reconnect: false ends at once");
    await until(() => !socket.linked, 2_000, "detached");
    for (let i = 0; i < 20; i++) assert.equal(socket.emit("kept", "x".repeat(100)), true);
    assert.ok(session.replay.frames >= 20, `kept ${session.replay.frames}`);
    assert.ok(session.replay.bytes >= 20 * 100);
    assert.equal(session.state, "detached");
    const [reason] = await next<[string]>(socket, "disconnect", 3_000);
    assert.equal(reason, "transport-close");
    assert.equal(session.state, "closed");
    assert.equal(session.replay.frames, 0);
    assert.equal(session.replay.bytes, 0);
    assert.equal(server.sessions.size, 0);
    assert.equal(server.of("/game").sockets.size, 0);
    assert.equal(socket.emit("late", 1), false);
    await proxy.close();
    await server.close();
  });

  it("an overflowed server buffer makes the resume fail cleanly", async () => {
    const { server, port } = await startServer(
      { replayBufferFrames: 16 },
      (s) => s.of("/game"),
    );
    const proxy = await CutProxy.start(port);
    const client = await connect(proxy.url, { reconnect: FAST });
    const connection = next<[ServerSocket]>(server.of("/game"), "connection");
    const nsp = client.of("/game");
    await nsp.ready();
    const [socket] = await connection;
    proxy.refusing = true;
    proxy.cut();
    await until(() => !socket.linked, 2_000, "detached");
    for (let i = 0; i < 50; i++) socket.emit("n", i);
    assert.ok(socket.session.replay.overflowed);
    const gone = next<[string]>(socket, "disconnect", 3_000);
    const failed = next<[ResumeFailure]>(client, "resume_failed", 3_000);
    proxy.refusing = false;
    assert.equal((await gone)[0], "session-expired");
    assert.equal((await failed)[0].reason, "session-expired");
    await nsp.ready();
    await until(() => nsp.connected, 3_000, "restored");
    client.close();
    await proxy.close();
    await server.close();
  });

  it("without resume on the server, a reconnection is a fresh session (resume-disabled)", async () => {
    const { server, port } = await startServer({ resumeWindow: 0 }, (s) => s.of("/game"));
    const proxy = await CutProxy.start(port);
    const client = await connect(proxy.url, { reconnect: FAST });
    const connection = next<[ServerSocket]>(server.of("/game"), "connection");
    const nsp = client.of("/game");
    await nsp.ready();
    const [first] = await connection;
    const gone = next<[string]>(first, "disconnect");
    const failed = next<[ResumeFailure]>(client, "resume_failed", 3_000);
    const again = next<[ServerSocket]>(server.of("/game"), "connection", 3_000);
    proxy.cut();
    assert.equal((await gone)[0], "transport-close", "no window: the socket goes at once");
    assert.equal((await failed)[0].reason, "resume-disabled");
    const [second] = await again;
    assert.notEqual(second, first);
    await until(() => nsp.connected, 3_000, "namespace restored");
    client.close();
    await proxy.close();
    await server.close();
  });

  it("a client whose own buffer dropped unconfirmed messages does not ask to resume (replay-overflow)", async () => {
    // No heartbeat during the test: nothing confirms what the client sends.
    const { server, port } = await startServer({ pingInterval: 60_000 }, (s) => s.of("/game"));
    const proxy = await CutProxy.start(port);
    const client = await connect(proxy.url, { reconnect: FAST, replayBufferFrames: 4 });
    const connection = next<[ServerSocket]>(server.of("/game"), "connection");
    const nsp = client.of("/game");
    await nsp.ready();
    const [first] = await connection;
    const got: number[] = [];
    first.on("n", (i) => void got.push(i as number));
    for (let i = 0; i < 10; i++) nsp.emit("n", i); // sent, but only the last 4 are kept
    await until(() => got.length === 10, 2_000, "delivered online");
    const failed = next<[ResumeFailure]>(client, "resume_failed", 3_000);
    const again = next<[ServerSocket]>(server.of("/game"), "connection", 3_000);
    proxy.cut();
    const [info] = await failed;
    assert.equal(info.reason, "replay-overflow");
    assert.equal(info.unconfirmed, 4);
    assert.notEqual((await again)[0], first, "a fresh session");
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "nothing sent twice");
    client.close();
    await proxy.close();
    await server.close(); // also ends the old session, still waiting in its window
  });

  it("the offline queue is bounded: ERR_LIMIT, and what fitted is delivered once", async () => {
    const { server, port } = await startServer({ pingInterval: 30 }, (s) => s.of("/game"));
    const proxy = await CutProxy.start(port);
    const client = await connect(proxy.url, { reconnect: FAST, replayBufferFrames: 8 });
    const connection = next<[ServerSocket]>(server.of("/game"), "connection");
    const nsp = client.of("/game");
    await nsp.ready();
    const [socket] = await connection;
    const got: number[] = [];
    socket.on("n", (i) => void got.push(i as number));
    await sleep(100); // heartbeats confirm the connect frame, so the buffer starts empty
    proxy.refusing = true;
    proxy.cut();
    await until(() => client.state === "reconnecting", 2_000, "reconnecting");
    let queued = 0;
    let refused: GameSocketError | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      try {
        nsp.emit("n", i);
        queued++;
      } catch (error) {
        refused = error as GameSocketError;
      }
    }
    assert.equal(refused?.code, "ERR_LIMIT");
    assert.ok(queued >= 1 && queued <= 8, `queued ${queued}`);
    await assert.rejects(
      nsp.emitWithAck("n", 99),
      (e: GameSocketError) => e.code === "ERR_LIMIT",
    );
    proxy.refusing = false;
    await next(client, "reconnect", 3_000);
    await until(() => got.length >= queued, 3_000, "queued messages");
    await sleep(50);
    assert.deepEqual(got, Array.from({ length: queued }, (_, i) => i));
    client.close();
    await proxy.close();
    await server.close();
  });
});
