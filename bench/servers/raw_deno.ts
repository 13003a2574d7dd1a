/**
 * Contender: raw `Deno.listen` with `conn.read`/`conn.write` loops and
 * u16-length-prefixed frames batched per turn.
 *
 * @module
 */

import { Op, packRawControl } from "../wire.ts";
import { TurnBatch, U16FrameReader } from "../raw_frames.ts";
import { serveControl } from "./control.ts";

interface Conn {
  read(buf: Uint8Array): Promise<number | null>;
  write(buf: Uint8Array): Promise<number>;
  setNoDelay(on: boolean): void;
  close(): void;
}

interface DenoListen {
  listen(options: { hostname: string; port: number; transport: "tcp" }): {
    addr: { port: number };
    accept(): Promise<Conn>;
    close(): void;
  };
}

const Deno = (globalThis as unknown as { Deno: DenoListen }).Deno;
const joined = packRawControl(Op.Joined);
const room = new Set<TurnBatch>();

/** Writes batches in order, one at a time; batches made meanwhile are joined. */
function writer(conn: Conn): (bytes: Uint8Array) => void {
  let queue: Uint8Array[] = [];
  let writing = false;
  const loop = async () => {
    writing = true;
    try {
      while (queue.length > 0) {
        const chunks = queue;
        queue = [];
        let chunk = chunks[0]!;
        if (chunks.length > 1) {
          chunk = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
          let off = 0;
          for (const c of chunks) chunk.set(c, off), off += c.length;
        }
        for (let off = 0; off < chunk.length;) off += await conn.write(chunk.subarray(off));
      }
    } catch {
      queue = [];
    } finally {
      writing = false;
    }
  };
  return (bytes) => {
    queue.push(bytes.slice());
    if (!writing) void loop();
  };
}

async function serveConn(conn: Conn): Promise<void> {
  conn.setNoDelay(true);
  const batch = new TurnBatch(writer(conn));
  const reader = new U16FrameReader();
  const onFrame = (frame: Uint8Array) => {
    switch (frame[0]) {
      case Op.Echo:
        return batch.push(frame);
      case Op.Relay:
        for (const member of room) if (member !== batch) member.push(frame);
        return;
      case Op.Join:
        room.add(batch);
        return batch.push(joined);
    }
  };
  const buf = new Uint8Array(16 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      reader.push(buf.subarray(0, n), onFrame);
    }
  } catch { /* reset by peer */ }
  room.delete(batch);
  try {
    conn.close();
  } catch { /* closed */ }
}

await serveControl(() => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
  void (async () => {
    for (;;) {
      try {
        void serveConn(await listener.accept());
      } catch {
        return;
      }
    }
  })();
  return Promise.resolve({ port: listener.addr.port, close: () => listener.close() });
});
