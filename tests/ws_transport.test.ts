// WebSocket adapters through runtime/auto.ts (so each runtime tests its own listen/connect):
// one frame per binary message, text and oversize messages refused with a close code and a
// reason, close semantics, backpressure. Runs under node (tsx), deno test and bun test.
import assert from "node:assert/strict";
import type * as net from "node:net";
import { afterEach, describe, it } from "node:test";
import { connectWs, listenWs, runtimeName } from "../runtime/auto.ts";
import { encodePacket } from "../protocol/packet.ts";
import { PacketKind } from "../protocol/types.ts";
import type { ProtocolError } from "../protocol/errors.ts";
import type { Listener, Transport, TransportHandlers } from "../runtime/types.ts";
import { binaryHeader, closeFrameOf, rawHandshake, rawWebSocket } from "./ws_helpers.ts";

const HOST = "127.0.0.1";
const opened: (() => unknown)[] = [];
function track<T extends { close(): unknown } | net.Socket>(thing: T): T {
  opened.push(() => "destroy" in thing ? thing.destroy() : thing.close());
  return thing;
}
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

/** Byte equality (Bun's deepEqual takes seconds on large typed arrays). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Handlers that record what they are told; `closeOnError` acts as the core does. */
class Recorder implements TransportHandlers {
  frames: Uint8Array[] = [];
  errors: Error[] = [];
  closes: (Error | undefined)[] = [];
  drains = 0;
  transport: Transport | undefined;
  constructor(readonly closeOnError = false) {}
  frame(frame: Uint8Array): void {
    this.frames.push(new Uint8Array(frame)); // a copy, also of a Buffer
  }
  error(error: Error): void {
    this.errors.push(error);
    if (this.closeOnError) this.transport?.close();
  }
  close(error?: Error): void {
    this.closes.push(error);
  }
  drain(): void {
    this.drains++;
  }
  get closed(): boolean {
    return this.closes.length > 0;
  }
}

async function serve(maxFrameSize = 1 << 20, closeOnError = true) {
  const s = new Recorder(closeOnError);
  let server: Transport | undefined;
  const listener: Listener = track(
    await listenWs({ port: 0, hostname: HOST, maxFrameSize }, (t) => {
      server = s.transport = track(t);
      return s;
    }),
  );
  return { listener, s, server: () => server, url: `ws://${HOST}:${listener.port}/` };
}

describe(`runtime WebSocket adapter (${runtimeName()})`, () => {
  it("carries frames both ways as binary messages and reports the peer", async () => {
    const { s, server, url } = await serve();
    const c = new Recorder();
    const client = track(await connectWs({ url, maxFrameSize: 1 << 20 }, c));
    assert.equal(client.kind, "ws");
    client.send(new Uint8Array([1, 2, 3]));
    await until(() => s.frames.length === 1, "frame at server");
    assert.deepEqual(s.frames[0], new Uint8Array([1, 2, 3]));
    assert.equal(server()!.kind, "ws");
    assert.equal(server()!.remoteAddress, HOST);
    assert.ok(server()!.remotePort > 0);
    server()!.send(new Uint8Array([]));
    server()!.send(new Uint8Array([9]));
    await until(() => c.frames.length === 2, "frames at client");
    assert.deepEqual(c.frames, [new Uint8Array([]), new Uint8Array([9])]);
  });

  it("delivers 10,000 frames sent in one turn in order, and frames above 64 KiB intact", async () => {
    const { s, url } = await serve();
    const client = track(await connectWs({ url, maxFrameSize: 1 << 20 }, new Recorder()));
    const big = new Uint8Array(200_000).map((_, i) => i * 7);
    for (let i = 0; i < 10_000; i++) client.send(new Uint8Array([i & 0xff, i >> 8]));
    client.send(big);
    await until(() => s.frames.length === 10_001, "10,001 frames");
    for (let i = 0; i < 10_000; i++) {
      assert.deepEqual(s.frames[i], new Uint8Array([i & 0xff, i >> 8]));
    }
    assert.ok(sameBytes(s.frames[10_000]!, big), "the 200 kB frame is intact");
  });

  it("the caller may reuse a frame's buffer as soon as send() returns", async () => {
    const { s, url } = await serve();
    const client = track(await connectWs({ url, maxFrameSize: 1 << 20 }, new Recorder()));
    const buf = new Uint8Array([1, 1, 1]);
    client.send(buf);
    buf.fill(2);
    client.send(buf);
    await until(() => s.frames.length === 2, "2 frames");
    assert.deepEqual(s.frames, [new Uint8Array([1, 1, 1]), new Uint8Array([2, 2, 2])]);
  });

  it("refuses a text message: ERR_BAD_PAYLOAD to the owner, close 1003 with a reason to the peer", async () => {
    const { s, url } = await serve();
    const raw = await rawWebSocket(url);
    raw.ws.send(new Uint8Array([7]));
    raw.ws.send("hello");
    raw.ws.send(new Uint8Array([8])); // never delivered
    const { code, reason } = await raw.closed;
    assert.equal(code, 1003);
    assert.match(reason, /^protocol-error: Cannot accept a text message/);
    assert.deepEqual(s.frames, [new Uint8Array([7])]);
    assert.equal(s.errors.length, 1);
    assert.equal((s.errors[0] as ProtocolError).code, "ERR_BAD_PAYLOAD");
    await until(() => s.closed, "server close");
  });

  it("refuses a message over maxFrameSize on its declared length, before any of it arrives", async () => {
    const { s, url, listener } = await serve(1024);
    const ok = await rawWebSocket(url);
    ok.ws.send(new Uint8Array(1024)); // exactly the limit: fine
    await until(() => s.frames.length === 1, "frame at the limit");
    ok.ws.close();
    const socket = track(await rawHandshake(listener.port));
    socket.on("error", () => {});
    const closeFrame = closeFrameOf(socket);
    socket.write(binaryHeader(1 << 30)); // declares 1 GiB, sends none of it
    const { code, reason } = await closeFrame;
    assert.equal(code, 1009);
    assert.match(reason, /frame-too-large|too big/i);
    await until(() => s.errors.length === 1, "error at the server");
    assert.equal((s.errors[0] as ProtocolError).code, "ERR_FRAME_TOO_LARGE");
  });

  it("close() sends the core's goodbye reason as the close code and reason", async () => {
    const { s, server, url } = await serve();
    const raw = await rawWebSocket(url);
    raw.ws.send(new Uint8Array([1]));
    await until(() => s.frames.length === 1, "frame");
    const bye = { kind: PacketKind.Disconnect, nsp: -1, reason: "server-shutdown", message: "Bye" };
    server()!.send(encodePacket(bye as Parameters<typeof encodePacket>[0]));
    server()!.close();
    const { code, reason } = await raw.closed;
    assert.equal(code, 1001);
    assert.equal(reason, "server-shutdown: Bye");
    assert.equal(raw.messages.length, 1, "the goodbye frame arrives before the close");
    await until(() => s.closed, "server close");
    assert.deepEqual(s.closes, [undefined]);
  });

  for (const side of ["client", "server"] as const) {
    it(`close() on the ${side} closes both ends exactly once, never inside close()`, async () => {
      const { s, server, url } = await serve();
      const c = new Recorder();
      const client = track(await connectWs({ url, maxFrameSize: 1 << 20 }, c));
      client.send(new Uint8Array([1]));
      await until(() => s.frames.length === 1, "frame");
      const closer = side === "client" ? client : server()!;
      const mine = side === "client" ? c : s;
      let inside = false;
      let reentered = false;
      const record = mine.close.bind(mine);
      mine.close = (error) => {
        reentered ||= inside;
        record(error);
      };
      closer.send(new Uint8Array([7, 7])); // flushed before the close
      inside = true;
      closer.close();
      closer.close();
      inside = false;
      closer.send(new Uint8Array([8])); // ignored after close
      await until(() => c.closed && s.closed, "both closed");
      await sleep(30);
      assert.equal(reentered, false);
      assert.deepEqual(c.closes, [undefined]);
      assert.deepEqual(s.closes, [undefined]);
      const receiver = side === "client" ? s : c;
      assert.deepEqual(receiver.frames.at(-1), new Uint8Array([7, 7]));
    });
  }

  it("listener close stops accepting and keeps open transports", async () => {
    const { s, listener, url } = await serve();
    const c = new Recorder();
    const client = track(await connectWs({ url, maxFrameSize: 1024 }, c));
    await listener.close();
    await assert.rejects(connectWs({ url, maxFrameSize: 1024 }, new Recorder()));
    client.send(new Uint8Array([5]));
    await until(() => s.frames.length === 1, "frame after listener close");
    client.close();
    await until(() => c.closed && s.closed, "both closed");
  });

  it("listen on a port in use rejects; connect to a closed port rejects", async () => {
    const { listener } = await serve();
    await assert.rejects(
      listenWs({ port: listener.port, hostname: HOST, maxFrameSize: 16 }, () => new Recorder()),
    );
    await listener.close();
    const c = new Recorder();
    await assert.rejects(connectWs({ url: `ws://${HOST}:${listener.port}/`, maxFrameSize: 16 }, c));
    await sleep(20);
    assert.equal(c.closed, false, "a failed connect tells the handlers nothing");
  });

  it("bufferedAmount grows while the peer does not read, then drains", async () => {
    const { s, server, listener } = await serve();
    const socket = track(await rawHandshake(listener.port));
    socket.pause();
    await until(() => server() !== undefined, "accept");
    const transport = server()!;
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < 400 && transport.bufferedAmount < 4 << 20; i++) {
      transport.send(chunk);
      await sleep(0);
    }
    assert.ok(transport.bufferedAmount >= 4 << 20, `bufferedAmount ${transport.bufferedAmount}`);
    let received = 0;
    socket.on("data", (d: Uint8Array) => received += d.length);
    socket.resume();
    await until(() => transport.bufferedAmount === 0 && s.drains > 0, "drain", 20_000);
    await until(() => received >= 4 << 20, "every byte at the peer", 20_000);
  });
});
