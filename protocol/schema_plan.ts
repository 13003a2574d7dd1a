/**
 * A schema's field list compiled into flat arrays, and the interpreted codec
 * over them. The interpreter is the reference: it gives the precise error
 * messages, and it runs wherever generated code cannot (see `schema_jit.ts`).
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { FIELD_TYPES, type FieldType } from "./field_types.ts";
import type { ByteReader } from "./reader.ts";
import type { ByteWriter } from "./writer.ts";

/** Internal type ids: indexes into {@linkcode FIELD_TYPES}. */
export const T: { readonly [K in FieldType]: number } = {
  bool: 0,
  int8: 1,
  uint8: 2,
  int16: 3,
  uint16: 4,
  int32: 5,
  uint32: 6,
  float32: 7,
  float64: 8,
  varint: 9,
  uvarint: 10,
  string: 11,
  bytes: 12,
  single: 13,
  radians: 14,
};

/** One field of a schema, normalised. */
export interface SchemaField {
  /** Property name. */
  readonly name: string;
  /** Field type. */
  readonly type: FieldType;
  /** Whether the field may be absent. */
  readonly optional: boolean;
  /** Limit of a `string` or `bytes` field (0 for other types). */
  readonly maxLength: number;
}

/** A schema's fields as parallel arrays, in declaration order. */
export interface SchemaPlan {
  /** Schema name or "schema <code>", for messages. */
  readonly label: string;
  /** Field names. */
  readonly names: string[];
  /** Type ids ({@linkcode T}). */
  readonly types: number[];
  /** Limits of string and bytes fields. */
  readonly maxLength: number[];
  /** Presence bit of each field, -1 when required. */
  readonly optBit: number[];
  /** Bool bit of each field, -1 when not a bool. */
  readonly boolBit: number[];
  /** Indexes of the optional fields, in bit order. */
  readonly optFields: number[];
  /** Indexes of the bool fields, in bit order. */
  readonly boolFields: number[];
  /** Indexes of the non-bool fields. */
  readonly dataFields: number[];
  /** Scratch for the presence mask and the bool bits while decoding (decoding is not re-entrant). */
  readonly scratch: [Uint8Array, Uint8Array];
}

/**
 * @param fields Normalised fields.
 * @param label Name for messages.
 * @returns The plan.
 */
export function buildPlan(fields: readonly SchemaField[], label: string): SchemaPlan {
  const plan: SchemaPlan = {
    label,
    names: [],
    types: [],
    maxLength: [],
    optBit: [],
    boolBit: [],
    optFields: [],
    boolFields: [],
    dataFields: [],
    scratch: [new Uint8Array(0), new Uint8Array(0)],
  };
  fields.forEach((f, i) => {
    plan.names.push(f.name);
    plan.types.push(FIELD_TYPES.indexOf(f.type));
    plan.maxLength.push(f.maxLength);
    plan.optBit.push(f.optional ? plan.optFields.push(i) - 1 : -1);
    plan.boolBit.push(f.type === "bool" ? plan.boolFields.push(i) - 1 : -1);
    if (f.type !== "bool") plan.dataFields.push(i);
  });
  plan.scratch[0] = new Uint8Array((plan.optFields.length + 7) >> 3);
  plan.scratch[1] = new Uint8Array((plan.boolFields.length + 7) >> 3);
  return plan;
}

/**
 * Encode `value` by walking the plan.
 *
 * @param plan The schema's plan.
 * @param w Where to write.
 * @param value The message.
 */
export function encodeWithPlan(plan: SchemaPlan, w: ByteWriter, value: unknown): void {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`Cannot encode ${plan.label}: expected an object, got ${value}`);
  }
  const v = value as Record<string, unknown>;
  writeBits(plan, w, v, plan.optFields, false);
  writeBits(plan, w, v, plan.boolFields, true);
  const { names, types, dataFields } = plan;
  let f = -1;
  try {
    for (let i = 0; i < dataFields.length; i++) {
      f = dataFields[i]!;
      const x = v[names[f]!] as never;
      if (x === undefined || x === null) {
        if (plan.optBit[f]! >= 0) continue;
        throw new TypeError(`Cannot encode ${plan.label}: field "${names[f]}" is missing`);
      }
      // deno-fmt-ignore
      switch (types[f]) {
        case T.int8: w.int8(x); break;
        case T.uint8: w.uint8(x); break;
        case T.int16: w.int16(x); break;
        case T.uint16: w.uint16(x); break;
        case T.int32: w.int32(x); break;
        case T.uint32: w.uint32(x); break;
        case T.float32: w.float32(x); break;
        case T.float64: w.float64(x); break;
        case T.varint: w.varint(x); break;
        case T.uvarint: w.uvarint(x); break;
        case T.string: w.string(x, plan.maxLength[f]); break;
        case T.bytes: w.bytes(x, plan.maxLength[f]); break;
        case T.single: w.single(x); break;
        default: w.radians(x);
      }
    }
  } catch (error) {
    if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
    const message = error.message.replace(
      /^Cannot encode ([^:]+): /,
      `Cannot encode $1 field "${names[f]}" of ${plan.label}: `,
    );
    throw error instanceof RangeError
      ? new RangeError(message, { cause: error })
      : new TypeError(message, { cause: error });
  }
}

/** Write the presence mask (`values` false) or the bool bits (`values` true). */
function writeBits(
  plan: SchemaPlan,
  w: ByteWriter,
  v: Record<string, unknown>,
  list: number[],
  values: boolean,
): void {
  let byte = 0;
  for (let j = 0; j < list.length; j++) {
    const f = list[j]!;
    const x = v[plan.names[f]!];
    if (x === undefined || x === null) {
      if (values && plan.optBit[f]! < 0) {
        throw new TypeError(`Cannot encode ${plan.label}: field "${plan.names[f]}" is missing`);
      }
    } else if (!values || x === true) byte |= 1 << (j & 7);
    else if (x !== false) {
      throw new TypeError(
        `Cannot encode bool field "${plan.names[f]}" of ${plan.label}: got ${typeof x}`,
      );
    }
    if ((j & 7) === 7 || j === list.length - 1) {
      w.uint8(byte);
      byte = 0;
    }
  }
}

/**
 * Decode one body by walking the plan.
 *
 * @param plan The schema's plan.
 * @param r Where to read.
 * @returns The message.
 */
export function decodeWithPlan(plan: SchemaPlan, r: ByteReader): Record<string, unknown> {
  const mask = readBits(plan, r, plan.scratch[0], plan.optFields.length, "presence mask");
  const bools = readBits(plan, r, plan.scratch[1], plan.boolFields.length, "bool bits");
  const { names, types, optBit, boolBit, maxLength } = plan;
  for (let i = 0; i < plan.boolFields.length; i++) {
    const f = plan.boolFields[i]!;
    if (optBit[f]! >= 0 && !has(mask, optBit[f]!) && has(bools, boolBit[f]!)) {
      badBits(plan, `absent bool "${names[f]}" has its bit set`);
    }
  }
  const out: Record<string, unknown> = {};
  for (let f = 0; f < names.length; f++) {
    if (optBit[f]! >= 0 && !has(mask, optBit[f]!)) continue;
    const name = names[f]!;
    const bit = has(bools, boolBit[f]!);
    // deno-fmt-ignore
    switch (types[f]) {
      case T.bool: out[name] = bit; break;
      case T.int8: out[name] = r.int8(); break;
      case T.uint8: out[name] = r.uint8(); break;
      case T.int16: out[name] = r.int16(); break;
      case T.uint16: out[name] = r.uint16(); break;
      case T.int32: out[name] = r.int32(); break;
      case T.uint32: out[name] = r.uint32(); break;
      case T.float32: out[name] = r.float32(); break;
      case T.float64: out[name] = r.float64(); break;
      case T.varint: out[name] = r.varint(); break;
      case T.uvarint: out[name] = r.uvarint(); break;
      case T.string: out[name] = r.string(maxLength[f]); break;
      case T.bytes: out[name] = r.bytes(maxLength[f]); break;
      case T.single: out[name] = r.single(); break;
      default: out[name] = r.radians();
    }
  }
  return out;
}

/** Whether `bit` (LSB first; -1 = none) is set in `bits`. */
function has(bits: Uint8Array, bit: number): boolean {
  return bit >= 0 && (bits[bit >> 3]! & (1 << (bit & 7))) !== 0;
}

/** Read `count` bits (LSB first); bits above `count` must be clear. */
function readBits(
  plan: SchemaPlan,
  r: ByteReader,
  bytes: Uint8Array,
  count: number,
  what: string,
): Uint8Array {
  for (let i = 0; i < bytes.length; i++) bytes[i] = r.uint8();
  if (count & 7 && bytes[bytes.length - 1]! >> (count & 7)) badBits(plan, `unused ${what} set`);
  return bytes;
}

/**
 * @param plan The schema's plan.
 * @param what What is wrong.
 * @throws {ProtocolError} Always, `ERR_BAD_VALUE`.
 */
export function badBits(plan: SchemaPlan, what: string): never {
  throw new ProtocolError("ERR_BAD_VALUE", `Cannot decode ${plan.label}: ${what}`);
}
