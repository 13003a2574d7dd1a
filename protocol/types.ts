/**
 * The packets of the game-socket wire protocol, as typed objects.
 *
 * Byte layouts are in `PROTOCOL.md`. Every packet travels in one frame: a
 * varint length prefix on stream transports (TCP), one binary message on
 * WebSocket, one slot of a datagram on UDP.
 *
 * @module
 */

/** Protocol version sent in `hello`; a server refuses other versions. */
export const PROTOCOL_VERSION = 1;

/** Packet kind byte values. Kinds at or above 0x80 are compact schema messages. */
export const PacketKind = {
  /** Client opens a session (first frame on a connection). */
  Hello: 0x01,
  /** Server accepts the session: ids, timers, limits, tokens. */
  Welcome: 0x02,
  /** Client joins a namespace. */
  Connect: 0x03,
  /** Server accepted a namespace connect. */
  ConnectOk: 0x04,
  /** Server refused a namespace connect (or the whole session when nsp is -1). */
  ConnectError: 0x05,
  /** Either side leaves a namespace, or the whole connection when nsp is -1. */
  Disconnect: 0x06,
  /** A named event with an optional ack id and a payload. */
  Event: 0x07,
  /** The reply to an event that asked for an ack. */
  Ack: 0x08,
  /** Heartbeat request, carries the sender's clock. */
  Ping: 0x09,
  /** Heartbeat reply, echoes the ping's time. */
  Pong: 0x0a,
  /** Room request or notice. */
  Room: 0x0b,
  /** A typed schema message in the long form (any namespace, any code). */
  Message: 0x0c,
  /** Raw bytes for a namespace. */
  Raw: 0x0d,
  /** Cumulative count of reliable frames received (session resume). */
  Received: 0x0e,
} as const;

/** Bit set in the kind byte of a compact schema message: `0x80 | nsp << 5 | code`. */
export const COMPACT_MESSAGE = 0x80;
/** Largest namespace id a compact schema message carries (0..3). */
export const COMPACT_MAX_NSP = 3;
/** Largest schema code a compact schema message carries (0..31). */
export const COMPACT_MAX_CODE = 31;

/** One of the {@linkcode PacketKind} values. */
export type PacketKindValue = typeof PacketKind[keyof typeof PacketKind];

/** Room packet operations. */
export const RoomOp = {
  /** Client asks to join a room (`reqId` answers it). */
  Join: 1,
  /** Client asks to leave a room. */
  Leave: 2,
  /** Server tells the member it joined a room. */
  Joined: 3,
  /** Server tells the member it left a room. */
  Left: 4,
  /** Server refused a client's join or leave request, with a reason. */
  Refused: 5,
} as const;

/** One of the {@linkcode RoomOp} values. */
export type RoomOpValue = typeof RoomOp[keyof typeof RoomOp];

/** A JSON-compatible value. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * The payload of an event, an ack or a connect's auth.
 *
 * - `{ type: "none" }`: no payload (`undefined`).
 * - `{ type: "json", value }`: any JSON-compatible value, UTF-8 JSON text on the wire.
 * - `{ type: "bytes", value }`: a `Uint8Array`, sent as is (decoded as a view into the frame).
 * - `{ type: "schema", code, body }`: a typed schema message; `body` is the encoded body.
 */
export type Payload =
  | { type: "none" }
  | { type: "json"; value: JsonValue }
  | { type: "bytes"; value: Uint8Array }
  | { type: "schema"; code: number; body: Uint8Array };

/** Limits the peer must respect, sent in `welcome`. All are positive integers. */
export interface PeerLimits {
  /** Largest frame the server reads, in bytes. */
  maxFrameSize: number;
  /** Longest event name, in UTF-8 bytes. */
  maxEventNameLength: number;
  /** Most namespaces one connection may open. */
  maxNamespacesPerSocket: number;
  /** Most rooms one socket may be in. */
  maxRoomsPerSocket: number;
  /** Most acks one side may wait for at once. */
  maxPendingAcks: number;
  /** Messages per second the server accepts from one connection (sustained). */
  maxMessagesPerSecond: number;
  /** Bytes per second the server accepts from one connection (sustained). */
  maxBytesPerSecond: number;
}

/** Client opens the session. */
export interface HelloPacket {
  /** Always `PacketKind.Hello`. */
  kind: typeof PacketKind.Hello;
  /** {@linkcode PROTOCOL_VERSION}. */
  version: number;
  /** Token from an earlier welcome to resume that session, "" for a new session. */
  resumeToken: string;
  /** Reliable frames the client has received in the session it resumes (0 when new). */
  received: number;
}

/** Server accepts the session. */
export interface WelcomePacket {
  /** Always `PacketKind.Welcome`. */
  kind: typeof PacketKind.Welcome;
  /** The connection's socket id (the same in every namespace). */
  sid: string;
  /** Milliseconds between heartbeats. */
  pingInterval: number;
  /** Milliseconds without any frame after which a peer is dead (on top of pingInterval). */
  pingTimeout: number;
  /** What the client must not exceed. */
  limits: PeerLimits;
  /** Token the client presents to resume this session, "" when resume is off. */
  resumeToken: string;
  /** True when this welcome resumed an earlier session. */
  resumed: boolean;
  /** Reliable frames the server has received in the resumed session (0 when new). */
  received: number;
  /** UDP binding token, empty when the server has no UDP. */
  udpToken: Uint8Array;
  /** UDP port of the server, 0 when none. */
  udpPort: number;
}

/** Client joins a namespace. */
export interface ConnectPacket {
  /** Always `PacketKind.Connect`. */
  kind: typeof PacketKind.Connect;
  /** Namespace name, e.g. "/home". */
  name: string;
  /** Auth data for the namespace's middleware. */
  auth: Payload;
}

/** Server accepted a namespace. */
export interface ConnectOkPacket {
  /** Always `PacketKind.ConnectOk`. */
  kind: typeof PacketKind.ConnectOk;
  /** Namespace name, as in the connect. */
  name: string;
  /** Small integer used for this namespace on every later packet. */
  nsp: number;
}

/** Server refused a namespace (or the whole session when `name` is ""). */
export interface ConnectErrorPacket {
  /** Always `PacketKind.ConnectError`. */
  kind: typeof PacketKind.ConnectError;
  /** Namespace name, as in the connect, "" for the session. */
  name: string;
  /** Machine-readable code, e.g. "unknown-namespace", "unauthorized". */
  code: string;
  /** Human-readable reason. */
  message: string;
}

/** Either side leaves a namespace (`nsp` >= 0) or the connection (`nsp` = -1). */
export interface DisconnectPacket {
  /** Always `PacketKind.Disconnect`. */
  kind: typeof PacketKind.Disconnect;
  /** Namespace id, or -1 for the whole connection. */
  nsp: number;
  /** A {@linkcode DisconnectReason}-like code. */
  reason: string;
  /** Human-readable detail, may be "". */
  message: string;
}

/** A named event. */
export interface EventPacket {
  /** Always `PacketKind.Event`. */
  kind: typeof PacketKind.Event;
  /** Namespace id. */
  nsp: number;
  /** Event name. */
  name: string;
  /** Ack id, 0 when no ack is wanted. */
  ackId: number;
  /** The event's data. */
  payload: Payload;
}

/** The reply to an event with an ack id. */
export interface AckPacket {
  /** Always `PacketKind.Ack`. */
  kind: typeof PacketKind.Ack;
  /** Namespace id. */
  nsp: number;
  /** The event's ack id. */
  ackId: number;
  /** The reply. */
  payload: Payload;
}

/** Heartbeat request. */
export interface PingPacket {
  /** Always `PacketKind.Ping`. */
  kind: typeof PacketKind.Ping;
  /** Sender's clock in milliseconds (float64). */
  time: number;
}

/** Heartbeat reply. */
export interface PongPacket {
  /** Always `PacketKind.Pong`. */
  kind: typeof PacketKind.Pong;
  /** The ping's time, echoed. */
  time: number;
}

/** Room request (client to server) or notice (server to client). */
export interface RoomPacket {
  /** Always `PacketKind.Room`. */
  kind: typeof PacketKind.Room;
  /** Namespace id. */
  nsp: number;
  /** One of {@linkcode RoomOp}. */
  op: RoomOpValue;
  /** Request id the answer refers to, 0 for notices nobody asked for. */
  reqId: number;
  /** Room name. */
  room: string;
  /** Why a request was refused ("" unless op is Refused). */
  reason: string;
}

/** A typed schema message. Encoded in the compact form when nsp < 4 and code < 32. */
export interface MessagePacket {
  /** Always `PacketKind.Message`. */
  kind: typeof PacketKind.Message;
  /** Namespace id. */
  nsp: number;
  /** Schema code. */
  code: number;
  /** Encoded schema body (a view into the frame when decoded). */
  body: Uint8Array;
}

/** Raw bytes. */
export interface RawPacket {
  /** Always `PacketKind.Raw`. */
  kind: typeof PacketKind.Raw;
  /** Namespace id. */
  nsp: number;
  /** The bytes (a view into the frame when decoded). */
  data: Uint8Array;
}

/** Cumulative count of reliable frames received by the sender. */
export interface ReceivedPacket {
  /** Always `PacketKind.Received`. */
  kind: typeof PacketKind.Received;
  /** Number of reliable frames received in this session so far. */
  count: number;
}

/** Any packet. */
export type Packet =
  | HelloPacket
  | WelcomePacket
  | ConnectPacket
  | ConnectOkPacket
  | ConnectErrorPacket
  | DisconnectPacket
  | EventPacket
  | AckPacket
  | PingPacket
  | PongPacket
  | RoomPacket
  | MessagePacket
  | RawPacket
  | ReceivedPacket;
