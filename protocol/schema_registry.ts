/**
 * A registry of schemas by code, so both sides resolve the same codes.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import type { Schema } from "./schema.ts";

/**
 * Schemas by code. The server and the client register the same schemas;
 * a message whose code is not registered is a protocol error.
 *
 * @example
 * ```ts
 * import { defineSchema } from "./schema.ts";
 * import { SchemaRegistry } from "./schema_registry.ts";
 * const Chat = defineSchema(3, { text: "string" });
 * const registry = new SchemaRegistry([Chat]);
 * console.log(registry.decode(3, Chat.encode({ text: "hi" }))); // { text: "hi" }
 * ```
 */
export class SchemaRegistry {
  readonly #byCode = new Map<number, Schema<unknown>>();

  /**
   * Create a registry.
   *
   * @param schemas Schemas to register at once.
   */
  constructor(schemas: Iterable<Schema<unknown>> = []) {
    for (const schema of schemas) this.register(schema);
  }

  /** Number of registered schemas. */
  get size(): number {
    return this.#byCode.size;
  }

  /**
   * Add a schema. Registering the same schema object again does nothing.
   *
   * @param schema The schema.
   * @returns The schema, for chaining.
   * @throws {TypeError} When another schema already has this code.
   */
  register<T>(schema: Schema<T>): Schema<T> {
    const known = this.#byCode.get(schema.code);
    if (known === schema) return schema;
    if (known !== undefined) {
      const name = known.name === undefined ? "" : ` (${known.name})`;
      throw new TypeError(
        `Cannot register schema ${schema.code}: the code is taken by another schema${name}; pick another code`,
      );
    }
    this.#byCode.set(schema.code, schema as Schema<unknown>);
    return schema;
  }

  /**
   * Look a schema up by code.
   *
   * @param code A schema code.
   * @returns The schema with that code, or `undefined`.
   */
  get(code: number): Schema<unknown> | undefined {
    return this.#byCode.get(code);
  }

  /**
   * Check whether a code is registered.
   *
   * @param code A schema code.
   * @returns Whether a schema has that code.
   */
  has(code: number): boolean {
    return this.#byCode.has(code);
  }

  /**
   * List the registered schemas.
   *
   * @returns The registered schemas, in registration order.
   */
  values(): IterableIterator<Schema<unknown>> {
    return this.#byCode.values();
  }

  /**
   * Decode a body with the schema registered under `code`.
   *
   * @param code The message's schema code.
   * @param body The message body.
   * @returns The decoded value.
   * @throws {ProtocolError} `ERR_UNKNOWN_SCHEMA` for an unregistered code, or any decode error.
   */
  decode(code: number, body: Uint8Array): unknown {
    const schema = this.#byCode.get(code);
    if (schema === undefined) {
      throw new ProtocolError(
        "ERR_UNKNOWN_SCHEMA",
        `Cannot decode message: no schema has code ${code}`,
      );
    }
    return schema.decode(body);
  }
}
