import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ByteReader,
  ByteWriter,
  decodeUtf8,
  encodeUtf8,
  MAX_VARINT,
  MIN_VARINT,
  ProtocolError,
  utf8Length,
} from "../protocol/mod.ts";
import { hex, toHex } from "./fixtures/golden.ts";

type NumType =
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64"
  | "varint"
  | "uvarint"
  | "single"
  | "radians";

function write(type: NumType, value: number): Uint8Array {
  const w = new ByteWriter(1);
  w[type](value);
  return w.toBytes();
}

function read(type: NumType, bytes: Uint8Array): number {
  const r = new ByteReader(bytes);
  const v = r[type]();
  r.expectEnd();
  return v;
}

const protocolError = (code: string) => (e: unknown) =>
  e instanceof ProtocolError && e.code === code;

describe("ByteWriter / ByteReader", () => {
  const limits: Array<[NumType, number, number, string, string]> = [
    ["int8", -128, 127, "80", "7f"],
    ["uint8", 0, 255, "00", "ff"],
    ["int16", -32768, 32767, "80 00", "7f ff"],
    ["uint16", 0, 65535, "00 00", "ff ff"],
    ["int32", -(2 ** 31), 2 ** 31 - 1, "80 00 00 00", "7f ff ff ff"],
    ["uint32", 0, 2 ** 32 - 1, "00 00 00 00", "ff ff ff ff"],
    ["varint", MIN_VARINT, MAX_VARINT, "ff ff ff ff ff ff ff 0f", "fe ff ff ff ff ff ff 0f"],
    ["uvarint", 0, Number.MAX_SAFE_INTEGER, "00", "ff ff ff ff ff ff ff 0f"],
  ];
  for (const [type, min, max, minHex, maxHex] of limits) {
    it(`${type}() writes and reads its limits ${min} and ${max}`, () => {
      assert.equal(toHex(write(type, min)), minHex);
      assert.equal(toHex(write(type, max)), maxHex);
      assert.equal(read(type, hex(minHex)), min);
      assert.equal(read(type, hex(maxHex)), max);
    });

    it(`${type}() throws RangeError naming the range, never wraps`, () => {
      for (const bad of [min - 1, max + 1, 1.5, NaN, Infinity, -Infinity]) {
        if (type.includes("varint") && bad === max + 1 && !Number.isSafeInteger(bad)) continue;
        assert.throws(() => write(type, bad), (e: unknown) => {
          return e instanceof RangeError && e.message.includes(type) &&
            /-?\d.*\.\./.test(e.message);
        }, `${type} ${bad}`);
      }
      assert.throws(() => write(type, "1" as unknown as number), TypeError);
    });
  }

  it("varint() and uvarint() reject values beyond their safe range", () => {
    assert.throws(() => write("varint", 2 ** 52), RangeError);
    assert.throws(() => write("varint", -(2 ** 52) - 2), RangeError);
    assert.throws(() => write("uvarint", 2 ** 53), RangeError);
    assert.throws(() => write("uvarint", -1), /0\.\.2\^53-1/);
  });

  it("a failed write writes nothing", () => {
    const w = new ByteWriter();
    w.uint8(1);
    assert.throws(() => w.uint16(70000), RangeError);
    assert.throws(() => w.string("abc", 2), RangeError);
    assert.equal(toHex(w.finish()), "01");
  });

  it("float32() and float64() round-trip, allow NaN and Infinity, reject float32 overflow", () => {
    assert.equal(read("float32", write("float32", -3)), -3);
    assert.equal(read("float64", write("float64", 0.1)), 0.1);
    assert.ok(Number.isNaN(read("float32", write("float32", NaN))));
    assert.equal(read("float64", write("float64", -Infinity)), -Infinity);
    assert.equal(read("float32", write("float32", 3.4028234663852886e38)), 3.4028234663852886e38);
    assert.throws(() => write("float32", 1e39), /float32: 1e\+39 is beyond/);
    assert.throws(() => write("float64", "x" as unknown as number), TypeError);
  });

  it("single() maps 0..1 to one byte and rejects the rest", () => {
    assert.equal(toHex(write("single", 0)), "00");
    assert.equal(toHex(write("single", 1)), "ff");
    assert.equal(toHex(write("single", 0.5)), "80");
    assert.equal(read("single", hex("ff")), 1);
    for (let b = 0; b < 256; b++) {
      assert.equal(
        toHex(write("single", read("single", hex(b.toString(16).padStart(2, "0"))))),
        b.toString(16).padStart(2, "0"),
      );
    }
    for (const bad of [-0.001, 1.001, NaN, Infinity]) {
      assert.throws(() => write("single", bad), /single: .* is not a number in 0\.\.1/);
    }
  });

  it("radians() normalises to [0, 2π) in 1/65536 turns", () => {
    const T = Math.PI * 2;
    assert.equal(toHex(write("radians", 0)), "00 00");
    assert.equal(toHex(write("radians", T)), "00 00");
    assert.equal(toHex(write("radians", -T)), "00 00");
    assert.equal(toHex(write("radians", Math.PI)), "80 00");
    assert.equal(toHex(write("radians", -Math.PI)), "80 00");
    assert.equal(toHex(write("radians", 3 * Math.PI)), "80 00");
    assert.equal(toHex(write("radians", T - 1e-9)), "00 00");
    assert.equal(toHex(write("radians", -1e-9)), "00 00");
    for (let a = -10; a < 10; a += 0.37) {
      const back = read("radians", write("radians", a));
      assert.ok(back >= 0 && back < T);
      const diff = Math.abs(((back - a) % T + T + Math.PI) % T - Math.PI);
      assert.ok(diff <= T / 65536 / 2 + 1e-12, `${a} -> ${back}`);
    }
    for (const bad of [NaN, Infinity, -Infinity]) {
      assert.throws(() => write("radians", bad), RangeError);
    }
  });

  it("string() writes a varint byte length and UTF-8, with a limit", () => {
    const w = new ByteWriter();
    w.string("héllo");
    w.string("");
    w.string("😀");
    assert.equal(toHex(w.finish()), "06 68 c3 a9 6c 6c 6f 00 04 f0 9f 98 80");
    const r = new ByteReader(w.finish());
    assert.equal(r.string(), "héllo");
    assert.equal(r.string(), "");
    assert.equal(r.string(), "😀");
    r.expectEnd();
    w.reset();
    w.string("é".repeat(5), 10);
    assert.throws(() => w.string("é".repeat(6), 10), /string: 12 UTF-8 bytes exceed maxLength 10/);
    assert.throws(() => w.string("x".repeat(11), 10), /11 UTF-8 bytes exceed maxLength 10/);
    assert.throws(() => w.string(5 as unknown as string), TypeError);
  });

  it("string() handles long strings and a length needing two bytes", () => {
    const text = "ab€".repeat(100); // 500 bytes
    const w = new ByteWriter(4);
    w.string(text);
    const bytes = w.toBytes();
    assert.equal(toHex(bytes.subarray(0, 2)), "f4 03");
    assert.equal(new ByteReader(bytes).string(), text);
  });

  it("string() gives the same bytes on its short, medium and big-string paths", () => {
    for (const text of ["x".repeat(100), "é".repeat(60), "ab€😀".repeat(1500), "y".repeat(5000)]) {
      const w = new ByteWriter(16);
      w.uint8(0xaa);
      w.string(text);
      w.uint8(0xbb);
      const want = new TextEncoder().encode(text);
      const r = new ByteReader(w.finish());
      assert.equal(r.uint8(), 0xaa);
      assert.deepEqual(r.bytes(Infinity), want);
      assert.equal(r.uint8(), 0xbb);
      assert.equal(new ByteReader(w.finish().subarray(1)).string(), text);
    }
    const w = new ByteWriter(16);
    w.utf8("ü".repeat(3000));
    assert.equal(w.length, 6000);
    assert.throws(
      () => w.string("é".repeat(5000), 9999),
      /10000 UTF-8 bytes exceed maxLength 9999/,
    );
    assert.equal(w.length, 6000);
  });

  it("string() limit is checked on read before decoding", () => {
    const w = new ByteWriter();
    w.string("hello");
    assert.throws(() => new ByteReader(w.finish()).string(4), protocolError("ERR_STRING_TOO_LONG"));
    assert.throws(
      () => new ByteReader(hex("80 80 04")).string(),
      protocolError("ERR_STRING_TOO_LONG"),
    );
  });

  it("bytes() writes a varint length, reads a view, and has a limit", () => {
    const w = new ByteWriter();
    w.bytes(hex("01 02 03"));
    const out = w.toBytes();
    assert.equal(toHex(out), "03 01 02 03");
    const view = new ByteReader(out).bytes();
    assert.equal(view.buffer, out.buffer);
    assert.equal(toHex(view), "01 02 03");
    assert.throws(() => w.bytes(new Uint8Array(4), 3), /bytes: 4 bytes exceed maxLength 3/);
    assert.throws(() => w.bytes([1] as unknown as Uint8Array), TypeError);
    assert.throws(() => new ByteReader(out).bytes(2), protocolError("ERR_BYTES_TOO_LONG"));
  });

  it("every short read throws ERR_TRUNCATED", () => {
    const cases: Array<[string, (r: ByteReader) => unknown, string]> = [
      ["uint8", (r) => r.uint8(), ""],
      ["int16", (r) => r.int16(), "01"],
      ["uint32", (r) => r.uint32(), "01 02 03"],
      ["float64", (r) => r.float64(), "01 02 03 04 05 06 07"],
      ["uvarint", (r) => r.uvarint(), "80 80"],
      ["string", (r) => r.string(), "03 61 62"],
      ["bytes", (r) => r.bytes(), "05 01"],
      ["radians", (r) => r.radians(), "01"],
    ];
    for (const [what, f, bytes] of cases) {
      assert.throws(() => f(new ByteReader(hex(bytes))), protocolError("ERR_TRUNCATED"), what);
    }
  });

  it("expectEnd() throws ERR_TRAILING_BYTES", () => {
    const r = new ByteReader(hex("01 02"));
    r.uint8();
    assert.equal(r.remaining, 1);
    assert.throws(() => r.expectEnd(), protocolError("ERR_TRAILING_BYTES"));
  });

  it("uvarint() rejects non-minimal and over-long varints", () => {
    assert.throws(() => new ByteReader(hex("80 00")).uvarint(), protocolError("ERR_BAD_VARINT"));
    assert.throws(
      () => new ByteReader(hex("ff ff ff ff ff ff ff ff 01")).uvarint(),
      protocolError("ERR_BAD_VARINT"),
    );
    assert.throws(
      () => new ByteReader(hex("ff ff ff ff ff ff ff 7f")).uvarint(),
      protocolError("ERR_BAD_VARINT"),
    );
  });

  it("a reader works on a view with an offset and reuses its DataView", () => {
    const backing = hex("ff ff 00 07 3f c0 00 00 ff");
    const r = new ByteReader(backing.subarray(2, 8));
    assert.equal(r.uint16(), 7);
    assert.equal(r.float32(), 1.5);
    r.expectEnd();
    r.reset(backing.subarray(0, 2));
    assert.equal(r.int16(), -1);
  });

  it("finish() is a view until the next write; toBytes() is a copy", () => {
    const w = new ByteWriter(16);
    w.uint8(1);
    const view = w.finish();
    const copy = w.toBytes();
    w.reset().uint8(2);
    assert.equal(view[0], 2);
    assert.equal(copy[0], 1);
  });

  it("beginFrame()/endFrame() write the varint length, moving long bodies", () => {
    for (const n of [0, 1, 127, 128, 300, 20000]) {
      const w = new ByteWriter(8);
      w.uint8(9);
      const mark = w.beginFrame();
      for (let i = 0; i < n; i++) w.uint8(i & 0xff);
      w.endFrame(mark);
      const r = new ByteReader(w.finish());
      assert.equal(r.uint8(), 9);
      const body = r.bytes(Infinity);
      assert.equal(body.length, n);
      assert.ok(body.every((b, i) => b === (i & 0xff)));
    }
  });
});

describe("utf8", () => {
  it("encodeUtf8() matches TextEncoder, lone surrogates included", () => {
    const samples = [
      "",
      "a",
      "héllo",
      "€",
      "😀x",
      "\ud800",
      "a\udc00b",
      "\ud83d",
      "\uFEFFbom",
      "x".repeat(100) + "é",
    ];
    for (const s of samples) {
      const want = new TextEncoder().encode(s);
      assert.deepEqual(encodeUtf8(s), want, JSON.stringify(s));
      assert.equal(utf8Length(s), want.length);
    }
  });

  it("decodeUtf8() keeps a byte order mark and round-trips", () => {
    assert.equal(decodeUtf8(hex("ef bb bf 61")), "\uFEFFa");
    assert.equal(decodeUtf8(encodeUtf8("ö".repeat(80))), "ö".repeat(80));
  });

  it("decodeUtf8() throws ERR_BAD_UTF8 for invalid UTF-8", () => {
    const bad = ["ff", "c3", "80", "c0 80", "ed a0 80", "f4 90 80 80", "61 e2 82", "f0 9f 98"];
    for (const b of bad) assert.throws(() => decodeUtf8(hex(b)), protocolError("ERR_BAD_UTF8"), b);
    assert.throws(() => decodeUtf8(hex("61 ".repeat(100) + "ff")), protocolError("ERR_BAD_UTF8"));
    assert.throws(() => new ByteReader(hex("02 c3 28")).string(), protocolError("ERR_BAD_UTF8"));
  });
});
