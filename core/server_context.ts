/**
 * What a session and a namespace need from their server (kept apart to avoid an import cycle).
 *
 * @module
 */

import type { SchemaRegistry } from "../protocol/schema_registry.ts";
import type { Limits } from "./limits.ts";
import type { Namespace } from "./namespace.ts";
import type { ServerSession } from "./session.ts";

/** The server as its sessions and namespaces see it. */
export interface ServerContext {
  /** Limits in force. */
  readonly limits: Readonly<Limits>;
  /** Milliseconds between heartbeats. */
  readonly pingInterval: number;
  /** Extra milliseconds of silence before a peer is dead. */
  readonly pingTimeout: number;
  /** Namespaces by name. */
  readonly namespaces: ReadonlyMap<string, Namespace>;
  /** Schemas both sides may send. */
  readonly schemas: SchemaRegistry;
  /** A session ended (its sockets are already gone). */
  sessionClosed(session: ServerSession): void;
  /** A session's link is closed for good (after the session ended). */
  transportClosed(session: ServerSession): void;
  /** A user handler threw; report it without taking anything down. */
  reportError(error: unknown, where: string): void;
}
