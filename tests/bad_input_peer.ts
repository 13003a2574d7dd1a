// A raw TCP peer for the limits, bad-input and fuzz tests: it writes whatever bytes a test
// crafts (node:net, which Node, Deno and Bun all provide) and decodes what the server answers.
import * as net from "node:net";
import { encodeFrame, FrameDecoder } from "../protocol/frame.ts";
import { decodePacket, encodePacket } from "../protocol/packet.ts";
import { type Packet, PacketKind, PROTOCOL_VERSION } from "../protocol/types.ts";
import type { GameSocketServer } from "../server.ts";
import type { ServerStats } from "../core/server_stats.ts";
import { until } from "./helpers.ts";

/** One frame on the wire (length prefix included) for a packet. */
export function frameOf(packet: Packet): Uint8Array {
  return encodeFrame(encodePacket(packet));
}

/** The hello frame of this protocol version. */
export const HELLO: Uint8Array = frameOf({
  kind: PacketKind.Hello,
  version: PROTOCOL_VERSION,
  resumeToken: "",
  received: 0,
});

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A varint, written by hand so that values the encoder refuses can be sent. */
export function varint(value: number): Uint8Array {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return new Uint8Array(out);
}

/** A TCP connection that writes raw bytes and records the packets the server sends. */
export class RawPeer {
  readonly packets: Packet[] = [];
  /** Set when the server sent bytes that do not decode (it never should). */
  decodeError: Error | undefined;
  readonly closed: Promise<void>;
  #socket: net.Socket;
  #isClosed = false;
  readonly #decoder = new FrameDecoder({ maxFrameSize: 1 << 24 });

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("error", () => {}); // resets are expected: the close below reports them
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.#isClosed = true;
        resolve();
      });
    });
  }

  /** Connect to a server on 127.0.0.1. */
  static open(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawPeer(socket));
      });
    });
  }

  /** Connect and complete the handshake; optionally open namespaces (returns their ids). */
  static async ready(port: number, ...namespaces: string[]): Promise<[RawPeer, ...number[]]> {
    const peer = await RawPeer.open(port);
    peer.write(HELLO);
    await peer.waitFor((p) => p.kind === PacketKind.Welcome, "welcome");
    const ids: number[] = [];
    for (const name of namespaces) ids.push(await peer.connect(name));
    return [peer, ...ids];
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Write bytes (ignored once closed). */
  write(bytes: Uint8Array): void {
    if (!this.#isClosed && !this.#socket.destroyed) this.#socket.write(bytes);
  }

  /** Write one packet as a frame. */
  send(packet: Packet): void {
    this.write(frameOf(packet));
  }

  /** Open a namespace and resolve with its id. */
  async connect(name: string): Promise<number> {
    this.send({ kind: PacketKind.Connect, name, auth: { type: "none" } });
    const ok = await this.waitFor(
      (p) => p.kind === PacketKind.ConnectOk && p.name === name,
      `connect-ok for ${name}`,
    );
    return (ok as { nsp: number }).nsp;
  }

  /** Resolve with the first packet (already received or coming) that matches. */
  async waitFor(match: (p: Packet) => boolean, what: string, ms = 5_000): Promise<Packet> {
    let found: Packet | undefined;
    await until(() => (found = this.packets.find(match)) !== undefined, ms, what);
    return found!;
  }

  /**
   * Resolve with the reason of the server's connection-level disconnect once the
   * server has closed the link; "" when it closed without one.
   */
  async goodbye(ms = 5_000): Promise<string> {
    await until(() => this.#isClosed, ms, "the server to close the link");
    const bye = this.packets.find((p) => p.kind === PacketKind.Disconnect && p.nsp === -1);
    return bye && bye.kind === PacketKind.Disconnect ? bye.reason : "";
  }

  /** Stop reading: the kernel buffers fill and the server's queue grows. */
  pause(): void {
    this.#socket.pause();
  }

  /** Read again. */
  resume(): void {
    this.#socket.resume();
  }

  /** Send a FIN but keep reading (a half-closed peer). */
  end(): void {
    this.#socket.end();
  }

  /** Drop the link at once. */
  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    if (this.decodeError) return;
    try {
      this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), (f) => {
        this.packets.push(decodePacket(f.slice()));
      });
    } catch (error) {
      this.decodeError = error as Error;
    }
  }
}

/** Wait until the server holds nothing: no session, socket, room, pending ack or address. */
export async function untilEmpty(server: GameSocketServer, ms = 5_000): Promise<void> {
  const empty = (s: ServerStats) => Object.values(s).every((n) => n === 0);
  try {
    await until(() => empty(server.stats()), ms, "empty registries");
  } catch {
    throw new Error(`Registries not empty: ${JSON.stringify(server.stats())}`);
  }
}

/** A seeded PRNG (mulberry32): the same seed gives the same bytes on every runtime. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
