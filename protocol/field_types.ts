/**
 * The field types shared by {@linkcode ByteWriter}, {@linkcode ByteReader} and
 * schemas, and their limits.
 *
 * @module
 */

/**
 * Names of the field types a schema can declare. Multi-byte values are
 * big-endian; layouts are in `PROTOCOL.md`.
 *
 * - `bool`: one bit, packed (schemas only).
 * - `int8`/`uint8`, `int16`/`uint16`, `int32`/`uint32`: fixed width, two's complement.
 * - `float32`, `float64`: IEEE 754.
 * - `varint`: zigzag then LEB128, -2^52 .. 2^52 - 1. `uvarint`: LEB128, 0 .. 2^53 - 1.
 * - `string`: UTF-8 with a uvarint byte length. `bytes`: uvarint length and bytes.
 * - `single`: a number in 0..1 in one byte (round(v * 255)).
 * - `radians`: an angle in two bytes (step 2π/65536), normalised to [0, 2π).
 */
export type FieldType =
  | "bool"
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
  | "string"
  | "bytes"
  | "single"
  | "radians";

/** Every {@linkcode FieldType}, in a fixed order (the index is the internal type id). */
export const FIELD_TYPES: readonly FieldType[] = [
  "bool",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "float32",
  "float64",
  "varint",
  "uvarint",
  "string",
  "bytes",
  "single",
  "radians",
];

/** Default limit of a `string` (UTF-8 bytes) or `bytes` field: 65535. */
export const DEFAULT_MAX_LENGTH = 65_535;

/** Smallest value of a `varint` field: -2^52 (its zigzag form must stay a safe integer). */
export const MIN_VARINT: number = -(2 ** 52);

/** Largest value of a `varint` field: 2^52 - 1. */
export const MAX_VARINT: number = 2 ** 52 - 1;

/** 2π, one full turn. */
export const TAU: number = Math.PI * 2;
