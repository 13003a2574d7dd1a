// Issue 8: the client's automatic reconnection (what triggers it, what never does, its timings).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ServerSocket } from "../core/socket.ts";
import type { Transport, TransportHandlers } from "../runtime/types.ts";
import { createMemoryPair } from "../runtime/memory.ts";
import { connectTcp } from "../runtime/auto.ts";
import { GameSocketServer } from "../server.ts";
import { connect, next, sleep, startServer, until } from "./helpers.ts";
import { CutProxy } from "./resume_proxy.ts";

describe("reconnection", () => {
  it("close() never reconnects, not even while reconnecting", async () => {
    const { server, port } = await startServer({}, (s) => s.of("/game"));
    const proxy = await CutProxy.start(port);
    const client = await connect(proxy.url, { reconnect: { initialDelay: 5, maxDelay: 10 } });
    await client.of("/game").ready();
    const attempts: number[] = [];
    client.on("reconnecting", (attempt) => void attempts.push(attempt));
    const gone = next<[string]>(server.of("/game").sockets.values().next().value!, "disconnect");
    client.close();
    assert.equal((await gone)[0], "client-close");
    assert.equal(client.state, "closed");
    await sleep(60);
    assert.deepEqual(attempts, []);
    assert.equal(proxy.accepted, 1);

    // Now close in the middle of reconnecting: the loop stops and no link opens after.
    const second = await connect(proxy.url, { reconnect: { initialDelay: 20, maxDelay: 20 } });
    const nsp = second.of("/game");
    await nsp.ready();
    proxy.refusing = true;
    const reconnecting = next(second, "reconnecting");
    proxy.cut();
    await reconnecting;
    const disconnected = next<[string]>(second, "disconnect");
    const nspGone = next<[string]>(nsp, "disconnect");
    second.close();
    assert.equal((await disconnected)[0], "client-close");
    assert.equal((await nspGone)[0], "client-close");
    const accepted = proxy.accepted;
    await sleep(100);
    assert.equal(proxy.accepted, accepted, "no attempt after close()");
    assert.equal(second.state, "closed");
    await proxy.close();
    await server.close();
  });

  it("a goodbye from the server is final: kicked and server-shutdown never reconnect", async () => {
    const { server, url } = await startServer({}, (s) => s.of("/game"));
    const kicked = await connect(url, { reconnect: { initialDelay: 1 } });
    const connection = next<[ServerSocket]>(server.of("/game"), "connection");
    await kicked.of("/game").ready();
    let attempts = 0;
    kicked.on("reconnecting", () => attempts++);
    const [socket] = await connection;
    const gone = next<[string]>(kicked, "disconnect");
    socket.disconnect(true);
    assert.equal((await gone)[0], "kicked");

    const other = await connect(url, { reconnect: { initialDelay: 1 } });
    other.on("reconnecting", () => attempts++);
    const shutdown = next<[string]>(other, "disconnect");
    await server.close();
    assert.equal((await shutdown)[0], "server-shutdown");
    await sleep(50);
    assert.equal(attempts, 0);
    assert.equal(kicked.state, "closed");
    assert.equal(other.state, "closed");
  });

  it("reconnecting events carry the backoff delays; reconnect_failed after maxAttempts", async () => {
    const { server, port } = await startServer({}, (s) => s.of("/game"));
    const proxy = await CutProxy.start(port);
    const client = await connect(proxy.url, {
      reconnect: { initialDelay: 10, factor: 2, maxDelay: 40, jitter: 0, maxAttempts: 4 },
    });
    const nsp = client.of("/game");
    await nsp.ready();
    const scheduled: Array<[number, number]> = [];
    client.on("reconnecting", (attempt, delay) => void scheduled.push([attempt, delay]));
    proxy.refusing = true;
    const failed = next<[number]>(client, "reconnect_failed", 5_000);
    const disconnected = next<[string]>(client, "disconnect", 5_000);
    const nspGone = next<[string]>(nsp, "disconnect", 5_000);
    proxy.cut();
    assert.deepEqual(await failed, [4]);
    assert.equal((await disconnected)[0], "transport-close", "the link's reason, once it gives up");
    assert.equal((await nspGone)[0], "transport-close");
    assert.deepEqual(scheduled, [[1, 10], [2, 20], [3, 40], [4, 40]]);
    assert.equal(proxy.accepted, 1 + 4);
    assert.equal(client.state, "closed");
    await proxy.close();
    await server.close();
  });

  it("tries the fallback URLs in turn and resumes over another transport (TCP, then WebSocket)", async () => {
    const server = new GameSocketServer();
    server.of("/game");
    const ports = await server.listen({ tcp: 0, ws: 0, hostname: "127.0.0.1" });
    const proxy = await CutProxy.start(ports.tcp!);
    const client = await connect(proxy.url, {
      fallbackUrls: [`ws://127.0.0.1:${ports.ws}`],
      reconnect: { initialDelay: 5, maxDelay: 10, jitter: 0 },
    });
    const connection = next<[ServerSocket]>(server.of("/game"), "connection");
    const nsp = client.of("/game");
    await nsp.ready();
    const [socket] = await connection;
    assert.equal(client.transport?.kind, "tcp");
    const got: string[] = [];
    nsp.on("m", (x) => void got.push(x as string));
    const atServer: string[] = [];
    socket.on("m", (x) => void atServer.push(x as string));
    proxy.refusing = true;
    const lost = next(socket, "link-lost");
    proxy.cut();
    await lost; // the fallback may resume within milliseconds: wait for the event, not a state
    socket.emit("m", "while away");
    nsp.emit("m", "offline");
    const [attempt, resumed] = await next<[number, boolean]>(client, "reconnect", 3_000);
    assert.equal(resumed, true);
    assert.equal(attempt, 2, "attempt 1 (the proxy) was refused, attempt 2 used the fallback");
    assert.equal(client.transport?.kind, "ws");
    assert.equal(client.url.protocol, "ws:");
    assert.equal(socket.linked, true);
    assert.equal(socket.session.transport.kind, "ws");
    socket.emit("m", "after");
    nsp.emit("m", "online");
    await until(() => got.length === 2 && atServer.length === 2, 2_000, "messages");
    assert.deepEqual(got, ["while away", "after"]);
    assert.deepEqual(atServer, ["offline", "online"]);
    client.close();
    await proxy.close();
    await server.close();
  });

  it("a custom transport factory gets the fallback URLs too", async () => {
    const { server, port } = await startServer({}, (s) => s.of("/game"));
    const proxy = await CutProxy.start(port);
    const schemes: string[] = [];
    // TCP through the proxy first, then an in-memory link straight into the server.
    const factory = async (url: URL, handlers: TransportHandlers): Promise<Transport> => {
      schemes.push(url.protocol);
      if (url.protocol === "memory:") {
        const [near, far] = createMemoryPair();
        far.attach(server.accept(far));
        near.attach(handlers);
        return near;
      }
      return await connectTcp(
        { hostname: url.hostname, port: Number(url.port), maxFrameSize: 65536 },
        handlers,
      );
    };
    const client = await connect(proxy.url, {
      transport: factory,
      fallbackUrls: ["memory://server"],
      reconnect: { initialDelay: 5, maxDelay: 10, jitter: 0 },
    });
    await client.of("/game").ready();
    proxy.refusing = true;
    proxy.cut();
    const [, resumed] = await next<[number, boolean]>(client, "reconnect", 3_000);
    assert.equal(resumed, true);
    assert.equal(client.transport?.kind, "memory");
    assert.deepEqual(schemes, ["tcp:", "tcp:", "memory:"]);
    client.close();
    await proxy.close();
    await server.close();
  });
});
