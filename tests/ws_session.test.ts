// The whole session over WebSocket, as over TCP: handshake, namespaces, rooms, events, acks,
// heartbeats, reasons, limits; and TCP and WebSocket clients of one server in the same room.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { GameSocketServer, type ServerOptions } from "../server.ts";
import { GameSocketClient } from "../client.ts";
import type { GameSocketError } from "../core/errors.ts";
import type { ServerSocket } from "../core/socket.ts";
import { encodePacket } from "../protocol/packet.ts";
import { type Packet, PacketKind, PROTOCOL_VERSION } from "../protocol/types.ts";
import { runtimeName } from "../runtime/auto.ts";
import { browserRuntime } from "../runtime/ws_browser.ts";
import { collect, next, sleep, until } from "./helpers.ts";
import { maskedFrame, rawHandshake, rawWebSocket } from "./ws_helpers.ts";

const HELLO: Packet = {
  kind: PacketKind.Hello,
  version: PROTOCOL_VERSION,
  resumeToken: "",
  received: 0,
};

/** A server on TCP and WebSocket at once (loopback, free ports). */
async function startBoth(
  options: ServerOptions = {},
  setup: (s: GameSocketServer) => void = () => {},
) {
  const server = new GameSocketServer(options);
  setup(server);
  const { tcp, ws } = await server.listen({ tcp: 0, ws: 0, hostname: "127.0.0.1" });
  return { server, tcpUrl: `tcp://127.0.0.1:${tcp}`, wsUrl: `ws://127.0.0.1:${ws}/` };
}

async function homeOf(url: string) {
  const client = await GameSocketClient.connect(url);
  const home = client.of("/home");
  await home.ready();
  return { client, home };
}

describe(`session over WebSocket (${runtimeName()})`, () => {
  it("connects over ws://, gets the limits, and shares the server with TCP clients", async () => {
    const { server, tcpUrl, wsUrl } = await startBoth({ limits: { maxEventNameLength: 40 } });
    const ws = await GameSocketClient.connect(wsUrl);
    const tcp = await GameSocketClient.connect(tcpUrl);
    assert.equal(ws.state, "open");
    assert.equal(ws.transport!.kind, "ws");
    assert.equal(tcp.transport!.kind, "tcp");
    assert.equal(ws.limits.maxEventNameLength, 40);
    assert.match(ws.sid, /^[0-9a-f-]{36}$/);
    assert.equal(server.sessions.size, 2);
    const kinds = [...server.sessions].map((s) => s.transport.kind).sort();
    assert.deepEqual(kinds, ["tcp", "ws"]);
    ws.close();
    tcp.close();
    await server.close();
  });

  it("a TCP client and a WebSocket client in one room receive each other's broadcasts", async () => {
    const { server, tcpUrl, wsUrl } = await startBoth({}, (s) => {
      s.of("/home").on("connection", (socket) => {
        socket.on("shout", (text) => socket.to("lobby").emit("shout", text));
      });
    });
    const w = await homeOf(wsUrl);
    const t = await homeOf(tcpUrl);
    const outsider = await homeOf(wsUrl);
    await Promise.all([w.home.join("lobby"), t.home.join("lobby")]);
    const [heardByWs, heardByTcp, heardOutside] = [w, t, outsider].map((c) =>
      collect(c.home, "shout")
    );
    t.home.emit("shout", "from tcp");
    w.home.emit("shout", "from ws");
    await until(() => heardByWs!.length === 1 && heardByTcp!.length === 1, 5_000, "both shouts");
    assert.deepEqual(heardByWs, ["from tcp"]);
    assert.deepEqual(heardByTcp, ["from ws"]);
    server.of("/home").to("lobby").emit("shout", "from the server");
    await until(() => heardByWs!.length === 2 && heardByTcp!.length === 2, 5_000, "server shout");
    assert.deepEqual(heardOutside, [], "a socket outside the room hears nothing");
    for (const c of [w, t, outsider]) c.client.close();
    await server.close();
  });

  it("namespaces share one WebSocket; refusals and unknown namespaces carry codes", async () => {
    const { server, wsUrl } = await startBoth({}, (s) => {
      for (const name of ["/", "/home", "/chat"]) {
        s.of(name).on("connection", (socket) => socket.on("where", (_p, ack) => ack?.(name)));
      }
      s.of("/vip").use(() => {
        throw Object.assign(new Error("Members only"), { code: "not-a-member" });
      });
    });
    const client = await GameSocketClient.connect(wsUrl);
    const [home, chat] = [client.of("/home"), client.of("/chat")];
    await Promise.all([home.ready(), chat.ready()]);
    assert.equal(server.sessions.size, 1);
    assert.equal(await chat.emitWithAck("where"), "/chat");
    await assert.rejects(client.of("/vip").ready(), /Members only.*not-a-member/);
    await assert.rejects(
      client.of("/nowhere").ready(),
      (e: GameSocketError) => e.code === "ERR_UNKNOWN_NAMESPACE",
    );
    const left = next<[string]>(server.of("/chat").sockets.get(chat.sid)!, "disconnect");
    chat.close();
    assert.equal((await left)[0], "namespace-leave");
    assert.equal(await home.emitWithAck("where"), "/home", "the others stay");
    client.close();
    await server.close();
  });

  it("events carry JSON, bytes and nothing both ways; acks work in both directions", async () => {
    let serverSocket: ServerSocket | undefined;
    const { server, wsUrl } = await startBoth({}, (s) => {
      s.of("/home").on("connection", (socket) => {
        serverSocket = socket;
        socket.on("echo", (payload) => socket.emit("echo", payload));
        socket.on("buy", (item, ack) => ack?.({ bought: item }));
      });
    });
    const { client, home } = await homeOf(wsUrl);
    const echoes = collect(home, "echo");
    const values = [{ a: [1, "two", null] }, new Uint8Array([0, 255, 7]), undefined, "héllo 🎮"];
    for (const v of values) home.emit("echo", v);
    await until(() => echoes.length === values.length, 5_000, "echoes");
    assert.deepEqual(echoes, values);
    assert.deepEqual(await home.emitWithAck("buy", 4), { bought: 4 });
    home.on("quiz", (q, ack) => ack?.(`answer to ${q}`));
    assert.equal(await serverSocket!.emitWithAck("quiz", "life"), "answer to life");
    await assert.rejects(
      home.emitWithAck("nobody-answers", 1, { timeout: 50 }),
      (e: GameSocketError) => e.code === "ERR_ACK_TIMEOUT",
    );
    client.close();
    await server.close();
  });

  it("heartbeats measure RTT on both sides and drop a silent WebSocket peer with ping-timeout", async () => {
    const { server, wsUrl } = await startBoth(
      { pingInterval: 40, pingTimeout: 150, resumeWindow: 0 }, // no wait for a resume
      (s) => {
        s.of("/home");
      },
    );
    const { client, home } = await homeOf(wsUrl);
    const socket = server.of("/home").sockets.get(home.sid)!;
    await until(() => socket.rtt > 0 && client.rtt > 0, 3_000, "both RTTs");
    client.transport!.send = () => {}; // the client goes silent
    const started = Date.now();
    const [reason] = await next<[string]>(socket, "disconnect", 3_000);
    assert.equal(reason, "ping-timeout");
    assert.ok(Date.now() - started < 190 + 1_500, "within interval + timeout (with slack)");
    client.close();
    await server.close();
  });

  it("reasons reach the other side: kicked, client-close, server-shutdown", async () => {
    const { server, wsUrl } = await startBoth({}, (s) => s.of("/home"));
    const a = await homeOf(wsUrl);
    const kicked = next<[string]>(a.home, "disconnect");
    server.of("/home").sockets.get(a.home.sid)!.disconnect();
    assert.equal((await kicked)[0], "kicked");
    a.client.close();

    const b = await homeOf(wsUrl);
    const left = next<[string]>(server.of("/home").sockets.get(b.home.sid)!, "disconnect");
    b.client.close();
    assert.equal((await left)[0], "client-close");

    const c = await homeOf(wsUrl);
    const shutdown = next<[string]>(c.client, "disconnect");
    await server.close();
    assert.equal((await shutdown)[0], "server-shutdown");
    assert.equal(server.sessions.size, 0);
  });

  it("a message over maxFrameSize is refused: frame-too-large on the server, 1009 at the client", async () => {
    const { server, wsUrl } = await startBoth({ maxFrameSize: 4096 }, (s) => s.of("/home"));
    const { client, home } = await homeOf(wsUrl);
    const socket = server.of("/home").sockets.get(home.sid)!;
    const serverReason = next<[string]>(socket, "disconnect");
    const clientGone = next<[string, string]>(client, "disconnect");
    assert.throws(() => home.emit("big", new Uint8Array(8192)), /maxFrameSize/, "refused locally");
    client.transport!.send(new Uint8Array(8192)); // a client that ignores the limit
    assert.equal((await serverReason)[0], "frame-too-large");
    // ws and Bun close with 1009 before the goodbye: the client reads the reason from the close.
    const [reason, message] = await clientGone;
    assert.equal(reason, "frame-too-large");
    assert.match(message, /maxFrameSize|too big/i);
    client.close();
    await server.close();
  });

  it("the browser runtime connects with the global WebSocket and refuses tcp://", {
    skip: !("WebSocket" in globalThis) && "no global WebSocket here (Node 20)",
  }, async () => {
    const { server, tcpUrl, wsUrl } = await startBoth({}, (s) => {
      s.of("/home").on("connection", (socket) => socket.on("hi", (_p, ack) => ack?.("hello")));
    });
    const runtime = browserRuntime();
    const client = await GameSocketClient.connect(wsUrl, { runtime });
    assert.equal(await client.of("/home").emitWithAck("hi"), "hello");
    await assert.rejects(
      GameSocketClient.connect(tcpUrl, { runtime }),
      /Cannot use TCP in a browser: connect with a ws:\/\/ or wss:\/\/ URL/,
    );
    client.close();
    await server.close();
  });

  it("a WebSocket peer that stops reading is cut with slow-consumer", async () => {
    let reason = "";
    const { server, wsUrl } = await startBoth({
      resumeWindow: 0,
      limits: { maxBufferedBytes: 512 * 1024 },
    }, (s) => s.of("/").on("connection", (socket) => socket.on("disconnect", (r) => reason = r)));
    const raw = await rawHandshake(Number(new URL(wsUrl).port));
    raw.on("error", () => {});
    raw.write(maskedFrame(encodePacket(HELLO)));
    const join: Packet = { kind: PacketKind.Connect, name: "/", auth: { type: "none" } };
    raw.write(maskedFrame(encodePacket(join)));
    await until(() => server.of("/").sockets.size === 1, 5_000, "the raw peer's socket");
    raw.pause(); // reads nothing from now on
    const blob = new Uint8Array(32 * 1024);
    // Kernel buffers hold a few MiB before the server's queue grows: bounded at 40 MiB.
    for (let i = 0; i < 1_280 && !reason; i++) {
      server.of("/").emit("blob", blob);
      if (i % 8 === 7) await sleep(1);
    }
    await until(() => reason !== "", 5_000, "disconnect");
    assert.equal(reason, "slow-consumer");
    raw.destroy();
    await server.close();
  });

  it("a text message closes the connection with 1003 and a reason", async () => {
    const { server, wsUrl } = await startBoth();
    const raw = await rawWebSocket(wsUrl);
    raw.ws.send(encodePacket(HELLO));
    await until(() => raw.messages.length > 0, 5_000, "welcome");
    raw.ws.send("not a frame");
    const { code, reason } = await raw.closed;
    assert.equal(code, 1003);
    assert.match(reason, /text message/);
    await until(() => server.sessions.size === 0, 5_000, "session gone");
    await server.close();
  });
});
