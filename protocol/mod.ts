/**
 * The game-socket wire protocol: framing, packets and typed schema messages.
 * Pure: it uses only `Uint8Array`, `DataView`, `TextEncoder`/`TextDecoder`
 * and Web Streams, so it runs on Deno, Bun, Node and in browsers.
 *
 * Byte layouts and golden vectors are in `PROTOCOL.md`.
 *
 * @example
 * ```ts
 * import { decodePacket, defineSchema, encodeFrame, encodePacket, PacketKind } from "./mod.ts";
 * const Move = defineSchema(2, {
 *   id: "uint16", x: "float32", y: "float32",
 *   angle: "radians", throttle: "single", firing: "bool",
 * });
 * const body = Move.encode({ id: 7, x: 1.5, y: -3, angle: Math.PI, throttle: 0.5, firing: true });
 * const frame = encodePacket({ kind: PacketKind.Message, nsp: 1, code: Move.code, body });
 * console.log(encodeFrame(frame).length); // 16
 * const packet = decodePacket(frame);
 * if (packet.kind === PacketKind.Message) console.log(Move.decode(packet.body).id); // 7
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./field_types.ts";
export * from "./frame.ts";
export * from "./frame_stream.ts";
export * from "./packet.ts";
export * from "./payload.ts";
export * from "./reader.ts";
export * from "./schema.ts";
export * from "./schema_registry.ts";
export * from "./types.ts";
export * from "./utf8.ts";
export * from "./varint.ts";
export * from "./writer.ts";
