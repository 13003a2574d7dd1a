import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  decodePacket,
  defineSchema,
  encodeFrame,
  encodePacket,
  encodePacketFrame,
  FrameDecoder,
  FrameDecoderStream,
  FrameEncoderStream,
  type Packet,
} from "../protocol/mod.ts";
import {
  FIELD_VECTORS,
  hex,
  LONG_RAW,
  PACKET_VECTORS,
  SCHEMA_VECTORS,
  STREAM_VECTORS,
  toHex,
} from "./fixtures/golden.ts";

function vector(name: string): Packet {
  const v = PACKET_VECTORS.find((p) => p.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v.packet;
}

function goldenFrames(): Uint8Array[] {
  return [...STREAM_VECTORS.map((n) => encodePacket(vector(n))), encodePacket(LONG_RAW)];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feed `stream` cut at `cuts` and return copies of the frames. */
function split(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const decoder = new FrameDecoder({ maxFrameSize: 1024 });
  const out: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    decoder.push(stream.subarray(from, cut), (f) => out.push(f.slice()));
    from = cut;
  }
  assert.equal(decoder.bufferedBytes, 0);
  return out;
}

describe("golden packet vectors", () => {
  for (const v of PACKET_VECTORS) {
    it(`decodePacket() and encodePacket() agree with ${v.name}`, () => {
      const bytes = hex(v.hex);
      assert.deepEqual(decodePacket(bytes), v.packet);
      assert.equal(toHex(encodePacket(v.packet)), toHex(bytes));
      assert.equal(toHex(encodePacket(decodePacket(bytes))), toHex(bytes));
      assert.equal(toHex(encodePacketFrame(v.packet)), toHex(encodeFrame(bytes)));
    });
  }

  it("covers every packet kind and the compact message", () => {
    const kinds = new Set(PACKET_VECTORS.map((v) => hex(v.hex)[0]! >= 0x80 ? 0x80 : hex(v.hex)[0]));
    for (let k = 1; k <= 0x0e; k++) assert.ok(kinds.has(k), `kind ${k}`);
    assert.ok(kinds.has(0x80));
  });
});

describe("golden field vectors", () => {
  for (
    const v of [...FIELD_VECTORS.map((f) => ({ ...f, fields: { v: f.spec } })), ...SCHEMA_VECTORS]
  ) {
    it(`schema body agrees with ${v.name}`, () => {
      const schema = defineSchema(0, v.fields);
      const wrap = (x: unknown) => ("spec" in v ? { v: x } : x);
      const bytes = hex(v.hex);
      assert.equal(toHex(schema.encode(wrap(v.value) as never)), v.hex);
      const decoded = schema.decode(bytes);
      assert.deepEqual(decoded, wrap(v.decoded ?? v.value));
      assert.equal(toHex(schema.encode(decoded)), v.hex);
    });
  }
});

describe("PROTOCOL.md", () => {
  const doc = readFileSync(new URL("../protocol/PROTOCOL.md", import.meta.url), "utf8");
  const rows = new Map<string, string>();
  for (const m of doc.matchAll(/^\|\s*`([a-z0-9-]+)`\s*\|[^|]*\|\s*`([0-9a-f ]+)`\s*\|/gm)) {
    rows.set(m[1]!, m[2]!);
  }

  it("lists every golden vector with the same hex", () => {
    const all = [...PACKET_VECTORS, ...FIELD_VECTORS, ...SCHEMA_VECTORS];
    for (const v of all) assert.equal(rows.get(v.name), v.hex, `vector ${v.name}`);
    assert.equal(rows.size, all.length);
  });
});

describe("golden stream", () => {
  const frames = goldenFrames();
  const stream = concat(frames.map(encodeFrame));
  const expected = frames.map(toHex);

  it("starts as PROTOCOL.md says and has a two-byte length prefix on the long frame", () => {
    assert.equal(toHex(stream.subarray(0, 8)), "04 01 01 00 00 32 07 00");
    assert.equal(toHex(encodeFrame(encodePacket(LONG_RAW)).subarray(0, 4)), "c8 01 0d 00");
  });

  it("FrameDecoder yields the same frames when split at every byte position", () => {
    assert.deepEqual(split(stream, []).map(toHex), expected);
    for (let i = 0; i <= stream.length; i++) {
      assert.deepEqual(split(stream, [i]).map(toHex), expected, `split at ${i}`);
    }
  });

  it("FrameDecoder yields the same frames when split at every pair of positions", () => {
    const short = concat(frames.slice(0, 3).map(encodeFrame));
    const want = frames.slice(0, 3).map(toHex);
    for (let i = 0; i <= short.length; i++) {
      for (let j = i; j <= short.length; j++) {
        assert.deepEqual(split(short, [i, j]).map(toHex), want, `split at ${i}, ${j}`);
      }
    }
  });

  it("FrameDecoder yields the same frames fed one byte at a time", () => {
    const cuts = Array.from({ length: stream.length }, (_, i) => i);
    assert.deepEqual(split(stream, cuts).map(toHex), expected);
  });

  it("every frame decodes to its packet", () => {
    const packets = split(stream, [7]).map(decodePacket);
    assert.deepEqual(packets, [...STREAM_VECTORS.map(vector), LONG_RAW]);
  });

  it("FrameEncoderStream and FrameDecoderStream round-trip the frames", async () => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += 5) chunks.push(stream.slice(i, i + 5));
    const out: string[] = [];
    const decoded = ReadableStream.from(chunks).pipeThrough(
      new FrameDecoderStream({ maxFrameSize: 1024 }),
    );
    for await (const f of decoded) out.push(toHex(f));
    assert.deepEqual(out, expected);

    const encoded = ReadableStream.from(frames).pipeThrough(new FrameEncoderStream());
    const parts: Uint8Array[] = [];
    for await (const c of encoded) parts.push(c);
    assert.equal(toHex(concat(parts)), toHex(stream));
  });

  it("FrameDecoderStream errors with ERR_TRUNCATED when the stream ends inside a frame", async () => {
    for (const cut of [1, 2, stream.length - 1]) {
      const s = ReadableStream.from([stream.slice(0, cut)]).pipeThrough(
        new FrameDecoderStream({ maxFrameSize: 1024 }),
      );
      await assert.rejects(async () => {
        for await (const _ of s) { /* drain */ }
      }, { name: "ProtocolError", code: "ERR_TRUNCATED" });
    }
  });

  it("FrameDecoderStream errors with ERR_FRAME_TOO_LARGE", async () => {
    const s = ReadableStream.from([hex("80 08")]).pipeThrough(
      new FrameDecoderStream({ maxFrameSize: 1023 }),
    );
    await assert.rejects(async () => {
      for await (const _ of s) { /* drain */ }
    }, { name: "ProtocolError", code: "ERR_FRAME_TOO_LARGE" });
  });
});
