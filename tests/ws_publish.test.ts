// PublishHub: frames a turn sends to many transports go out as one native publish, in order;
// and on Bun, a room broadcast over WebSocket reaches every member in order with unicasts mixed in.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PublishHub, type PublishMember } from "../runtime/ws_publish.ts";
import { WsTransport } from "../runtime/ws_transport.ts";
import { GameSocketServer } from "../server.ts";
import { GameSocketClient } from "../client.ts";
import { runtimeName } from "../runtime/auto.ts";
import { until } from "./helpers.ts";

/** What a fake member saw, as it would reach its socket: sends and publishes, in order. */
class FakeMember implements PublishMember {
  readonly hubId = Math.floor(Math.random() * 0x7fffffff);
  readonly topics = new Set<string>();
  /** Frames as they reach the socket (the publisher's own copy included). */
  readonly got: string[] = [];
  #queue: Uint8Array[] = [];
  #keys: Uint8Array[] = [];
  constructor(readonly hub: PublishHub, readonly all: FakeMember[]) {}
  send(frame: Uint8Array): void {
    if (this.#queue.length === 0) this.hub.queued(this);
    this.#queue.push(this.hub.copy(frame));
    this.#keys.push(frame);
  }
  get queuedCount(): number {
    return this.#queue.length;
  }
  queuedFrame(i: number): Uint8Array {
    return this.#queue[i]!;
  }
  queuedKey(i: number): Uint8Array {
    return this.#keys[i]!;
  }
  dropQueued(): void {
    this.#queue.length = 0;
    this.#keys.length = 0;
  }
  takeQueued(frames: Uint8Array[][], keys: Uint8Array[][]): boolean {
    if (this.#queue.length === 0) return false;
    frames.push(this.#queue);
    keys.push(this.#keys);
    this.#queue = [];
    this.#keys = [];
    return true;
  }
  sendFrames(frames: Uint8Array[]): void {
    for (const f of frames) this.got.push(`send ${f.join(",")}`);
  }
  subscribe(topic: string): void {
    this.topics.add(topic);
  }
  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }
  /** Set when the member's own send fails (it closes, as a WsTransport does). */
  failSend = false;
  closed = false;
  publishFrom(topic: string, frame: Uint8Array): boolean {
    if (this.closed) return false;
    for (const m of this.all) {
      if (m !== this && !m.closed && m.topics.has(topic)) m.got.push(`pub ${frame}`);
    }
    if (this.failSend) this.closed = true;
    else this.got.push(`pub ${frame}`);
    return true;
  }
  published(): void {}
}

function members(n: number): { hub: PublishHub; all: FakeMember[] } {
  const hub = new PublishHub();
  const all: FakeMember[] = [];
  for (let i = 0; i < n; i++) all.push(new FakeMember(hub, all));
  return { hub, all };
}

describe("PublishHub", () => {
  it("PublishHub publishes a frame sent to many members once, between their own frames", async () => {
    const { all } = members(10);
    const shared = new Uint8Array([9, 9]);
    all.forEach((m, i) => m.send(new Uint8Array([1, i]))); // a unicast each
    for (const m of all) m.send(shared);
    all[3]!.send(new Uint8Array([2, 3])); // and one more for one of them
    await Promise.resolve();
    all.forEach((m, i) => {
      const tail = i === 3 ? ["send 2,3"] : [];
      assert.deepEqual(m.got, [`send 1,${i}`, "pub 9,9", ...tail]);
      assert.equal(m.topics.size, 1);
    });
    const published = all.flatMap((m) => m.got).filter((g) => g.startsWith("pub")).length;
    assert.equal(published, 10, "one publish reached each member once");
  });

  it("PublishHub reuses a topic while the recipients stay the same, and makes a new one when they change", async () => {
    const { all } = members(12);
    const room = all.slice(0, 10);
    const send = async (to: FakeMember[], byte: number) => {
      const frame = new Uint8Array([byte]);
      for (const m of to) m.send(frame);
      await Promise.resolve();
    };
    await send(room, 1);
    const [first] = room[0]!.topics;
    await send(room, 2);
    assert.deepEqual([...room[0]!.topics], [first], "same topic");
    await send(all.slice(0, 11), 3); // someone joined
    assert.equal(all[10]!.topics.size, 1);
    assert.notEqual([...all[10]!.topics][0], first);
    assert.deepEqual(all[10]!.got, ["pub 3"]);
    assert.deepEqual(all[11]!.got, [], "not a recipient, never reached");
    assert.deepEqual(room[0]!.got, ["pub 1", "pub 2", "pub 3"]);
  });

  it("PublishHub sends one by one when a turn's shared frames cannot be published in order", async () => {
    const { all } = members(10);
    const a = new Uint8Array([0xa]);
    const b = new Uint8Array([0xb]);
    // Member 0 gets b then a, the others a then b: no single order fits a publish of each.
    all[0]!.send(b);
    all[0]!.send(a);
    for (const m of all.slice(1)) m.send(a), m.send(b);
    await Promise.resolve();
    assert.deepEqual(all[0]!.got, ["send 11", "send 10"]);
    for (const m of all.slice(1)) {
      assert.deepEqual(m.got.map((g) => g.split(" ")[1]), ["10", "11"]);
    }
  });

  it("PublishHub never publishes together frames whose bytes differ (an array changed between sends)", async () => {
    const { all } = members(10);
    const reused = new Uint8Array([5]);
    for (const [i, m] of all.entries()) {
      reused[0] = i < 5 ? 5 : 6;
      m.send(reused);
    }
    await Promise.resolve();
    all.forEach((m, i) => assert.deepEqual(m.got, [`send ${i < 5 ? 5 : 6}`]));
  });

  it("PublishHub publishes the rest of a turn through another member when the publisher closed", async () => {
    const { all } = members(10);
    all[0]!.failSend = true; // its own copy of the first frame fails, and it closes
    const a = new Uint8Array([7]);
    const b = new Uint8Array([8]);
    for (const m of all) m.send(a), m.send(b);
    await Promise.resolve();
    for (const m of all.slice(1)) assert.deepEqual(m.got, ["pub 7", "pub 8"]);
    assert.deepEqual(all[0]!.got, []);
  });

  it("PublishHub sends one by one below 8 recipients", async () => {
    const { all } = members(7);
    const frame = new Uint8Array([4]);
    for (const m of all) m.send(frame);
    await Promise.resolve();
    for (const m of all) {
      assert.deepEqual(m.got, ["send 4"]);
      assert.equal(m.topics.size, 0);
    }
  });
});

/** WsTransports on fake peers sharing one hub; `got[i]` is what reached peer i, in order. */
function transports(n: number): { all: WsTransport[]; got: string[][] } {
  const hub = new PublishHub();
  const topics = new Map<string, Set<number>>();
  const got: string[][] = [];
  const all: WsTransport[] = [];
  for (let i = 0; i < n; i++) {
    got.push([]);
    const t = new WsTransport({
      send: (data) => void got[i]!.push(`send ${data.join(",")}`),
      bufferedAmount: 0,
      close() {},
      topics: {
        hub,
        subscribe: (topic) =>
          void (topics.get(topic) ?? topics.set(topic, new Set()).get(topic)!).add(i),
        unsubscribe: (topic) => void topics.get(topic)?.delete(i),
        publish: (topic, data) => {
          for (const j of topics.get(topic) ?? []) {
            if (j !== i) got[j]!.push(`pub ${data.join(",")}`);
          }
        },
        published() {},
      },
    }, 1024);
    t.start({ frame() {}, error() {}, close() {} });
    all.push(t);
  }
  return { all, got };
}

describe("WsTransport with a PublishHub", () => {
  it("a published turn empties the queues: the next turns send only their own frames", async () => {
    const { all, got } = transports(10);
    const first = new Uint8Array([1, 1]);
    for (const t of all) t.send(first);
    assert.equal(all[0]!.bufferedAmount, 2, "queued until the flush");
    await Promise.resolve();
    assert.equal(all[0]!.bufferedAmount, 0);
    all[3]!.send(new Uint8Array([2, 3])); // a unicast, alone in its turn
    await Promise.resolve();
    const second = new Uint8Array([3, 3]);
    for (const t of all) t.send(second);
    await Promise.resolve();
    got.forEach((g, i) => {
      const mine = i === 3 ? ["send 2,3"] : [];
      // The first member of a publish gets its copy by send, the others by the topic.
      const [a, b] = i === 0 ? ["send 1,1", "send 3,3"] : ["pub 1,1", "pub 3,3"];
      assert.deepEqual(g, [a, ...mine, b], `member ${i}`);
    });
  });
});

describe("room broadcasts over Bun's native publish", {
  skip: runtimeName() !== "bun" && "Bun only",
}, () => {
  it("every member of a room of 12 gets broadcasts and its own messages in order", async () => {
    const server = new GameSocketServer();
    const home = server.of("/");
    home.on("connection", (socket) => socket.join("arena"));
    const { ws } = await server.listen({ ws: 0, hostname: "127.0.0.1" });
    const clients = await Promise.all(
      Array.from({ length: 12 }, () => GameSocketClient.connect(`ws://127.0.0.1:${ws}/`)),
    );
    const got = clients.map(() => [] as string[]);
    clients.forEach((c, i) => {
      const nsp = c.of("/");
      nsp.on("b", (n) => got[i]!.push(`b${n}`));
      nsp.on("u", (n) => got[i]!.push(`u${n}`));
    });
    await Promise.all(clients.map((c) => c.of("/").ready()));
    await until(() => home.rooms.rooms.get("arena")?.size === 12, 5_000, "12 members");
    const sockets = [...home.sockets.values()];
    for (let n = 0; n < 20; n++) {
      home.to("arena").emit("b", n);
      sockets[n % sockets.length]!.emit("u", n); // a unicast between broadcasts
    }
    await until(() => got.every((g) => g.filter((x) => x[0] === "b").length === 20), 5_000);
    for (const [i, g] of got.entries()) {
      const sid = clients[i]!.sid;
      const mine = sockets.findIndex((s) => s.id === sid);
      const expected: string[] = [];
      for (let n = 0; n < 20; n++) {
        expected.push(`b${n}`);
        if (n % sockets.length === mine) expected.push(`u${n}`);
      }
      assert.deepEqual(g, expected);
    }
    for (const c of clients) c.close();
    await server.close();
  });
});
