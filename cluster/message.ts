/**
 * The messages server processes exchange through the cluster engine, and
 * their binary codec (built on the protocol's {@linkcode ByteWriter} and
 * {@linkcode ByteReader}). Every message starts with a version byte and a kind.
 *
 * @module
 */

import { ProtocolError } from "../protocol/errors.ts";
import { ByteReader } from "../protocol/reader.ts";
import { ByteWriter } from "../protocol/writer.ts";

/** Version byte of the cluster message format; other versions are refused. */
export const CLUSTER_VERSION = 1;

/** Largest frame or data blob a cluster message carries. */
const MAX_BLOB = 1 << 30;

/** Kinds of cluster messages. */
export const MessageKind = {
  /** A frame to write to the members of a target. */
  Broadcast: 1,
  /** An event to emit with an ack to the members of a target. */
  AckRequest: 2,
  /** How many sockets a process asked (to the requester's node channel). */
  AckCount: 3,
  /** Replies of asked sockets (to the requester's node channel). */
  AckReply: 4,
  /** A query or an operation on the members of a target. */
  Query: 5,
  /** The answer to a fetch query (to the requester's node channel). */
  QueryReply: 6,
} as const;

/** Operations a {@linkcode MessageKind.Query} asks for. */
export const QueryOp = {
  /** Reply with the ids, rooms and data of the members. */
  Fetch: 0,
  /** Make the members join `room`. */
  Join: 1,
  /** Make the members leave `room`. */
  Leave: 2,
  /** Disconnect the members (`close` closes their whole connection). */
  Disconnect: 3,
} as const;

/** Who a targeted message is for, and where it comes from. */
export interface Targeted {
  /** Sending process. */
  node: string;
  /** Sender's message counter, for deduplication. */
  seq: number;
  /** Sent on several room channels: a process subscribed to two of them drops the second copy. */
  multi: boolean;
  /** Namespace name. */
  nsp: string;
  /** Rooms (empty: the whole namespace). */
  rooms: string[];
  /** Rooms and socket ids left out. */
  except: string[];
}

/** A socket as a cluster-wide query reports it. */
export interface SocketInfo {
  /** The socket id (also its own room). */
  id: string;
  /** Its rooms, its own id room left out. */
  rooms: string[];
  /** `socket.data`, through JSON (values with no JSON form are left out). */
  data: unknown;
  /** Id of the process that holds it. */
  node: string;
}

/** A decoded cluster message. */
export type ClusterMessage =
  | Targeted & { kind: 1; nspId: number; volatile: boolean; frame: Uint8Array }
  | Targeted & { kind: 2; req: number; timeout: number; frame: Uint8Array }
  | { kind: 3; req: number; count: number }
  | { kind: 4; req: number; replies: Array<Uint8Array | null> }
  | Targeted & { kind: 5; req: number; op: number; room: string; close: boolean }
  | { kind: 6; req: number; node: string; sockets: SocketInfo[] };

const writer = new ByteWriter(1024);

/**
 * Encode a cluster message.
 *
 * @param m The message.
 * @returns A new array the caller owns.
 */
export function encodeMessage(m: ClusterMessage): Uint8Array {
  const w = writer.reset();
  w.uint8(CLUSTER_VERSION);
  w.uint8(m.kind);
  switch (m.kind) {
    case MessageKind.Broadcast:
      targeted(w, m);
      w.uvarint(m.nspId);
      w.uint8(m.volatile ? 1 : 0);
      w.bytes(m.frame, MAX_BLOB);
      break;
    case MessageKind.AckRequest:
      targeted(w, m);
      w.uvarint(m.req);
      w.uvarint(m.timeout);
      w.bytes(m.frame, MAX_BLOB);
      break;
    case MessageKind.AckCount:
      w.uvarint(m.req);
      w.uvarint(m.count);
      break;
    case MessageKind.AckReply:
      w.uvarint(m.req);
      w.uvarint(m.replies.length);
      for (const r of m.replies) {
        w.uint8(r ? 1 : 0);
        if (r) w.bytes(r, MAX_BLOB);
      }
      break;
    case MessageKind.Query:
      targeted(w, m);
      w.uvarint(m.req);
      w.uint8(m.op);
      w.string(m.room);
      w.uint8(m.close ? 1 : 0);
      break;
    case MessageKind.QueryReply:
      w.uvarint(m.req);
      w.string(m.node);
      w.uvarint(m.sockets.length);
      for (const s of m.sockets) {
        w.string(s.id);
        list(w, s.rooms);
        w.bytes(encodeUtf8(jsonOf(s.data)), MAX_BLOB);
      }
      break;
  }
  return w.toBytes();
}

/**
 * Decode a cluster message.
 *
 * @param bytes The message (frames come back as views into it).
 * @returns The message.
 * @throws {ProtocolError} On a malformed message or another format version.
 */
export function decodeMessage(bytes: Uint8Array): ClusterMessage {
  const r = new ByteReader(bytes);
  const version = r.uint8();
  if (version !== CLUSTER_VERSION) {
    throw new ProtocolError(
      "ERR_UNSUPPORTED_VERSION",
      `Cannot decode cluster message: format ${version}, this process speaks ${CLUSTER_VERSION}; run one version per cluster`,
    );
  }
  const kind = r.uint8();
  let m: ClusterMessage;
  switch (kind) {
    case MessageKind.Broadcast: {
      const t = readTargeted(r);
      m = { ...t, kind, nspId: r.uvarint(), volatile: r.uint8() === 1, frame: r.bytes(MAX_BLOB) };
      break;
    }
    case MessageKind.AckRequest: {
      const t = readTargeted(r);
      m = { ...t, kind, req: r.uvarint(), timeout: r.uvarint(), frame: r.bytes(MAX_BLOB) };
      break;
    }
    case MessageKind.AckCount:
      m = { kind, req: r.uvarint(), count: r.uvarint() };
      break;
    case MessageKind.AckReply: {
      const req = r.uvarint();
      const replies: Array<Uint8Array | null> = [];
      for (let n = count(r); n > 0; n--) replies.push(r.uint8() === 1 ? r.bytes(MAX_BLOB) : null);
      m = { kind, req, replies };
      break;
    }
    case MessageKind.Query: {
      const t = readTargeted(r);
      m = { ...t, kind, req: r.uvarint(), op: r.uint8(), room: r.string(), close: r.uint8() === 1 };
      break;
    }
    case MessageKind.QueryReply: {
      const req = r.uvarint();
      const node = r.string();
      const sockets: SocketInfo[] = [];
      for (let n = count(r); n > 0; n--) {
        const id = r.string();
        const rooms = readList(r);
        sockets.push({ id, rooms, data: parseJson(r.bytes(MAX_BLOB)), node });
      }
      m = { kind, req, node, sockets };
      break;
    }
    default:
      throw new ProtocolError(
        "ERR_UNKNOWN_PACKET",
        `Cannot decode cluster message: unknown kind ${kind}`,
      );
  }
  r.expectEnd("cluster message");
  return m;
}

function targeted(w: ByteWriter, t: Targeted): void {
  w.string(t.node);
  w.uvarint(t.seq);
  w.uint8(t.multi ? 1 : 0);
  w.string(t.nsp);
  list(w, t.rooms);
  list(w, t.except);
}

function readTargeted(r: ByteReader): Targeted {
  return {
    node: r.string(),
    seq: r.uvarint(),
    multi: r.uint8() === 1,
    nsp: r.string(),
    rooms: readList(r),
    except: readList(r),
  };
}

function list(w: ByteWriter, items: Iterable<string>): void {
  const all = [...items];
  w.uvarint(all.length);
  for (const s of all) w.string(s);
}

function readList(r: ByteReader): string[] {
  const out: string[] = [];
  for (let n = count(r); n > 0; n--) out.push(r.string());
  return out;
}

/** A list length, checked against the bytes left (each item takes at least one byte). */
function count(r: ByteReader): number {
  const n = r.uvarint();
  if (n > r.remaining) {
    throw new ProtocolError(
      "ERR_TRUNCATED",
      `Cannot decode cluster message: ${n} items announced, ${r.remaining} bytes left`,
    );
  }
  return n;
}

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    return "null"; // a cycle or a BigInt: socket.data must be JSON-compatible to travel
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return null;
  }
}
