// A UDP relay for the UDP tests: client <-> front socket | back socket <-> server.
// Data datagrams of one direction go through a fixed, seeded pattern of drops,
// duplicates and holds (a held datagram is forwarded after the next one: a
// reorder). Everything else passes untouched. Real sockets of the runtime under test.
import { bindUdp } from "../runtime/auto.ts";
import type { UdpSocket } from "../runtime/types.ts";
import { DATAGRAM_BIND, DATAGRAM_BOUND, DATAGRAM_DATA } from "../core/udp_datagram.ts";

/** What the relay does with one data datagram. */
export type Action = "pass" | "drop" | "dup" | "hold";

/** Which way the pattern applies. */
export type Direction = "toServer" | "toClient";

/** mulberry32: a small seeded PRNG, so the pattern is the same on every run and runtime. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` actions drawn from `seed`: 15% drop, 15% dup, 20% hold, 50% pass. */
export function pattern(seed: number, count: number): Action[] {
  const random = seeded(seed);
  return Array.from({ length: count }, () => {
    const r = random();
    return r < 0.15 ? "drop" : r < 0.3 ? "dup" : r < 0.5 ? "hold" : "pass";
  });
}

/** The order in which the relay forwards items 1..n under `actions` (the same rules as Relay). */
export function arrivals(actions: Action[]): number[] {
  const out: number[] = [];
  let held: number[] = [];
  actions.forEach((action, i) => {
    const n = i + 1;
    if (action === "drop") return;
    if (action === "hold") return void held.push(n);
    out.push(n);
    if (action === "dup") out.push(n);
    out.push(...held);
    held = [];
  });
  return [...out, ...held];
}

/** Latest-wins and duplicate suppression applied to an arrival order, as the receiver must. */
export function expected(order: number[]): { delivered: number[]; late: number; dups: number } {
  const seen = new Set<number>();
  const delivered: number[] = [];
  let late = 0;
  let dups = 0;
  for (const n of order) {
    if (seen.has(n)) {
      dups++;
      continue;
    }
    seen.add(n);
    if (delivered.length > 0 && n < delivered[delivered.length - 1]!) late++;
    else delivered.push(n);
  }
  return { delivered, late, dups };
}

/** The relay. */
export class Relay {
  /** The socket clients send to. */
  front!: UdpSocket;
  /** The socket the server sees as the client. */
  back!: UdpSocket;
  /** The server's UDP port (set once it listens). */
  serverPort = 0;
  /** Actions for data datagrams going `direction`, by order of arrival. */
  actions: Action[] = [];
  direction: Direction = "toServer";
  /** Drop every bind datagram (the client never binds). */
  dropBinds = false;
  /** Drop everything, both ways (the path is gone). */
  blackhole = false;
  /** Copies of the bind datagrams seen, and the sizes of every data datagram, per direction. */
  readonly binds: Uint8Array[] = [];
  /** Bound replies forwarded to the client. */
  bounds = 0;
  readonly dataSizes: Record<Direction, number[]> = { toServer: [], toClient: [] };
  #client: { port: number; address: string } | undefined;
  #held: Uint8Array[] = [];
  #index = 0;

  static async open(): Promise<Relay> {
    const relay = new Relay();
    relay.front = await bindUdp({ port: 0, hostname: "127.0.0.1" }, (bytes, port, address) => {
      relay.#client = { port, address };
      relay.#forward("toServer", bytes.slice());
    });
    relay.back = await bindUdp({ port: 0, hostname: "127.0.0.1" }, (bytes) => {
      relay.#forward("toClient", bytes.slice());
    });
    return relay;
  }

  /** Forward what is held. */
  release(): void {
    for (const bytes of this.#held.splice(0)) this.#send(this.direction, bytes);
  }

  async close(): Promise<void> {
    await Promise.all([this.front.close(), this.back.close()]);
  }

  #forward(direction: Direction, bytes: Uint8Array): void {
    if (this.blackhole) return;
    if (bytes[0] === DATAGRAM_BIND) {
      this.binds.push(bytes);
      if (this.dropBinds) return;
    }
    if (bytes[0] === DATAGRAM_BOUND) this.bounds++;
    if (bytes[0] !== DATAGRAM_DATA) return this.#send(direction, bytes);
    this.dataSizes[direction].push(bytes.length);
    if (direction !== this.direction) return this.#send(direction, bytes);
    const action = this.actions[this.#index++] ?? "pass";
    if (action === "drop") return;
    if (action === "hold") return void this.#held.push(bytes);
    this.#send(direction, bytes);
    if (action === "dup") this.#send(direction, bytes.slice());
    this.release();
  }

  #send(direction: Direction, bytes: Uint8Array): void {
    if (direction === "toServer") this.back.send(bytes, this.serverPort, "127.0.0.1");
    else if (this.#client) this.front.send(bytes, this.#client.port, this.#client.address);
  }
}
