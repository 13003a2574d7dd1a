import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ByteReader,
  ByteWriter,
  compactMessageNsp,
  decodePacket,
  defineSchema,
  encodeFrame,
  encodeMessageInto,
  encodePacket,
  type Infer,
  PacketKind,
  ProtocolError,
  SchemaRegistry,
  type SchemaValue,
} from "../protocol/mod.ts";
import { hex, MOVE_BODY_HEX, MOVE_FIELDS, MOVE_VALUE, toHex } from "./fixtures/golden.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
const assertType = <T extends true>(_ok: T) => {};

const protocolError = (code: string) => (e: unknown) =>
  e instanceof ProtocolError && e.code === code;

const Move = defineSchema(2, MOVE_FIELDS, { name: "Move" });

const Profile = defineSchema(9, {
  name: { type: "string", maxLength: 8 },
  avatar: { type: "bytes", optional: true, maxLength: 4 },
  level: { type: "uint8", optional: true },
  online: "bool",
  muted: { type: "bool", optional: true },
});

describe("defineSchema()", () => {
  it("infers the value type, optional fields as optional properties", () => {
    assertType<
      Equal<Infer<typeof Move>, {
        id: number;
        x: number;
        y: number;
        angle: number;
        throttle: number;
        firing: boolean;
      }>
    >(true);
    assertType<
      Equal<SchemaValue<typeof Profile>, {
        name: string;
        online: boolean;
        avatar?: Uint8Array;
        level?: number;
        muted?: boolean;
      }>
    >(true);
    // @ts-expect-error: firing is a bool
    assert.throws(() => Move.encode({ ...MOVE_VALUE, firing: 1 }), TypeError);
    const noX = { id: 1, y: 0, angle: 0, throttle: 0, firing: false };
    // @ts-expect-error: x is required
    assert.throws(() => Move.encode(noX), /"x" is missing/);
  });

  it("encodes the position update in 14 bytes and 16 on the wire", () => {
    const body = Move.encode(MOVE_VALUE);
    assert.equal(body.length, 14);
    assert.equal(toHex(body), MOVE_BODY_HEX);
    const framed = encodeFrame(encodePacket({ kind: PacketKind.Message, nsp: 1, code: 2, body }));
    assert.ok(framed.length <= 16);
    assert.equal(toHex(framed), "0f a2 " + MOVE_BODY_HEX);
  });

  it("encodeMessageInto() writes the same bytes as encodePacket() without a body copy", () => {
    const w = new ByteWriter(4);
    const mark = w.beginFrame();
    encodeMessageInto(w, 1, Move, MOVE_VALUE);
    w.endFrame(mark);
    assert.equal(toHex(w.finish()), "0f a2 " + MOVE_BODY_HEX);
    w.reset();
    encodeMessageInto(w, 7, Move, MOVE_VALUE);
    assert.equal(toHex(w.finish()), "0c 07 02 " + MOVE_BODY_HEX);
  });

  it("decode(frame, 1) reads a compact message's body in place, as decodePacket() + decode() do", () => {
    for (const nsp of [0, 1, 2, 3]) {
      const frame = encodePacket({
        kind: PacketKind.Message,
        nsp,
        code: 2,
        body: Move.encode(MOVE_VALUE),
      });
      assert.equal(compactMessageNsp(frame), nsp);
      const packet = decodePacket(frame);
      assert.ok(packet.kind === PacketKind.Message);
      assert.deepEqual(Move.decode(frame, 1), Move.decode(packet.body));
      assert.throws(
        () => Move.decode(frame.subarray(0, frame.length - 1), 1),
        protocolError("ERR_TRUNCATED"),
      );
    }
    const long = encodePacket({
      kind: PacketKind.Message,
      nsp: 7,
      code: 40,
      body: new Uint8Array(1),
    });
    assert.equal(compactMessageNsp(long), -1, "namespace or code too large for the compact header");
    assert.equal(compactMessageNsp(encodePacket({ kind: PacketKind.Ping, time: 1 })), -1);
    assert.equal(compactMessageNsp(new Uint8Array(0)), -1);
  });

  it("round-trips optional fields through the presence mask", () => {
    const values = [
      { name: "ana", online: true },
      { name: "bo", online: false, avatar: hex("01 02"), level: 3, muted: true },
      { name: "", online: true, muted: false },
      { name: "zé", online: false, level: 0, avatar: new Uint8Array(0) },
    ];
    for (const v of values) assert.deepEqual(Profile.decode(Profile.encode(v)), v);
    assert.equal(toHex(Profile.encode({ name: "a", online: true, muted: true })), "04 03 01 61");
    assert.deepEqual(
      Profile.decode(Profile.encode({ name: "a", online: true, level: undefined })),
      {
        name: "a",
        online: true,
      },
    );
  });

  it("packs more than eight bools and optional fields over several bytes", () => {
    const fields: Record<string, { type: "bool"; optional: true }> = {};
    for (let i = 0; i < 11; i++) fields[`b${i}`] = { type: "bool", optional: true };
    const Flags = defineSchema(3, fields);
    const v = { b0: true, b3: false, b8: true, b10: true };
    const body = Flags.encode(v);
    assert.equal(toHex(body), "09 05 01 05");
    assert.deepEqual(Flags.decode(body), v);
    assert.throws(() => Flags.decode(hex("09 0d 01 05")), protocolError("ERR_BAD_VALUE"));
    assert.throws(() => Flags.decode(hex("09 05 01 0d")), protocolError("ERR_BAD_VALUE"));
    assert.throws(() => Flags.decode(hex("09 01 01 05")), protocolError("ERR_BAD_VALUE"));
  });

  it("throws RangeError for values out of range, naming field, schema and limit", () => {
    assert.throws(
      () => Move.encode({ ...MOVE_VALUE, id: 65536 }),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message ===
          'Cannot encode uint16 field "id" of Move: 65536 is not an integer in 0..65535',
    );
    assert.throws(
      () => Move.encode({ ...MOVE_VALUE, throttle: 1.5 }),
      /single field "throttle" of Move/,
    );
    assert.throws(() => Move.encode({ ...MOVE_VALUE, angle: NaN }), /radians field "angle"/);
    assert.throws(() => Move.encode({ ...MOVE_VALUE, x: 1e39 }), /float32 field "x"/);
    assert.throws(
      () => Profile.encode({ name: "123456789", online: true }),
      /string field "name" of schema 9: 9 UTF-8 bytes exceed maxLength 8/,
    );
    assert.throws(
      () => Profile.encode({ name: "a", online: true, avatar: new Uint8Array(5) }),
      /exceed maxLength 4/,
    );
    assert.throws(() => Move.encode(null as never), TypeError);
  });

  it("decode() throws ProtocolError on truncation, trailing bytes, bad UTF-8 and long strings", () => {
    const body = Move.encode(MOVE_VALUE);
    for (let n = 0; n < body.length; n++) {
      assert.throws(() => Move.decode(body.subarray(0, n)), protocolError("ERR_TRUNCATED"));
    }
    assert.throws(
      () => Move.decode(hex(MOVE_BODY_HEX + " 00")),
      protocolError("ERR_TRAILING_BYTES"),
    );
    assert.throws(
      () => Move.decode(hex("03" + MOVE_BODY_HEX.slice(2))),
      protocolError("ERR_BAD_VALUE"),
    );
    assert.throws(() => Profile.decode(hex("00 01 02 c3 28")), protocolError("ERR_BAD_UTF8"));
    assert.throws(
      () => Profile.decode(hex("00 01 09 61 61 61 61 61 61 61 61 61")),
      protocolError("ERR_STRING_TOO_LONG"),
    );
    assert.throws(
      () => Profile.decode(hex("01 01 01 61 05 01 02 03 04 05")),
      protocolError("ERR_BYTES_TOO_LONG"),
    );
  });

  it("decodeFrom() reads one body and leaves the reader after it", () => {
    const w = new ByteWriter();
    Move.encodeInto(w, MOVE_VALUE);
    w.uint8(0xee);
    const r = new ByteReader(w.finish());
    assert.equal(Move.decodeFrom(r).id, 7);
    assert.equal(r.uint8(), 0xee);
  });

  it("covers every field type in one schema", () => {
    const All = defineSchema(65535, {
      a: "int8",
      b: "uint8",
      c: "int16",
      d: "uint16",
      e: "int32",
      f: "uint32",
      g: "float32",
      h: "float64",
      i: "varint",
      j: "uvarint",
      k: "string",
      l: "bytes",
      m: "single",
      n: "radians",
      o: "bool",
    });
    const v = {
      a: -128,
      b: 255,
      c: -32768,
      d: 65535,
      e: -(2 ** 31),
      f: 2 ** 32 - 1,
      g: 0.25,
      h: Math.E,
      i: -(2 ** 52),
      j: 2 ** 53 - 1,
      k: "日本",
      l: hex("00 ff"),
      m: 0,
      n: Math.PI / 2,
      o: true,
    };
    assert.deepEqual(All.decode(All.encode(v)), v);
    assert.equal(All.fields.length, 15);
    assert.deepEqual(All.fields[10], {
      name: "k",
      type: "string",
      optional: false,
      maxLength: 65535,
    });
  });

  it("compile: false walks the field list and gives the same bytes, values and errors", () => {
    const fields = {
      a: { type: "uint8", optional: true },
      b: "bool",
      c: { type: "bool", optional: true },
      d: { type: "string", optional: true, maxLength: 3 },
      e: "varint",
      f: "radians",
    } as const;
    const fast = defineSchema(4, fields, { name: "S" });
    const slow = defineSchema(4, fields, { name: "S", compile: false });
    const values = [
      { b: true, e: -5, f: Math.PI / 2 },
      { a: 255, b: false, c: true, d: "abc", e: 2 ** 40, f: Math.PI },
      { a: 0, b: true, c: false, d: "", e: 0, f: 0 },
    ];
    for (const v of values) {
      const body = fast.encode(v);
      assert.deepEqual(slow.encode(v), body);
      assert.deepEqual(fast.decode(body), slow.decode(body));
      assert.deepEqual(fast.decode(body), v);
    }
    const bad = [{ b: true, e: 1.5, f: 0 }, { b: 1, e: 1, f: 0 }, {
      b: true,
      e: 1,
      f: 0,
      d: "abcd",
    }, { e: 1, f: 0 }];
    for (const v of bad) {
      let want: unknown;
      try {
        slow.encode(v as never);
      } catch (e) {
        want = e;
      }
      assert.throws(() => fast.encode(v as never), (e: unknown) => {
        assert.equal(String(e), String(want));
        return true;
      });
    }
  });

  it("rejects __proto__ as a field name", () => {
    assert.throws(() => defineSchema(1, JSON.parse('{"__proto__": "uint8"}')), TypeError);
  });

  it("validates the code, the types and maxLength at definition time", () => {
    assert.throws(() => defineSchema(65536, { a: "bool" }), RangeError);
    assert.throws(() => defineSchema(-1, { a: "bool" }), RangeError);
    assert.throws(() => defineSchema(1, { a: "int64" as "int8" }), TypeError);
    assert.throws(() => defineSchema(1, { a: { type: "uint8", maxLength: 3 } }), RangeError);
    assert.throws(() => defineSchema(1, { a: { type: "string", maxLength: -1 } }), RangeError);
    assert.equal(defineSchema(1, {}).encode({}).length, 0);
  });
});

describe("SchemaRegistry", () => {
  it("resolves codes, throws TypeError on a duplicate code", () => {
    const registry = new SchemaRegistry([Move]);
    registry.register(Profile);
    registry.register(Profile);
    assert.equal(registry.size, 2);
    assert.equal(registry.get(2), Move);
    assert.ok(registry.has(9));
    assert.deepEqual(registry.decode(2, Move.encode(MOVE_VALUE)), {
      ...MOVE_VALUE,
      throttle: 128 / 255,
    });
    assert.throws(
      () => registry.register(defineSchema(2, { a: "bool" })),
      /code is taken by another schema \(Move\)/,
    );
    assert.deepEqual([...registry.values()], [Move, Profile]);
  });

  it("decode() throws ERR_UNKNOWN_SCHEMA for an unknown code", () => {
    const registry = new SchemaRegistry();
    assert.throws(
      () => registry.decode(77, new Uint8Array(0)),
      (e: unknown) =>
        e instanceof ProtocolError && e.code === "ERR_UNKNOWN_SCHEMA" && e.closeCode === 1002,
    );
    assert.equal(registry.get(77), undefined);
  });
});
