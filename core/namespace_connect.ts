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
 * of them waits its turn: it is refused). Kept here rather than as a set on
 * every session: an empty set was ~150 bytes of each idle connection.
 */
const connectingOf = new WeakMap<ServerSession, Set<string>>();

/**
 * Admit the session to namespace `name`, or tell the client why not.
 *
 * @param session The client's connection.
 * @param ctx Its server.
 * @param name The namespace asked for.
 * @param auth The client's auth payload.
 */
export async function connectNamespace(
  session: ServerSession,
  ctx: ServerContext,
  name: string,
  auth: Payload,
): Promise<void> {
  const namespace = ctx.namespaces.get(name);
  const refuse = (code: string, message: string): void => {
    session.sendPacket({ kind: PacketKind.ConnectError, name, code, message });
  };
  if (!namespace) return refuse("unknown-namespace", `Namespace "${clip(name)}" does not exist`);
  const connecting = connectingOf.get(session) ?? new Set<string>();
  if (session.sockets.has(namespace.id) || connecting.has(name)) {
    return refuse("already-connected", `Already connected to namespace "${name}"`);
  }
  if (session.sockets.size + connecting.size >= ctx.limits.maxNamespacesPerSocket) {
    return refuse(
      "too-many-namespaces",
      `Cannot open more than ${ctx.limits.maxNamespacesPerSocket} namespaces (maxNamespacesPerSocket)`,
    );
  }
  connecting.add(name);
  connectingOf.set(session, connecting);
  try {
    await namespace.admit(session, auth);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    refuse(
      typeof code === "string" ? clip(code) : "unauthorized",
      clip(error instanceof Error ? error.message : String(error)),
    );
  } finally {
    connecting.delete(name);
    if (connecting.size === 0) connectingOf.delete(session);
  }
}

/** Keep client-chosen text echoed back in messages short (a name may be 64 KiB). */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
