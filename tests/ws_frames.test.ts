// game-socket's own WebSocket server (runtime/ws_server_node.ts, on node:http in all three
// runtimes) against a raw node:net client sending hand-made frames: splits at every byte, fragments,
// ping/pong, the close handshake, every protocol violation refused with its close code, limits
// decided from the header alone, bad handshakes; and after each bad peer a good one still works.
import assert from "node:assert/strict";
import * as net from "node:net";
import { afterEach, describe, it } from "node:test";
import type { ProtocolError } from "../protocol/errors.ts";
import { runtimeName } from "../runtime/auto.ts";
import type { Transport } from "../runtime/types.ts";
import { listen } from "../runtime/ws_server_node.ts";
import { clientFrame as frame, rawHandshake } from "./ws_helpers.ts";

const HOST = "127.0.0.1";
const MAX = 100_000;
const opened: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const bytes = (...values: number[]) => new Uint8Array(values);
const closeBody = (code: number, reason = "") => {
  const text = new TextEncoder().encode(reason);
  return bytes(code >> 8, code & 0xff, ...text);
};

/** A raw client: the server's frames as they arrive (unmasked, so parsed simply), and the TCP end. */
class RawClient {
  frames: { op: number; payload: Uint8Array }[] = [];
  ended = false;
  #buf = new Uint8Array(0);
  constructor(readonly socket: net.Socket) {
    socket.on("error", () => {});
    socket.on("end", () => this.ended = true);
    socket.on("close", () => this.ended = true);
    socket.on("data", (chunk: Uint8Array) => {
      const next = new Uint8Array(this.#buf.length + chunk.length);
      next.set(this.#buf);
      next.set(chunk, this.#buf.length);
      this.#buf = next;
      for (;;) {
        const b = this.#buf;
        if (b.length < 2) return;
        assert.equal(b[1]! & 0x80, 0, "server frames are not masked");
        let len = b[1]! & 0x7f;
        let at = 2;
        if (len === 126) [len, at] = [(b[2]! << 8) | b[3]!, 4];
        else if (len === 127) {
          [len, at] = [Number(new DataView(b.buffer, b.byteOffset).getBigUint64(2)), 10];
        }
        if (b.length < at + len) return;
        this.frames.push({ op: b[0]! & 0x8f, payload: b.slice(at, at + len) });
        this.#buf = b.subarray(at + len);
      }
    });
  }
  send(...frames: Uint8Array[]): void {
    for (const f of frames) this.socket.write(f);
  }
  async until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await sleep(2);
    }
  }
  /** Wait for a frame of opcode `op` (with FIN) and take it. */
  async next(op: number, what = `opcode ${op}`): Promise<Uint8Array> {
    await this.until(() => this.frames.some((f) => f.op === (0x80 | op)), what);
    const i = this.frames.findIndex((f) => f.op === (0x80 | op));
    return this.frames.splice(i, 1)[0]!.payload;
  }
  /** The server's close frame: its code and reason, then the server ends the TCP link. */
  async closed(): Promise<{ code: number; reason: string }> {
    const body = await this.next(8, "a close frame");
    this.send(frame(8, body.subarray(0, 2))); // answered, as a client does
    await this.until(() => this.ended, "the server to end the TCP link");
    return {
      code: body.length >= 2 ? (body[0]! << 8) | body[1]! : 1005,
      reason: new TextDecoder().decode(body.subarray(2)),
    };
  }
}

/** A server whose transports echo every frame; on a wire error it closes, as the core does. */
async function serve() {
  const errors: ProtocolError[] = [];
  const closes: (Error | undefined)[] = [];
  const transports: Transport[] = [];
  const received: number[] = []; // each frame's first byte
  const listener = await listen({ port: 0, hostname: HOST, maxFrameSize: MAX }, (t) => {
    transports.push(t);
    return {
      frame: (f) => (received.push(f[0] ?? -1), t.send(f)),
      error: (e) => (errors.push(e as ProtocolError), t.close()),
      close: (e) => closes.push(e),
    };
  });
  opened.push(() => {
    for (const t of transports) t.close();
    return listener.close();
  });
  const client = async () => {
    const raw = new RawClient(await rawHandshake(listener.port));
    opened.push(() => raw.socket.destroy());
    return raw;
  };
  const good = await client();
  let n = 0;
  /** The good client still gets its echo. */
  const stillWorks = async () => {
    const payload = bytes(++n, 7);
    good.send(frame(2, payload));
    assert.deepEqual(await good.next(2, "the good client's echo"), payload);
  };
  return { port: listener.port, errors, closes, transports, received, client, stillWorks };
}

describe(`game-socket's WebSocket server, raw frames (${runtimeName()})`, () => {
  it("a message split at every byte boundary, and sent one byte at a time, arrives whole", async () => {
    const s = await serve();
    const c = await s.client();
    const payload = new Uint8Array(130).map((_, i) => i * 3); // a 16-bit length
    const whole = frame(2, payload);
    // Message k is cut after byte k; its tail and the next message's head share a write.
    let tail: Uint8Array = new Uint8Array(0);
    for (let cut = 1; cut < whole.length; cut++) {
      payload[0] = cut;
      const next = frame(2, payload);
      c.send(new Uint8Array([...tail, ...next.subarray(0, cut)]));
      tail = next.subarray(cut);
      await sleep(1); // its own TCP segment, most of the time
    }
    c.send(tail);
    await c.until(() => c.frames.length === whole.length - 1, "every message's echo");
    for (let cut = 1; cut < whole.length; cut++) {
      payload[0] = cut;
      assert.deepEqual(c.frames.shift()!.payload, payload, `cut at ${cut}`);
    }
    for (const b of frame(2, payload, true, [1, 2, 3, 4])) {
      c.send(bytes(b));
      await sleep(0);
    }
    assert.deepEqual(await c.next(2), payload, "one byte at a time");
    await s.stillWorks();
  });

  it("joins a fragmented message, answers a ping inside it, and sends large messages with 64-bit lengths", async () => {
    const s = await serve();
    const c = await s.client();
    const big = new Uint8Array(70_000).map((_, i) => i * 7);
    c.send(frame(2, big.subarray(0, 30_000), false), frame(9, bytes(1, 2, 3)));
    await sleep(5);
    c.send(frame(0, big.subarray(30_000, 30_000), false), frame(0, big.subarray(30_000), true));
    assert.deepEqual(await c.next(10), bytes(1, 2, 3), "pong with the ping's payload");
    const echo = await c.next(2);
    assert.equal(echo.length, big.length);
    assert.ok(echo.every((v, i) => v === big[i]), "the 70,000-byte message is intact");
    c.send(frame(9, new Uint8Array(0)), frame(10, bytes(9)));
    assert.deepEqual(await c.next(10), new Uint8Array(0), "an empty ping gets an empty pong");
    assert.equal(c.frames.length, 0, "a pong is not answered");
    const flood = new Uint8Array(1000 * 7);
    for (let i = 0; i < 1000; i++) flood.set(frame(9, bytes(i & 0xff)), i * 7);
    c.send(flood); // one write: the pongs leave corked, in order
    await c.until(() => c.frames.length === 1000, "1,000 pongs");
    assert.ok(c.frames.every((f, i) => f.op === 0x8a && f.payload[0] === (i & 0xff)));
  });

  it("a client that sends pings and never reads does not grow the server's write buffer", async () => {
    const s = await serve();
    const c = await s.client();
    c.socket.pause(); // reads nothing: the kernel's buffers fill, then the server's would
    const ping = frame(9, new Uint8Array(125).fill(7));
    const burst = new Uint8Array(ping.length * 1000);
    for (let i = 0; i < 1000; i++) burst.set(ping, i * ping.length);
    for (let i = 0; i < 160; i++) c.send(burst); // 160,000 pings, 21 MB
    c.send(frame(2, bytes(42)));
    await c.until(() => s.received.includes(42), "the server to read past the pings", 20_000);
    const held = s.transports.at(-1)!.bufferedAmount;
    assert.ok(held < 1024 * 1024, `${held} bytes held for a client that reads nothing`);
    c.socket.resume();
    await s.stillWorks();
  });

  it("the close handshake: the client's code is echoed and the server ends the link; the server's close is answered", async () => {
    const s = await serve();
    const c = await s.client();
    c.send(frame(8, closeBody(4000, "bye")));
    assert.deepEqual(await c.closed(), { code: 4000, reason: "" });
    await c.until(() => s.closes.length === 1, "the transport's close");
    assert.match(String(s.closes[0]?.message), /4000 \(bye\)/);

    const d = await s.client();
    d.send(frame(2, bytes(1)));
    await d.next(2);
    s.transports.at(-1)!.close();
    assert.equal((await d.next(8)).length >= 2, true, "the server's close frame");
    d.send(frame(8, closeBody(1000)));
    await d.until(() => d.ended, "the server to end the TCP link after the answer");
    await d.until(() => s.closes.length === 2, "the transport's close");
    assert.equal(s.closes[1], undefined, "a normal close");
    await s.stillWorks();
  });

  const violations: [string, () => Uint8Array[], number, string][] = [
    ["an unmasked frame", () => [bytes(0x82, 1, 7)], 1002, "ERR_BAD_WS_FRAME"],
    [
      "an RSV bit",
      () => [frame(2, bytes(1)).map((b, i) => i === 0 ? b | 0x20 : b)],
      1002,
      "ERR_BAD_WS_FRAME",
    ],
    ["opcode 3", () => [frame(3, bytes(1))], 1002, "ERR_BAD_WS_FRAME"],
    ["a ping over 125 bytes", () => [frame(9, new Uint8Array(126))], 1002, "ERR_BAD_WS_FRAME"],
    ["a ping without FIN", () => [frame(9, bytes(1), false)], 1002, "ERR_BAD_WS_FRAME"],
    ["a continuation without a start", () => [frame(0, bytes(1))], 1002, "ERR_BAD_WS_FRAME"],
    [
      "a new message inside a fragmented one",
      () => [frame(2, bytes(1), false), frame(2, bytes(2))],
      1002,
      "ERR_BAD_WS_FRAME",
    ],
    ["close code 1006", () => [frame(8, closeBody(1006))], 1002, "ERR_BAD_WS_FRAME"],
    ["invalid UTF-8 in a text message", () => [frame(1, bytes(0xc3, 0x28))], 1007, "ERR_BAD_UTF8"],
    ["a text message", () => [frame(1, new TextEncoder().encode("hi"))], 1003, "ERR_BAD_PAYLOAD"],
    // Headers alone: the bodies are never sent, so only the header can have decided.
    [
      "a declared length over maxFrameSize",
      () => [frame(2, new Uint8Array(MAX + 1)).subarray(0, 14)],
      1009,
      "ERR_FRAME_TOO_LARGE",
    ],
    [
      "a 64-bit length of 2^40",
      () => [bytes(0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4)],
      1009,
      "ERR_FRAME_TOO_LARGE",
    ],
    [
      "fragments whose sum is over maxFrameSize",
      () => [
        frame(2, new Uint8Array(60_000), false),
        frame(0, new Uint8Array(60_000)).subarray(0, 8),
      ],
      1009,
      "ERR_FRAME_TOO_LARGE",
    ],
  ];
  for (const [what, make, code, errorCode] of violations) {
    it(`${what}: close ${code} with a reason, ${errorCode} to the owner; the good client is unaffected`, async () => {
      const s = await serve();
      const bad = await s.client();
      bad.send(...make());
      const { code: got, reason } = await bad.closed();
      assert.equal(got, code);
      assert.match(reason, code === 1009 ? /^frame-too-large: / : /^protocol-error: /);
      assert.deepEqual(s.errors.map((e) => e.code), [errorCode]);
      assert.equal(bad.frames.filter((f) => f.op === 0x82).length, 0, "nothing was echoed");
      await s.stillWorks();
    });
  }

  it("a client gone without a close frame ends its transport; refused handshakes get 400 and 426", async () => {
    const s = await serve();
    const c = await s.client();
    c.send(frame(2, bytes(1)));
    await c.next(2);
    c.socket.end();
    await c.until(() => s.closes.length === 1, "the transport's close");
    const ask = async (headers: string) => {
      const socket = net.connect({ host: HOST, port: s.port });
      opened.push(() => socket.destroy());
      let text = "";
      socket.on("data", (d: Uint8Array) => text += new TextDecoder().decode(d));
      socket.on("error", () => {});
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write(
        `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${headers}\r\n`,
      );
      await new Promise((resolve) => socket.once("close", resolve));
      return text;
    };
    const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    assert.match(
      await ask(`Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n`),
      /^HTTP\/1\.1 400 /,
    );
    assert.match(await ask(`Sec-WebSocket-Version: 13\r\n`), /^HTTP\/1\.1 400 /);
    const old = await ask(`Sec-WebSocket-Version: 8\r\n${key}`);
    assert.match(old, /^HTTP\/1\.1 426 /);
    assert.match(old, /\r\nSec-WebSocket-Version: 13\r\n/i);
    assert.equal(s.transports.length, 2, "no transport for a refused handshake");
    await s.stillWorks();
  });
});
