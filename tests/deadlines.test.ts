import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type DeadlineEntry, Deadlines } from "../core/deadlines.ts";
import { now } from "../core/types.ts";

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Probe extends DeadlineEntry {
  id: number;
  firedAt: number[];
}

const probe = (id: number, log: Probe[]): Probe => {
  const p: Probe = {
    id,
    deadlineAt: 0,
    deadlineSlot: -1,
    firedAt: [],
    onDeadline: () => {
      p.firedAt.push(now());
      log.push(p);
    },
  };
  return p;
};

describe("Deadlines (the server's one timer)", () => {
  it("fires every scheduled entry once, in deadline order, never early; moved and cancelled ones as told", async () => {
    const rand = random(9);
    const heap = new Deadlines();
    const log: Probe[] = [];
    const probes = Array.from({ length: 300 }, (_, i) => probe(i, log));
    const start = now();
    const want = new Map<Probe, number>();
    for (const p of probes) {
      const at = start + 5 + rand() * 60;
      heap.schedule(p, at);
      want.set(p, at);
    }
    // Move a third (earlier and later), cancel a sixth.
    for (const p of probes) {
      const r = rand();
      if (r < 0.33) {
        const at = start + 5 + rand() * 60;
        heap.schedule(p, at);
        want.set(p, at);
      } else if (r < 0.5) {
        heap.cancel(p);
        want.delete(p);
      }
    }
    assert.equal(heap.size, want.size);
    const deadline = now() + 2000;
    while (log.length < want.size && now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(log.length, want.size, "each scheduled entry fired");
    assert.equal(heap.size, 0);
    for (const p of probes) {
      assert.equal(p.firedAt.length, want.has(p) ? 1 : 0, `entry ${p.id}`);
      if (want.has(p)) assert.ok(p.firedAt[0]! >= want.get(p)! - 1, `entry ${p.id} fired early`);
    }
    for (let i = 1; i < log.length; i++) {
      assert.ok(log[i - 1]!.deadlineAt <= log[i]!.deadlineAt, "in deadline order");
    }
  });

  it("lets an entry schedule itself again from its own deadline (a heartbeat)", async () => {
    const heap = new Deadlines();
    let beats = 0;
    const entry: DeadlineEntry = {
      deadlineAt: 0,
      deadlineSlot: -1,
      onDeadline: (time) => {
        if (++beats < 5) heap.schedule(entry, time + 2);
      },
    };
    heap.schedule(entry, now() + 2);
    const deadline = now() + 2000;
    while (beats < 5 && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(beats, 5);
    assert.equal(heap.size, 0, "no timer left to keep the process alive");
  });
});
