/**
 * A client's request to open a namespace on its connection: checks, the
 * namespace's middleware, and the refusal the client sees when one says no.
 *
 * @module
 */

import { PacketKind, type Payload } from "../protocol/types.ts";
import type { ServerContext } from "./server_context.ts";
import type { ServerSession } from "./session.ts";

/**
 * Namespaces whose middleware is running, by session (a second connect to one
 * of them waits its turn: it is refused). Only while a middleware runs: no
 * field on every session for it.
 */
const connectingOf = new WeakMap<ServerSession, string[]>();

/**
 * Admit the session to namespace `name`, or tell the client why not.
 *
 * @param session The client's connection.
 * @param ctx Its server.
 * @param name The namespace asked for.
 * @param auth The client's auth payload.
 * @returns A promise while middleware runs (it never rejects unless telling
 *   the client failed), undefined when it is all done.
 */
export function connectNamespace(
  session: ServerSession,
  ctx: ServerContext,
  name: string,
  auth: Payload,
): Promise<void> | undefined {
  const namespace = ctx.namespaces.get(name);
  if (!namespace) {
    return refuse(session, name, "unknown-namespace", `Namespace "${clip(name)}" does not exist`);
  }
  const connecting = connectingOf.get(session) ?? [];
  if (session.sockets.has(namespace.id) || connecting.includes(name)) {
    return refuse(session, name, "already-connected", `Already connected to namespace "${name}"`);
  }
  if (session.sockets.size + connecting.length >= ctx.limits.maxNamespacesPerSocket) {
    return refuse(
      session,
      name,
      "too-many-namespaces",
      `Cannot open more than ${ctx.limits.maxNamespacesPerSocket} namespaces (maxNamespacesPerSocket)`,
    );
  }
  let pending: Promise<void> | undefined;
  try {
    // Synchronous without middleware: no promise per connection.
    pending = namespace.admit(session, auth);
  } catch (error) {
    return refuseWith(session, name, error);
  }
  if (pending === undefined) return;
  connecting.push(name);
  connectingOf.set(session, connecting);
  const done = (): void => {
    connecting.splice(connecting.indexOf(name), 1);
    if (connecting.length === 0) connectingOf.delete(session);
  };
  return pending.then(done, (error) => {
    done();
    refuseWith(session, name, error);
  });
}

function refuse(session: ServerSession, name: string, code: string, message: string): undefined {
  session.sendPacket({ kind: PacketKind.ConnectError, name, code, message });
}

/** A middleware (or the admission) threw: its `code` and message go to the client. */
function refuseWith(session: ServerSession, name: string, error: unknown): undefined {
  const code = (error as { code?: unknown }).code;
  refuse(
    session,
    name,
    typeof code === "string" ? clip(code) : "unauthorized",
    clip(error instanceof Error ? error.message : String(error)),
  );
}

/** Keep client-chosen text echoed back in messages short (a name may be 64 KiB). */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
