// Issue 10: the cluster message codec round-trips every kind and refuses bad bytes with a code.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type ClusterMessage,
  decodeMessage,
  encodeMessage,
  MessageKind,
  QueryOp,
} from "../cluster/message.ts";
import { ProtocolError } from "../protocol/errors.ts";

const target = {
  node: "n1",
  seq: 7,
  multi: true,
  nsp: "/game",
  rooms: ["arena", "é"],
  except: ["s1"],
};
const messages: ClusterMessage[] = [
  {
    ...target,
    kind: MessageKind.Broadcast,
    nspId: 3,
    volatile: true,
    frame: new Uint8Array([7, 3, 1]),
  },
  { ...target, kind: MessageKind.AckRequest, req: 5, timeout: 2_000, frame: new Uint8Array([7]) },
  { kind: MessageKind.AckCount, req: 5, count: 12 },
  { kind: MessageKind.AckReply, req: 5, replies: [new Uint8Array([8, 0, 0, 0]), null] },
  { ...target, kind: MessageKind.Query, req: 9, op: QueryOp.Join, room: "final", close: false },
  {
    kind: MessageKind.QueryReply,
    req: 9,
    node: "n2",
    sockets: [{ id: "s2", rooms: ["arena"], data: { name: "ana", hp: 3 }, node: "n2" }],
  },
];

describe("cluster messages", () => {
  it("encodeMessage/decodeMessage round-trip every kind", () => {
    for (const m of messages) assert.deepEqual(decodeMessage(encodeMessage(m)), m);
  });

  it("socket data with no JSON form travels as null", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bytes = encodeMessage({
      kind: MessageKind.QueryReply,
      req: 1,
      node: "n",
      sockets: [{ id: "s", rooms: [], data: cyclic, node: "n" }],
    });
    const m = decodeMessage(bytes);
    assert.equal(m.kind === MessageKind.QueryReply && m.sockets[0]!.data, null);
  });

  it("decodeMessage refuses other versions, unknown kinds, truncated and trailing bytes", () => {
    const good = encodeMessage(messages[0]!);
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array([2, 1]), "ERR_UNSUPPORTED_VERSION"],
      [new Uint8Array([1, 42]), "ERR_UNKNOWN_PACKET"],
      [good.subarray(0, good.length - 1), "ERR_TRUNCATED"],
      [new Uint8Array([...good, 0]), "ERR_TRAILING_BYTES"],
      [new Uint8Array([1, 4, 1, 0xff, 0xff, 0xff, 0x0f]), "ERR_TRUNCATED"], // a huge reply count
    ];
    for (const [bytes, code] of cases) {
      assert.throws(
        () => decodeMessage(bytes),
        (e: unknown) => e instanceof ProtocolError && e.code === code,
      );
    }
  });
});
