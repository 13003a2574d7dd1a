/**
 * Generated encoders and decoders for a schema plan.
 *
 * Why: reading `value[name]` with a different `name` for each field makes the
 * engine's property lookup megamorphic, which cost about 13 ns per field on
 * V8 (70-80 ns for the 6-field position update, most of the encode time);
 * building the decoded object key by key costs the same again. Code written
 * for the schema reads and builds with fixed property names (about 1 ns per
 * field). The code is generated once per schema with `new Function`, from
 * field names quoted by `JSON.stringify` and type names from a fixed list.
 *
 * Where code generation is blocked (a Content-Security-Policy without
 * `unsafe-eval`, some edge runtimes), the compile functions return `null` and
 * the schema uses the interpreter of `schema_plan.ts`, which writes the same
 * bytes.
 *
 * @module
 */

import type { ByteReader } from "./reader.ts";
import { badBits, type SchemaPlan, T } from "./schema_plan.ts";
import type { ByteWriter } from "./writer.ts";

/** A generated encoder; it throws on any bad value without saying which (the interpreter says). */
export type GeneratedEncoder = (w: ByteWriter, value: unknown) => void;

/** A generated decoder: reads one body. */
export type GeneratedDecoder = (r: ByteReader) => unknown;

const METHOD = [
  "",
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

function fail(): never {
  throw new TypeError("Cannot encode: bad value");
}

/** Build a function from `factory` source, or `null` when the runtime forbids it. */
function generate<F>(params: string[], source: string, args: unknown[]): F | null {
  try {
    const factory = new Function(...params, `"use strict";\n${source}`) as (...a: unknown[]) => F;
    return factory(...args);
  } catch {
    return null;
  }
}

/**
 * @param plan A schema plan.
 * @returns A generated encoder, or `null` when code generation is unavailable.
 */
export function compileEncoder(plan: SchemaPlan): GeneratedEncoder | null {
  const { names, types, maxLength, optFields, boolFields, dataFields, optBit } = plan;
  const key = (f: number) => `v[${JSON.stringify(names[f])}]`;
  const lines: string[] = ["let x;"];
  const bits = (list: number[], each: (f: number, bit: number) => string) => {
    for (let b = 0; b < list.length; b += 8) {
      lines.push("x = 0;");
      for (let j = b; j < Math.min(b + 8, list.length); j++) {
        lines.push(each(list[j]!, 1 << (j & 7)));
      }
      lines.push("w.uint8(x);");
    }
  };
  bits(optFields, (f, bit) => `if (${key(f)} != null) x |= ${bit};`);
  bits(boolFields, (f, bit) => {
    const absent = optBit[f]! >= 0 ? "y != null" : "true";
    return `{ const y = ${
      key(f)
    }; if (y === true) x |= ${bit}; else if (y !== false && ${absent}) fail(); }`;
  });
  for (const f of dataFields) {
    const t = types[f]!;
    const max = t === T.string || t === T.bytes ? `, ${maxLength[f]}` : "";
    const write = `w.${METHOD[t]}(x${max});`;
    lines.push(`x = ${key(f)};`, optBit[f]! >= 0 ? `if (x != null) ${write}` : write);
  }
  return generate(["fail"], `return function encode(w, v) {\n${lines.join("\n")}\n};`, [fail]);
}

/**
 * @param plan A schema plan.
 * @returns A generated decoder, or `null` when code generation is unavailable.
 */
export function compileDecoder(plan: SchemaPlan): GeneratedDecoder | null {
  const { names, types, maxLength, optFields, boolFields, optBit, boolBit } = plan;
  const lines: string[] = [];
  const bits = (prefix: string, count: number, what: string) => {
    for (let b = 0; b < count; b += 8) {
      lines.push(`const ${prefix}${b >> 3} = r.uint8();`);
      if (count - b < 8) {
        lines.push(`if (${prefix}${b >> 3} >> ${count - b}) bad("unused ${what} set");`);
      }
    }
  };
  bits("m", optFields.length, "presence mask");
  bits("b", boolFields.length, "bool bits");
  const has = (prefix: string, bit: number) => `(${prefix}${bit >> 3} & ${1 << (bit & 7)}) !== 0`;
  for (const f of boolFields) {
    if (optBit[f]! < 0) continue;
    const what = JSON.stringify(`absent bool ${JSON.stringify(names[f])} has its bit set`);
    lines.push(`if (!(${has("m", optBit[f]!)}) && ${has("b", boolBit[f]!)}) bad(${what});`);
  }
  const required: string[] = [];
  const optional: string[] = [];
  names.forEach((name, f) => {
    const t = types[f]!;
    const read = t === T.bool
      ? has("b", boolBit[f]!)
      : `r.${METHOD[t]}(${t === T.string || t === T.bytes ? maxLength[f] : ""})`;
    const k = JSON.stringify(name);
    if (optBit[f]! < 0) {
      lines.push(`const f${f} = ${read};`);
      required.push(`${k}: f${f}`);
    } else {
      lines.push(`const f${f} = ${has("m", optBit[f]!)} ? ${read} : undefined;`);
      optional.push(`if (f${f} !== undefined) o[${k}] = f${f};`);
    }
  });
  lines.push(`const o = { ${required.join(", ")} };`, ...optional, "return o;");
  const bad = (what: string) => badBits(plan, what);
  return generate(["bad"], `return function decode(r) {\n${lines.join("\n")}\n};`, [bad]);
}
