/**
 * The payload of an event, an ack or a connect's auth: one tag byte, then the
 * data up to the end of the frame.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import type { ByteReader } from "./reader.ts";
import type { Schema } from "./schema.ts";
import type { JsonValue, Payload } from "./types.ts";
import { decodeUtf8 } from "./utf8.ts";
import type { ByteWriter } from "./writer.ts";

/** Payload tag byte values. */
export const PayloadTag = {
  /** No payload; nothing follows. */
  None: 0,
  /** UTF-8 JSON text to the end of the frame. */
  Json: 1,
  /** Bytes to the end of the frame. */
  Bytes: 2,
  /** A uvarint schema code, then the schema body to the end of the frame. */
  Schema: 3,
} as const;

/** The empty payload. */
export const NO_PAYLOAD: Payload = Object.freeze({ type: "none" });

/**
 * Make a JSON payload.
 *
 * @param value A JSON-compatible value.
 * @returns A JSON payload.
 */
export function jsonPayload(value: JsonValue): Payload {
  return { type: "json", value };
}

/**
 * Make a bytes payload.
 *
 * @param value The bytes (not copied).
 * @returns A bytes payload.
 */
export function bytesPayload(value: Uint8Array): Payload {
  return { type: "bytes", value };
}

/**
 * Make a schema payload: encode `value` with `schema`.
 *
 * @param schema The message's schema.
 * @param value The message.
 * @returns A schema payload holding the encoded body.
 */
export function schemaPayload<T>(schema: Schema<T>, value: T): Payload {
  return { type: "schema", code: schema.code, body: schema.encode(value) };
}

/**
 * Append a payload (tag and data). It must be the last field of its packet.
 *
 * @param w Where to write.
 * @param payload The payload.
 * @throws {TypeError} A JSON value with no JSON form; {@linkcode RangeError} a schema code out of range.
 */
export function writePayload(w: ByteWriter, payload: Payload): void {
  switch (payload.type) {
    case "none":
      w.uint8(PayloadTag.None);
      return;
    case "json": {
      const text = JSON.stringify(payload.value);
      if (typeof text !== "string") {
        throw new TypeError(
          `Cannot encode json payload: ${typeof payload
            .value} has no JSON form; send a JSON-compatible value`,
        );
      }
      w.uint8(PayloadTag.Json);
      w.utf8(text);
      return;
    }
    case "bytes":
      w.uint8(PayloadTag.Bytes);
      w.raw(payload.value);
      return;
    case "schema":
      if (!Number.isInteger(payload.code) || payload.code < 0 || payload.code > 0xffff) {
        throw new RangeError(
          `Cannot encode schema payload: code ${payload.code} is not in 0..65535`,
        );
      }
      w.uint8(PayloadTag.Schema);
      w.uvarint(payload.code);
      w.raw(payload.body);
      return;
    default:
      throw new TypeError(
        `Cannot encode payload: unknown type ${(payload as { type: unknown }).type}`,
      );
  }
}

/**
 * Read a payload: the tag and everything up to the end of the reader.
 * Bytes and schema bodies are views into the frame.
 *
 * @param r The reader, at the tag byte.
 * @returns The payload.
 * @throws {ProtocolError} `ERR_BAD_PAYLOAD` (unknown tag), `ERR_BAD_JSON`, `ERR_BAD_UTF8`, ...
 */
export function readPayload(r: ByteReader): Payload {
  const tag = r.uint8();
  switch (tag) {
    case PayloadTag.None:
      r.expectEnd("empty payload");
      return NO_PAYLOAD;
    case PayloadTag.Json: {
      const text = decodeUtf8(r.rest());
      let value: JsonValue;
      try {
        value = JSON.parse(text);
      } catch {
        throw new ProtocolError(
          "ERR_BAD_JSON",
          `Cannot decode json payload: ${text.length} characters are not valid JSON`,
        );
      }
      return { type: "json", value };
    }
    case PayloadTag.Bytes:
      return { type: "bytes", value: r.rest() };
    case PayloadTag.Schema: {
      const code = r.uvarint();
      if (code > 0xffff) {
        throw new ProtocolError(
          "ERR_BAD_VALUE",
          `Cannot decode schema payload: code ${code} > 65535`,
        );
      }
      return { type: "schema", code, body: r.rest() };
    }
    default:
      throw new ProtocolError("ERR_BAD_PAYLOAD", `Cannot decode payload: unknown tag ${tag}`);
  }
}
