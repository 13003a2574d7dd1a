// RFC 6455 framing of game-socket's own WebSocket server (runtime/ws_frame_parser.ts,
// ws_frame_writer.ts, ws_handshake.ts) on golden frames: the RFC's examples fed at every split
// point, every rule a client frame must follow, limits decided from the header alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ProtocolError } from "../protocol/errors.ts";
import { WsFrameParser, type WsFrameSink } from "../runtime/ws_frame_parser.ts";
import { closePayload, frameLength, writeFrame } from "../runtime/ws_frame_writer.ts";
import { Opcode } from "../runtime/ws_frame_rules.ts";
import { acceptKey, upgradeAnswer } from "../runtime/ws_handshake.ts";
import { clientFrame } from "./ws_helpers.ts";

const hex = (s: string) =>
  new Uint8Array(s.replace(/\s/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

/** A sink that records everything as plain values (copies: views die with the call). */
class Events implements WsFrameSink {
  got: unknown[] = [];
  message(data: Uint8Array | string): void {
    this.got.push(typeof data === "string" ? { text: data } : { binary: [...data] });
  }
  ping(payload: Uint8Array): void {
    this.got.push({ ping: [...payload] });
  }
  closeFrame(code: number, reason: string): void {
    this.got.push({ close: code, reason });
  }
  fail(code: number, error: ProtocolError): void {
    this.got.push({ fail: code, error: error.code });
  }
}

/** Parse `bytes` in the given pieces with one parser (pieces are copies: the parser unmasks in place). */
function parse(pieces: Uint8Array[], max = 1 << 20): unknown[] {
  const events = new Events();
  const parser = new WsFrameParser();
  for (const piece of pieces) parser.push(piece.slice(), max, events);
  return events.got;
}

/** Every way to cut `bytes` in two, and one byte at a time, all give `expected`. */
function atEverySplit(bytes: Uint8Array, expected: unknown[], max?: number): void {
  for (let i = 0; i <= bytes.length; i++) {
    assert.deepEqual(
      parse([bytes.subarray(0, i), bytes.subarray(i)], max),
      expected,
      `split at ${i}`,
    );
  }
  const ones = [...bytes].map((b) => new Uint8Array([b]));
  assert.deepEqual(parse(ones, max), expected, "one byte at a time");
}

describe("WsFrameParser on golden frames", () => {
  it("reads the RFC 6455 masked 'Hello' text frame and ping at every split point", () => {
    // RFC 6455 section 5.7.
    atEverySplit(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), [{ text: "Hello" }]);
    atEverySplit(hex("89 85 37 fa 21 3d 7f 9f 4d 51 58"), [{
      ping: [...new TextEncoder().encode("Hello")],
    }]);
  });

  it("reads 16-bit and 64-bit lengths, several frames in one chunk, and an empty message", () => {
    const medium = new Uint8Array(300).map((_, i) => i);
    const large = new Uint8Array(70_000).map((_, i) => i * 7);
    const bytes = [
      clientFrame(2, medium),
      clientFrame(2, new Uint8Array(0)),
      clientFrame(2, large),
    ];
    const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) (all.set(b, at), at += b.length);
    const expected = [{ binary: [...medium] }, { binary: [] }, { binary: [...large] }];
    assert.deepEqual(parse([all]), expected);
    for (const cut of [1, 2, 3, 5, 7, 310, 311, 313, 316, 317, 320, 40_000]) {
      assert.deepEqual(parse([all.subarray(0, cut), all.subarray(cut)]), expected, `cut at ${cut}`);
    }
  });

  it("joins a fragmented message with a ping in the middle, at every split point", () => {
    const parts = [
      clientFrame(2, new Uint8Array([1, 2, 3]), false, [1, 2, 3, 4]),
      clientFrame(9, new Uint8Array([9])),
      clientFrame(0, new Uint8Array([]), false, [5, 6, 7, 8]),
      clientFrame(0, new Uint8Array([4, 5]), true, [9, 9, 9, 9]),
    ];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) (bytes.set(p, at), at += p.length);
    atEverySplit(bytes, [{ ping: [9] }, { binary: [1, 2, 3, 4, 5] }]);
  });

  it("a whole frame in one chunk is a view of the chunk (unmasked in place, no copy)", () => {
    const chunk = clientFrame(2, new Uint8Array([10, 20, 30]));
    let seen: Uint8Array | undefined;
    const sink = Object.assign(new Events(), {
      message: (d: Uint8Array | string) => seen = d as Uint8Array,
    });
    const parser = new WsFrameParser();
    parser.push(chunk, 1024, sink);
    assert.equal(seen!.buffer, chunk.buffer);
    assert.deepEqual([...seen!], [10, 20, 30]);
    assert.equal(parser.idle, true, "nothing of the connection is kept");
  });

  it("refuses what a client must not send with 1002", () => {
    const ERR = { fail: 1002, error: "ERR_BAD_WS_FRAME" };
    const unmasked = hex("82 03 01 02 03");
    const rsv = clientFrame(2, new Uint8Array([1]));
    rsv[0] = rsv[0]! | 0x40;
    const cases: [string, Uint8Array][] = [
      ["an unmasked frame", unmasked],
      ["an RSV bit", rsv],
      ["opcode 3", clientFrame(3, new Uint8Array([1]))],
      ["opcode 11", clientFrame(11, new Uint8Array([1]))],
      ["a ping over 125 bytes", clientFrame(9, new Uint8Array(126))],
      ["a ping without FIN", clientFrame(9, new Uint8Array(1), false)],
      ["a continuation without a start", clientFrame(0, new Uint8Array([1]))],
      ["a close code 1005", clientFrame(8, hex("03 ed"))],
      ["a close code 999", clientFrame(8, hex("03 e7"))],
      ["a close code 2000", clientFrame(8, hex("07 d0"))],
      ["a one-byte close payload", clientFrame(8, hex("03"))],
    ];
    for (const [what, bytes] of cases) {
      atEverySplit(bytes, [ERR]);
      assert.deepEqual(
        parse([bytes, clientFrame(2, new Uint8Array([1]))]),
        [ERR],
        `${what}: nothing after`,
      );
    }
    const start = clientFrame(2, new Uint8Array([1]), false);
    assert.deepEqual(
      parse([start, clientFrame(2, new Uint8Array([2]))]),
      [ERR],
      "a new message inside a fragmented one",
    );
  });

  it("refuses invalid UTF-8 in a text message or a close reason with 1007", () => {
    const ERR = { fail: 1007, error: "ERR_BAD_UTF8" };
    atEverySplit(clientFrame(1, hex("ff fe")), [ERR]);
    atEverySplit(clientFrame(8, hex("03 e8 c3")), [ERR]);
  });

  it("decides 1009 from the header alone: the declared length, a 64-bit length, a fragmented sum", () => {
    const TOO_BIG = { fail: 1009, error: "ERR_FRAME_TOO_LARGE" };
    const header = clientFrame(2, new Uint8Array(2000)).subarray(0, 8); // header and mask, no body
    atEverySplit(header, [TOO_BIG], 1024);
    const huge = hex("82 ff 00 00 01 00 00 00 00 00 01 02 03 04"); // 2^40 bytes declared
    atEverySplit(huge, [TOO_BIG], 1024);
    const first = clientFrame(2, new Uint8Array(600), false);
    const second = clientFrame(0, new Uint8Array(600)).subarray(0, 8);
    assert.deepEqual(parse([first, second], 1024), [TOO_BIG]);
    assert.deepEqual(parse([clientFrame(2, new Uint8Array(1024))], 1024), [{
      binary: [...new Uint8Array(1024)],
    }]);
  });

  it("reads a close frame, an empty close (1005), ignores pongs, and reads nothing after a close", () => {
    assert.deepEqual(
      parse([clientFrame(10, hex("01 02")), clientFrame(8, hex("0f a1 62 79 65"))]),
      [
        { close: 4001, reason: "bye" },
      ],
    );
    assert.deepEqual(
      parse([clientFrame(8, new Uint8Array(0)), clientFrame(2, new Uint8Array([1]))]),
      [
        { close: 1005, reason: "" },
      ],
    );
  });
});

describe("WsFrameParser on random input", () => {
  it("never throws on 3,000 random and mutated streams cut at random points; nothing delivered is over the limit", () => {
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13, seed ^= seed >>> 17, seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const max = 300;
    for (let round = 0; round < 3000; round++) {
      let stream: Uint8Array;
      if (round % 2 === 0) stream = new Uint8Array(rand(400)).map(() => rand(256));
      else {
        // Valid frames of every kind, then a few bytes flipped.
        const parts = Array.from({ length: 1 + rand(4) }, () => {
          const op = [0, 1, 2, 8, 9, 10][rand(6)]!;
          return clientFrame(
            op,
            new Uint8Array(rand(op >= 8 ? 126 : 400)).map(() => rand(256)),
            rand(3) > 0,
          );
        });
        stream = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) (stream.set(p, at), at += p.length);
        for (let i = rand(3); i > 0 && stream.length > 0; i--) {
          stream[rand(stream.length)] = rand(256);
        }
      }
      const parser = new WsFrameParser();
      let ended = 0;
      const sink: WsFrameSink = {
        message: (data) => assert.ok(data.length <= max, "a message over the limit"),
        ping: (payload) => assert.ok(payload.length <= 125),
        closeFrame: () => void ended++,
        fail: () => void ended++,
      };
      for (let at = 0; at < stream.length;) {
        const next = Math.min(stream.length, at + 1 + rand(40));
        parser.push(stream.slice(at, next), max, sink);
        at = next;
      }
      assert.ok(ended <= 1, "at most one close or failure");
      assert.equal(parser.done, ended === 1);
    }
  });
});

describe("server frames and the upgrade answer", () => {
  it("writeFrame writes unmasked binary frames with 2, 4 and 10-byte headers back to back", () => {
    const messages = [new Uint8Array([1, 2]), new Uint8Array(300), new Uint8Array(70_000)];
    const out = new Uint8Array(messages.reduce((n, m) => n + frameLength(m.length), 0));
    let pos = 0;
    for (const m of messages) pos = writeFrame(out, pos, Opcode.Binary, m);
    assert.equal(pos, out.length);
    assert.equal(out.length, 4 + 304 + 70_010);
    assert.deepEqual([...out.subarray(0, 4)], [0x82, 2, 1, 2]);
    assert.deepEqual([...out.subarray(4, 8)], [0x82, 126, 0x01, 0x2c]);
    assert.deepEqual([...out.subarray(308, 318)], [0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    assert.deepEqual([...closePayload(1000, "ok")], [0x03, 0xe8, 0x6f, 0x6b]);
    assert.deepEqual([...closePayload(1005, "")], []);
  });

  it("answers the RFC 6455 example key, and refuses bad requests with 400, 405 and 426", () => {
    assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const headers = {
      upgrade: "websocket",
      connection: "keep-alive, Upgrade",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    };
    const ok = upgradeAnswer({ method: "GET", headers });
    assert.equal(ok.status, 101);
    assert.match(ok.response, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n\r\n$/);
    assert.doesNotMatch(ok.response, /Sec-WebSocket-(Extensions|Protocol)/);
    const withProtocols = upgradeAnswer({
      method: "GET",
      headers: {
        ...headers,
        "sec-websocket-protocol": "game, chat",
        "sec-websocket-extensions": "permessage-deflate",
      },
    });
    assert.match(
      withProtocols.response,
      /\r\nSec-WebSocket-Protocol: game\r\n/,
      "the first offer, as ws does",
    );
    assert.doesNotMatch(withProtocols.response, /Extensions/, "no extension is agreed");
    const status = (change: Record<string, string>, method = "GET") =>
      upgradeAnswer({ method, headers: { ...headers, ...change } }).status;
    assert.equal(status({}, "POST"), 405);
    assert.equal(status({ upgrade: "h2c" }), 400);
    assert.equal(status({ connection: "keep-alive" }), 400);
    assert.equal(status({ "sec-websocket-key": "c2hvcnQ=" }), 400);
    assert.equal(status({ "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=" }), 400);
    assert.equal(status({ "sec-websocket-protocol": "a, a" }), 400);
    assert.equal(status({ "sec-websocket-version": "8" }), 426);
    assert.match(
      upgradeAnswer({ method: "GET", headers: { ...headers, "sec-websocket-version": "8" } })
        .response,
      /\r\nSec-WebSocket-Version: 13\r\n/,
    );
  });
});
