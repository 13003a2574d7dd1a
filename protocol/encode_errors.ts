/**
 * The errors `ByteWriter` throws, built outside its methods so that the
 * methods stay small enough for the engine to inline.
 *
 * @module
 */

import { utf8Length } from "./utf8.ts";

/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Throw unless `value` is a number a float32 can hold (NaN and ±Infinity are allowed).
 *
 * @param value The value to check.
 */
export function float32Check(value: unknown): void {
  if (typeof value !== "number") throw typeError("float32", "a number", value);
  if (Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
    throw new RangeError(`Cannot encode float32: ${value} is beyond ±${FLOAT32_MAX}`);
  }
}

/**
 * The error for a bad integer.
 *
 * @param type The field type.
 * @param value The value.
 * @param range The allowed range, e.g. "0..255".
 * @returns A `TypeError` for a non-number, else a `RangeError`.
 */
export function intError(type: string, value: unknown, range: string): Error {
  if (typeof value !== "number") return typeError(type, "a number", value);
  return new RangeError(`Cannot encode ${type}: ${show(value)} is not an integer in ${range}`);
}

/**
 * The error for a value of the wrong JavaScript type.
 *
 * @param type The field type.
 * @param expected What was expected, e.g. "a string".
 * @param value The value.
 * @returns The error.
 */
export function typeError(type: string, expected: string, value: unknown): TypeError {
  return new TypeError(`Cannot encode ${type}: expected ${expected}, got ${typeof value}`);
}

/**
 * The error for a string over its limit.
 *
 * @param value The string.
 * @param maxLength The limit in UTF-8 bytes.
 * @returns The error.
 */
export function stringError(value: string, maxLength: number): RangeError {
  return new RangeError(
    `Cannot encode string: ${utf8Length(value)} UTF-8 bytes exceed maxLength ${maxLength}`,
  );
}

/**
 * The error for a bad `single`.
 *
 * @param value The value.
 * @returns The error.
 */
export function singleError(value: unknown): RangeError {
  return new RangeError(`Cannot encode single: ${show(value)} is not a number in 0..1`);
}

/**
 * The error for a bad `radians`.
 *
 * @param value The value.
 * @returns The error.
 */
export function radiansError(value: unknown): RangeError {
  return new RangeError(`Cannot encode radians: ${show(value)} is not a finite number`);
}

function show(value: unknown): string {
  return typeof value === "number" ? String(value) : typeof value;
}
