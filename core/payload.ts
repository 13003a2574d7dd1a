/**
 * Conversion between user values and wire payloads.
 *
 * @module
 */

import type { JsonValue, Payload } from "../protocol/types.ts";

const NONE: Payload = Object.freeze({ type: "none" }) as Payload;

/**
 * Turn a value given to `emit` or an ack into a payload.
 *
 * @param value `undefined`, a `Uint8Array`, or a JSON-compatible value.
 * @returns The payload.
 * @throws {TypeError} When the value cannot be sent (a function, a BigInt, a cycle...).
 */
export function toPayload(value: unknown): Payload {
  if (value === undefined) return NONE;
  if (value instanceof Uint8Array) return { type: "bytes", value };
  const t = typeof value;
  if (t === "function" || t === "symbol" || t === "bigint") {
    throw new TypeError(`Cannot send a ${t}: send JSON-compatible values or a Uint8Array`);
  }
  if (value instanceof ArrayBuffer) return { type: "bytes", value: new Uint8Array(value) };
  return { type: "json", value: value as JsonValue };
}

/**
 * Turn a received payload into the value handlers get.
 *
 * @param payload A decoded payload.
 * @returns `undefined`, a `Uint8Array` (a copy, safe to keep) or the JSON value.
 */
export function fromPayload(payload: Payload): unknown {
  switch (payload.type) {
    case "none":
      return undefined;
    case "json":
      return payload.value;
    case "bytes":
      return payload.value.slice();
    case "schema":
      return { code: payload.code, body: payload.body.slice() };
  }
}
