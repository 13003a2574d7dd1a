/**
 * What a session and a namespace need from their server (kept apart to avoid an import cycle).
 *
 * @module
 */

import type { SchemaRegistry } from "../protocol/schema_registry.ts";
import type { Transport } from "../runtime/types.ts";
import type { Deadlines } from "./deadlines.ts";
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
  /** Milliseconds a session whose link dropped waits for its client to resume (0: resume off). */
  readonly resumeWindow: number;
  /** Most frames kept per session for a resume. */
  readonly replayBufferFrames: number;
  /** Most bytes kept per session for a resume. */
  readonly replayBufferBytes: number;
  /** Sessions a client can resume, by resume token (a session keeps its entry up to date). */
  readonly resumable: Map<string, ServerSession>;
  /** The one timer of the server's sessions (handshake timeouts, heartbeats, resume windows). */
  readonly deadlines: Deadlines;
  /** A session ended (its sockets are already gone). */
  sessionClosed(session: ServerSession): void;
  /** A transport closed (a session may have had several, one after the other). */
  transportClosed(transport: Transport): void;
  /** A user handler threw; report it without taking anything down. */
  reportError(error: unknown, where: string): void;
}
