/**
 * The timed scenarios, written once against {@linkcode BenchClient}. Every
 * loop is bounded by a count and by a deadline.
 *
 * @module
 */

import process from "node:process";
import { type BenchClient, type ClientKind, connectClient } from "./clients.ts";

/** A measured window in wall-clock time, and this process's CPU use in it. */
export interface Window {
  /** `Date.now()` at the start. */
  from: number;
  /** `Date.now()` at the end. */
  to: number;
  /** Load generator CPU, percent of one core. */
  clientCpuPct: number;
}

/** Start a window; call the result to end it. */
function openWindow(): () => Window {
  const from = Date.now();
  const cpu = process.cpuUsage();
  return () => {
    const to = Date.now();
    const used = process.cpuUsage(cpu);
    const clientCpuPct = Math.round(
      ((used.user + used.system) / 1000 / Math.max(1, to - from)) * 100,
    );
    return { from, to, clientCpuPct };
  };
}

/** Throw when a deadline has passed. */
function check(deadline: number, what: string): void {
  if (performance.now() > deadline) throw new Error(`Timed out: ${what}`);
}

/**
 * Open `n` connections, `concurrency` at a time.
 *
 * @returns The clients, in no particular order.
 */
export async function connectMany(
  kind: ClientKind,
  url: string,
  n: number,
  timeoutMs: number,
  concurrency = 64,
): Promise<BenchClient[]> {
  const deadline = performance.now() + timeoutMs;
  const clients: BenchClient[] = [];
  let next = 0;
  let timedOut = false;
  const worker = async () => {
    while (next < n) {
      check(deadline, `connecting ${n} clients (${clients.length} so far)`);
      next++;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out: connecting client ${clients.length + 1} of ${n}`)),
          Math.max(0, deadline - performance.now()),
        );
      });
      const connecting = connectClient(kind, url);
      // A connection that completes after the deadline is closed, not leaked.
      connecting.then((c) => timedOut && c.close(), () => {});
      try {
        clients.push(await Promise.race([connecting, late]));
      } finally {
        clearTimeout(timer);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  } catch (error) {
    timedOut = true;
    for (const c of clients) c.close();
    throw error;
  }
  return clients;
}

/** Resolve when `done()` is true, polling; reject at the deadline. */
async function until(done: () => boolean, deadline: number, what: () => string): Promise<void> {
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`Timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Result of {@linkcode echoLatency}, in microseconds. */
export interface EchoResult {
  roundTrips: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

/**
 * One client, one message in flight: send, wait for the echo, repeat.
 *
 * @param roundTrips Measured round trips (after `warmup` unmeasured ones).
 */
export async function echoLatency(
  kind: ClientKind,
  url: string,
  roundTrips: number,
  warmup: number,
  timeoutMs: number,
): Promise<EchoResult> {
  const deadline = performance.now() + timeoutMs;
  const [client] = await connectMany(kind, url, 1, timeoutMs);
  const times = new Float64Array(roundTrips);
  const total = warmup + roundTrips;
  let i = 0;
  let sentAt = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      client!.onMove = () => {
        const t = performance.now();
        if (i >= warmup) times[i - warmup] = t - sentAt;
        if (++i === total) return resolve();
        if (t > deadline) return reject(new Error(`Timed out: echo after ${i} round trips`));
        sentAt = performance.now();
        client!.echo();
      };
      sentAt = performance.now();
      client!.echo();
      setTimeout(() => reject(new Error(`Timed out: echo after ${i} round trips`)), timeoutMs)
        .unref?.();
    });
  } finally {
    client!.close();
  }
  times.sort();
  const at = (q: number) => times[Math.min(roundTrips - 1, Math.floor(q * roundTrips))]! * 1000;
  return {
    roundTrips,
    p50Us: Math.round(at(0.5)),
    p99Us: Math.round(at(0.99)),
    meanUs: Math.round(times.reduce((a, b) => a + b, 0) / roundTrips * 1000),
  };
}

/** Result of {@linkcode throughput}. */
export interface ThroughputResult {
  clients: number;
  seconds: number;
  /** Echoed messages received per second, all clients together. */
  msgsPerSec: number;
  /** When it was measured. */
  window: Window;
}

/**
 * `clients` connections, each keeping `window` messages in flight: every echo
 * received sends the next message. Counts echoes over `seconds`, after a
 * short warm-up.
 */
export async function throughput(
  kind: ClientKind,
  url: string,
  clients: number,
  seconds: number,
  window: number,
  timeoutMs: number,
): Promise<ThroughputResult> {
  const all = await connectMany(kind, url, clients, timeoutMs);
  let received = 0;
  let running = true;
  let inFlight = 0;
  for (const c of all) {
    c.onMove = () => {
      received++;
      inFlight--;
      if (running) c.echo(), inFlight++;
    };
  }
  try {
    for (const c of all) for (let i = 0; i < window; i++) c.echo(), inFlight++;
    await new Promise((r) => setTimeout(r, Math.min(500, seconds * 200)));
    const start = performance.now();
    const from = received;
    const close = openWindow();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const elapsed = (performance.now() - start) / 1000;
    const count = received - from;
    const measured = close();
    running = false;
    // Let the pipeline drain so the server is idle for the next scenario.
    await until(() => inFlight <= 0, performance.now() + 10_000, () => `${inFlight} in flight`)
      .catch(() => {});
    return { clients, seconds: elapsed, msgsPerSec: Math.round(count / elapsed), window: measured };
  } finally {
    running = false;
    for (const c of all) c.close();
  }
}

/** `sender` relays `messages` updates to the room, at most `window` ahead of the deliveries. */
async function relayRound(
  room: BenchClient[],
  sender: BenchClient,
  messages: number,
  window: number,
  deadline: number,
): Promise<void> {
  const members = room.length;
  const target = members * messages;
  let delivered = 0;
  let sent = 0;
  const pump = () => {
    while (sent < messages && sent - Math.floor(delivered / members) < window) {
      sent++;
      sender.relay();
    }
  };
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => finished = resolve);
  for (const c of room) {
    c.onMove = () => {
      if (++delivered === target) finished();
      else if (sent < messages) pump();
    };
  }
  pump();
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    done,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Timed out: fan-out at ${delivered}/${target}`)),
        Math.max(0, deadline - performance.now()),
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Result of {@linkcode fanout}. */
export interface FanoutResult {
  members: number;
  messages: number;
  ms: number;
  /** Messages delivered to room members per second. */
  deliveriesPerSec: number;
  /** When it was measured. */
  window: Window;
}

/**
 * `members` clients join the room; one more client (not a member) sends
 * `messages` updates that the server relays to the room, keeping at most
 * `window` messages ahead of the deliveries (after an unmeasured round of a
 * quarter as many, 500 at most).
 */
export async function fanout(
  kind: ClientKind,
  url: string,
  members: number,
  messages: number,
  window: number,
  timeoutMs: number,
): Promise<FanoutResult> {
  const deadline = performance.now() + timeoutMs;
  const room = await connectMany(kind, url, members, timeoutMs);
  const senders = await connectMany(kind, url, 1, timeoutMs);
  const sender = senders[0]!;
  try {
    await Promise.all(room.map((c) => c.join()));
    // A first round, not measured, as in the other scenarios: code gets compiled
    // and per-connection buffers grow to their working size (a replay buffer
    // holds up to 256 frames before its member acknowledges; with 200 the
    // measured window still saw the buffers grow and Bun's JIT compiling).
    const warm = Math.min(500, Math.ceil(messages / 4));
    await relayRound(room, sender, warm, window, deadline);
    const start = performance.now();
    const close = openWindow();
    await relayRound(room, sender, messages, window, deadline);
    const ms = performance.now() - start;
    const measured = close();
    return {
      members,
      messages,
      ms: Math.round(ms),
      deliveriesPerSec: Math.round(members * messages / ms * 1000),
      window: measured,
    };
  } finally {
    for (const c of room) c.close();
    sender.close();
  }
}
