/**
 * What both ends do with what arrives: schema handlers by code, once-only
 * ack replies, and the checks on event names a user emits.
 *
 * @module
 */

import type { Schema } from "../protocol/schema.ts";
import type { SchemaRegistry } from "../protocol/schema_registry.ts";
import { GameSocketError, RESERVED_EVENTS } from "./errors.ts";
import { longerThan } from "./limits.ts";
import type { AckFn } from "./types.ts";

type Handler = (...args: never[]) => unknown;

/** A schema and its handlers (the list is replaced, never changed, so a run keeps its own). */
export interface SchemaEntry {
  /** The schema, as registered. */
  readonly schema: Schema<unknown>;
  /** Its handlers, in the order added. */
  list: readonly Handler[];
}

/**
 * Handlers of schema messages by schema code. They live apart from named
 * events, so no event name a peer sends can reach them.
 */
export class SchemaHandlers {
  /** Made on the first handler: most sockets never get one, and an empty map costs ~200 bytes. */
  #byCode: Map<number, SchemaEntry> | undefined;
  readonly #registry: SchemaRegistry;

  /**
   * Make an empty set of handlers.
   *
   * @param registry Where `add` registers the schema, so incoming bodies can be decoded.
   */
  constructor(registry: SchemaRegistry) {
    this.#registry = registry;
  }

  /** Add a handler for a schema (and register the schema). */
  add(schema: Schema<never>, handler: Handler): void {
    const registered = this.#registry.register(schema as Schema<unknown>);
    const byCode = this.#byCode ??= new Map();
    const entry = byCode.get(schema.code);
    if (entry) entry.list = [...entry.list, handler];
    else byCode.set(schema.code, { schema: registered, list: [handler] });
  }

  /** Remove one handler of a schema, or all of them. */
  remove(schema: Schema<never>, handler?: Handler): void {
    const byCode = this.#byCode;
    if (byCode === undefined) return;
    const entry = byCode.get(schema.code);
    const list = handler ? entry?.list.filter((h) => h !== handler) : undefined;
    if (entry && list?.length) entry.list = list;
    else byCode.delete(schema.code);
  }

  /** True when a schema code has handlers. */
  has(code: number): boolean {
    return this.#byCode?.has(code) ?? false;
  }

  /** Forget every handler. */
  clear(): void {
    this.#byCode = undefined;
  }

  /**
   * Call every handler of `code` with the decoded value; one that throws does
   * not stop the others.
   *
   * @param value The decoded message.
   * @returns What the handlers threw (a shared empty array when none did: no array per message).
   */
  run(code: number, value: unknown): readonly unknown[] {
    const entry = this.#byCode?.get(code);
    return entry === undefined ? NO_ERRORS : this.call(entry, value);
  }

  /**
   * The schema of a code and its handlers, in one lookup (a receiver's every
   * message: three lookups in two maps were more cold objects per message).
   *
   * @param code A schema code.
   * @returns The entry, or undefined when the code has no handler.
   */
  entry(code: number): SchemaEntry | undefined {
    return this.#byCode?.get(code);
  }

  /**
   * Call every handler of an entry with the decoded value; one that throws
   * does not stop the others.
   *
   * @param entry From {@linkcode SchemaHandlers.entry}.
   * @param value The decoded message.
   * @returns What the handlers threw (a shared empty array when none did).
   */
  call(entry: SchemaEntry, value: unknown): readonly unknown[] {
    const list = entry.list;
    let errors: unknown[] | undefined;
    for (const handler of list) {
      try {
        (handler as (v: unknown) => unknown)(value);
      } catch (error) {
        (errors ??= []).push(error);
      }
    }
    return errors ?? NO_ERRORS;
  }
}

const NO_ERRORS: readonly unknown[] = Object.freeze([]);

/**
 * An ack function for a handler: it sends one reply at most, and none once
 * the socket is gone.
 *
 * @param open Whether a reply can still be sent.
 * @param reply Sends the reply.
 */
export function onceAck(open: () => boolean, reply: (value: unknown) => void): AckFn {
  let answered = false;
  return (value?: unknown) => {
    if (answered || !open()) return;
    answered = true;
    reply(value);
  };
}

/**
 * Throw when user code emits a name only the library may emit, or one longer
 * than the server accepts.
 *
 * @param event The event name.
 * @param maxLength The server's maxEventNameLength, in UTF-8 bytes.
 * @throws {GameSocketError} `ERR_RESERVED_EVENT` or `ERR_LIMIT`.
 */
export function checkEventName(event: string, maxLength: number = Infinity): void {
  if (RESERVED_EVENTS.has(event)) {
    throw new GameSocketError(
      "ERR_RESERVED_EVENT",
      `Cannot emit "${event}": it is a reserved event name`,
    );
  }
  if (longerThan(event, maxLength)) {
    throw new GameSocketError(
      "ERR_LIMIT",
      `Cannot emit "${
        event.slice(0, 32)
      }...": the name is longer than the ${maxLength} bytes the server accepts (maxEventNameLength)`,
    );
  }
}
