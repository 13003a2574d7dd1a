// TCP adapters (through runtime/auto.ts, so each runtime tests its own) and the memory pair.
// Runs under node (tsx), deno test and bun test. Everything opened is closed.
import assert from "node:assert/strict";
import * as net from "node:net";
import { afterEach, describe, it } from "node:test";
import { connectTcp, listenTcp, runtimeName } from "../runtime/auto.ts";
import { connectMemory, createMemoryPair, listenMemory } from "../runtime/memory.ts";
import type { Listener, Transport, TransportHandlers } from "../runtime/types.ts";
import type { ProtocolError } from "../protocol/errors.ts";

const HOST = "127.0.0.1";

/** What the running test opened; closed after each test even when it fails. */
const opened: (() => unknown)[] = [];
function track<T extends { close(): unknown } | net.Socket | net.Server>(thing: T): T {
  opened.push(() => "destroy" in thing ? thing.destroy() : thing.close());
  return thing;
}
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `cond` holds (no timer is left behind). */
async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Handlers that record what they are told (frames are copied). */
class Recorder implements TransportHandlers {
  frames: Uint8Array[] = [];
  bytes = 0;
  errors: Error[] = [];
  closes: (Error | undefined)[] = [];
  drains = 0;
  frame(frame: Uint8Array): void {
    this.frames.push(frame.slice());
    this.bytes += frame.length;
  }
  error(error: Error): void {
    this.errors.push(error);
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

interface Link {
  listener: Listener;
  client: Transport;
  server: Transport;
  c: Recorder;
  s: Recorder;
}

async function link(maxFrameSize = 1 << 20): Promise<Link> {
  const s = new Recorder();
  const c = new Recorder();
  let server: Transport | undefined;
  const listener = track(
    await listenTcp({ port: 0, hostname: HOST, maxFrameSize }, (t) => {
      server = track(t);
      return s;
    }),
  );
  const client = track(await connectTcp({ hostname: HOST, port: listener.port, maxFrameSize }, c));
  await until(() => server !== undefined, "accept");
  return { listener, client, server: server!, c, s };
}

async function unlink(l: Link): Promise<void> {
  l.client.close();
  l.server.close();
  await until(() => l.c.closed && l.s.closed, "both ends closed");
  await l.listener.close();
}

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

function indexFrame(i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 0xab, 0xcd]);
}

function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = track(net.connect({ host: HOST, port }));
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

describe(`runtime TCP adapter (${runtimeName()})`, () => {
  it("carries frames both ways and reports the peer", async () => {
    const l = await link();
    assert.equal(l.client.kind, "tcp");
    assert.equal(l.server.remoteAddress, HOST);
    assert.ok(l.server.remotePort > 0);
    assert.equal(l.client.remotePort, l.listener.port);
    l.client.send(new Uint8Array([1, 2, 3]));
    l.client.send(new Uint8Array(0));
    await until(() => l.s.frames.length === 2, "frames at server");
    assert.deepEqual(l.s.frames, [new Uint8Array([1, 2, 3]), new Uint8Array(0)]);
    const reused = new Uint8Array([9, 8]);
    l.server.send(reused);
    reused[0] = 0; // send() copied it
    await until(() => l.c.frames.length === 1, "frame at client");
    assert.deepEqual(l.c.frames[0], new Uint8Array([9, 8]));
    await unlink(l);
  });

  it("delivers 10,000 small frames sent in one turn, in order", async () => {
    const l = await link();
    for (let i = 0; i < 10_000; i++) l.client.send(indexFrame(i));
    for (let i = 0; i < 10_000; i++) l.server.send(indexFrame(i));
    await until(() => l.s.frames.length === 10_000 && l.c.frames.length === 10_000, "frames");
    for (let i = 0; i < 10_000; i++) {
      assert.deepEqual(l.s.frames[i], indexFrame(i));
      assert.deepEqual(l.c.frames[i], indexFrame(i));
    }
    await unlink(l);
  });

  it("delivers frames above 64 KiB mixed with small ones, intact", async () => {
    const l = await link(2 << 20);
    const sizes = [70_000, 1, 1 << 20, 0, 65_536, 200_000, 3, 2 << 20];
    sizes.forEach((n, i) => l.server.send(pattern(n, i)));
    sizes.forEach((n, i) => l.client.send(pattern(n, i)));
    await until(() => l.c.frames.length === sizes.length, "frames at client");
    await until(() => l.s.frames.length === sizes.length, "frames at server");
    sizes.forEach((n, i) => {
      assert.deepEqual(l.c.frames[i], pattern(n, i));
      assert.deepEqual(l.s.frames[i], pattern(n, i));
    });
    assert.equal(l.c.errors.length + l.s.errors.length, 0);
    await unlink(l);
  });

  // How many syscalls a turn costs is checked by tests/runtime_batch.test.ts (one flush per
  // turn) and was measured with strace (one write per turn on all three runtimes). Here the
  // receiver shares the sender's thread, so it sees one chunk even for per-frame writes; this
  // checks that the batch arrives whole and contiguous.
  it("delivers the frames of one turn as one contiguous chunk", async () => {
    let server: Transport | undefined;
    const s = new Recorder();
    const listener = track(
      await listenTcp({ port: 0, hostname: HOST, maxFrameSize: 1024 }, (t) => {
        server = track(t);
        return s;
      }),
    );
    const raw = await rawConnect(listener.port);
    let chunks = 0;
    let bytes = 0;
    raw.on("data", (chunk: Uint8Array) => {
      chunks++;
      bytes += chunk.length;
    });
    await until(() => server !== undefined, "accept");
    for (let i = 0; i < 200; i++) server!.send(indexFrame(i)); // 200 * 6 bytes
    await until(() => bytes === 1200, "1200 bytes");
    await sleep(20);
    assert.equal(bytes, 1200);
    assert.ok(chunks <= 2, `200 frames sent in one turn arrived in ${chunks} chunks`);
    raw.end();
    await until(() => s.closed, "server close");
    raw.destroy();
    await listener.close();
  });

  it("calls error with ERR_FRAME_TOO_LARGE on the declared length alone", async () => {
    let server: Transport | undefined;
    const s = new Recorder();
    const listener = track(
      await listenTcp({ port: 0, hostname: HOST, maxFrameSize: 1024 }, (t) => {
        server = track(t);
        return s;
      }),
    );
    const raw = await rawConnect(listener.port);
    let rawClosed = false;
    raw.on("data", () => {});
    raw.on("error", () => {});
    raw.on("close", () => rawClosed = true);
    raw.write(new Uint8Array([2, 0x41, 0x42])); // one good frame "AB"
    raw.write(new Uint8Array([0xa0, 0x8d, 0x06])); // declares 100,000 bytes; no body
    await until(() => s.errors.length === 1, "error");
    const error = s.errors[0] as ProtocolError;
    assert.equal(error.name, "ProtocolError");
    assert.equal(error.code, "ERR_FRAME_TOO_LARGE");
    assert.deepEqual(s.frames, [new Uint8Array([0x41, 0x42])]);
    raw.write(new Uint8Array([1, 0x43])); // nothing more is delivered
    await sleep(30);
    assert.equal(s.frames.length, 1);
    assert.equal(s.errors.length, 1);
    assert.equal(s.closed, false, "closing is left to the owner");
    server!.close();
    await until(() => s.closed && rawClosed, "close after error");
    assert.deepEqual(s.closes, [undefined]);
    await listener.close();
  });

  for (const side of ["client", "server"] as const) {
    it(`close() on the ${side} closes both ends exactly once`, async () => {
      const l = await link();
      l.server.send(new Uint8Array([1]));
      l.client.send(new Uint8Array([2]));
      const closer = side === "client" ? l.client : l.server;
      closer.send(new Uint8Array([7, 7])); // flushed before the close
      closer.close();
      closer.close();
      closer.send(new Uint8Array([8])); // ignored after close
      await until(() => l.c.closed && l.s.closed, "both closed");
      await sleep(30);
      assert.deepEqual(l.c.closes, [undefined]);
      assert.deepEqual(l.s.closes, [undefined]);
      const receiver = side === "client" ? l.s : l.c;
      assert.deepEqual(receiver.frames.at(-1), new Uint8Array([7, 7]));
      await l.listener.close();
    });
  }

  it("close() never calls the close handler before it returns", async () => {
    const l = await link();
    let inside = false;
    let reentered = false;
    const onClose = l.c.close.bind(l.c);
    l.c.close = (error) => {
      reentered ||= inside;
      onClose(error);
    };
    // As the core does on a goodbye packet: close from inside the frame handler.
    l.c.frame = (frame) => {
      inside = true;
      l.client.close();
      inside = false;
      l.c.frames.push(frame.slice());
    };
    l.server.send(new Uint8Array([1]));
    l.server.close();
    await until(() => l.c.closed && l.s.closed, "both closed");
    assert.equal(reentered, false, "close handler ran inside close()");
    assert.equal(l.c.frames.length, 1);
    await l.listener.close();
  });

  it("listener close stops accepting and keeps open transports", async () => {
    const l = await link();
    await l.listener.close();
    await assert.rejects(
      connectTcp({ hostname: HOST, port: l.listener.port, maxFrameSize: 1024 }, new Recorder()),
    );
    l.client.send(new Uint8Array([5]));
    await until(() => l.s.frames.length === 1, "frame after listener close");
    l.client.close();
    await until(() => l.c.closed && l.s.closed, "both closed");
  });

  it("bufferedAmount grows while the peer does not read, then drains", async () => {
    const sockets: net.Socket[] = [];
    const raw = track(net.createServer((socket) => {
      socket.pause();
      sockets.push(track(socket));
    }));
    await new Promise<void>((resolve) => raw.listen(0, HOST, resolve));
    const port = (raw.address() as net.AddressInfo).port;
    const c = new Recorder();
    const client = track(await connectTcp({ hostname: HOST, port, maxFrameSize: 1024 }, c));
    await until(() => sockets.length === 1, "raw accept");
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    for (let i = 0; i < 800 && client.bufferedAmount < 4 << 20; i++) {
      client.send(chunk);
      sent += chunk.length;
      await sleep(0);
    }
    assert.ok(client.bufferedAmount >= 4 << 20, `bufferedAmount ${client.bufferedAmount}`);
    assert.ok(client.bufferedAmount <= sent + 8 * 1024);
    let received = 0;
    sockets[0]!.on("data", (d: Uint8Array) => received += d.length);
    sockets[0]!.resume();
    await until(() => client.bufferedAmount === 0 && c.drains > 0, "drain");
    client.close();
    await until(() => c.closed, "client close");
    sockets[0]!.destroy();
    await new Promise<void>((resolve) => raw.close(() => resolve()));
    assert.ok(received > 0);
  });

  it("drain fires after a burst above the high-water mark is written", async () => {
    const l = await link();
    l.client.send(new Uint8Array(200_000));
    assert.ok(l.client.bufferedAmount > 64 * 1024);
    await until(() => l.c.drains === 1 && l.s.frames.length === 1, "drain");
    assert.equal(l.client.bufferedAmount, 0);
    await unlink(l);
  });

  it("listen on a port in use rejects", async () => {
    const first = track(
      await listenTcp({ port: 0, hostname: HOST, maxFrameSize: 16 }, () => new Recorder()),
    );
    await assert.rejects(
      listenTcp({ port: first.port, hostname: HOST, maxFrameSize: 16 }, () => new Recorder()),
    );
  });

  it("a reset from the peer closes once, with the error", async () => {
    const s = new Recorder();
    const listener = track(
      await listenTcp({ port: 0, hostname: HOST, maxFrameSize: 1024 }, (t) => track(t) && s),
    );
    const raw = await rawConnect(listener.port);
    raw.on("error", () => {});
    raw.write(new Uint8Array([1, 9]));
    await until(() => s.frames.length === 1, "frame before reset");
    raw.resetAndDestroy();
    await until(() => s.closed, "close after reset");
    await sleep(30);
    assert.equal(s.closes.length, 1);
    assert.ok(s.closes[0] instanceof Error, `close(${s.closes[0]})`);
  });

  it("close() gives up on a peer that neither reads nor closes", async () => {
    const sockets: net.Socket[] = [];
    const raw = track(net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.pause();
      sockets.push(track(socket));
    }));
    await new Promise<void>((resolve) => raw.listen(0, HOST, resolve));
    const port = (raw.address() as net.AddressInfo).port;
    const c = new Recorder();
    const client = track(await connectTcp({ hostname: HOST, port, maxFrameSize: 1024 }, c));
    for (let i = 0; i < 200 && client.bufferedAmount < 1 << 20; i++) {
      client.send(new Uint8Array(64 * 1024));
      await sleep(0);
    }
    assert.ok(client.bufferedAmount >= 1 << 20);
    const started = Date.now();
    client.close();
    await until(() => c.closed, "forced close", 10_000);
    assert.ok(Date.now() - started >= 1000, "waited for the grace period");
    await sleep(30);
    assert.equal(c.closes.length, 1);
  });

  it("connect to a closed port rejects", async () => {
    const listener = track(
      await listenTcp({ port: 0, hostname: HOST, maxFrameSize: 16 }, () => new Recorder()),
    );
    const port = listener.port;
    await listener.close();
    await assert.rejects(connectTcp({ hostname: HOST, port, maxFrameSize: 16 }, new Recorder()));
  });
});

describe("runtime memory transports", () => {
  it("createMemoryPair() carries frames both ways, copied and in order", async () => {
    const [a, b] = createMemoryPair();
    track(a);
    track(b);
    const ra = new Recorder();
    const rb = new Recorder();
    a.attach(ra);
    const reused = new Uint8Array([1]);
    a.send(reused);
    reused[0] = 2;
    a.send(reused);
    assert.equal(a.bufferedAmount, 2);
    b.attach(rb); // frames sent before attach are held
    b.send(new Uint8Array([3]));
    await sleep(0);
    assert.deepEqual(rb.frames, [new Uint8Array([1]), new Uint8Array([2])]);
    assert.deepEqual(ra.frames, [new Uint8Array([3])]);
    assert.equal(a.bufferedAmount, 0);
    assert.equal(a.kind, "memory");
    assert.throws(() => a.attach(ra), TypeError);
    b.close();
    await sleep(0);
    assert.deepEqual(ra.closes, [undefined]);
    assert.deepEqual(rb.closes, [undefined]);
  });

  it("createMemoryPair() reports a frame over maxFrameSize once and stops", async () => {
    const [a, b] = createMemoryPair({ maxFrameSize: 4 });
    track(a);
    track(b);
    const rb = new Recorder();
    a.attach(new Recorder());
    b.attach(rb);
    a.send(new Uint8Array(4));
    a.send(new Uint8Array(5));
    a.send(new Uint8Array(1));
    await sleep(0);
    assert.equal(rb.frames.length, 1);
    assert.equal((rb.errors[0] as ProtocolError).code, "ERR_FRAME_TOO_LARGE");
    assert.equal(rb.errors.length, 1);
    a.destroy(new Error("reset"));
    a.destroy();
    await sleep(0);
    assert.equal(rb.closes.length, 1);
    assert.equal(rb.closes[0]?.message, "reset");
  });

  it("listenMemory() and connectMemory() follow the listen/connect contract", async () => {
    const s = new Recorder();
    let server: Transport | undefined;
    const listener = track(
      await listenMemory({ port: 0, hostname: "", maxFrameSize: 64 }, (t) => {
        server = track(t);
        return s;
      }),
    );
    const c = new Recorder();
    const client = track(
      await connectMemory({ hostname: "", port: listener.port, maxFrameSize: 64 }, c),
    );
    assert.ok(server);
    assert.equal(client.remotePort, listener.port);
    client.send(new Uint8Array([1, 2]));
    server.send(new Uint8Array([3]));
    await sleep(0);
    assert.deepEqual(s.frames, [new Uint8Array([1, 2])]);
    assert.deepEqual(c.frames, [new Uint8Array([3])]);
    await listener.close();
    await assert.rejects(
      connectMemory({ hostname: "", port: listener.port, maxFrameSize: 64 }, new Recorder()),
    );
    server.close();
    await sleep(0);
    assert.equal(c.closes.length, 1);
    assert.equal(s.closes.length, 1);
  });
});
