// Issue 8: session resume across dropped links, through a TCP proxy that cuts them mid-stream.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ServerSocket } from "../core/socket.ts";
import { GameSocketServer, type ServerOptions } from "../server.ts";
import { connect, next, sleep, until } from "./helpers.ts";
import { CutProxy } from "./resume_proxy.ts";

const FAST = { initialDelay: 5, maxDelay: 50 };

/**
 * A server with "/game", a TCP proxy in front of it, a client through the proxy,
 * and both sockets. Over "ws" the proxy carries the WebSocket's bytes.
 */
async function setup(serverOptions: ServerOptions = {}, scheme: "tcp" | "ws" = "tcp") {
  const server = new GameSocketServer(serverOptions);
  server.of("/game");
  const ports = await server.listen({ [scheme]: 0, hostname: "127.0.0.1" });
  const proxy = await CutProxy.start(ports[scheme]!);
  const client = await connect(`${scheme}://127.0.0.1:${proxy.port}`, { reconnect: FAST });
  const connection = next<[ServerSocket]>(server.of("/game"), "connection");
  const nsp = client.of("/game");
  await nsp.ready();
  const [socket] = await connection;
  const close = async () => {
    client.close();
    await proxy.close();
    await server.close();
  };
  return { server, proxy, client, nsp, socket, close };
}

/** Assert `got` is exactly 0..n-1: every message once, in order. */
function assertSequence(got: number[], n: number, who: string): void {
  assert.equal(got.length, n, `${who} got ${got.length} messages, expected ${n}`);
  for (let i = 0; i < n; i++) {
    if (got[i] !== i) assert.fail(`${who}: message ${i} is ${got[i]} (duplicate, loss or reorder)`);
  }
}

describe("session resume", () => {
  for (const scheme of ["tcp", "ws"] as const) {
    it(`10,000 numbered messages each way across 5 forced cuts arrive exactly once, in order (${scheme})`, async () => {
      await tenThousand(scheme);
    });
  }

  it("a half-dead link the server has not noticed is taken over by the resume", async () => {
    const { proxy, client, nsp, socket, close } = await setup({
      pingInterval: 50,
      pingTimeout: 150,
    });
    const atServer: number[] = [];
    const atClient: number[] = [];
    socket.on("n", (i) => void atServer.push(i as number));
    nsp.on("n", (i) => void atClient.push(i as number));
    let detached = 0;
    socket.on("link-lost", () => detached++);
    for (let i = 0; i < 50; i++) {
      nsp.emit("n", i);
      socket.emit("n", i);
    }
    await until(() => atClient.length === 50 && atServer.length === 50, 5_000, "first half");
    // Server-to-client bytes vanish; the client's own frames still reach the server, so the
    // server sees a live link while the client times out and reconnects.
    proxy.freeze("to-client");
    for (let i = 50; i < 100; i++) {
      nsp.emit("n", i);
      socket.emit("n", i);
    }
    const [, resumed] = await next<[number, boolean]>(client, "reconnect", 5_000);
    assert.equal(resumed, true);
    await until(() => atClient.length >= 100 && atServer.length >= 100, 5_000, "second half");
    await sleep(50);
    assertSequence(atServer, 100, "server");
    assertSequence(atClient, 100, "client");
    assert.equal(detached, 0, "the server never saw the old link die");
    await until(() => proxy.open === 1, 2_000, "the old link closed by the server");
    await close();
  });

  it("a resume whose welcome is lost with the link still resumes on the next attempt", async () => {
    const { server, proxy, client, nsp, socket, close } = await setup();
    const atClient: number[] = [];
    const atServer: number[] = [];
    nsp.on("n", (i) => void atClient.push(i as number));
    socket.on("n", (i) => void atServer.push(i as number));
    let restored = 0;
    socket.on("link-restored", () => restored++);
    proxy.refusing = true;
    proxy.cut();
    await until(() => !socket.linked, 2_000, "detached");
    for (let i = 0; i < 20; i++) {
      socket.emit("n", i);
      nsp.emit("n", i);
    }
    // The next link carries the hello, and the server resumes and replays on it, but
    // the welcome and the replay never reach the client: that link dies too.
    proxy.cutOnReply = 1;
    proxy.refusing = false;
    const [, resumed] = await next<[number, boolean]>(client, "reconnect", 5_000);
    assert.equal(resumed, true);
    assert.equal(restored, 2, "resumed twice on the server: the lost welcome, then this one");
    await until(() => atClient.length >= 20 && atServer.length >= 20, 3_000, "replays");
    await sleep(50);
    assertSequence(atClient, 20, "client");
    assertSequence(atServer, 20, "server");
    assert.equal(server.sessions.size, 1);
    await close();
  });

  it("the UDP binding is made again after a resume, and volatile messages use it", async () => {
    const server = new GameSocketServer();
    server.of("/game");
    const ports = await server.listen({ tcp: 0, udp: 0, hostname: "127.0.0.1" });
    const proxy = await CutProxy.start(ports.tcp!); // the stream goes through the proxy, UDP not
    const client = await connect(proxy.url, { reconnect: FAST });
    const connection = next<[ServerSocket]>(server.of("/game"), "connection");
    const nsp = client.of("/game");
    await nsp.ready();
    const [socket] = await connection;
    const bound = () => client.udp.state === "bound" && socket.udp.state === "bound";
    await until(bound, 5_000, "first UDP binding");
    const reconnected = next<[number, boolean]>(client, "reconnect", 3_000);
    let udpWhileDetached = "";
    socket.once("link-lost", () => udpWhileDetached = socket.udp.state);
    proxy.cut();
    assert.equal((await reconnected)[1], true);
    assert.ok(udpWhileDetached !== "" && udpWhileDetached !== "bound", "released with the link");
    await until(bound, 5_000, "UDP binding after the resume");
    const got: number[] = [];
    nsp.on("v", (x) => void got.push(x as number));
    const sentBefore = socket.udp.stats.framesSent;
    for (let i = 0; i < 5 && got.length === 0; i++) {
      socket.volatile.emit("v", i);
      await sleep(20);
    }
    await until(() => got.length > 0, 2_000, "a volatile message");
    assert.ok(socket.udp.stats.framesSent > sentBefore, "it went over UDP");
    client.close();
    await proxy.close();
    await server.close();
  });

  it("volatile messages are not replayed; reliable ones are, both ways", async () => {
    const { proxy, client, nsp, socket, close } = await setup();
    const atServer: string[] = [];
    const atClient: string[] = [];
    socket.on("r", (x) => void atServer.push(`r${x}`));
    socket.on("v", (x) => void atServer.push(`v${x}`));
    nsp.on("r", (x) => void atClient.push(`r${x}`));
    nsp.on("v", (x) => void atClient.push(`v${x}`));
    const lost = next<[string]>(socket, "link-lost");
    proxy.refusing = true;
    proxy.cut();
    assert.equal((await lost)[0], "transport-close");
    assert.equal(socket.linked, false);
    assert.equal(socket.connected, true, "still in its namespace and rooms while detached");
    await until(() => client.state === "reconnecting", 2_000, "client reconnecting");
    for (let i = 0; i < 3; i++) {
      assert.equal(socket.volatile.emit("v", i), false, "dropped while detached");
      assert.equal(nsp.volatile.emit("v", i), false, "dropped while reconnecting");
      socket.emit("r", i);
      nsp.emit("r", i);
    }
    const restored = next(socket, "link-restored");
    proxy.refusing = false;
    await restored;
    await until(() => atServer.length >= 3 && atClient.length >= 3, 5_000, "replay");
    await sleep(50);
    assert.deepEqual(atServer, ["r0", "r1", "r2"]);
    assert.deepEqual(atClient, ["r0", "r1", "r2"]);
    assert.equal(socket.linked, true);
    await close();
  });
});

/** 10,000 numbered messages each way, the link cut 5 times while they flow. */
async function tenThousand(scheme: "tcp" | "ws"): Promise<void> {
  const N = 10_000;
  const CUTS = 5;
  // 40 messages a millisecond is above the default rate limits: raise them.
  const { server, proxy, client, nsp, socket, close } = await setup({
    limits: { maxMessagesPerSecond: 1_000_000, maxBytesPerSecond: 1 << 30 },
  }, scheme);
  const atServer: number[] = [];
  const atClient: number[] = [];
  socket.on("n", (i) => void atServer.push(i as number));
  nsp.on("n", (i) => void atClient.push(i as number));
  const reconnects: boolean[] = [];
  client.on("reconnect", (_attempt, resumed) => void reconnects.push(resumed));
  let failures = 0;
  client.on("resume_failed", () => failures++);
  let connections = 0;
  server.of("/game").on("connection", () => connections++);

  let fromClient = 0;
  let fromServer = 0;
  let cuts = 0;
  let inFlight = 0;
  for (let turn = 0; turn < 10_000 && (fromClient < N || fromServer < N); turn++) {
    // 40 each way per turn, whether the link is up or not: the offline queue and the
    // server's replay buffer carry what is sent while it is down.
    for (let k = 0; k < 40; k++) {
      if (fromClient < N) nsp.emit("n", fromClient++);
      if (fromServer < N) socket.emit("n", fromServer++);
    }
    const due = Math.floor(((cuts + 1) * N) / (CUTS + 1));
    if (cuts < CUTS && fromClient >= due && client.state === "open" && proxy.open > 0) {
      // What was just emitted is still queued in this turn: the cut loses it on the wire.
      inFlight += fromServer - atClient.length + fromClient - atServer.length;
      if (proxy.cut() > 0) cuts++;
    }
    await sleep(1);
  }
  assert.equal(cuts, CUTS);
  assert.ok(inFlight >= CUTS * 80, `cut mid-stream (${inFlight} messages in flight at the cuts)`);
  await until(
    () => atServer.length >= N && atClient.length >= N,
    30_000,
    `all messages (server ${atServer.length}, client ${atClient.length})`,
  );
  await sleep(50); // a duplicate would arrive now
  assertSequence(atServer, N, "server");
  assertSequence(atClient, N, "client");
  assert.deepEqual(reconnects, [true, true, true, true, true], "every reconnection resumed");
  assert.equal(failures, 0);
  assert.equal(connections, 0, "the same server socket the whole time");
  assert.equal(proxy.accepted, 1 + CUTS);
  assert.ok(socket.connected && socket.linked);
  assert.equal(server.sessions.size, 1);
  await close();
}
