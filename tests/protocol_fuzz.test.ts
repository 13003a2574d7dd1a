import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodePacket,
  defineSchema,
  encodePacket,
  FrameDecoder,
  ProtocolError,
  SchemaRegistry,
} from "../protocol/mod.ts";
import { hex, MOVE_FIELDS, PACKET_VECTORS, SCHEMA_VECTORS, toHex } from "./fixtures/golden.ts";

/** Small seeded PRNG (mulberry32): the same inputs on every run and runtime. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ITERATIONS = 100_000;
const MAX_FRAME = 64;
const seeds = PACKET_VECTORS.map((v) => hex(v.hex));

function makeFrame(rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  const mode = int(8);
  if (mode === 0) {
    const out = new Uint8Array(int(40));
    for (let i = 0; i < out.length; i++) out[i] = int(256);
    if (out.length > 0 && rand() < 0.7) out[0] = rand() < 0.8 ? 1 + int(14) : 0x80 + int(128);
    return out;
  }
  let f = seeds[int(seeds.length)]!.slice();
  const edits = 1 + int(3);
  for (let e = 0; e < edits; e++) {
    const op = int(5);
    if (op === 0 && f.length > 0) f[int(f.length)]! ^= 1 << int(8); // flip a bit
    else if (op === 1) f = f.slice(0, int(f.length + 1)); // truncate
    else if (op === 2) { // extend
      const more = new Uint8Array(f.length + 1 + int(8));
      more.set(f);
      for (let i = f.length; i < more.length; i++) more[i] = int(256);
      f = more;
    } else if (op === 3 && f.length > 0) f[int(f.length)] = int(256); // random byte
    else if (op === 4 && f.length > 1) { // interesting values
      f[1 + int(f.length - 1)] = [0x00, 0x7f, 0x80, 0xff, 0xc3, 0xed][int(6)]!;
    }
  }
  return f;
}

function isProtocolError(e: unknown, input: Uint8Array, where: string): void {
  if (!(e instanceof ProtocolError)) {
    assert.fail(
      `${where} threw ${e instanceof Error ? e.name + ": " + e.message : e} for ${toHex(input)}`,
    );
  }
}

describe("fuzz", () => {
  it(`decodePacket() and FrameDecoder get ${ITERATIONS} random and mutated frames: packet or ProtocolError`, () => {
    const rand = mulberry32(0x5eed);
    const registry = new SchemaRegistry([
      defineSchema(2, MOVE_FIELDS),
      defineSchema(9, SCHEMA_VECTORS[1]!.fields),
    ]);
    let decoded = 0;
    let errors = 0;
    let decoder = new FrameDecoder({ maxFrameSize: MAX_FRAME });
    const started = Date.now();
    for (let i = 0; i < ITERATIONS; i++) {
      const frame = makeFrame(rand);
      try {
        const p = decodePacket(frame);
        decoded++;
        // Anything decoded must encode again and decode to an equal packet.
        const again = decodePacket(encodePacket(p));
        assert.equal(again.kind, p.kind);
        if (p.kind === 0x0c) {
          try {
            registry.decode(p.code, p.body);
          } catch (e) {
            isProtocolError(e, frame, "registry.decode()");
          }
        }
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        errors++;
        isProtocolError(e, frame, "decodePacket()");
      }
      // The same bytes as a piece of a byte stream, cut at a random point.
      const cut = Math.floor(rand() * (frame.length + 1));
      try {
        for (const part of [frame.subarray(0, cut), frame.subarray(cut)]) {
          decoder.push(part, (f) => assert.ok(f.length <= MAX_FRAME));
          assert.ok(decoder.bufferedBytes <= MAX_FRAME + 8, `buffered ${decoder.bufferedBytes}`);
        }
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        isProtocolError(e, frame, "FrameDecoder.push()");
        decoder = new FrameDecoder({ maxFrameSize: MAX_FRAME });
      }
    }
    assert.equal(decoded + errors, ITERATIONS);
    assert.ok(
      decoded > ITERATIONS / 10 && errors > ITERATIONS / 10,
      `${decoded} decoded, ${errors} errors`,
    );
    assert.ok(Date.now() - started < 20_000);
  });

  it("schema decode of random bodies: value or ProtocolError, the same with and without generated code", () => {
    const rand = mulberry32(42);
    const schemas = SCHEMA_VECTORS.map((v, i) => defineSchema(i, v.fields));
    const slow = SCHEMA_VECTORS.map((v, i) => defineSchema(i, v.fields, { compile: false }));
    const outcome = (f: () => unknown) => {
      try {
        return f();
      } catch (e) {
        return e instanceof ProtocolError ? e.code : e;
      }
    };
    for (let i = 0; i < 20_000; i++) {
      const body = new Uint8Array(Math.floor(rand() * 24));
      for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
      const schema = schemas[i % schemas.length]!;
      assert.deepEqual(
        outcome(() => schema.decode(body)),
        outcome(() => slow[i % schemas.length]!.decode(body)),
      );
      try {
        const value = schema.decode(body);
        // Bodies are canonical (NaN payload bits aside: runtimes may normalise NaN).
        const hasNaN = Object.values(value).some((x) => Number.isNaN(x));
        if (!hasNaN) assert.equal(toHex(schema.encode(value)), toHex(body));
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        isProtocolError(e, body, "schema.decode()");
      }
    }
  });
});
