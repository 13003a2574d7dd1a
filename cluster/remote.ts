/**
 * The local side of cluster requests: a process applies the broadcasts,
 * ack requests and queries of other processes to its own sockets, and
 * collects the answers to its own requests.
 *
 * @module
 */

import { socketInfo } from "../core/broadcast.ts";
import { GameSocketError } from "../core/errors.ts";
import { fromPayload, toPayload } from "../core/payload.ts";
import type { ServerSocket } from "../core/socket.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { decodePacket, encodePacket } from "../protocol/packet.ts";
import { type Packet, PacketKind } from "../protocol/types.ts";
import type { AckSink, ClusterHost } from "./adapter.ts";
import {
  type ClusterMessage,
  MessageKind,
  QueryOp,
  type SocketInfo,
  type Targeted,
} from "./message.ts";

/** Extra time an ack request is remembered after its timeout, for late counts. */
const GRACE = 1_000;

interface Fetch {
  sockets: SocketInfo[];
  expected: number;
  got: number;
  resolve: (sockets: SocketInfo[]) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Message<K> = Extract<ClusterMessage, { kind: K }>;

/** Runs other processes' requests on this process's sockets, and tracks this process's requests. */
export class Remote {
  readonly #node: string;
  readonly #host: ClusterHost;
  readonly #send: (node: string, m: ClusterMessage) => void;
  #nextReq = 1;
  readonly #acks = new Map<number, { sink: AckSink; timer: ReturnType<typeof setTimeout> }>();
  readonly #fetches = new Map<number, Fetch>();
  /** Ack replies waiting to leave together, by requester and request. */
  readonly #outgoing = new Map<
    string,
    { node: string; req: number; replies: Array<Uint8Array | null> }
  >();

  /**
   * @param node This process's node id.
   * @param host The server.
   * @param send Publish a message on a process's node channel.
   */
  constructor(node: string, host: ClusterHost, send: (node: string, m: ClusterMessage) => void) {
    this.#node = node;
    this.#host = host;
    this.#send = send;
  }

  /** Register an acks-from-many request. @returns Its id. */
  expectAcks(sink: AckSink, timeout: number): number {
    const req = this.#req();
    const timer = setTimeout(() => this.#acks.delete(req), timeout + GRACE);
    this.#acks.set(req, { sink, timer });
    return req;
  }

  /** Register a fetch; call `expect` with the number of processes that got it (-1: it was not sent). */
  expectSockets(timeout: number): {
    req: number;
    result: Promise<SocketInfo[]>;
    expect: (processes: number) => void;
  } {
    const req = this.#req();
    let f!: Fetch;
    const result = new Promise<SocketInfo[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fetches.delete(req);
        reject(
          new GameSocketError(
            "ERR_ACK_TIMEOUT",
            `Cannot fetch sockets: ${f.got} of ${
              f.expected < 0 ? "?" : f.expected
            } processes answered within ${timeout} ms`,
          ),
        );
      }, timeout);
      f = { sockets: [], expected: -1, got: 0, resolve, reject, timer };
    });
    this.#fetches.set(req, f);
    const expect = (n: number) => {
      if (n >= 0) return this.#settle(req, f, n);
      clearTimeout(f.timer);
      this.#fetches.delete(req);
      f.reject(
        new GameSocketError(
          "ERR_NOT_CONNECTED",
          "Cannot fetch sockets cluster-wide: the cluster is down",
        ),
      );
    };
    return { req, result, expect };
  }

  /** Write another process's broadcast to the local members of its target. */
  deliver(m: Message<1>): void {
    const ns = this.#host.namespaces.get(m.nsp);
    if (!ns) return;
    // Copy once: the engine's buffer is not ours to keep.
    const frame = ns.id === m.nspId ? m.frame.slice() : renumber(m.frame, ns.id);
    for (const id of ns.select(targetOf(m))) ns.sockets.get(id)?.session.send(frame, m.volatile);
  }

  /** Ask the local members for an ack and send their replies to the requester. */
  onAckRequest(m: Message<2>, act: boolean): void {
    if (m.node === this.#node) return this.#onCount(m.req, 0); // our own copy
    const sockets = act ? this.#members(m) : [];
    this.#send(m.node, { kind: MessageKind.AckCount, req: m.req, count: sockets.length });
    if (sockets.length === 0) return;
    const packet = decodePacket(m.frame);
    if (packet.kind !== PacketKind.Event) {
      throw new ProtocolError(
        "ERR_BAD_VALUE",
        `Cannot ask for acks: packet kind ${packet.kind} is not an event`,
      );
    }
    const value = fromPayload(packet.payload);
    for (const socket of sockets) {
      socket.emitWithAck(packet.name, value, { timeout: m.timeout }).then(
        (reply) => this.#queueReply(m.node, m.req, ackFrame(reply)),
        () => this.#queueReply(m.node, m.req, null),
      );
    }
  }

  /** Answer a fetch, or apply join/leave/disconnect to the local members. */
  onQuery(m: Message<5>, act: boolean): void {
    if (m.op === QueryOp.Fetch) {
      if (m.node === this.#node) return this.#onSockets(m.req, []);
      const sockets = act ? this.#members(m).map((s) => socketInfo(s, this.#node)) : [];
      return this.#send(m.node, {
        kind: MessageKind.QueryReply,
        req: m.req,
        node: this.#node,
        sockets,
      });
    }
    if (!act) return;
    for (const socket of this.#members(m)) {
      try {
        if (m.op === QueryOp.Join) socket.join(m.room);
        else if (m.op === QueryOp.Leave) socket.leave(m.room);
        else if (m.op === QueryOp.Disconnect) socket.disconnect(m.close);
      } catch (error) {
        this.#host.reportError(
          error,
          `cluster ${m.op === QueryOp.Join ? "join" : "operation"} on ${socket.id}`,
        );
      }
    }
  }

  /** An answer to one of this process's requests. */
  onReply(m: ClusterMessage): void {
    switch (m.kind) {
      case MessageKind.AckCount:
        return this.#onCount(m.req, m.count);
      case MessageKind.AckReply: {
        const sink = this.#acks.get(m.req)?.sink;
        for (const r of m.replies) sink?.reply(r !== null, r === null ? undefined : ackValue(r));
        return;
      }
      case MessageKind.QueryReply:
        return this.#onSockets(m.req, m.sockets);
    }
  }

  /** End every pending request (the adapter closed). */
  abortAll(error: Error): void {
    for (const { sink, timer } of this.#acks.values()) {
      clearTimeout(timer);
      sink.abort(error);
    }
    this.#acks.clear();
    for (const f of this.#fetches.values()) {
      clearTimeout(f.timer);
      f.reject(error);
    }
    this.#fetches.clear();
  }

  #onCount(req: number, count: number): void {
    this.#acks.get(req)?.sink.asked(count);
  }

  #onSockets(req: number, sockets: SocketInfo[]): void {
    const f = this.#fetches.get(req);
    if (!f) return;
    f.sockets.push(...sockets);
    f.got++;
    this.#settle(req, f, f.expected);
  }

  #settle(req: number, f: Fetch, expected: number): void {
    f.expected = expected;
    if (expected < 0 || f.got < expected) return;
    clearTimeout(f.timer);
    this.#fetches.delete(req);
    f.resolve(f.sockets);
  }

  #members(m: Targeted): ServerSocket[] {
    const ns = this.#host.namespaces.get(m.nsp);
    if (!ns) return [];
    const out: ServerSocket[] = [];
    for (const id of ns.select(targetOf(m))) {
      const socket = ns.sockets.get(id);
      if (socket) out.push(socket);
    }
    return out;
  }

  #queueReply(node: string, req: number, reply: Uint8Array | null): void {
    if (this.#outgoing.size === 0) queueMicrotask(() => this.#flushReplies());
    const key = `${node} ${req}`;
    const batch = this.#outgoing.get(key);
    if (batch) batch.replies.push(reply);
    else this.#outgoing.set(key, { node, req, replies: [reply] });
  }

  #flushReplies(): void {
    for (const { node, req, replies } of this.#outgoing.values()) {
      this.#send(node, { kind: MessageKind.AckReply, req, replies });
    }
    this.#outgoing.clear();
  }

  #req(): number {
    const req = this.#nextReq;
    this.#nextReq = req >= 0x7fffffff ? 1 : req + 1;
    return req;
  }
}

function targetOf(m: Targeted): { rooms: Set<string>; except: Set<string>; volatile: boolean } {
  return { rooms: new Set(m.rooms), except: new Set(m.except), volatile: false };
}

/** The frame with another namespace id (processes may number their namespaces differently). */
function renumber(frame: Uint8Array, nsp: number): Uint8Array {
  const packet = decodePacket(frame);
  if (!("nsp" in packet)) return frame.slice();
  return encodePacket({ ...packet, nsp } as Packet);
}

function ackFrame(reply: unknown): Uint8Array | null {
  try {
    return encodePacket({ kind: PacketKind.Ack, nsp: 0, ackId: 0, payload: toPayload(reply) });
  } catch {
    return null; // a reply with no wire form counts as lost
  }
}

function ackValue(frame: Uint8Array): unknown {
  const packet = decodePacket(frame);
  return packet.kind === PacketKind.Ack ? fromPayload(packet.payload) : undefined;
}
