/**
 * The `volatile` sends of a server socket: dropped, not queued, when the
 * client's link is congested, and over UDP when the connection is bound.
 *
 * @module
 */

import { messageFrame } from "./frames.ts";
import { PacketKind } from "../protocol/types.ts";
import { checkEventName } from "./inbound.ts";
import { toPayload } from "./payload.ts";
import type { Schema } from "../protocol/schema.ts";
import type { ServerSocket } from "./socket.ts";
import type { EventMap } from "./types.ts";

/** Sends that may be dropped under congestion (and go over UDP when bound). */
export interface VolatileSender<E extends EventMap> {
  /** Emit an event, or drop it when the link is congested. */
  emit<K extends keyof E & string>(event: K, payload?: E[K]): boolean;
  /** Send a schema message, or drop it when the link is congested. */
  send<T>(schema: Schema<T>, value: T): boolean;
}

/**
 * The volatile sender of a socket.
 *
 * @param socket The socket.
 * @returns Its `emit` and `send` that drop under congestion.
 */
export function volatileSender<E extends EventMap>(
  socket: ServerSocket<EventMap, E>,
): VolatileSender<E> {
  const session = socket.session;
  const nsp = socket.namespace.id;
  return {
    emit: (event, payload) => {
      checkEventName(event);
      return session.sendPacket({
        kind: PacketKind.Event,
        nsp,
        name: event,
        ackId: 0,
        payload: toPayload(payload),
      }, true);
    },
    send: (schema, value) => session.send(messageFrame(nsp, schema, value), true),
  };
}
