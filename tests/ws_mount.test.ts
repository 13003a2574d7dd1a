// A game's page and its socket on one port: server.attach(node:http) on every runtime, and
// server.handler() for Deno.serve and Bun.serve.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { GameSocketServer } from "../server.ts";
import { GameSocketClient } from "../client.ts";
import { runtimeName } from "../runtime/auto.ts";
import { binaryHeader, closeFrameOf, rawHandshake, rawWebSocket } from "./ws_helpers.ts";

const PAGE = "<!doctype html><title>game</title>";

function gameServer(): GameSocketServer {
  const server = new GameSocketServer();
  server.of("/home").on("connection", (socket) => {
    socket.on("hello", (text, ack) => ack?.(`hi ${text}`));
  });
  return server;
}

async function helloOver(url: string): Promise<unknown> {
  const client = await GameSocketClient.connect(url);
  try {
    return await client.of("/home").emitWithAck("hello", "there");
  } finally {
    client.close();
  }
}

describe(`mounting the WebSocket endpoint (${runtimeName()})`, () => {
  it("attach() serves the socket at a path of a node:http server that also serves the page", async () => {
    const web = http.createServer((_req, res) => res.end(PAGE));
    const server = gameServer();
    server.attach(web, { path: "/ws" });
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    const port = (web.address() as AddressInfo).port;
    try {
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await page.text(), PAGE);
      assert.equal(await helloOver(`ws://127.0.0.1:${port}/ws`), "hi there");
      await assert.rejects(rawWebSocket(`ws://127.0.0.1:${port}/elsewhere`), "other paths refused");
    } finally {
      await server.close();
      web.closeAllConnections();
      await new Promise((resolve) => web.close(resolve));
    }
  });

  it("attach() leaves other upgrade paths to the other listeners", async () => {
    const web = http.createServer();
    const server = gameServer();
    server.attach(web, { path: "/game" });
    const others: string[] = [];
    web.on("upgrade", (req, socket) => {
      if (req.url !== "/game") {
        others.push(req.url!);
        socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      }
    });
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    const port = (web.address() as AddressInfo).port;
    try {
      assert.equal(await helloOver(`ws://127.0.0.1:${port}/game`), "hi there");
      await assert.rejects(rawWebSocket(`ws://127.0.0.1:${port}/chat`));
      assert.deepEqual(others, ["/chat"]);
    } finally {
      await server.close();
      web.closeAllConnections();
      await new Promise((resolve) => web.close(resolve));
    }
  });

  it("attach() refuses an oversize message on its declared length (1009)", async () => {
    const web = http.createServer();
    const server = new GameSocketServer({ maxFrameSize: 1024 });
    server.attach(web, { path: "/ws" });
    await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
    const port = (web.address() as AddressInfo).port;
    const socket = await rawHandshake(port, "/ws");
    socket.on("error", () => {});
    try {
      const closed = closeFrameOf(socket);
      socket.write(binaryHeader(1 << 30));
      assert.equal((await closed).code, 1009);
    } finally {
      socket.destroy();
      await server.close();
      web.closeAllConnections();
      await new Promise((resolve) => web.close(resolve));
    }
  });

  it("handler() is for Deno.serve and Bun.serve; on Node it says to use attach()", {
    skip: runtimeName() !== "node" && "Node only",
  }, () => {
    assert.throws(() => gameServer().handler(), /use server\.attach\(\)/);
  });

  it("handler() serves the page and the socket from one Deno.serve / Bun.serve port", {
    skip: runtimeName() === "node" && "Deno.serve and Bun.serve only",
  }, async () => {
    const server = gameServer();
    const handler = server.handler({
      path: "/ws",
      fallback: () => new Response(PAGE, { headers: { "content-type": "text/html" } }),
    });
    const { port, stop } = serveFetch(handler);
    try {
      const page = await fetch(`http://127.0.0.1:${port}/index.html`);
      assert.equal(await page.text(), PAGE);
      assert.equal(await helloOver(`ws://127.0.0.1:${port}/ws`), "hi there");
      const raw = await rawWebSocket(`ws://127.0.0.1:${port}/ws`);
      raw.ws.send("text");
      const { code, reason } = await raw.closed;
      assert.equal(code, 1003);
      assert.match(reason, /text message/);
    } finally {
      await server.close();
      await stop();
    }
  });

  it("handler() refuses an oversize message with 1009 (Deno: once it has arrived)", {
    skip: runtimeName() === "node" && "Deno.serve and Bun.serve only",
  }, async () => {
    const server = new GameSocketServer({ maxFrameSize: 1024 });
    const { port, stop } = serveFetch(server.handler({ path: "/" }));
    try {
      const raw = await rawWebSocket(`ws://127.0.0.1:${port}/`);
      raw.ws.send(new Uint8Array(100_000));
      assert.equal((await raw.closed).code, 1009);
    } finally {
      await server.close();
      await stop();
    }
  });
});

/** Serve a fetch handler with Deno.serve or Bun.serve on a free loopback port. */
function serveFetch(
  handler: ReturnType<GameSocketServer["handler"]>,
): { port: number; stop: () => Promise<void> } {
  const g = globalThis as unknown as Record<string, never>;
  if (runtimeName() === "deno") {
    const deno = g.Deno as unknown as {
      serve(o: object, h: unknown): { addr: { port: number }; shutdown(): Promise<void> };
    };
    const s = deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler.fetch);
    return { port: s.addr.port, stop: () => s.shutdown() };
  }
  const bun = g.Bun as unknown as {
    serve(o: object): { port: number; stop(force?: boolean): Promise<void> | void };
  };
  const s = bun.serve({ port: 0, hostname: "127.0.0.1", ...handler });
  return { port: s.port, stop: async () => void await s.stop(true) };
}
