// Raw bytes (`sendRaw` / the "raw" event) in both directions: what is sent is what arrives, and
// what a handler gets is its own copy, even when the sender passed a Node `Buffer` and reused it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { ServerSocket } from "../core/socket.ts";
import { connect, next, startServer, until } from "./helpers.ts";

describe("raw bytes", () => {
  it("a Buffer sent before the namespace connects arrives as it was, even when the sender reuses it", async () => {
    const got: Uint8Array[] = [];
    const sockets: ServerSocket[] = [];
    const { server, url } = await startServer({}, (s) =>
      s.of("/raw").on("connection", (socket) => {
        sockets.push(socket);
        socket.on("raw", (bytes: Uint8Array) => void got.push(bytes));
      }));
    const client = await connect(url);
    try {
      const nsp = client.of("/raw");
      const buffer = Buffer.from([1, 2, 3, 4]);
      nsp.sendRaw(buffer); // queued until the namespace connects
      buffer.fill(9); // the game reuses its buffer at once
      nsp.sendRaw(buffer);
      await until(() => got.length === 2, 3_000, "two raw messages");
      assert.deepEqual([...got[0]!], [1, 2, 3, 4]);
      assert.deepEqual([...got[1]!], [9, 9, 9, 9]);

      // Server to client: each handler's bytes are a copy that later messages do not touch.
      const first = next<[Uint8Array]>(nsp, "raw", 3_000);
      sockets[0]!.sendRaw(new Uint8Array([5, 6]));
      const [kept] = await first;
      const second = next<[Uint8Array]>(nsp, "raw", 3_000);
      sockets[0]!.sendRaw(new Uint8Array([7, 8]));
      const [later] = await second;
      assert.deepEqual([...kept], [5, 6]);
      assert.deepEqual([...later], [7, 8]);
      assert.equal(kept.constructor, Uint8Array, "a plain Uint8Array, whatever the transport read");
    } finally {
      client.close();
      await server.close(0);
    }
  });
});
