// Issue 3: handshake, middleware, namespaces multiplexed on one connection, close.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { GameSocketError } from "../core/errors.ts";
import { connect, next, startServer, until } from "./helpers.ts";

describe("connection", () => {
  it("connect() completes the handshake and gets a socket id and the server's limits", async () => {
    const { server, url } = await startServer({ limits: { maxEventNameLength: 40 } });
    const client = await connect(url);
    assert.equal(client.state, "open");
    assert.match(client.sid, /^[0-9a-f-]{36}$/);
    assert.equal(client.limits.maxEventNameLength, 40);
    client.close();
    await server.close();
  });

  it("listen() on port 0 reports the bound port", async () => {
    const { server, port } = await startServer();
    assert.ok(port > 0 && port < 65536);
    await server.close();
  });

  it("connect() to a closed port rejects with ERR_CONNECT_FAILED", async () => {
    const { server, url } = await startServer();
    await server.close();
    await assert.rejects(connect(url, { connectTimeout: 2_000 }), (e: GameSocketError) => {
      assert.equal(e.code, "ERR_CONNECT_FAILED");
      return true;
    });
  });

  it("middleware can refuse a namespace with a reason and a code the client receives", async () => {
    const { server, url } = await startServer({}, (s) => {
      s.of("/vip").use((_socket, auth) => {
        if ((auth as { key?: string })?.key !== "gold") {
          throw Object.assign(new Error("Members only"), { code: "not-a-member" });
        }
      });
    });
    const client = await connect(url);
    const refused = client.of("/vip", { key: "bronze" });
    const [error] = await next<[GameSocketError]>(refused, "connect_error");
    assert.equal(error.code, "ERR_CONNECT_REFUSED");
    assert.match(error.message, /Members only/);
    assert.match(error.message, /not-a-member/);
    await assert.rejects(refused.ready());
    const admitted = client.of("/admin-less");
    await assert.rejects(admitted.ready(), /does not exist/);
    client.close();
    await server.close();
  });

  it("an unknown namespace gets ERR_UNKNOWN_NAMESPACE and leaves the others working", async () => {
    const { server, url } = await startServer({}, (s) => {
      s.of("/home").on("connection", (socket) => socket.on("ping-me", (_p, ack) => ack?.("pong")));
    });
    const client = await connect(url);
    const home = client.of("/home");
    const nowhere = client.of("/nowhere");
    await assert.rejects(
      nowhere.ready(),
      (e: GameSocketError) => e.code === "ERR_UNKNOWN_NAMESPACE",
    );
    assert.equal(await home.emitWithAck("ping-me"), "pong");
    client.close();
    await server.close();
  });

  it("several namespaces share one connection; leaving one keeps the others", async () => {
    const { server, url } = await startServer({}, (s) => {
      for (const name of ["/", "/home", "/chat"]) {
        s.of(name).on("connection", (socket) => socket.on("where", (_p, ack) => ack?.(name)));
      }
    });
    const client = await connect(url);
    const root = client.of("/");
    const home = client.of("/home");
    const chat = client.of("/chat");
    await Promise.all([root.ready(), home.ready(), chat.ready()]);
    assert.equal(server.sessions.size, 1, "one connection carries all namespaces");
    assert.equal(await home.emitWithAck("where"), "/home");
    const [[reason]] = await Promise.all([
      next<[string]>(server.of("/home").sockets.values().next().value!, "disconnect"),
      Promise.resolve(home.close()),
    ]);
    assert.equal(reason, "namespace-leave");
    assert.equal(server.of("/home").sockets.size, 0);
    assert.equal(await chat.emitWithAck("where"), "/chat");
    assert.equal(await root.emitWithAck("where"), "/");
    client.close();
    await server.close();
  });

  it("closing the connection removes its socket from every namespace (the seed leaked all but one)", async () => {
    const names = ["/", "/a", "/b", "/c"];
    const { server, url } = await startServer({}, (s) => names.forEach((n) => s.of(n)));
    const client = await connect(url);
    const nsps = names.map((n) => client.of(n));
    await Promise.all(nsps.map((n) => n.ready()));
    await Promise.all(nsps.map((n) => n.join("lobby")));
    for (const n of names) {
      assert.equal(server.of(n).sockets.size, 1);
      assert.equal(server.of(n).rooms.rooms.get("lobby")?.size, 1);
    }
    client.close();
    await until(() => server.sessions.size === 0, 5_000, "session cleanup");
    for (const n of names) {
      assert.equal(server.of(n).sockets.size, 0, `${n} sockets`);
      assert.equal(server.of(n).rooms.rooms.size, 0, `${n} rooms`);
      assert.equal(server.of(n).rooms.sids.size, 0, `${n} room members`);
    }
    await server.close();
  });

  it("server.close() tells every client server-shutdown and resolves when all are closed", async () => {
    const { server, url } = await startServer();
    const clients = await Promise.all([connect(url), connect(url), connect(url)]);
    const reasons = clients.map((c) => next<[string]>(c, "disconnect"));
    await server.close();
    assert.equal(server.sessions.size, 0);
    for (const r of await Promise.all(reasons)) assert.equal(r[0], "server-shutdown");
    assert.ok(clients.every((c) => c.state === "closed"));
  });

  it("client.close() reaches the server as client-close", async () => {
    const { server, url } = await startServer();
    const client = await connect(url);
    const home = client.of("/");
    await home.ready();
    const socket = server.of("/").sockets.values().next().value!;
    const reason = next<[string]>(socket, "disconnect");
    client.close();
    assert.equal((await reason)[0], "client-close");
    await server.close();
  });
});
