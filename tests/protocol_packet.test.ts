import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bytesPayload,
  decodePacket,
  defineSchema,
  encodePacket,
  jsonPayload,
  NO_PAYLOAD,
  type Packet,
  PacketKind,
  ProtocolError,
  schemaPayload,
} from "../protocol/mod.ts";
import { hex, PACKET_VECTORS, toHex } from "./fixtures/golden.ts";

const protocolError = (code: string) => (e: unknown) =>
  e instanceof ProtocolError && e.code === code;

function golden(name: string): Packet {
  return PACKET_VECTORS.find((v) => v.name === name)!.packet;
}

describe("encodePacket()", () => {
  it("returns a fresh array the caller owns", () => {
    const a = encodePacket(golden("ping"));
    const b = encodePacket(golden("pong"));
    assert.notEqual(a.buffer, b.buffer);
    assert.equal(toHex(a), "09 40 93 4a 00 00 00 00 00");
  });

  it("uses the compact message form exactly when nsp <= 3 and code <= 31", () => {
    const body = hex("aa");
    const kind = (nsp: number, code: number) =>
      toHex(encodePacket({ kind: PacketKind.Message, nsp, code, body }).subarray(0, 3));
    assert.equal(kind(0, 0), "80 aa");
    assert.equal(kind(3, 31), "ff aa");
    assert.equal(kind(1, 2), "a2 aa");
    assert.equal(kind(4, 0), "0c 04 00");
    assert.equal(kind(0, 32), "0c 00 20");
    for (let nsp = 0; nsp < 6; nsp++) {
      for (let code = 0; code < 40; code++) {
        const p = { kind: PacketKind.Message, nsp, code, body } as const;
        assert.deepEqual(decodePacket(encodePacket(p)), p);
      }
    }
  });

  it("decodes the long form of a message that would fit the compact form", () => {
    assert.deepEqual(decodePacket(hex("0c 01 02 aa")), {
      kind: PacketKind.Message,
      nsp: 1,
      code: 2,
      body: hex("aa"),
    });
  });

  it("throws RangeError for numbers out of range, naming the field", () => {
    const bad: Array<[Packet, RegExp]> = [
      [
        { kind: PacketKind.Event, nsp: -1, name: "a", ackId: 0, payload: NO_PAYLOAD },
        /field nsp: -1/,
      ],
      [
        { kind: PacketKind.Event, nsp: 0, name: "a", ackId: 1.5, payload: NO_PAYLOAD },
        /field ackId/,
      ],
      [{ kind: PacketKind.Ack, nsp: 0, ackId: 2 ** 53, payload: NO_PAYLOAD }, /field ackId/],
      [{ kind: PacketKind.Disconnect, nsp: -2, reason: "", message: "" }, /field nsp: -2/],
      [
        { kind: PacketKind.Message, nsp: 0, code: 65536, body: hex("") },
        /field code: 65536 is not an integer in 0\.\.65535/,
      ],
      [
        { kind: PacketKind.Room, nsp: 0, op: 9 as 1, reqId: 0, room: "", reason: "" },
        /field op: 9 is not an integer in 1\.\.5/,
      ],
      [{ kind: PacketKind.Received, count: NaN }, /field count/],
      [
        { kind: PacketKind.Hello, version: 1, resumeToken: "x".repeat(70000), received: 0 },
        /field resumeToken: Cannot encode string: 70000 UTF-8 bytes exceed maxLength 65535/,
      ],
      [{
        kind: PacketKind.Event,
        nsp: 0,
        name: "a",
        ackId: 0,
        payload: { type: "schema", code: -1, body: hex("") },
      }, /code -1/],
    ];
    for (const [p, re] of bad) {
      assert.throws(
        () => encodePacket(p),
        (e: unknown) => e instanceof RangeError && re.test(e.message),
        re.source,
      );
    }
  });

  it("throws TypeError for wrong types and unknown kinds", () => {
    assert.throws(() => encodePacket({ kind: 0x42 } as unknown as Packet), /unknown kind 66/);
    assert.throws(
      () => encodePacket({ kind: PacketKind.ConnectOk, name: 7, nsp: 0 } as unknown as Packet),
      /field name: expected a string/,
    );
    const noJson = {
      kind: PacketKind.Ack,
      nsp: 0,
      ackId: 1,
      payload: { type: "json", value: undefined },
    };
    assert.throws(() => encodePacket(noJson as unknown as Packet), /has no JSON form/);
    assert.throws(
      () =>
        encodePacket(
          { ...noJson, payload: { type: "json", value: { n: 1n } } } as unknown as Packet,
        ),
      TypeError,
    );
  });

  it("a toJSON() that encodes another packet does not corrupt the outer one", () => {
    const inner = { toJSON: () => toHex(encodePacket({ kind: PacketKind.Received, count: 1 })) };
    const p = { kind: PacketKind.Ack, nsp: 0, ackId: 1, payload: { type: "json", value: inner } };
    assert.deepEqual(decodePacket(encodePacket(p as unknown as Packet)), {
      kind: PacketKind.Ack,
      nsp: 0,
      ackId: 1,
      payload: { type: "json", value: "0e 01" },
    });
  });

  it("payload helpers build the payload union", () => {
    const S = defineSchema(5, { a: "uint8" });
    assert.deepEqual(jsonPayload([1]), { type: "json", value: [1] });
    assert.deepEqual(bytesPayload(hex("01")), { type: "bytes", value: hex("01") });
    assert.deepEqual(schemaPayload(S, { a: 9 }), { type: "schema", code: 5, body: hex("09") });
    assert.deepEqual(NO_PAYLOAD, { type: "none" });
  });
});

describe("decodePacket()", () => {
  it("throws ERR_UNKNOWN_PACKET for unknown kinds", () => {
    for (const k of [0x00, 0x0f, 0x10, 0x7f]) {
      assert.throws(
        () => decodePacket(new Uint8Array([k, 0])),
        protocolError("ERR_UNKNOWN_PACKET"),
      );
    }
  });

  it("throws ERR_TRUNCATED for an empty frame and every cut of a fixed-layout vector", () => {
    assert.throws(() => decodePacket(new Uint8Array(0)), protocolError("ERR_TRUNCATED"));
    const fixed = [
      "hello-resume",
      "welcome",
      "connect-ok",
      "connect-error",
      "disconnect-namespace",
      "ping",
      "room-refused",
      "received",
    ];
    for (const name of fixed) {
      const bytes = hex(PACKET_VECTORS.find((v) => v.name === name)!.hex);
      for (let n = 1; n < bytes.length; n++) {
        assert.throws(
          () => decodePacket(bytes.subarray(0, n)),
          protocolError("ERR_TRUNCATED"),
          `${name} cut at ${n}`,
        );
      }
    }
  });

  it("throws ERR_TRAILING_BYTES after fixed-layout packets and empty payloads", () => {
    for (
      const h of [
        "09 40 93 4a 00 00 00 00 00 00",
        "0e 03 00",
        "04 01 2f 01 00",
        "08 00 2a 00 00",
        "01 01 00 00 00",
      ]
    ) {
      assert.throws(() => decodePacket(hex(h)), protocolError("ERR_TRAILING_BYTES"), h);
    }
  });

  it("throws ERR_BAD_PAYLOAD, ERR_BAD_JSON and ERR_BAD_UTF8 for bad payloads", () => {
    assert.throws(() => decodePacket(hex("08 00 01 04")), protocolError("ERR_BAD_PAYLOAD"));
    assert.throws(() => decodePacket(hex("08 00 01")), protocolError("ERR_TRUNCATED"));
    assert.throws(() => decodePacket(hex("08 00 01 01 7b")), protocolError("ERR_BAD_JSON"));
    assert.throws(() => decodePacket(hex("08 00 01 01")), protocolError("ERR_BAD_JSON"));
    assert.throws(() => decodePacket(hex("08 00 01 01 22 ff 22")), protocolError("ERR_BAD_UTF8"));
    assert.throws(() => decodePacket(hex("03 02 2f ff 00")), protocolError("ERR_BAD_UTF8"));
  });

  it("throws ERR_BAD_VALUE for out-of-range enumerations", () => {
    assert.throws(() => decodePacket(hex("0b 00 06 00 00 00")), protocolError("ERR_BAD_VALUE"));
    assert.throws(() => decodePacket(hex("0b 00 00 00 00 00")), protocolError("ERR_BAD_VALUE"));
    assert.throws(() => decodePacket(hex("0c 00 80 80 04")), protocolError("ERR_BAD_VALUE"));
    assert.throws(
      () => decodePacket(hex("07 00 00 00 03 80 80 04")),
      protocolError("ERR_BAD_VALUE"),
    );
    const welcome = hex(PACKET_VECTORS.find((v) => v.name === "welcome")!.hex);
    const resumed = welcome.slice();
    resumed[23] = 2;
    assert.throws(() => decodePacket(resumed), protocolError("ERR_BAD_VALUE"));
  });

  it("returns views into the frame for bodies, data and bytes payloads", () => {
    const frame = hex("07 01 03 62 75 79 07 02 01 02 03");
    const p = decodePacket(frame);
    assert.ok(p.kind === PacketKind.Event && p.payload.type === "bytes");
    assert.equal(p.payload.value.buffer, frame.buffer);
    frame[8] = 9;
    assert.equal(p.payload.value[0], 9);
  });

  it("decodes the whole-connection disconnect as nsp -1", () => {
    assert.equal((decodePacket(hex("06 00 00 00")) as { nsp: number }).nsp, -1);
    assert.equal((decodePacket(hex("06 05 00 00")) as { nsp: number }).nsp, 4);
  });

  it("round-trips unicode names, a JSON payload and a long JSON payload", () => {
    const big = { list: Array.from({ length: 500 }, (_, i) => ({ i, s: "ü" + i })) };
    const packets: Packet[] = [
      {
        kind: PacketKind.Event,
        nsp: 3,
        name: "émoji 😀",
        ackId: 2 ** 40,
        payload: jsonPayload(big),
      },
      { kind: PacketKind.Connect, name: "/ü", auth: bytesPayload(new Uint8Array(1000)) },
      { kind: PacketKind.Ping, time: -0.5 },
    ];
    for (const p of packets) assert.deepEqual(decodePacket(encodePacket(p)), p);
  });
});
