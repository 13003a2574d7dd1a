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
  // Namespaces whose middleware is running (a second connect to one of them
  // waits its turn: it is refused); an array only while one runs.
  const connecting = session.connecting ?? [];
  if (session.sockets.has(namespace.id) || connecting.includes(name)) {
    return refuse("already-connected", `Already connected to namespace "${name}"`);
  }
  if (session.sockets.size + connecting.length >= ctx.limits.maxNamespacesPerSocket) {
    return refuse(
      "too-many-namespaces",
      `Cannot open more than ${ctx.limits.maxNamespacesPerSocket} namespaces (maxNamespacesPerSocket)`,
    );
  }
  connecting.push(name);
  session.connecting = connecting;
  try {
    await namespace.admit(session, auth);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    refuse(
      typeof code === "string" ? clip(code) : "unauthorized",
      clip(error instanceof Error ? error.message : String(error)),
    );
  } finally {
    connecting.splice(connecting.indexOf(name), 1);
    if (connecting.length === 0) session.connecting = undefined;
  }
}

/** Keep client-chosen text echoed back in messages short (a name may be 64 KiB). */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
