/**
 * Micro-benchmark of the protocol codec against JSON, in the same run.
 *
 * Run: `node --import tsx bench/codec.ts`, `npx bun bench/codec.ts` or
 * `npx deno run -A bench/codec.ts`. Each case runs for about one second.
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import {
  ByteWriter,
  decodePacket,
  defineSchema,
  encodeFrame,
  encodeMessageInto,
  encodePacket,
  encodePacketInto,
  type EventPacket,
  FrameDecoder,
  type Packet,
  PacketKind,
  SchemaRegistry,
} from "../protocol/mod.ts";

/** One measured case. */
export interface CodecBenchResult {
  /** What was measured. */
  name: string;
  /** Encode + decode round trips per second. */
  opsPerSec: number;
  /** Bytes of one encoded message (for binary cases: on a TCP stream, length prefix included). */
  bytes: number;
}

const Move = defineSchema(2, {
  id: "uint16",
  x: "float32",
  y: "float32",
  angle: "radians",
  throttle: "single",
  firing: "bool",
}, { name: "Move" });

const move = { id: 7, x: 1.5, y: -3, angle: Math.PI, throttle: 0.5, firing: true };
const event: EventPacket = {
  kind: PacketKind.Event,
  nsp: 0,
  name: "chat",
  ackId: 0,
  payload: { type: "json", value: { from: "ana", text: "hello all", t: 123 } },
};

/** Run `op` in batches until `ms` have passed; returns ops per second. */
function measure(op: (i: number) => void, ms: number): number {
  const batch = 1000;
  let i = 0;
  const warm = performance.now() + Math.min(200, ms / 5);
  while (performance.now() < warm) for (let j = 0; j < batch; j++) op(i++);
  i = 0;
  const start = performance.now();
  let now = start;
  do {
    for (let j = 0; j < batch; j++) op(i++);
    now = performance.now();
  } while (now - start < ms);
  return Math.round(i / ((now - start) / 1000));
}

/**
 * Measure encode + decode of the position update and of a chat event, binary and JSON.
 *
 * @param msPerCase Time box of each case, in milliseconds.
 * @returns One result per case.
 */
export function runCodecBench(msPerCase = 1000): Promise<CodecBenchResult[]> {
  const registry = new SchemaRegistry([Move]);
  // Cases that encode into a fresh array decode from a copy in a receive
  // buffer, as a socket's read buffer would hold it: a view of a fresh array
  // under 64 bytes makes V8 move that array off its heap (~0.4 us), a cost no
  // real receiver pays. The reused-writer cases decode from the writer's
  // buffer, which is off-heap already.
  const rx = new Uint8Array(65536);
  const receive = (wire: Uint8Array, onFrame: (frame: Uint8Array) => void) => {
    rx.set(wire);
    decoder.push(rx.subarray(0, wire.length), onFrame);
  };
  const writer = new ByteWriter();
  const decoder = new FrameDecoder({ maxFrameSize: 65536 });
  let sink = 0;
  const onMove = (frame: Uint8Array) => {
    const p = decodePacket(frame);
    if (p.kind === PacketKind.Message) {
      sink += (registry.decode(p.code, p.body) as { id: number }).id;
    }
  };
  const onEvent = (frame: Uint8Array) => {
    sink += (decodePacket(frame) as EventPacket).ackId + 1;
  };
  const framedMove = (i: number) => {
    move.x = i & 1023;
    writer.reset();
    const mark = writer.beginFrame();
    encodeMessageInto(writer, 1, Move, move);
    writer.endFrame(mark);
    return writer.finish();
  };
  const simpleMove = (i: number) => {
    move.x = i & 1023;
    const body = Move.encode(move);
    return encodeFrame(encodePacket({ kind: PacketKind.Message, nsp: 1, code: Move.code, body }));
  };
  const framedEvent = (p: Packet) => {
    writer.reset();
    const mark = writer.beginFrame();
    encodePacketInto(writer, p);
    writer.endFrame(mark);
    return writer.finish();
  };
  const jsonMove = () => JSON.stringify(move);
  const jsonEvent = () => JSON.stringify(event);
  const results: CodecBenchResult[] = [
    {
      name: "position update, binary (reused writer)",
      opsPerSec: measure((i) => decoder.push(framedMove(i), onMove), msPerCase),
      bytes: framedMove(0).length,
    },
    {
      name: "position update, binary (encodePacket + encodeFrame)",
      opsPerSec: measure((i) => receive(simpleMove(i), onMove), msPerCase),
      bytes: simpleMove(0).length,
    },
    {
      name: "position update, JSON.stringify + JSON.parse",
      opsPerSec: measure((i) => {
        move.x = i & 1023;
        sink += JSON.parse(JSON.stringify(move)).id;
      }, msPerCase),
      bytes: new TextEncoder().encode(jsonMove()).length,
    },
    {
      name: "chat event, binary (reused writer)",
      opsPerSec: measure(() => decoder.push(framedEvent(event), onEvent), msPerCase),
      bytes: framedEvent(event).length,
    },
    {
      name: "chat event, binary (encodePacket + encodeFrame)",
      opsPerSec: measure(() => receive(encodeFrame(encodePacket(event)), onEvent), msPerCase),
      bytes: encodeFrame(encodePacket(event)).length,
    },
    {
      name: "chat event, JSON.stringify + JSON.parse",
      opsPerSec: measure(() => {
        sink += JSON.parse(JSON.stringify(event)).ackId + 1;
      }, msPerCase),
      bytes: new TextEncoder().encode(jsonEvent()).length,
    },
  ];
  if (sink === -1) console.log(sink); // keep the results alive
  return Promise.resolve(results);
}

/**
 * Print results as a table, with each binary case compared to the JSON case of the same message.
 *
 * @param results What {@linkcode runCodecBench} returned.
 */
export function printCodecBench(results: CodecBenchResult[]): void {
  const json = (name: string) =>
    results.find((r) => r.name.startsWith(name.split(",")[0]!) && r.name.includes("JSON"));
  console.log("| case | ops/s | bytes | vs JSON ops/s | vs JSON bytes |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of results) {
    const j = json(r.name)!;
    const speed = (r.opsPerSec / j.opsPerSec).toFixed(1);
    const size = (r.bytes / j.bytes).toFixed(2);
    console.log(
      `| ${r.name} | ${r.opsPerSec.toLocaleString("en-US")} | ${r.bytes} | ${speed}x | ${size}x |`,
    );
  }
}

const meta = import.meta as ImportMeta & { main?: boolean };
const isMain = meta.main ??
  (typeof process !== "undefined" && process.argv[1] !== undefined &&
    import.meta.url === pathToFileURL(process.argv[1]).href);
if (isMain) printCodecBench(await runCodecBench());
